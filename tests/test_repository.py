"""Repository hygiene: pinned stack, Binder set-up, layout, and no committed data."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[name.lower().replace("_", "-")] = version
    return out


def test_requirements_are_all_pinned_and_install_mlbio() -> None:
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    unpinned = [ln for ln in lines if "==" not in ln and ln != "-e ./code"]
    assert unpinned == []
    assert "-e ./code" in lines
    stack = pins(ROOT / "requirements.txt")
    assert stack["jupyter-book"].startswith("1.0.4")
    assert stack["sphinx"].startswith("7.4")
    assert stack["sphinx-book-theme"].startswith("1.3")


def test_binder_pins_match_the_main_stack() -> None:
    stack = pins(ROOT / "requirements.txt")
    binder = pins(ROOT / "binder/requirements.txt")
    assert "jupytext" in binder
    assert {k: v for k, v in binder.items() if stack.get(k) != v} == {}
    assert (ROOT / "binder/runtime.txt").read_text().strip() == "python-3.11"
    post = ROOT / "binder/postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install" in post.read_text() and "fetch_dataset" in post.read_text()


def test_launch_repository_and_download_buttons_are_configured() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["html"]["use_repository_button"] is True
    assert config["sphinx"]["config"]["html_theme_options"]["use_download_button"] is True
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["raise_on_error"] is True


def test_code_is_not_a_package() -> None:
    # The standard library has a module named `code`; a code/__init__.py would shadow it.
    assert not (ROOT / "code/__init__.py").exists()
    assert (ROOT / "code/mlbio/__init__.py").is_file()


def test_required_files_exist() -> None:
    for name in [
        "_config.yml", "_toc.yml", "README.md", "Makefile", "LICENSE", "CITATION.cff",
        "requirements.txt", ".ci/run", "data/registry.csv", "data/README.md",
        "book/references.bib", ".github/workflows/book.yml",
    ]:  # fmt: skip
        assert (ROOT / name).is_file(), name


def test_ci_script_calls_the_readme_test_command() -> None:
    run = (ROOT / ".ci/run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and re.search(r"^make test$", run, re.M)
    assert "MLBIO_DATA_MIRROR" in run and "../shared/data" in run
    assert "set -euo pipefail" in run


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
