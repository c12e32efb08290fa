"""The code base is ruff clean (style, imports, docstrings, type hints, no stale noqa)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlbio_book.toc import ROOT

RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_check() -> None:
    proc = subprocess.run([str(RUFF), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_ruff_format() -> None:
    proc = subprocess.run(
        [str(RUFF), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
