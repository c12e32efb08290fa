"""The table of contents and the list of built pages: one reader for each, used everywhere.

``_toc.yml`` is parsed with :mod:`sphinx_external_toc`, the parser Jupyter Book itself uses, so
the extensions, the tools and the tests see the same pages in the same order as the build.

* A *page* is a document the toc lists, in reading order (the root first).
* A *chapter* is a page inside a part whose caption is not :data:`REFERENCE_PART` (so not the
  landing page); it carries the ``mlbio:`` front matter (:mod:`mlbio_book.frontmatter`).
* A *notebook* is a page whose source is a MyST Markdown notebook (a ``jupytext`` front matter),
  executed during the build.
* A *built page* is an HTML file of the site that a reader opens (not an asset or a source copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlbio.datasets import repo_root
from myst_nb.core.read import is_myst_markdown_notebook
from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = repo_root()
TOC = "_toc.yml"
#: Caption of the part that holds the reference pages (data, glossary, ...), not chapters.
REFERENCE_PART = "Reference"
#: Folders of the built site that hold assets or copies of sources, not pages.
NOT_PAGES = ("_static/", "_sources/", "_images/", "jupyter_execute/", "reports/")


@dataclass(frozen=True)
class TocPage:
    """A document of the table of contents."""

    docname: str
    path: Path
    part: str | None  # caption of its part (None for the root)

    @property
    def is_chapter(self) -> bool:
        """Whether the page is a chapter (inside a part other than the reference part)."""
        return self.part is not None and self.part != REFERENCE_PART

    @property
    def is_notebook(self) -> bool:
        """Whether the page is a MyST Markdown notebook (executed during the build)."""
        return is_myst_markdown_notebook(self.path.read_text(encoding="utf-8"))


def source_path(root: Path, docname: str) -> Path:
    """The source file of a docname (the book's pages are MyST Markdown ``.md`` files)."""
    path = root / f"{docname}.md"
    if path.is_file():
        return path
    raise FileNotFoundError(f"_toc.yml lists {docname!r} but no {docname}.md exists in {root}.")


def pages(root: Path = ROOT, toc: Path | None = None) -> list[TocPage]:
    """Every page of the table of contents, in reading order (the root first)."""
    site_map = parse_toc_yaml(toc or root / TOC)
    found: list[TocPage] = []

    def visit(docname: str, part: str | None) -> None:
        found.append(TocPage(docname, source_path(root, docname), part))
        for subtree in site_map[docname].subtrees:
            caption = subtree.caption if docname == site_map.root.docname else part
            for item in subtree.items:
                if isinstance(item, str):  # a document (not a glob or a URL)
                    visit(item, caption)

    visit(site_map.root.docname, None)
    return found


def chapters(root: Path = ROOT, toc: Path | None = None) -> list[TocPage]:
    """The chapters, in reading order."""
    return [page for page in pages(root, toc) if page.is_chapter]


def notebooks(root: Path = ROOT, toc: Path | None = None) -> list[TocPage]:
    """The pages that are notebooks, in reading order."""
    return [page for page in pages(root, toc) if page.is_notebook]


def built_pages(html: Path) -> list[Path]:
    """Every page of a built site (``_build/html``): its HTML files minus assets and sources."""
    return sorted(
        path
        for path in Path(html).rglob("*.html")
        if not path.relative_to(html).as_posix().startswith(NOT_PAGES)
    )
