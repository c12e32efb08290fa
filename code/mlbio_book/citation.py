"""Citable pages: a "How to cite this page" box on every page, from ``CITATION.cff``.

* **One source for the citation.** Authors, title, version, release date, URL and DOI are read
  from ``CITATION.cff`` at the repository root; the book's version lives only there.
* **The box** (``templates/cite-box.html``) ends every page: a plain-text citation, a BibTeX
  entry and the URL, for the whole page or any of its labelled ``##`` / ``###`` sections, each
  with a copy button (``static/mlbio-cite.js``; without JavaScript the page's citation and
  BibTeX entry are still shown).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

from mlbio_book.anchors import moved_anchors
from mlbio_book.render import render

STATIC = Path(__file__).with_name("static")
MAX_LEVEL = 3  # cite the page and its ## and ### sections


class CitationError(ValueError):
    """CITATION.cff lacks what a citation needs."""


def load_citation(path: Path) -> dict[str, Any]:
    """Read ``CITATION.cff`` and return what a citation needs.

    Returns a dict with ``title``, ``version``, ``year``, ``authors`` (display strings),
    ``bibtex_authors``, ``url`` (the site, ending in ``/``) and ``doi`` (or ``None``).
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = [k for k in ("title", "version", "date-released", "authors", "url") if k not in data]
    if missing:
        raise CitationError(f"{path}: missing {missing}.")
    released = data["date-released"]
    if isinstance(released, str):
        released = dt.date.fromisoformat(released)
    display, bib = [], []
    for author in data["authors"]:
        if "name" in author:  # an entity, e.g. "The mlbio book authors"
            display.append(author["name"])
            bib.append("{" + author["name"] + "}")
        else:
            family, given = author["family-names"], author.get("given-names", "")
            initials = " ".join(f"{part[0]}." for part in given.split())
            display.append(f"{family}, {initials}".rstrip(", "))
            bib.append(f"{family}, {given}".rstrip(", "))
    url = str(data["url"])
    return {
        "title": str(data["title"]),
        "version": str(data["version"]),
        "year": released.year,
        "authors": display,
        "bibtex_authors": bib,
        "url": url if url.endswith("/") else url + "/",
        "doi": data.get("doi"),
    }


def _join_authors(names: list[str]) -> str:
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _bibtex_escape(text: str) -> str:
    for char in "\\{}":
        text = text.replace(char, "")
    for char in "&%$#_":
        text = text.replace(char, "\\" + char)
    return text


def cite(
    meta: dict[str, Any],
    url: str,
    page_title: str | None = None,
    section_title: str | None = None,
    key: str = "",
) -> dict[str, str]:
    """Return the citation and BibTeX entry of the book, a page of it, or a section of a page.

    Parameters
    ----------
    meta
        The output of :func:`load_citation`.
    url
        Absolute address of what is cited (with the section's ``#label`` for a section).
    page_title, section_title
        Title of the page (None for the whole book) and of the section (None for a whole page).
    key
        Suffix of the BibTeX key, usually the section's or the page's label.

    Returns
    -------
    dict
        ``text`` (one line to paste in a reference list), ``bibtex`` and ``url``.

    """
    authors = _join_authors(meta["authors"])
    book = f"{meta['title']} (version {meta['version']})"
    where = []
    if page_title:
        where.append(f"“{page_title}”")
    if section_title:
        where.append(f"section “{section_title}”")
    if where:
        text = f"{authors} ({meta['year']}). {', '.join(where)}. In {book}. {url}"
    else:
        text = f"{authors} ({meta['year']}). {book}. {url}"
    if meta.get("doi"):
        text += f" doi:{meta['doi']}"
    note = [f"Version {meta['version']}"]
    if page_title:
        note.append(f"chapter ``{_bibtex_escape(page_title)}''")
    if section_title:
        note.append(f"section ``{_bibtex_escape(section_title)}''")
    bibkey = f"mlbio{meta['year']}" + (f":{key}" if key else "")
    fields = [
        ("author", " and ".join(meta["bibtex_authors"])),
        ("title", "{" + _bibtex_escape(meta["title"]) + "}"),
        ("year", str(meta["year"])),
        ("version", meta["version"]),
        ("note", ", ".join(note)),
        ("url", url),
    ]
    if meta.get("doi"):
        fields.append(("doi", str(meta["doi"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return {"text": text, "bibtex": f"@misc{{{bibkey},\n{body}\n}}", "url": url}


# ---------------------------------------------------------------------------------------------
# Sphinx side
# ---------------------------------------------------------------------------------------------


def _config_inited(app: Sphinx, config: Config) -> None:
    try:
        app.mlbio_citation = load_citation(Path(app.confdir) / config.mlbio_citation_file)  # type: ignore[attr-defined]
    except (OSError, CitationError) as err:
        raise CitationError(f"mlbio_book.citation: {err}") from None
    # A new version or date in CITATION.cff must rewrite every page's box, also in an
    # incremental build: a config value marked "html" does that when it changes.
    config.mlbio_citation_digest = json.dumps(app.mlbio_citation, sort_keys=True, default=str)  # type: ignore[attr-defined]
    config.html_static_path.append(str(STATIC))


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    out = []
    while node.parent is not None:
        node = node.parent
        out.append(node)
    return out


def _sections(app: Sphinx, pagename: str, doctree: nodes.document) -> list[tuple[int, str, str]]:
    """(level, label, title) of the page's labelled sections, in document order."""
    labels = app.env.domaindata["std"]["labels"]
    mine = {labelid: name for name, (doc, labelid, _) in labels.items() if doc == pagename}
    found = []
    for section in doctree.findall(nodes.section):
        level = len([a for a in _ancestors(section) if isinstance(a, nodes.section)]) + 1
        if level > MAX_LEVEL:
            continue
        label = next((i for i in section["ids"] if i in mine), None)
        if label:
            found.append((level, label, section[0].astext()))
    return found


def box(app: Sphinx, pagename: str, doctree: nodes.document) -> str:
    """The HTML of a page's "How to cite this page" box."""
    meta = app.mlbio_citation  # type: ignore[attr-defined]
    page_url = meta["url"] + app.builder.get_target_uri(pagename)
    is_root = pagename == app.config.root_doc
    page_title = None if is_root else app.env.titles[pagename].astext()
    sections = _sections(app, pagename, doctree)
    page_label = sections[0][1] if sections and sections[0][0] == 1 else ""
    # The whole book is cited by the site's address; its sections by the page's real address
    # (the site root forwards to the root page, but a forward may drop the "#section").
    whole = (
        cite(meta, meta["url"])
        if is_root
        else cite(meta, page_url, page_title, key=page_label or pagename.split("/")[-1])
    )
    entries = {"": whole}
    options = []
    for level, label, title in sections:
        if level == 1:
            continue
        entries[label] = cite(meta, f"{page_url}#{label}", page_title, title, key=label)
        options.append({"label": label, "title": title, "indent": "\u2003" * (level - 2)})
    data = {
        "entries": entries,
        "page_label": page_label,
        "titles": {label: title for level, label, title in sections if level > 1},
        "moved": moved_anchors(app, pagename),
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return render(
        "cite-box.html", version=meta["version"], options=options, first=whole, payload=payload
    )


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if doctree is None or "body" not in context or pagename not in app.env.titles:
        return
    context["body"] += box(app, pagename, doctree)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.setup_extension("mlbio_book.anchors")  # the box follows moved anchors
    app.add_config_value("mlbio_citation_file", "CITATION.cff", "env")
    app.add_config_value("mlbio_citation_digest", "", "html")
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    app.add_css_file("mlbio-cite.css")
    app.add_js_file("mlbio-cite.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
