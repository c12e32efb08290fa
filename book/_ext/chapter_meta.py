"""Chapter metadata: one source of truth in each chapter's front matter.

A chapter declares, in its YAML front matter::

    mlbio:
      levels: [novice, intermediate]          # any of novice / intermediate / advanced
      objectives: ["...", "..."]              # what a reader will be able to do
      prerequisites: ["...", ...]             # may be empty, may use {ref}`label` syntax as text
      time_read: 20 min
      time_run: 1 min

The ``{chapter-info}`` directive, placed under the chapter's title, renders that block as level
badges, objectives, prerequisites and times.  The same metadata feeds the instructors' table.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

LEVELS = ("novice", "intermediate", "advanced")
REQUIRED = ("levels", "objectives", "prerequisites", "time_read", "time_run")
BADGE = {"novice": "success", "intermediate": "warning", "advanced": "danger"}


class ChapterMetaError(ValueError):
    """A chapter's front matter lacks a field or has a wrong value."""


def read_front_matter(path: Path) -> dict:
    """Return the YAML front matter of a MyST file (empty if there is none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    return yaml.safe_load(text[3:end]) or {}


def chapter_meta(path: Path) -> dict:
    """Return the validated ``mlbio`` block of a chapter, or raise :class:`ChapterMetaError`."""
    meta = read_front_matter(path).get("mlbio")
    if not isinstance(meta, dict):
        raise ChapterMetaError(f"{path}: front matter has no 'mlbio:' block.")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ChapterMetaError(f"{path}: the 'mlbio:' front matter lacks {missing}.")
    bad = [lv for lv in meta["levels"] if lv not in LEVELS]
    if bad or not meta["levels"]:
        raise ChapterMetaError(f"{path}: levels must be a non-empty subset of {LEVELS}, got {bad}.")
    if not meta["objectives"]:
        raise ChapterMetaError(f"{path}: list at least one learning objective.")
    return meta


class ChapterInfo(SphinxDirective):
    """Render the chapter's level badges, objectives, prerequisites and times."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.doc2path(self.env.docname))
        try:
            meta = chapter_meta(path)
        except ChapterMetaError as err:
            raise self.error(str(err)) from None
        badges = " ".join(f"{{bdg-{BADGE[lv]}}}`{lv}`" for lv in meta["levels"])
        objectives = "\n".join(f"- {o}" for o in meta["objectives"])
        prereq = "\n".join(f"- {p}" for p in meta["prerequisites"]) or "- None."
        text = (
            f":::{{admonition}} About this chapter\n:class: chapter-info\n\n"
            f"**Level:** {badges}\n\n"
            f"**Time:** about {meta['time_read']} to read, {meta['time_run']} to run.\n\n"
            f"**You will learn to:**\n\n{objectives}\n\n"
            f"**Prerequisites:**\n\n{prereq}\n:::\n"
        )
        return self.parse_text_to_nodes(text)


def setup(app):  # noqa: ANN001, ANN201
    app.add_directive("chapter-info", ChapterInfo)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
