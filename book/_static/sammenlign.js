// "Sammenlign områderne": two areas (or an area and the city) side by side, kept in the URL.
// Data: ../data/sammenlign.json, written by the build (analysis.outputs.compare_data).
(function () {
  "use strict";
  const fmt = (v, d = 1) => v == null ? "–" : v.toLocaleString("da-DK", { minimumFractionDigits: d, maximumFractionDigits: d });
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text != null) e.textContent = text;
    return e;
  };
  const COLOURS = ["#D55E00", "#0072B2"];

  function sparkline(series, label) {
    // two lines, one per unit; values 0..max
    const pts = series.flatMap((s) => s.values.map(([, v]) => v));
    const years = series.flatMap((s) => s.values.map(([y]) => y));
    const [x0, x1] = [Math.min(...years), Math.max(...years)];
    const ymax = Math.max(...pts) * 1.1 || 1;
    const W = 320, H = 120, P = 28;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    svg.classList.add("sammenlign-graf");
    const sx = (y) => P + ((y - x0) / Math.max(1, x1 - x0)) * (W - 2 * P);
    const sy = (v) => H - P / 2 - (v / ymax) * (H - P);
    series.forEach((s, i) => {
      const path = document.createElementNS(svg.namespaceURI, "polyline");
      path.setAttribute("points", s.values.map(([y, v]) => `${sx(y)},${sy(v)}`).join(" "));
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", COLOURS[i]);
      path.setAttribute("stroke-width", "3");
      if (i === 1) path.setAttribute("stroke-dasharray", "6 4");
      svg.appendChild(path);
    });
    [x0, x1].forEach((y) => {
      const t = document.createElementNS(svg.namespaceURI, "text");
      t.setAttribute("x", sx(y)); t.setAttribute("y", H - 2); t.setAttribute("text-anchor", "middle");
      t.textContent = y; svg.appendChild(t);
    });
    return svg;
  }

  function render(data, a, b) {
    const out = document.getElementById("sammenlign-resultat");
    out.replaceChildren();
    const name = (id) => data.units.find((u) => u.id === id).name;
    const latest = (vals) => vals.length ? vals[vals.length - 1] : [null, null];
    const table = el("table", { class: "tabel" });
    table.appendChild(el("caption", {}, `${name(a)} og ${name(b)}: andele i seneste år med data`));
    const head = el("tr");
    ["Indikator", "År", name(a), name(b), "Forskel (procentpoint)"].forEach((h) => head.appendChild(el("th", { scope: "col" }, h)));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    data.indicators.forEach((ind) => {
      const [ya, va] = latest(data.rates[a][ind.key]);
      const [, vb] = latest(data.rates[b][ind.key]);
      const row = el("tr");
      [[ind.name, "Indikator"], [String(ya), "År"], [`${fmt(va)}\u00a0%`, name(a)], [`${fmt(vb)}\u00a0%`, name(b)],
       [va == null || vb == null ? "–" : (va - vb > 0 ? "+" : va - vb < 0 ? "−" : "") + fmt(Math.abs(va - vb)), "Forskel (procentpoint)"]]
        .forEach(([v, label]) => row.appendChild(el("td", { "data-label": label }, v)));
      body.appendChild(row);
    });
    const wrap = el("div", { class: "tabel-wrap", tabindex: "0", role: "region", "aria-label": "Nøgletal side om side" });
    wrap.appendChild(table);
    out.appendChild(wrap);
    out.appendChild(el("h2", {}, "Udviklingen år for år"));
    const legend = el("p", { class: "sammenlign-forklaring" });
    // names come from data: text nodes, never markup
    legend.append(el("span", { style: `color:${COLOURS[0]}` }, "━━"), ` ${name(a)}\u00a0\u00a0`,
      el("span", { style: `color:${COLOURS[1]}` }, "╍╍"), ` ${name(b)}`);
    out.appendChild(legend);
    data.indicators.forEach((ind) => {
      const fig = el("figure", { class: "sammenlign-figur" });
      const sa = data.rates[a][ind.key], sb = data.rates[b][ind.key];
      const summary = `${ind.name}: ${name(a)} fra ${fmt(sa[0][1])} % til ${fmt(latest(sa)[1])} %, ` +
        `${name(b)} fra ${fmt(sb[0][1])} % til ${fmt(latest(sb)[1])} % (${sa[0][0]}–${latest(sa)[0]}).`;
      fig.appendChild(sparkline([{ values: sa }, { values: sb }], summary));
      fig.appendChild(el("figcaption", {}, summary));
      out.appendChild(fig);
    });
  }

  function init(data) {
    const params = new URLSearchParams(window.location.search);
    const ids = data.units.map((u) => u.id);
    let a = ids.includes(params.get("a")) ? params.get("a") : ids[0];
    let b = ids.includes(params.get("b")) ? params.get("b") : "kbh";
    const selects = [document.getElementById("valg-a"), document.getElementById("valg-b")];
    selects.forEach((sel, i) => {
      data.units.forEach((u) => sel.appendChild(el("option", { value: u.id }, u.name)));
      sel.value = i === 0 ? a : b;
      sel.addEventListener("change", () => {
        [a, b] = selects.map((s) => s.value);
        const url = new URL(window.location.href);
        url.searchParams.set("a", a);
        url.searchParams.set("b", b);
        window.history.replaceState(null, "", url);
        render(data, a, b);
      });
    });
    render(data, a, b);
  }

  document.addEventListener("DOMContentLoaded", () => {
    fetch("../data/sammenlign.json").then((r) => r.json()).then(init).catch(() => {
      document.getElementById("sammenlign-resultat").textContent = "Tallene kunne ikke hentes.";
    });
  });
})();
