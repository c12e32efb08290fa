"""Exercises (sphinx-exercise): level badges in their titles, unique ids, the source rules.

An exercise has ``:label: <page>-ex-<slug>`` and a level class ``:class: level-<level>`` (see
:mod:`mlbio_book.levels`); its solution has ``:class: dropdown`` so that it stays folded until
the reader opens it. :func:`problems` checks these rules on a page's source; the build shows the
level as a badge in the exercise's title bar and gives every exercise body a unique id.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

from mlbio_book.levels import LEVELS, badge_classes
from mlbio_book.sources import Directive, Page

LEVEL_CLASS = "level-"
BADGE_CLASS = "mlbio-level-badge"


def level(exercise: Directive) -> str | None:
    """The level named by an exercise's ``level-*`` class, or None."""
    for cls in exercise.options.get("class", "").split():
        if cls.startswith(LEVEL_CLASS) and cls[len(LEVEL_CLASS) :] in LEVELS:
            return cls[len(LEVEL_CLASS) :]
    return None


def problems(page: Page) -> list[str]:
    """What is wrong with a page's exercises and solutions (empty when nothing is)."""
    found = []
    rel = page.path.name
    labels = {}
    for ex in page.exercises():
        where = f"{rel}:{ex.line} (exercise {ex.argument!r})"
        label = ex.options.get("label")
        if not label:
            found.append(f"{where}: no ':label:'.")
            continue
        labels[label] = ex
        if page.label and not label.startswith(f"{page.label}-ex-"):
            found.append(f"{where}: label {label!r} must start with '{page.label}-ex-'.")
        if level(ex) is None:
            choices = " / ".join(LEVEL_CLASS + name for name in LEVELS)
            found.append(f"{where}: add ':class: {LEVEL_CLASS}<level>' ({choices}).")
    solved = set()
    for sol in page.solutions():
        where = f"{rel}:{sol.line} (solution of {sol.argument!r})"
        if sol.argument not in labels:
            found.append(f"{where}: no exercise with that label on this page.")
        solved.add(sol.argument)
        if "dropdown" not in sol.options.get("class", "").split():
            found.append(f"{where}: add ':class: dropdown' so the solution stays hidden.")
    for label in labels:
        if label not in solved:
            found.append(f"{rel}: exercise {label!r} has no solution.")
    return found


def _unique_ids(app: Sphinx, doctree: nodes.document, docname: str) -> None:
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


def _level_badges(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Show an exercise's level as a badge in its title bar.

    The badge is the same sphinx-design badge that marks the levels of chapters and sections,
    written as real text (not CSS-generated content), so screen readers announce it too.
    """
    for node in doctree.findall(nodes.Element):
        classes = node.get("classes", [])
        if "exercise" not in classes or not node.children:
            continue
        levels = [c[len(LEVEL_CLASS) :] for c in classes if c.startswith(LEVEL_CLASS)]
        title = node.children[0]
        if not levels or levels[0] not in LEVELS or not isinstance(title, nodes.title):
            continue
        if any(BADGE_CLASS in n.get("classes", []) for n in title.findall(nodes.inline)):
            continue
        badge = nodes.inline("", levels[0], classes=[BADGE_CLASS, *badge_classes(levels[0])])
        title += [nodes.Text(" "), badge]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.setup_extension("sphinx_exercise")
    app.connect("doctree-resolved", _unique_ids)
    app.connect("doctree-resolved", _level_badges)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
