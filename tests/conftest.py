"""Shared fixtures: the strictly built book (once per session) and small Sphinx test sites.

The small sites live in ``tests/sites/test-<name>/`` and are built with :mod:`sphinx.testing`
(``@pytest.mark.sphinx("html", testroot="<name>")``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mlbio_book import build as book_build

pytest_plugins = ("sphinx.testing.fixtures",)

SITES = Path(__file__).with_name("sites")


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where sphinx.testing finds the test sites."""
    return SITES


@pytest.fixture(scope="session")
def build_result() -> book_build.BuildResult:
    """Build the book once (strict) into the repository's ``_build``; fail loudly if it fails."""
    if not os.environ.get("MLBIO_DATA_MIRROR") and os.environ.get("CI"):
        pytest.fail("CI must set MLBIO_DATA_MIRROR: the build may not use the network.")
    result = book_build.build(log=lambda *_: None)
    if not result.ok:
        tail = "\n".join(result.problems[:40]) or result.output[-4000:]
        pytest.fail(f"The strict build failed (exit {result.returncode}):\n{tail}", pytrace=False)
    return result


@pytest.fixture(scope="session")
def built_site(build_result: book_build.BuildResult) -> Path:
    """Path to ``_build/html`` of a successful strict build."""
    return build_result.html
