// Interactive map of the roder: hover or tap a rode for its name and values, switch indicator,
// zoom with the buttons or the wheel, find a rode, neighbourhood or street. Self-hosted, no
// libraries. Activated on elements <div class="kort" data-src="…/kort.json" data-focus="slug">.
// Data: analysis/webmap.py (metric coordinates, EPSG:25832, north up).
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const BINS = [80, 100, 120, 150, 200];
  const COLOURS = ["#f7f7f7", "#fee6ce", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];
  const LABELS = ["under 80", "80–100", "100–120", "120–150", "150–200", "200 og derover"];
  const fmt = (v) => v == null ? "skjult eller ingen tal" : v.toLocaleString("da-DK", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + "\u00a0%";
  const mk = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text != null) e.textContent = text;
    return e;
  };
  const svgEl = (tag, attrs = {}) => {
    const e = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    return e;
  };

  function build(root, data) {
    const focus = root.dataset.focus;
    const controls = mk("div", { class: "kort-styring" });
    const select = mk("select", { "aria-label": "Vis indikator" });
    data.indicators.forEach((i) => select.appendChild(mk("option", { value: i.key }, i.name)));
    const zoomIn = mk("button", { type: "button", "aria-label": "Zoom ind" }, "+");
    const zoomOut = mk("button", { type: "button", "aria-label": "Zoom ud" }, "−");
    const reset = mk("button", { type: "button" }, "Hele byen");
    const listId = "kort-navne-" + Math.random().toString(36).slice(2, 8);
    const search = mk("input", { type: "search", list: listId, placeholder: "Find rode, kvarter eller gade", "aria-label": "Find rode, kvarter eller gade" });
    const datalist = mk("datalist", { id: listId });
    data.search.forEach((s) => datalist.appendChild(mk("option", { value: s.name }, s.kind)));
    [select, zoomIn, zoomOut, reset, search, datalist].forEach((e) => controls.appendChild(e));
    root.appendChild(controls);
    const found = mk("div", { class: "kort-soeg", "aria-live": "polite" });
    root.appendChild(found);

    const [x0, y0, x1, y1] = data.box;
    const svg = svgEl("svg", { class: "kort-svg", role: "img", "aria-label": root.dataset.label || "Kort over Københavns roder" });
    const g = svgEl("g", { transform: `translate(0,${y0 + y1}) scale(1,-1)` }); // north up
    svg.appendChild(g);
    root.appendChild(svg);
    const tip = mk("div", { class: "kort-info", "aria-live": "polite" }, "Peg på eller tryk på en rode.");
    root.appendChild(tip);
    const legend = mk("div", { class: "kort-forklaring" });
    root.appendChild(legend);

    let view = [x0, y0, x1 - x0, y1 - y0];
    const labels = [];
    const setView = (v) => {
      view = v;
      svg.setAttribute("viewBox", v.join(" "));
      labels.forEach((t) => { t.style.fontSize = `${v[2] / 22}px`; t.style.strokeWidth = `${v[2] / 200}px`; });
    };
    const zoomTo = (b, pad = 0.15) => {
      const w = b[2] - b[0], h = b[3] - b[1], p = pad * Math.max(w, h) + 300;
      setView([b[0] - p, y0 + y1 - b[3] - p, w + 2 * p, h + 2 * p]);
    };
    const zoom = (f) => {
      const [x, y, w, h] = view;
      setView([x + (w * (1 - f)) / 2, y + (h * (1 - f)) / 2, w * f, h * f]);
    };
    zoomIn.addEventListener("click", () => zoom(0.6));
    zoomOut.addEventListener("click", () => zoom(1 / 0.6));
    reset.addEventListener("click", () => zoomTo(data.box, 0));
    svg.addEventListener("wheel", (ev) => { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25); }, { passive: false });

    const paths = data.roder.map((r) => {
      const d = r.rings.map((ring) => "M" + ring.map((p) => p.join(",")).join("L") + "Z").join("");
      const p = svgEl("path", { d, class: "kort-rode" + (r.area ? " i-omraade" : ""), tabindex: "0" });
      const show = () => {
        const key = select.value, [yb, yl] = data.years[key];
        const [vb, vl] = r.values[key];
        const area = r.area ? ` (i det udsatte byområde ${data.areas.find((a) => a.slug === r.area).name})` : "";
        tip.textContent = `${r.name}${area}: ${data.indicators.find((i) => i.key === key).name} ${fmt(vl)} i ${yl} (${fmt(vb)} i ${yb}).`;
        paths.forEach((q) => q.classList.remove("valgt"));
        p.classList.add("valgt");
      };
      p.addEventListener("mouseenter", show);
      p.addEventListener("click", show);
      p.addEventListener("focus", show);
      g.appendChild(p);
      return p;
    });
    const marker = svgEl("rect", { class: "kort-fund", style: "display:none" });
    data.areas.forEach((a) => {
      const [lx, ly] = a.label;
      const t = svgEl("text", { x: lx, y: -ly, class: "kort-navn", transform: "scale(1,-1)", "text-anchor": "middle" });
      t.textContent = a.name;
      g.appendChild(t);
      labels.push(t);
    });

    const colour = () => {
      const key = select.value, mid = data.city[key];
      data.roder.forEach((r, i) => {
        const v = r.values[key][1];
        const idx = v == null ? null : (100 * v) / mid;
        paths[i].style.fill = idx == null ? "#d9d9d9" : COLOURS[BINS.filter((b) => idx >= b).length];
      });
      legend.replaceChildren(mk("strong", {}, `${data.indicators.find((i) => i.key === key).name}, ${data.years[key][1]}, indeks (København = 100): `));
      COLOURS.forEach((c, i) => {
        const item = mk("span", { class: "kort-felt" });
        item.appendChild(mk("span", { class: "kort-farve", style: `background:${c}` }));
        item.appendChild(document.createTextNode(LABELS[i]));
        legend.appendChild(item);
      });
      legend.appendChild(mk("span", { class: "kort-felt" }, "grå: skjult (under 100 beboere) eller ingen tal"));
    };
    g.appendChild(marker);
    select.addEventListener("change", colour);
    search.addEventListener("change", () => {
      const hit = data.search.find((s) => s.name.toLowerCase() === search.value.trim().toLowerCase());
      if (hit) {
        zoomTo(hit.box, 1.5);
        const [bx0, by0, bx1, by1] = hit.box;
        marker.setAttribute("x", bx0); marker.setAttribute("y", by0);
        marker.setAttribute("width", bx1 - bx0); marker.setAttribute("height", by1 - by0);
        marker.style.display = "";
        found.textContent = `${hit.name} (${hit.kind}) er vist midt på kortet med en stiplet ramme.`;
        const rode = data.roder.find((r) => r.name === hit.name);
        if (rode) paths[data.roder.indexOf(rode)].dispatchEvent(new Event("click"));
      } else {
        found.textContent = `Fandt ikke »${search.value}«. Prøv et rodenavn, et kvarter, en almen boligafdeling eller en gade.`;
      }
    });
    colour();
    const area = data.areas.find((a) => a.slug === focus);
    area ? zoomTo(area.box) : zoomTo(data.box, 0);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("div.kort[data-src]").forEach((root) => {
      fetch(root.dataset.src).then((r) => r.json()).then((data) => build(root, data)).catch(() => {
        root.textContent = "Kortet kunne ikke indlæses.";
      });
    });
  });
})();
