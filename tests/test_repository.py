"""Repository hygiene: pinned stack compiled from one place, Binder set-up, CI, no data."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
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
    assert re.search(r"^\s*make test$", run, re.M)
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


STUB_APT = """#!/bin/sh
echo "$*" >> "$APT_LOG"
case "$1" in
  update) exit 0 ;;
  install)
    for arg in "$@"; do package="$arg"; done
    [ "$package" = broken ] && exit 100
    # The package provides the command named in $PROVIDES_<package> (none: a dud package).
    command=$(printenv "PROVIDES_$package")
    [ -n "$command" ] && printf '#!/bin/sh\\n' > "$STUB_BIN/$command" \\
      && chmod +x "$STUB_BIN/$command"
    exit 0 ;;
esac
"""


def _apt_install(tmp_path, *calls: str, provides: dict[str, str]) -> tuple[int, str, list[str]]:
    """Source .ci/run in bash with a stub apt-get on PATH and run ``apt_install`` calls."""
    stub = tmp_path / "bin"
    stub.mkdir(exist_ok=True)
    (stub / "apt-get").write_text(STUB_APT)
    (stub / "apt-get").chmod(0o755)
    (stub / "present-tool").write_text("#!/bin/sh\n")
    (stub / "present-tool").chmod(0o755)
    log = tmp_path / "apt.log"
    log.write_text("")
    # Only the stub folder and the shell's basics on PATH: no real apt-get, no real tools.
    basics = tmp_path / "basics"
    basics.mkdir(exist_ok=True)
    for tool in ("sh", "printenv", "chmod", "cat", "printf"):
        found = shutil.which(tool)
        if found and not (basics / tool).exists():
            (basics / tool).symlink_to(found)
    env = {
        "PATH": f"{stub}:{basics}",
        "APT_LOG": str(log),
        "STUB_BIN": str(stub),
        **{f"PROVIDES_{package}": command for package, command in provides.items()},
    }
    script = f"source {ROOT / '.ci/run'}; " + "; ".join(calls)
    bash = shutil.which("bash")
    proc = subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True)
    return proc.returncode, proc.stderr, log.read_text().splitlines()


def test_ci_installs_each_missing_tool_on_its_own(tmp_path) -> None:
    code, err, apt = _apt_install(
        tmp_path,
        "apt_install present-tool some-package",
        "apt_install chromium chromium",
        "apt_install node nodejs",
        provides={"chromium": "chromium", "nodejs": "node"},
    )
    assert code == 0, err
    # A tool already there is left alone; apt's lists are updated once; one package a call.
    assert apt == [
        "update -qq",
        "install -y -qq chromium",
        "install -y -qq nodejs",
    ]


def test_ci_names_the_tool_it_could_not_install(tmp_path) -> None:
    code, err, apt = _apt_install(
        tmp_path, "apt_install npm broken", "apt_install never reached", provides={}
    )
    assert code == 1 and apt == ["update -qq", "install -y -qq broken"]
    assert "could not install 'broken', which provides 'npm'" in err
    # A package that installs without bringing the command is a failure too.
    code, err, _ = _apt_install(tmp_path, "apt_install java default-jre-headless", provides={})
    assert code == 1 and "'java' is not on PATH" in err
