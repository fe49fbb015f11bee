"""Glossary links: a Sphinx extension that links each glossary term where it first appears on a page.

The glossary (book/ordliste.md, a Sphinx ``glossary``) defines the words the book uses; FORMS lists
the forms in which the pages write each term. When a page is written, the first occurrence of each
term in its running text becomes a ``term`` cross-reference, which Sphinx resolves to the definition
(and, built with ``-n -W``, fails on a term the glossary lacks). Headings, links, code, raw HTML
(the tables) and image text are left alone, and so is the glossary page itself. One mechanism for
the generated chapters and the hand-written pages alike: nobody marks up terms by hand.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

GLOSSARY_DOC = "book/ordliste"

# glossary term -> the forms the pages use (matched as whole words, any case)
FORMS: dict[str, tuple[str, ...]] = {
    "Afstand": ("afstand", "afstanden", "afstande", "afstandene"),
    "Almen bolig / boligafdeling": (
        "almen bolig",
        "almene boliger",
        "almen boligafdeling",
        "almene boligafdelinger",
        "boligafdeling",
        "boligafdelingen",
        "boligafdelinger",
        "boligafdelingerne",
    ),
    "Bydel": ("bydel", "bydelen", "bydele", "bydelene", "bydels", "bydelens", "bydelenes"),
    "Bydelstal": ("bydelstal", "bydelstallet", "bydelstallene"),
    "Bølge": ("bølge", "bølgen", "bølger", "bølgerne", "bølgens"),
    "Delmål": ("delmål", "delmålet", "delmålene"),
    "Diskretionering": ("diskretionering", "diskretioneringen", "diskretioneret", "diskretionerede"),
    "Forspring": ("forspring", "forspringet"),
    "Følsomhedsanalyse": ("følsomhedsanalyse", "følsomhedsanalysen", "følsomhedsanalyser"),
    "Ikke-vestlig herkomst": ("ikke-vestlig herkomst",),
    "Indeks (København = 100)": ("indeks", "indekset", "indeks 100"),
    "Konfidensinterval": (
        "konfidensinterval",
        "konfidensintervallet",
        "konfidensintervaller",
        "konfidensintervallerne",
        "95 %-interval",
        "95 %-intervallet",
        "95 %-intervaller",
        "95 %-konfidensinterval",
        "95 %-konfidensintervallet",
    ),
    "Lav indkomst": ("lav indkomst",),
    "Local Moran's I": ("Local Moran's I", "Local Moran’s I"),
    "Medianrang": ("medianrang", "medianrangen"),
    "Procentpoint": ("procentpoint",),
    "Resten af byen": ("resten af byen", "resten af byens"),
    "Rode": ("rode", "roden", "roder", "roderne", "rodes", "rodens", "rodernes"),
    "SØK-indeks": (
        "SØK-indeks",
        "SØK-indekset",
        "sammensat indeks",
        "sammensatte indeks",
        "sammensat SØK-indeks",
        "sammensatte SØK-indeks",
    ),
    "SØK-indikator": ("SØK-indikator", "SØK-indikatoren", "SØK-indikatorer", "SØK-indikatorerne"),
    "Status for et mål": ("status for et mål", "et måls status", "målets status"),
    "Stedfortræder": ("stedfortræder", "stedfortræderen", "stedfortrædere"),
    "Theil–Sen-hældning": ("Theil–Sen-hældning", "Theil–Sen-hældningen", "Theil–Sen", "Theil-Sen"),
    "Udkast / vedtaget": ("udkast", "udkastet"),
    "Udsat byområde": (
        "udsat byområde",
        "udsatte byområde",
        "udsatte byområder",
        "udsatte byområders",
        "udsatte byområderne",
    ),
}

# Whole words: not inside a longer word or a compound ("SØK-indeks" is no "indeks", "5–95 %-interval"
# no 95 % confidence interval).
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![\w\-–])", r"(?![\w\-])"
SKIP = (
    nodes.title,
    nodes.subtitle,
    nodes.rubric,
    nodes.reference,
    nodes.literal,
    nodes.FixedTextElement,
    nodes.raw,
    nodes.term,
    nodes.image,
    nodes.Invisible,
    addnodes.pending_xref,
    addnodes.toctree,
)


def _form_pattern(form: str) -> str:
    return re.escape(form).replace(r"\ ", r"[ \u00a0]+")  # a space may be a non-breaking one


def pattern(terms=FORMS) -> re.Pattern:
    """One regex for every form of every term, the longest form first, whole words, any case."""
    forms = sorted({f for fs in terms.values() for f in fs}, key=len, reverse=True)
    return re.compile(_EDGE_BEFORE + "(" + "|".join(map(_form_pattern, forms)) + ")" + _EDGE_AFTER, re.IGNORECASE)


def term_of(text: str, terms=FORMS) -> str:
    """The glossary term a matched form belongs to."""
    key = " ".join(text.split()).casefold()
    return next(t for t, forms in terms.items() if key in {f.casefold() for f in forms})


def first_occurrences(texts, terms=FORMS) -> dict[str, tuple[int, re.Match]]:
    """For each term, the first (text index, match) in a sequence of texts, in order."""
    found: dict[str, tuple[int, re.Match]] = {}
    regex = pattern(terms)
    for i, text in enumerate(texts):
        for m in regex.finditer(text):
            found.setdefault(term_of(m.group(0), terms), (i, m))
    return found


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, SKIP):
            return True
        parent = parent.parent
    return False


def _xref(text: str, term: str, docname: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="term", reftarget=term, refexplicit=True, refwarn=True, refdoc=docname
    )
    ref += nodes.inline(text, text, classes=["xref", "std", "std-term"])
    return ref


class LinkGlossaryTerms(SphinxPostTransform):
    """Replace the first occurrence of each glossary term on a page by a term reference."""

    default_priority = 6  # after MyST-NB picks each output's format (4), before references are resolved (10)

    def run(self, **kwargs) -> None:
        docname = self.env.path2doc(self.document["source"])
        if docname is None or docname == GLOSSARY_DOC:
            return
        linked = {n["reftarget"] for n in self.document.findall(addnodes.pending_xref) if n.get("reftype") == "term"}
        texts = [t for t in self.document.findall(nodes.Text) if not _skipped(t)]
        firsts = first_occurrences([str(t) for t in texts])
        by_node: dict[int, list[tuple[re.Match, str]]] = {}
        for term, (i, match) in firsts.items():
            if term not in linked:
                by_node.setdefault(i, []).append((match, term))
        for i, hits in by_node.items():
            _link(texts[i], sorted(hits, key=lambda h: h[0].start()), docname)


def _link(text: nodes.Text, hits: list[tuple[re.Match, str]], docname: str) -> None:
    source, parts, pos = str(text), [], 0
    for match, term in hits:
        parts += [nodes.Text(source[pos : match.start()]), _xref(match.group(0), term, docname)]
        pos = match.end()
    parts.append(nodes.Text(source[pos:]))
    text.parent.replace(text, [p for p in parts if not (isinstance(p, nodes.Text) and not str(p))])


def setup(app):
    app.add_post_transform(LinkGlossaryTerms)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
