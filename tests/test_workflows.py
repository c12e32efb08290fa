"""GitHub Actions workflows: linted offline by actionlint and zizmor, actions pinned by SHA."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def test_actionlint() -> None:
    proc = subprocess.run(
        [str(BIN / "actionlint"), *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline() -> None:
    proc = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--format",
            "plain",
            str(ROOT / ".github" / "workflows"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha(workflow: Path) -> None:
    uses = re.findall(r"uses:\s*([^\s#]+)", workflow.read_text())
    assert uses, "a workflow that uses no action is suspicious"
    unpinned = [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u)]
    assert unpinned == []


def test_book_workflow_deploys_with_least_privilege() -> None:
    flow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    assert flow["permissions"] == {}
    assert "concurrency" in flow
    jobs = flow["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    steps = " ".join(str(s.get("uses", "")) for s in jobs["build"]["steps"])
    assert "upload-pages-artifact" in steps
    assert "make test" in " ".join(str(s.get("run", "")) for s in jobs["build"]["steps"])
