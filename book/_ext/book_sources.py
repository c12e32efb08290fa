"""Read the book's structure from its sources, without Sphinx and without running notebooks.

One parser serves the Sphinx extensions (the instructors' table, the "cite this page" box), the
anchor tool (``tools/anchors.py``) and the tests, so they cannot disagree about what a chapter,
a citable anchor or an exercise is.

* A *page* is a file listed in ``_toc.yml``.
* A *chapter* is a page outside the part captioned ``Reference`` (and not the landing page); it
  must carry the ``mlbio:`` front matter read by :func:`chapter_meta.chapter_meta`.
* A *citable anchor* is the explicit MyST label ``(label)=`` written right above the ``#`` title
  or a ``##`` / ``###`` heading. Labels are lowercase words joined by ``-``; section labels start
  with the page's label followed by ``-``.
* An *exercise* is a sphinx-exercise ``{exercise}`` directive with ``:label:`` and a level class
  ``:class: level-novice|level-intermediate|level-advanced``; its ``{solution}`` has
  ``:class: dropdown`` so that it stays hidden until the reader opens it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REFERENCE_PART = "Reference"
LEVELS = ("novice", "intermediate", "advanced")
LABEL_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TARGET = re.compile(r"^\((?P<label>[^)\s]+)\)=\s*$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[a-zA-Z0-9_-]+)\}\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[a-zA-Z0-9_-]+):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Heading:
    """A Markdown heading of a page and the explicit label written right above it (if any)."""

    level: int
    title: str
    label: str | None
    line: int


@dataclass(frozen=True)
class Directive:
    """A fenced MyST directive: its name, argument, options and the line where it opens."""

    name: str
    argument: str
    options: dict[str, str]
    line: int


@dataclass
class Page:
    """What the book's tools need to know about one source page."""

    path: Path
    docname: str
    part: str | None
    headings: list[Heading] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        """The label of the page's ``#`` title."""
        titles = [h for h in self.headings if h.level == 1]
        return titles[0].label if titles else None

    @property
    def title(self) -> str:
        """The text of the page's ``#`` title."""
        titles = [h for h in self.headings if h.level == 1]
        return titles[0].title if titles else self.docname

    @property
    def is_chapter(self) -> bool:
        """Whether the page is a chapter (not the landing page, not a reference page)."""
        return self.part is not None and self.part != REFERENCE_PART

    def anchors(self, max_level: int = 3) -> list[Heading]:
        """Labelled headings down to ``max_level`` (the page title first)."""
        return [h for h in self.headings if h.level <= max_level and h.label]

    def exercises(self) -> list[Directive]:
        """The page's ``{exercise}`` (and ``{exercise-start}``) directives, in order."""
        return [d for d in self.directives if d.name in ("exercise", "exercise-start")]

    def solutions(self) -> list[Directive]:
        """The page's ``{solution}`` (and ``{solution-start}``) directives, in order."""
        return [d for d in self.directives if d.name in ("solution", "solution-start")]


def exercise_level(exercise: Directive) -> str | None:
    """The level named by an exercise's ``level-*`` class, or None."""
    for cls in exercise.options.get("class", "").split():
        if cls.startswith("level-") and cls[len("level-") :] in LEVELS:
            return cls[len("level-") :]
    return None


def _strip_front_matter(lines: list[str]) -> int:
    """Index of the first line after a YAML front matter block (0 if none)."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def parse_page(path: Path, docname: str = "", part: str | None = None) -> Page:
    """Parse headings (with their labels) and directives of a MyST Markdown file.

    Lines inside fenced blocks (code cells, directives, code examples) are never headings, so a
    ``# comment`` in a code cell is not mistaken for a title.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    page = Page(path=path, docname=docname or path.stem, part=part)
    i = _strip_front_matter(lines)
    pending: str | None = None  # label written above the next block
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened["fence"]
            directive = _DIRECTIVE.match(opened["info"].strip())
            j = i + 1
            options: dict[str, str] = {}
            in_options = True
            while j < len(lines):
                stripped = lines[j].strip()
                if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                    break
                option = _OPTION.match(stripped)
                if in_options and option:
                    options[option["key"]] = option["value"].strip()
                elif stripped:
                    in_options = False
                j += 1
            if directive:
                page.directives.append(
                    Directive(directive["name"], directive["arg"].strip(), options, i + 1)
                )
            pending = None
            i = j + 1
            continue
        target = _TARGET.match(line.strip())
        heading = _HEADING.match(line)
        if target:
            pending = target["label"]
        elif heading:
            level = len(heading["hashes"])
            page.headings.append(Heading(level, heading["title"], pending, i + 1))
            pending = None
        elif line.strip() and not line.startswith("+++"):
            pending = None
        i += 1
    return page


def toc_entries(root: Path, toc: Path | None = None) -> list[tuple[str, str | None]]:
    """``(docname, part caption)`` of every file in the table of contents, in reading order.

    ``toc`` defaults to ``root / "_toc.yml"``. The root page has part ``None``.
    """
    toc = yaml.safe_load((toc or root / "_toc.yml").read_text(encoding="utf-8"))
    entries: list[tuple[str, str | None]] = [(toc["root"], None)]

    def walk(items: list[dict], part: str | None) -> None:
        for item in items or []:
            if "file" in item:
                entries.append((str(item["file"]), part))
            walk(item.get("sections", []), part)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), part.get("caption"))
    walk(toc.get("chapters", []), None)
    return entries


def source_path(root: Path, docname: str) -> Path:
    """The source file of a docname (the book's pages are MyST Markdown ``.md`` files)."""
    path = root / f"{docname}.md"
    if path.is_file():
        return path
    raise FileNotFoundError(f"_toc.yml lists {docname!r} but no {docname}.md exists in {root}.")


def book_pages(root: Path, toc: Path | None = None) -> list[Page]:
    """Every page of the table of contents, parsed."""
    return [
        parse_page(source_path(root, docname), docname, part)
        for docname, part in toc_entries(root, toc)
    ]


def chapters(root: Path, toc: Path | None = None) -> list[Page]:
    """The chapters, in reading order."""
    return [page for page in book_pages(root, toc) if page.is_chapter]


def current_anchors(root: Path) -> dict[str, str]:
    """Every citable label of the book mapped to the docname of its page."""
    found: dict[str, str] = {}
    for page in book_pages(root):
        for heading in page.anchors():
            found[heading.label] = page.docname
    return found


def label_problems(page: Page) -> list[str]:
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


def exercise_problems(page: Page) -> list[str]:
    """What is wrong with a page's exercises and solutions (empty when nothing is)."""
    problems = []
    rel = page.path.name
    labels = {}
    for ex in page.exercises():
        where = f"{rel}:{ex.line} (exercise {ex.argument!r})"
        label = ex.options.get("label")
        if not label:
            problems.append(f"{where}: no ':label:'.")
            continue
        labels[label] = ex
        if page.label and not label.startswith(f"{page.label}-ex-"):
            problems.append(f"{where}: label {label!r} must start with '{page.label}-ex-'.")
        if exercise_level(ex) is None:
            problems.append(
                f"{where}: add ':class: level-novice' (or level-intermediate / level-advanced)."
            )
    solved = set()
    for sol in page.solutions():
        where = f"{rel}:{sol.line} (solution of {sol.argument!r})"
        if sol.argument not in labels:
            problems.append(f"{where}: no exercise with that label on this page.")
        solved.add(sol.argument)
        if "dropdown" not in sol.options.get("class", "").split():
            problems.append(f"{where}: add ':class: dropdown' so the solution stays hidden.")
    for label in labels:
        if label not in solved:
            problems.append(f"{rel}: exercise {label!r} has no solution.")
    return problems
