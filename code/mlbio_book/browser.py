"""How the book's tools and tests launch a browser: Debian's Chromium, headless, offline.

The browser tests (playwright) and Lighthouse (``tools/budgets.py``) take the executable and
the flags from here.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The Chromium executable: ``$MLBIO_CHROMIUM``, default Debian's ``/usr/bin/chromium``.
CHROMIUM = Path(os.environ.get("MLBIO_CHROMIUM", "/usr/bin/chromium"))
#: Launch flags: headless, no sandbox (containers, root), and no traffic of its own
#: (no QUIC, no background networking, no component updates, no sync).
FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
