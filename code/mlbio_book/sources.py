"""Read a page's headings, labels and directives from its MyST source, without Sphinx.

One parser serves the extensions (the instructors' table, the citation box), the anchor check
(:mod:`mlbio_book.anchors`) and the tests, so they cannot disagree about what a citable anchor
or an exercise is.

* A *citable anchor* is the explicit MyST label ``(label)=`` written right above the ``#`` title
  or a ``##`` / ``###`` heading.
* A *directive* is a fenced MyST directive (```` ```{name} ```` or ``:::{name}``) with its
  argument and options.

Markup that a directive generates from other files (the Data page's sections, see
:mod:`mlbio_book.datacards`) is expanded before parsing, so generated sections count too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlbio_book import toc

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
    text: str = ""
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
        """Whether the page is a chapter (see :mod:`mlbio_book.toc`)."""
        return toc.TocPage(self.docname, self.path, self.part).is_chapter

    def anchors(self, max_level: int = 3) -> list[Heading]:
        """Labelled headings down to ``max_level`` (the page title first)."""
        return [h for h in self.headings if h.level <= max_level and h.label]

    def named(self, *names: str) -> list[Directive]:
        """The page's directives of the given names, in order."""
        return [d for d in self.directives if d.name in names]

    def exercises(self) -> list[Directive]:
        """The page's ``{exercise}`` (and ``{exercise-start}``) directives, in order."""
        return self.named("exercise", "exercise-start")

    def solutions(self) -> list[Directive]:
        """The page's ``{solution}`` (and ``{solution-start}``) directives, in order."""
        return self.named("solution", "solution-start")


def _body_start(lines: list[str]) -> int:
    """Index of the first line after a YAML front matter block (0 if none)."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def _expand_generated(text: str, root: Path) -> str:
    """Replace the directives that generate sections with the MyST they generate."""
    from mlbio_book import datacards

    fence = re.compile(r"^(`{3,}|:{3,})\{" + datacards.DIRECTIVE + r"\}[^\n]*\n\1[ \t]*$", re.M)
    return fence.sub(lambda _m: datacards.markdown(root), text)


def parse_text(text: str, path: Path, docname: str = "", part: str | None = None) -> Page:
    """Parse headings (with their labels) and directives of MyST Markdown text.

    Lines inside fenced blocks (code cells, directives, code examples) are never headings, so a
    ``# comment`` in a code cell is not mistaken for a title.
    """
    lines = text.splitlines()
    page = Page(path=path, docname=docname or path.stem, part=part, text=text)
    i = _body_start(lines)
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


def parse_page(
    path: Path, docname: str = "", part: str | None = None, root: Path | None = None
) -> Page:
    """Parse a MyST Markdown file (see :func:`parse_text`); ``root`` is the repository."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_text(_expand_generated(text, root or toc.ROOT), Path(path), docname, part)


def book_pages(root: Path = toc.ROOT, toc_file: Path | None = None) -> list[Page]:
    """Every page of the table of contents, parsed, in reading order."""
    return [
        parse_page(page.path, page.docname, page.part, root) for page in toc.pages(root, toc_file)
    ]


def current_anchors(root: Path = toc.ROOT) -> dict[str, str]:
    """Every citable label of the book mapped to the docname of its page."""
    return {h.label: page.docname for page in book_pages(root) for h in page.anchors()}
