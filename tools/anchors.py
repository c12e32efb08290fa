"""Check and update the book's citable anchors (``book/anchors.txt``).

``book/anchors.txt`` lists every citable label the book has published, one ``label docname`` per
line: the label of each chapter's ``#`` title and of each ``##`` / ``###`` section. Syllabi and
papers link to these addresses, so a label may be added but never silently removed: a label that
disappears needs an entry ``old-label: new-label`` under ``anchors:`` in ``book/redirects.yml``,
and a page that disappears needs an entry under ``pages:``.

Usage::

    python tools/anchors.py            # check; exit 1 and list the problems, if any
    python tools/anchors.py --update   # check, then append today's new anchors to the list

Run ``--update`` when releasing a version (see CONTRIBUTING.md): the list then records what that
release published.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import book_sources  # noqa: E402
from cite_section import load_anchor_list, load_redirects, resolve_anchor  # noqa: E402

ANCHORS = ROOT / "book" / "anchors.txt"
REDIRECTS = ROOT / "book" / "redirects.yml"
HEADER = """\
# Citable anchors of the book: one "label docname" per line, for the title of every page and
# every ## / ### section. Anchors may be added, never removed: a label that disappears needs a
# redirect in book/redirects.yml. Checked by tests/test_citable.py; updated at each release with
#   python tools/anchors.py --update
"""


def anchor_problems(
    published: dict[str, str],
    current: dict[str, str],
    redirects: dict[str, dict[str, str]],
    pages: set[str],
) -> list[str]:
    """Why some published anchors would no longer work (an empty list when all do).

    Parameters
    ----------
    published
        Label -> docname, as listed in ``book/anchors.txt``.
    current
        Label -> docname of today's sources (:func:`book_sources.current_anchors`).
    redirects
        ``book/redirects.yml`` as read by :func:`cite_section.load_redirects`.
    pages
        Docnames of today's pages.
    """
    problems = []
    renamed = redirects["anchors"]
    redirected_pages = {Path(k).with_suffix("").as_posix() for k in redirects["pages"]}
    for label, docname in published.items():
        try:
            new = resolve_anchor(label, renamed)
        except ValueError as err:
            problems.append(str(err))
            continue
        if new not in current:
            hint = f" (it redirects to {new!r}, which no page defines)" if new != label else ""
            problems.append(
                f"anchor {label!r} of {docname} disappeared{hint}: restore the label, or add "
                f"'{label}: <new-label>' under 'anchors:' in book/redirects.yml."
            )
            continue
        if label in current and label in renamed:
            problems.append(f"anchor {label!r} is redirected (book/redirects.yml) yet exists.")
        if current[new] != docname and docname not in pages and docname not in redirected_pages:
            problems.append(
                f"page {docname} (which held anchor {label!r}) is gone: add "
                f"'{docname}.md: {current[new]}.md' under 'pages:' in book/redirects.yml."
            )
    for old, new in renamed.items():
        try:
            final = resolve_anchor(old, renamed)
        except ValueError as err:
            if str(err) not in problems:
                problems.append(str(err))
            continue
        if final not in current:
            problems.append(f"book/redirects.yml: {old!r} -> {new!r} leads to no existing label.")
    return problems


def check(root: Path = ROOT) -> list[str]:
    """Every problem with the book's labels and its list of published anchors."""
    problems = []
    pages = book_sources.book_pages(root)
    for page in pages:
        problems += book_sources.label_problems(page)
    problems += anchor_problems(
        load_anchor_list(root / "book" / "anchors.txt"),
        book_sources.current_anchors(root),
        load_redirects(root / "book" / "redirects.yml"),
        {page.docname for page in pages},
    )
    return problems


def update(root: Path = ROOT) -> int:
    """Append today's anchors that are not yet listed; return how many were added."""
    path = root / "book" / "anchors.txt"
    published = load_anchor_list(path)
    new = {k: v for k, v in book_sources.current_anchors(root).items() if k not in published}
    lines = [f"{label} {docname}" for label, docname in {**published, **new}.items()]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return len(new)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="append new anchors to the list")
    args = parser.parse_args()
    problems = check()
    if problems:
        print("Citable anchors: problems found\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    if args.update:
        added = update()
        print(f"book/anchors.txt: {added} new anchor(s) added.")
    else:
        print("Citable anchors: all labels present, every published anchor still resolves.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
