"""Shared fixtures: the strictly built site, built once per test session."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build as book_build  # noqa: E402  (tools/build.py)


@dataclass(frozen=True)
class BuildResult:
    """The outcome of one strict build."""

    html: Path
    output: str
    seconds: float
    returncode: int


@pytest.fixture(scope="session")
def build_result() -> BuildResult:
    """Build the book once (strict) into the repository's ``_build``; fail loudly if it fails."""
    if not os.environ.get("MLBIO_DATA_MIRROR") and os.environ.get("CI"):
        pytest.fail("CI must set MLBIO_DATA_MIRROR: the build may not use the network.")
    code, output, seconds = book_build.build()
    result = BuildResult(ROOT / "_build" / "html", output, seconds, code)
    bad = book_build.problems(output)
    if code != 0 or bad:
        tail = "\n".join(bad[:40]) or output[-4000:]
        pytest.fail(f"The strict build failed (exit {code}):\n{tail}", pytrace=False)
    return result


@pytest.fixture(scope="session")
def built_site(build_result: BuildResult) -> Path:
    """Path to ``_build/html`` of a successful strict build."""
    return build_result.html
