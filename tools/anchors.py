"""Check and update the book's citable anchors (``book/anchors.txt``).

``book/anchors.txt`` lists every citable label the book has published, one ``label docname`` per
line: the label of each chapter's ``#`` title and of each ``##`` / ``###`` section. Syllabi and
papers link to these addresses, so a label may be added but never silently removed: a label that
disappears needs an entry ``old-label: new-label`` under ``anchors:`` in ``book/redirects.yml``,
and a page that disappears needs an entry under ``pages:`` (see :mod:`mlbio_book.anchors`).

Usage::

    python tools/anchors.py            # check; exit 1 and list the problems, if any
    python tools/anchors.py --update   # check, then append today's new anchors to the list

Run ``--update`` when releasing a version (see CONTRIBUTING.md): the list then records what that
release published.
"""

from __future__ import annotations

import argparse
import sys

from mlbio_book import anchors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="append new anchors to the list")
    args = parser.parse_args()
    problems = anchors.check()
    if problems:
        print("Citable anchors: problems found\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    if args.update:
        added = anchors.update()
        print(f"book/anchors.txt: {added} new anchor(s) added.")
    else:
        print("Citable anchors: all labels present, every published anchor still resolves.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
