"""The reader levels of the book and the colour of each level's badge.

This mapping is the only place that names the levels: the front-matter schema
(:mod:`mlbio_book.frontmatter`), the ``{chapter-info}`` box, the instructors' table and the
exercises' title badges all read it.
"""

from __future__ import annotations

#: Level name -> sphinx-design colour of its badge, easiest level first.
LEVELS: dict[str, str] = {
    "novice": "success",
    "intermediate": "warning",
    "advanced": "danger",
}


def badge_role(level: str) -> str:
    """The MyST markup of a level's badge, e.g. ``{bdg-success}`novice```."""
    return f"{{bdg-{LEVELS[level]}}}`{level}`"


def badge_classes(level: str) -> list[str]:
    """The CSS classes sphinx-design gives that badge (for badges built as docutils nodes)."""
    colour = LEVELS[level]
    return ["sd-sphinx-override", "sd-badge", f"sd-bg-{colour}", f"sd-bg-text-{colour}"]
