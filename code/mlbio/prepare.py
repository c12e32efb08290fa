"""Data-preparation steps: derived tables computed once, before the chapters run.

Some chapters read tables that take long to derive from the data (image features, say). They
read them through :mod:`mlbio.cache`, so that a reader who runs such a chapter on an empty
cache still gets them, and a *preparation step* fills that cache beforehand, like the data
download: the book's build runs it before executing the chapters that need it, and Binder
runs every step when it builds its image (``binder/postBuild``).

A chapter names the steps it needs in its front matter::

    mlbio:
      prepare: [melanoma-tables]

:data:`STEPS` maps each step's name to the function that runs it (``"module:function"``,
imported only when the step runs). ``python -m mlbio.prepare [name ...]`` runs the named steps
(default: all of them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Iterable

__all__ = ["STEPS", "run"]

#: Every preparation step: its name and the function of no argument that fills the cache.
STEPS: dict[str, str] = {
    "melanoma-tables": "mlbio.melanoma:prepare_tables",
}


def _function(name: str) -> object:
    if name not in STEPS:
        raise KeyError(
            f"Unknown preparation step {name!r}; the steps are: {', '.join(sorted(STEPS))} "
            "(see mlbio.prepare.STEPS)."
        )
    module, _, function = STEPS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def run(names: Iterable[str] | None = None) -> dict[str, float]:
    """Run preparation steps, in the order given.

    Parameters
    ----------
    names
        Names of :data:`STEPS` (default: every step).

    Returns
    -------
    dict of str to float
        The CPU seconds each step took in this process.

    Raises
    ------
    KeyError
        If a name is not a known step (before any step runs).

    """
    todo = list(STEPS) if names is None else list(names)
    functions = {name: _function(name) for name in todo}
    seconds = {}
    for name, function in functions.items():
        start = time.process_time()
        function()  # type: ignore[operator]
        seconds[name] = time.process_time() - start
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Run the steps named on the command line (default: all); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"steps to run (default: {', '.join(STEPS)})")
    args = parser.parse_args(argv)
    try:
        seconds = run(args.names or None)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    for name, cpu in seconds.items():
        print(f"mlbio: prepared {name} ({cpu:.1f} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
