"""Stable section addresses: explicit labels as ids, renamed labels and pages redirected.

* A section's HTML id is the explicit MyST label written above its heading,
  ``(chapter-section)=``, not an id derived from the heading's words, so an address stays valid
  when a heading is reworded.
* ``book/redirects.yml`` maps renamed pages (``pages:``, written out by sphinxext-rediraffe with
  ``templates/redirect.html``) and renamed labels (``anchors:``). An old label becomes an extra
  id of its new section, so ``page.html#old-label`` keeps working; if the section moved to
  another page, the citation box's script sends the reader there
  (:func:`moved_anchors`).
* ``book/anchors.txt`` lists every label a release published; :func:`check` fails when one
  disappears without a redirect (``python tools/anchors.py``, and the tests).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from mlbio_book import sources, toc
from mlbio_book.render import TEMPLATES

logger = logging.getLogger(__name__)

ANCHORS = "book/anchors.txt"
REDIRECTS = "book/redirects.yml"
LABEL_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADER = """\
# Citable anchors of the book: one "label docname" per line, for the title of every page and
# every ## / ### section. Anchors may be added, never removed: a label that disappears needs a
# redirect in book/redirects.yml. Checked by tests/test_citable.py; updated at each release with
#   python tools/anchors.py --update
"""


# ---------------------------------------------------------------------------------------------
# The maps (pure functions)
# ---------------------------------------------------------------------------------------------


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


def label_problems(page: sources.Page) -> list[str]:
    """What is wrong with a page's citable labels (an empty list when nothing is)."""
    problems = []
    rel = page.path.name
    titles = [h for h in page.headings if h.level == 1]
    if len(titles) != 1:
        problems.append(f"{rel}: expected exactly one '#' title, found {len(titles)}.")
    prefix = page.label
    for h in page.headings:
        if h.level > 3:
            continue
        where = f"{rel}:{h.line} ('{'#' * h.level} {h.title}')"
        if not h.label:
            problems.append(f"{where}: no explicit label; put '(<label>)=' on the line above.")
            continue
        if not LABEL_RE.match(h.label):
            problems.append(f"{where}: label {h.label!r} must be lowercase words joined by '-'.")
        if h.level > 1 and prefix and not h.label.startswith(prefix + "-"):
            problems.append(f"{where}: label {h.label!r} must start with '{prefix}-'.")
    return problems


def anchor_problems(
    published: dict[str, str],
    current: dict[str, str],
    redirects: dict[str, dict[str, str]],
    pages: set[str],
) -> list[str]:
    """Why some published anchors would no longer work (an empty list when all do).

    Parameters
    ----------
    published
        Label -> docname, as listed in ``book/anchors.txt``.
    current
        Label -> docname of today's sources (:func:`mlbio_book.sources.current_anchors`).
    redirects
        ``book/redirects.yml`` as read by :func:`load_redirects`.
    pages
        Docnames of today's pages.

    """
    problems = []
    renamed = redirects["anchors"]
    redirected_pages = {Path(k).with_suffix("").as_posix() for k in redirects["pages"]}
    for label, docname in published.items():
        try:
            new = resolve_anchor(label, renamed)
        except ValueError as err:
            problems.append(str(err))
            continue
        if new not in current:
            hint = f" (it redirects to {new!r}, which no page defines)" if new != label else ""
            problems.append(
                f"anchor {label!r} of {docname} disappeared{hint}: restore the label, or add "
                f"'{label}: <new-label>' under 'anchors:' in {REDIRECTS}."
            )
            continue
        if label in current and label in renamed:
            problems.append(f"anchor {label!r} is redirected ({REDIRECTS}) yet exists.")
        if current[new] != docname and docname not in pages and docname not in redirected_pages:
            problems.append(
                f"page {docname} (which held anchor {label!r}) is gone: add "
                f"'{docname}.md: {current[new]}.md' under 'pages:' in {REDIRECTS}."
            )
    for old, new in renamed.items():
        try:
            final = resolve_anchor(old, renamed)
        except ValueError as err:
            if str(err) not in problems:
                problems.append(str(err))
            continue
        if final not in current:
            problems.append(f"{REDIRECTS}: {old!r} -> {new!r} leads to no existing label.")
    return problems


def check(root: Path = toc.ROOT) -> list[str]:
    """Every problem with the book's labels and its list of published anchors."""
    problems = []
    pages = sources.book_pages(root)
    for page in pages:
        problems += label_problems(page)
    current = {h.label: page.docname for page in pages for h in page.anchors()}
    problems += anchor_problems(
        load_anchor_list(root / ANCHORS),
        current,
        load_redirects(root / REDIRECTS),
        {page.docname for page in pages},
    )
    return problems


def update(root: Path = toc.ROOT) -> int:
    """Append today's anchors that are not yet listed; return how many were added."""
    path = root / ANCHORS
    published = load_anchor_list(path)
    new = {k: v for k, v in sources.current_anchors(root).items() if k not in published}
    lines = [f"{label} {docname}" for label, docname in {**published, **new}.items()]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return len(new)


# ---------------------------------------------------------------------------------------------
# Sphinx side
# ---------------------------------------------------------------------------------------------


def _config_inited(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    redirects = load_redirects(root / config.mlbio_redirects_file)
    # The maps are not Sphinx config values, so record their content in one: an edit then
    # makes Sphinx re-read every page (their ids and the redirect checks depend on the maps).
    digest = hashlib.sha256()
    for name in (config.mlbio_redirects_file, config.mlbio_anchors_file):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    config.mlbio_maps_digest = digest.hexdigest()
    app.mlbio_redirects = redirects  # type: ignore[attr-defined]
    app.mlbio_anchor_list = load_anchor_list(root / config.mlbio_anchors_file)  # type: ignore[attr-defined]
    # sphinxext-rediraffe writes the page redirects; a valid HTML5 template keeps the redirect
    # pages acceptable to the HTML checker and to screen readers.
    config.rediraffe_redirects = redirects["pages"]
    config.rediraffe_template = os.path.relpath(TEMPLATES / "redirect.html", app.srcdir)


def _stable_ids(app: Sphinx, doctree: nodes.document) -> None:
    """Put a section's explicit label first among its ids, and add renamed labels as aliases."""
    explicit = {
        doctree.nameids[name]
        for name, is_explicit in doctree.nametypes.items()
        if is_explicit and doctree.nameids.get(name)
    }
    renamed = app.mlbio_redirects["anchors"]  # type: ignore[attr-defined]
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


def _check_redirects(app: Sphinx, env: Any) -> None:
    """Every renamed label must point to a label that exists, and must itself be gone."""
    labels = env.domaindata["std"]["labels"]
    renamed = app.mlbio_redirects["anchors"]  # type: ignore[attr-defined]
    for old in renamed:
        try:
            new = resolve_anchor(old, renamed)
        except ValueError as err:
            logger.warning(f"{REDIRECTS}: {err}", type="mlbio", subtype="redirect")
            continue
        if new not in labels:
            logger.warning(
                f"{REDIRECTS}: anchor {old!r} redirects to {new!r}, which no page defines.",
                type="mlbio",
                subtype="redirect",
            )
        if old in labels:
            logger.warning(
                f"{REDIRECTS}: anchor {old!r} is redirected but a page still defines it.",
                type="mlbio",
                subtype="redirect",
            )


def moved_anchors(app: Sphinx, pagename: str) -> dict[str, str]:
    """Old anchors that now live on another page: label -> relative URL of today's section."""
    labels = app.env.domaindata["std"]["labels"]
    renamed = app.mlbio_redirects["anchors"]  # type: ignore[attr-defined]
    moved: dict[str, str] = {}
    olds = {**app.mlbio_anchor_list, **{old: "" for old in renamed}}  # type: ignore[attr-defined]
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


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.setup_extension("sphinxext.rediraffe")
    app.add_config_value("mlbio_redirects_file", REDIRECTS, "env")
    app.add_config_value("mlbio_anchors_file", ANCHORS, "env")
    app.add_config_value("mlbio_maps_digest", "", "env")
    app.connect("config-inited", _config_inited)
    app.connect("doctree-read", _stable_ids, priority=100)
    app.connect("env-check-consistency", _check_redirects)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
