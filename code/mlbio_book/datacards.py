"""The Data page's sections, generated from ``data/registry.csv`` and ``data/README.md``.

The ``{data-cards}`` directive writes one labelled section per data set (``data-<dataset>``, with
``_`` written as ``-``) in the order of the cards in ``data/README.md``: the card's title and
text, the registry's file count and size, the data set's loader (:data:`mlbio.datasets.LOADERS`)
and the works its card asks to cite. A data set of the registry without a card or a loader, or a
card of no data set, stops the build with a message that names it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from docutils import nodes
from mlbio import datasets
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from mlbio_book.render import render

DIRECTIVE = "data-cards"


class DataCardError(ValueError):
    """A data set lacks its card or its loader, or a card names no data set."""


def _loader_call(loader: Any) -> str:
    if isinstance(loader, functools.partial):
        args = ", ".join(f"{k}={v!r}" for k, v in loader.keywords.items())
        return f"{loader.func.__name__}({args})"
    return f"{loader.__name__}()"


def label(dataset: str) -> str:
    """The citable label of a data set's section on the Data page."""
    return "data-" + dataset.replace("_", "-")


def sections(root: Path) -> list[dict[str, Any]]:
    """What the Data page shows for each data set, in the order of the cards.

    Raises
    ------
    DataCardError
        Naming every data set without a card or a loader and every card of no data set.

    """
    registry = datasets.read_registry(root / "data" / "registry.csv")
    cards = datasets.read_cards(root / "data" / "README.md")
    names = datasets.dataset_names(registry)
    problems = [
        f"data set {name!r} has no card in data/README.md (add <!-- card:{name} ... -->)"
        for name in names
        if name not in cards
    ]
    problems += [
        f'data set {name!r} has no loader in mlbio.datasets (decorate it with @_loads("{name}"))'
        for name in names
        if name not in datasets.LOADERS
    ]
    problems += [
        f"data/README.md has a card for {name!r}, which no row of data/registry.csv belongs to"
        for name in cards
        if name not in names
    ]
    if problems:
        raise DataCardError("; ".join(problems) + ".")
    out = []
    for name, card in cards.items():
        entries = [registry[f] for f in datasets.dataset_files(name, registry)]
        out.append(
            {
                "dataset": name,
                "label": label(name),
                "title": card.title,
                "body": card.body,
                "cite": card.cite,
                "files": f"{len(entries):,}" + (" file" if len(entries) == 1 else " files"),
                "megabytes": f"{sum(e.bytes for e in entries) / 1e6:.1f}",
                "loader": _loader_call(datasets.LOADERS[name]),
            }
        )
    return out


def markdown(root: Path) -> str:
    """The MyST Markdown that the directive inserts."""
    return render("data-cards.md", cards=sections(root))


class DataCards(SphinxDirective):
    """Insert one section per data set (see the module's docstring)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return the nodes the directive stands for."""
        root = Path(self.env.app.confdir)
        for name in ("data/registry.csv", "data/README.md"):
            self.env.note_dependency(str(root / name))
        try:
            cards = sections(root)
        except (DataCardError, datasets.DataError) as err:
            raise self.error(str(err)) from None
        out = []
        for card in cards:
            # Sections built here, not parsed from headings: a nested parse would leave the
            # label of the first section behind, away from its heading.
            section = nodes.section("", ids=[card["label"]], names=[card["label"]])
            section += nodes.title("", card["title"])
            section += self.parse_text_to_nodes(render("data-card.md", card=card))
            self.state.document.note_explicit_target(section, section)
            out.append(section)
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.add_directive(DIRECTIVE, DataCards)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
