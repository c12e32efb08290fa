"""Chapter metadata on the pages, from each chapter's front matter (:mod:`.frontmatter`).

* ``{chapter-info}``, under a chapter's title, shows its levels, objectives, prerequisites and
  times (``templates/chapter-info.md``).
* ``{instructors-table}`` has one row per chapter of ``_toc.yml``: levels, times, objectives,
  prerequisites, exercises and citable anchors (``templates/instructors-table.md``). Nothing in
  it is typed by hand; a chapter whose front matter breaks the schema stops the build.
* A chapter's description for search engines and link previews (sphinxext-opengraph) is its
  ``description`` field, or else its objectives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from mlbio_book import exercises, sources, toc
from mlbio_book.frontmatter import ChapterMetaError, chapter_meta
from mlbio_book.levels import badge_role
from mlbio_book.render import render


def _badges(levels: list[str]) -> str:
    return " ".join(badge_role(level) for level in levels)


def chapter_rows(root: Path, toc_file: Path | None = None) -> list[dict[str, Any]]:
    """What the instructors' table shows for each chapter, in reading order.

    Raises
    ------
    mlbio_book.frontmatter.ChapterMetaError
        If a chapter's front matter breaks the schema.

    """
    rows = []
    for page in sources.book_pages(root, toc_file):
        if not page.is_chapter:
            continue
        meta = chapter_meta(page.path)
        exercise_cells = []
        for ex in page.exercises():
            label, level = ex.options.get("label", ""), exercises.level(ex)
            badge = f" {badge_role(level)}" if level else ""
            exercise_cells.append(f"{{ref}}`{ex.argument or label} <{label}>`{badge}")
        anchors = [f"{{ref}}`{page.label} <{page.label}>` (the chapter)"] + [
            f"{{ref}}`{h.label} <{h.label}>`" for h in page.anchors(max_level=2) if h.level == 2
        ]
        rows.append(
            {
                "docname": page.docname,
                "path": page.path,
                "label": page.label,
                "title": page.title,
                "meta": meta,
                "badges": _badges(meta["levels"]),
                "exercises": exercise_cells,
                "anchors": anchors,
            }
        )
    return rows


def table_markdown(rows: list[dict[str, Any]]) -> str:
    """The MyST ``list-table`` for the rows of :func:`chapter_rows`."""
    return render("instructors-table.md", rows=rows)


#: Characters a page description may have: search engines and link previews cut longer ones.
DESCRIPTION_LENGTH = 200


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """``text`` in at most ``limit`` characters: whole sentences if one fits, else cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [
        i + 1
        for i, ch in enumerate(head)
        if ch in ".!?" and (i + 1 == len(head) or head[i + 1] == " ")
    ]
    if ends:
        return text[: ends[-1]]
    return head[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def description(meta: dict[str, Any], limit: int = DESCRIPTION_LENGTH) -> str:
    """A chapter's page description, in one or two sentences of at most ``limit`` characters.

    Its ``description`` field if it has one, else what the reader will learn: as many of its
    objectives, in order, as fit (at least the first, shortened if it must be).
    """
    if meta.get("description"):
        return shorten(meta["description"], limit)
    objectives = [o.strip().rstrip(".") for o in meta["objectives"]]
    objectives = [o[:1].lower() + o[1:] for o in objectives]
    text = "You will learn to: " + objectives[0] + "."
    for objective in objectives[1:]:
        longer = text[:-1] + "; " + objective + "."
        if len(longer) > limit:
            break
        text = longer
    return shorten(text, limit)


class ChapterInfo(SphinxDirective):
    """Render the chapter's level badges, objectives, prerequisites and times."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return the nodes the directive stands for."""
        path = Path(self.env.doc2path(self.env.docname))
        try:
            meta = chapter_meta(path)
        except ChapterMetaError as err:
            raise self.error(str(err)) from None
        text = render("chapter-info.md", meta=meta, badges=_badges(meta["levels"]))
        return self.parse_text_to_nodes(text)


class InstructorsTable(SphinxDirective):
    """Render the instructors' table from the chapters listed in ``_toc.yml``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return the nodes the directive stands for."""
        root = Path(self.env.app.confdir)
        # The toc the build uses (jupyter-book's --toc option may point to another file).
        toc_file = root / getattr(self.config, "external_toc_path", toc.TOC)
        self.env.note_dependency(str(toc_file))
        try:
            rows = chapter_rows(root, toc_file)
        except (ChapterMetaError, FileNotFoundError) as err:
            raise self.error(str(err)) from None
        for row in rows:
            self.env.note_dependency(str(row["path"]))
        if not rows:
            return self.parse_text_to_nodes("No chapter is listed in `_toc.yml` yet.\n")
        return self.parse_text_to_nodes(table_markdown(rows))


def _chapter_description(app: Sphinx, doctree: nodes.document) -> None:
    """Describe a chapter's page by its front matter, for search engines and link previews.

    The text goes to ``<meta name="description">`` (a docutils ``meta`` node) and, through the
    page's metadata, to sphinxext-opengraph's ``og:description``.
    """
    env: BuildEnvironment = app.env
    path = Path(env.doc2path(env.docname))
    try:
        meta = chapter_meta(path)
    except ChapterMetaError:
        return  # not a chapter ({chapter-info} reports a chapter's broken front matter)
    text = description(meta)
    env.metadata[env.docname]["og:description"] = text
    doctree.insert(0, nodes.meta("", name="description", content=text))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.add_directive("chapter-info", ChapterInfo)
    app.add_directive("instructors-table", InstructorsTable)
    app.connect("doctree-read", _chapter_description)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
