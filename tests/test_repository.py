"""Repository hygiene: pinned stack compiled from one place, Binder set-up, CI, no data."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys

import pytest
from mlbio_book.toc import ROOT


def test_requirements_are_all_pinned_and_install_mlbio() -> None:
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    assert [ln for ln in lines if "==" not in ln and ln != "-e ./code"] == []
    assert "-e ./code" in lines


def test_lock_files_are_compiled_from_pyproject() -> None:
    """requirements.txt and binder/requirements.txt are what `make lock` makes of pyproject."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lock.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "error" in proc.stderr.lower() and "Out of date" not in proc.stderr:
        if os.environ.get("CI"):
            pytest.fail(proc.stderr[-3000:])
        pytest.skip(
            "uv could not resolve offline (its cache lacks a package; run make lock once): "
            + proc.stderr[-500:]
        )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_binder_runs_post_build() -> None:
    # Binder runs postBuild only when it is executable; it installs mlbio and fetches the data.
    assert (ROOT / "binder/postBuild").stat().st_mode & 0o111
    assert (ROOT / "binder/runtime.txt").read_text().strip() == "python-3.11"


def test_ci_script_runs_make_test_with_the_mirror() -> None:
    run = (ROOT / ".ci/run").read_text()
    assert re.search(r"^make test$", run, re.M)
    assert "MLBIO_DATA_MIRROR" in run and "set -euo pipefail" in run


def test_no_data_file_is_committed() -> None:
    with (ROOT / "data/registry.csv").open(newline="") as fh:
        known = {row["sha256"] for row in csv.DictReader(fh)}
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    committed = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() in known:
            committed.append(name.decode())
    assert committed == []
