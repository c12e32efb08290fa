"""The code base is ruff clean (style, imports, docstrings, type hints of mlbio)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"
TARGETS = ["code", "tests", "tools", "book/_ext"]


def test_ruff_check() -> None:
    proc = subprocess.run([str(RUFF), "check", *TARGETS], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_ruff_format() -> None:
    proc = subprocess.run(
        [str(RUFF), "format", "--check", *TARGETS], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
