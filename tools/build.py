"""Build the book strictly (``make book``); see :mod:`mlbio_book.build` for the options.

``python tools/build.py [--chapter book/<name>.md] [--workers N] [--force] [--path-output DIR]``
"""

import sys

from mlbio_book.build import main

if __name__ == "__main__":
    sys.exit(main())
