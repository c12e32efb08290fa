"""The Sphinx extensions and build tools of the book, installed with ``mlbio`` (``-e ./code``).

As a Sphinx extension (``mlbio_book`` in ``_config.yml``), :func:`setup` sets up one module per
concern:

========================  ===================================================================
:mod:`.execution`         notebooks run in parallel ahead of Sphinx; cache that notices code
:mod:`.chapters`          ``{chapter-info}``, ``{instructors-table}``, page descriptions
:mod:`.datacards`         ``{data-cards}``: the Data page from the registry and the data cards
:mod:`.citation`          "How to cite this page" boxes from ``CITATION.cff``
:mod:`.anchors`           stable section ids, renamed pages and labels, published anchors
:mod:`.exercises`         level badges and unique ids of exercises; their source rules
:mod:`.assets`            static files, MathJax and Vega served locally, link previews,
                          the print stylesheet, sitemap, 404 and root pages
:mod:`.speed`             what a page loads and when: deferred CSS, lazy images and
                          MathJax, icon fonts cut to the icons used
:mod:`.repairs`           fixes of third-party markup
========================  ===================================================================

Facts that the extensions, the tools and the tests share, each read in one place:
:mod:`.toc` (the table of contents, chapters, notebooks, built pages), :mod:`.frontmatter`
(a chapter's front matter and its JSON Schema), :mod:`.levels` (level names and badge colours),
:mod:`.sources` (labels, headings and directives of a page's source), :mod:`.browser` (how to
launch Chromium), and :mod:`mlbio.altair` (the chart class, the site-build variable).

Tools: :mod:`.build` (``make book``, ``make chapter``), :mod:`.prepare` (the data-preparation
steps the notebooks to execute declare, run before them), :mod:`.serve` (``make preview``),
:mod:`.vendor` (the site's JavaScript), :mod:`.budgets` (page weights).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

__version__ = "0.1.0"

CONCERNS = (
    "mlbio_book.execution",
    "mlbio_book.chapters",
    "mlbio_book.datacards",
    "mlbio_book.anchors",
    "mlbio_book.citation",
    "mlbio_book.exercises",
    "mlbio_book.assets",
    "mlbio_book.speed",
    "mlbio_book.repairs",
)


def setup(app: Sphinx) -> dict[str, Any]:
    """Set up every concern of the book's Sphinx extension."""
    for module in CONCERNS:
        app.setup_extension(module)
    # An edit of this package (code or templates) makes Sphinx read and write every page again
    # (notebooks come from the cache): pages always show what the package now produces.
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *here.glob("templates/*"), *here.glob("*.json")]):
        digest.update(path.read_bytes())
    return {
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "version": __version__,
        "env_version": int(digest.hexdigest()[:8], 16),
    }
