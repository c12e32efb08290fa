"""Citable pages: "How to cite this page" boxes, stable section anchors and redirects.

What this extension does, and why:

* **One source for the citation.** Authors, title, version, release date, URL and DOI are read
  from ``CITATION.cff`` at the repository root. The book's version lives only there (see
  CONTRIBUTING.md, "Releasing a version").
* **A "How to cite this page" box** at the end of every page: a plain-text citation, a BibTeX
  entry and the URL, for the whole page or for any of its labelled ``##`` / ``###`` sections, each
  with a one-click copy button (``static/mlbio-cite.js``; without JavaScript the page-level
  citation and BibTeX are still shown).
* **Stable anchors.** A section's HTML permalink and its entry in the page's table of contents
  use the explicit MyST label written above the heading, ``(chapter-section)=``, rather than an
  id derived from the heading's words, so an address stays valid when a heading is reworded.
* **Redirects.** ``book/redirects.yml`` maps renamed pages (``pages:``, written out by
  sphinxext-rediraffe) and renamed section labels (``anchors:``). An old label becomes an extra
  id on its new section, so ``page.html#old-label`` keeps working; if the section moved to
  another page, a small script sends the reader there. Labels that ``book/anchors.txt`` (the
  anchors of the last release) places on another page than today are redirected the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MAX_LEVEL = 3  # cite the page and its ## and ### sections


# ---------------------------------------------------------------------------------------------
# Citation metadata (pure functions, used by the tests too)
# ---------------------------------------------------------------------------------------------


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
    """Plain-text citation and BibTeX entry of the book, a page of it, or a section of a page.

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


def load_redirects(path: Path) -> dict[str, dict[str, str]]:
    """Read ``book/redirects.yml``: ``{"pages": {old: new}, "anchors": {old: new}}``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    data = data or {}
    unknown = set(data) - {"pages", "anchors"}
    if unknown:
        raise ValueError(f"{path}: unknown sections {sorted(unknown)}; use pages: and anchors:.")
    return {
        "pages": {str(k): str(v) for k, v in (data.get("pages") or {}).items()},
        "anchors": {str(k): str(v) for k, v in (data.get("anchors") or {}).items()},
    }


def load_anchor_list(path: Path) -> dict[str, str]:
    """Read ``book/anchors.txt`` (``label docname`` per line; ``#`` starts a comment)."""
    anchors: dict[str, str] = {}
    if not path.is_file():
        return anchors
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            label, docname = line.split()
            anchors[label] = docname
    return anchors


def resolve_anchor(label: str, renamed: dict[str, str]) -> str:
    """Follow the chain of renamed labels (``anchors:`` of redirects.yml) to today's label."""
    seen = [label]
    while label in renamed:
        label = renamed[label]
        if label in seen:
            raise ValueError(f"circular anchor redirect: {' -> '.join([*seen, label])}")
        seen.append(label)
    return label


# ---------------------------------------------------------------------------------------------
# Sphinx side
# ---------------------------------------------------------------------------------------------


def _config_inited(app: Sphinx, config: Any) -> None:
    root = Path(app.confdir)
    try:
        app.mlbio_citation = load_citation(root / config.mlbio_citation_file)
    except (OSError, CitationError) as err:
        raise CitationError(f"cite_section: {err}") from None
    # A new version or date in CITATION.cff must rewrite every page's box, also in an
    # incremental build: a config value marked "html" does that when it changes.
    config.mlbio_citation_digest = json.dumps(app.mlbio_citation, sort_keys=True, default=str)
    redirects = load_redirects(root / config.mlbio_redirects_file)
    # The maps are not Sphinx config values, so record their content in one: an edit then
    # makes Sphinx re-read every page (their ids and the redirect checks depend on the maps).
    digest = hashlib.sha256()
    for name in (config.mlbio_redirects_file, config.mlbio_anchors_file):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    config.mlbio_maps_digest = digest.hexdigest()
    app.mlbio_redirects = redirects
    app.mlbio_anchor_list = load_anchor_list(root / config.mlbio_anchors_file)
    # sphinxext-rediraffe writes the page redirects; a valid HTML5 template keeps the redirect
    # pages acceptable to the HTML checker and to screen readers.
    config.rediraffe_redirects = redirects["pages"]
    config.rediraffe_template = os.path.relpath(HERE / "templates" / "redirect.html", app.srcdir)
    config.html_static_path.append(str(HERE / "static"))


def _stable_ids(app: Sphinx, doctree: nodes.document) -> None:
    """Put a section's explicit label first among its ids, and add renamed labels as aliases."""
    explicit = {
        doctree.nameids[name]
        for name, is_explicit in doctree.nametypes.items()
        if is_explicit and doctree.nameids.get(name)
    }
    renamed = getattr(app, "mlbio_redirects", {"anchors": {}})["anchors"]
    aliases: dict[str, list[str]] = {}
    for old in renamed:
        aliases.setdefault(resolve_anchor(old, renamed), []).append(old)
    for section in doctree.findall(nodes.section):
        ids = section["ids"]
        labels = [i for i in ids if i in explicit]
        if labels:
            section["ids"] = labels + [i for i in ids if i not in labels]
        for label in list(section["ids"]):
            for old in aliases.get(label, []):
                if old not in section["ids"]:
                    section["ids"].append(old)


def _unique_exercise_ids(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give each exercise's and solution's content a unique id.

    sphinx-exercise 1.2 gives every exercise body the id ``exercise-content`` (and every solution
    body ``solution-content``), so a page with two exercises repeats ids, which HTML forbids.
    The body takes its exercise's label instead: ``<label>-content``.
    """
    used: set[str] = set()
    for section in doctree.findall(nodes.section):
        if section["ids"] not in (["exercise-content"], ["solution-content"]):
            continue
        parent_ids = section.parent.get("ids", []) if section.parent is not None else []
        base = parent_ids[0] if parent_ids else section["ids"][0]
        new, n = f"{base}-content", 1
        while new in used:
            n += 1
            new = f"{base}-content-{n}"
        used.add(new)
        section["ids"] = [new]


LEVEL_BADGE = {"novice": "success", "intermediate": "warning", "advanced": "danger"}


def _exercise_level_badges(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Show an exercise's level (``:class: level-novice`` etc.) as a badge in its title bar.

    The badge is the same sphinx-design badge that marks the levels of chapters and sections,
    written as real text (not CSS-generated content), so screen readers announce it too.
    """
    for node in doctree.findall(nodes.Element):
        classes = node.get("classes", [])
        if "exercise" not in classes or not node.children:
            continue
        levels = [c[len("level-") :] for c in classes if c.startswith("level-")]
        title = node.children[0]
        if not levels or levels[0] not in LEVEL_BADGE or not isinstance(title, nodes.title):
            continue
        if any("mlbio-level-badge" in n.get("classes", []) for n in title.findall(nodes.inline)):
            continue
        color = LEVEL_BADGE[levels[0]]
        badge = nodes.inline(
            "",
            levels[0],
            classes=[
                "mlbio-level-badge",
                "sd-sphinx-override",
                "sd-badge",
                f"sd-bg-{color}",
                f"sd-bg-text-{color}",
            ],
        )
        title += [nodes.Text(" "), badge]


def _check_redirects(app: Sphinx, env: Any) -> None:
    """Every renamed label must point to a label that exists, and must itself be gone."""
    labels = env.domaindata["std"]["labels"]
    renamed = app.mlbio_redirects["anchors"]
    for old in renamed:
        try:
            new = resolve_anchor(old, renamed)
        except ValueError as err:
            logger.warning(f"book/redirects.yml: {err}", type="mlbio", subtype="redirect")
            continue
        if new not in labels:
            logger.warning(
                f"book/redirects.yml: anchor {old!r} redirects to {new!r}, which no page defines.",
                type="mlbio",
                subtype="redirect",
            )
        if old in labels:
            logger.warning(
                f"book/redirects.yml: anchor {old!r} is redirected but a page still defines it.",
                type="mlbio",
                subtype="redirect",
            )


def _moved_anchors(app: Sphinx, pagename: str) -> dict[str, str]:
    """Old anchors that now live on another page: label -> relative URL of today's section."""
    labels = app.env.domaindata["std"]["labels"]
    renamed = app.mlbio_redirects["anchors"]
    moved: dict[str, str] = {}
    olds = {**app.mlbio_anchor_list, **{old: "" for old in renamed}}
    for old, old_doc in olds.items():
        new = resolve_anchor(old, renamed)
        if new not in labels:
            continue
        docname, labelid, _ = labels[new]
        if old == new and docname == old_doc:
            continue  # still where it was
        uri = app.builder.get_relative_uri(pagename, docname)
        moved[old] = f"{uri}#{labelid}"
    return moved


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


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    out = []
    while node.parent is not None:
        node = node.parent
        out.append(node)
    return out


def _box(app: Sphinx, pagename: str, doctree: nodes.document) -> str:
    meta = app.mlbio_citation
    page_url = meta["url"] + app.builder.get_target_uri(pagename)
    is_root = pagename == app.config.root_doc
    page_title = None if is_root else app.env.titles[pagename].astext()
    sections = _sections(app, pagename, doctree)
    page_label = sections[0][1] if sections and sections[0][0] == 1 else pagename.split("/")[-1]
    # The whole book is cited by the site's address; its sections by the page's real address
    # (the site root forwards to the root page, but a forward may drop the "#section").
    whole = cite(meta, meta["url"]) if is_root else cite(meta, page_url, page_title, key=page_label)
    entries = {"": whole}
    options = ['<option value="">the whole page</option>']
    for level, label, title in sections:
        if level == 1:
            continue
        entries[label] = cite(meta, f"{page_url}#{label}", page_title, title, key=label)
        indent = "\u2003" * (level - 2)
        options.append(
            f'<option value="{html.escape(label)}">{indent}section “{html.escape(title)}”</option>'
        )
    data = {
        "entries": entries,
        "page_label": sections[0][1] if sections and sections[0][0] == 1 else "",
        "titles": {label: title for level, label, title in sections if level > 1},
        "moved": _moved_anchors(app, pagename),
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    first = entries[""]
    esc = html.escape
    return f"""
<div class="mlbio-cite" id="mlbio-cite">
<h2 class="mlbio-cite-title">How to cite this page</h2>
<p class="mlbio-cite-version">From version {esc(meta["version"])} of the book. Section addresses
are stable across versions: renamed or moved sections keep their old address working.</p>
<div class="mlbio-cite-choose" hidden>
<label for="mlbio-cite-section">Cite</label>
<select id="mlbio-cite-section">{"".join(options)}</select>
</div>
<p class="mlbio-cite-text" id="mlbio-cite-text">{esc(first["text"])}</p>
<p class="mlbio-cite-link">Address: <a id="mlbio-cite-url" href="{esc(first["url"])}">{
        esc(first["url"])
    }</a></p>
<div class="mlbio-cite-buttons" hidden>
<button type="button" class="mlbio-cite-copy" data-copy="text">Copy citation</button>
<button type="button" class="mlbio-cite-copy" data-copy="bibtex">Copy BibTeX</button>
<button type="button" class="mlbio-cite-copy" data-copy="url">Copy address</button>
<span class="mlbio-cite-status" role="status" aria-live="polite"></span>
</div>
<div class="mlbio-cite-toast" role="status" aria-live="polite"></div>
<details class="mlbio-cite-details">
<summary>BibTeX entry</summary>
<pre class="mlbio-cite-bibtex" id="mlbio-cite-bibtex">{esc(first["bibtex"])}</pre>
</details>
<script type="application/json" id="mlbio-cite-data">{payload}</script>
</div>
"""


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if doctree is None or "body" not in context or pagename not in app.env.titles:
        return
    context["body"] += _box(app, pagename, doctree)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinxext.rediraffe")
    app.add_config_value("mlbio_citation_file", "CITATION.cff", "env")
    app.add_config_value("mlbio_redirects_file", "book/redirects.yml", "env")
    app.add_config_value("mlbio_anchors_file", "book/anchors.txt", "env")
    app.add_config_value("mlbio_maps_digest", "", "env")
    app.add_config_value("mlbio_citation_digest", "", "html")
    app.connect("config-inited", _config_inited)
    app.connect("doctree-read", _stable_ids, priority=100)
    app.connect("doctree-resolved", _unique_exercise_ids)
    app.connect("doctree-resolved", _exercise_level_badges)
    app.connect("env-check-consistency", _check_redirects)
    app.connect("html-page-context", _page_context)
    app.add_css_file("mlbio-cite.css")
    app.add_js_file("mlbio-cite.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
