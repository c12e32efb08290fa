"""The ``{instructors-table}`` directive: one row per chapter, generated from the sources.

Each chapter's level, learning objectives, prerequisites and times come from its ``mlbio:``
front matter (validated by :func:`chapter_meta.chapter_meta`, the same function that renders the
``{chapter-info}`` box); its exercises and citable anchors come from its Markdown source
(:mod:`book_sources`). Nothing in the table is typed by hand, so it cannot fall behind the
chapters: a chapter added to ``_toc.yml`` gets a row, and a chapter whose front matter lacks a
field stops the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import book_sources
from chapter_meta import BADGE, ChapterMetaError, chapter_meta
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _badge(level: str) -> str:
    return f"{{bdg-{BADGE[level]}}}`{level}`"


def _cell(items: list[str]) -> str:
    """A table cell holding a bullet list (MyST list-table syntax), or a dash."""
    if not items:
        return "  - —"
    first, *rest = items
    lines = [f"  - - {first}"] + [f"    - {item}" for item in rest]
    return "\n".join(lines)


def chapter_rows(root: Path, toc: Path | None = None) -> list[dict[str, Any]]:
    """What the table shows for each chapter, in reading order.

    ``toc`` is the table of contents to follow (default ``root / "_toc.yml"``).

    Raises
    ------
    chapter_meta.ChapterMetaError
        If a chapter's front matter lacks a field or has a wrong value.
    """
    rows = []
    for page in book_sources.chapters(root, toc):
        meta = chapter_meta(page.path)
        rows.append(
            {
                "docname": page.docname,
                "path": page.path,
                "label": page.label,
                "title": page.title,
                "meta": meta,
                "exercises": [
                    (ex.options.get("label", ""), ex.argument, book_sources.exercise_level(ex))
                    for ex in page.exercises()
                ],
                "anchors": [(h.label, h.title) for h in page.anchors(max_level=2) if h.level == 2],
            }
        )
    return rows


def table_markdown(rows: list[dict[str, Any]]) -> str:
    """The MyST ``list-table`` for the rows of :func:`chapter_rows`."""
    out = [
        # No caption: the section heading above names the table, and a caption's permalink
        # would stick out of the table's scrolling box on a phone.
        "```{list-table}",
        ":header-rows: 1",
        ":widths: 20 30 14 18 18",
        ":class: mlbio-instructors-table",
        "",
        "* - Chapter, level and time",
        "  - Learning objectives",
        "  - Prerequisites",
        "  - Exercises",
        "  - Anchors to cite",
    ]
    for row in rows:
        meta = row["meta"]
        exercises = [
            f"{{ref}}`{title or label} <{label}>` {_badge(level) if level else ''}".rstrip()
            for label, title, level in row["exercises"]
        ]
        anchors = [f"{{ref}}`{row['label']} <{row['label']}>` (the chapter)"] + [
            f"{{ref}}`{label} <{label}>`" for label, _title in row["anchors"]
        ]
        badges = " ".join(_badge(level) for level in meta["levels"])
        out += [
            f"* - {{ref}}`{row['title']} <{row['label']}>`",
            "",
            f"    {badges}",
            "",
            f"    Read: {meta['time_read']}; run: {meta['time_run']}.",
            _cell([str(o) for o in meta["objectives"]]),
            _cell([str(p) for p in meta["prerequisites"]] or ["None."]),
            _cell(exercises),
            _cell(anchors),
        ]
    out.append("```")
    return "\n".join(out) + "\n"


class InstructorsTable(SphinxDirective):
    """Render the instructors' table from the chapters listed in ``_toc.yml``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.app.confdir)
        # The toc the build uses (jupyter-book's --toc option may point to another file).
        toc = root / getattr(self.config, "external_toc_path", "_toc.yml")
        self.env.note_dependency(str(toc))
        try:
            rows = chapter_rows(root, toc)
        except (ChapterMetaError, FileNotFoundError) as err:
            raise self.error(str(err)) from None
        for row in rows:
            self.env.note_dependency(str(row["path"]))
        if not rows:
            return self.parse_text_to_nodes("No chapter is listed in `_toc.yml` yet.\n")
        return self.parse_text_to_nodes(table_markdown(rows))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("instructors-table", InstructorsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
