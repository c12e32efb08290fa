"""Data-preparation steps: the registry, its command line, and how the build runs them."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from mlbio import prepare
from mlbio_book import build as book_build
from mlbio_book import execution, frontmatter
from mlbio_book import prepare as book_prepare

FRONT = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
mlbio:
  levels: [novice]
  objectives: ["Do a thing."]
  prerequisites: []
  time_read: 5 min
  time_run: 1 min
{extra}---

# Page
"""


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two registered steps that record their calls, in a module of their own."""
    calls: list[str] = []
    module = ModuleType("fake_steps")
    module.first = lambda: calls.append("first")  # type: ignore[attr-defined]
    module.second = lambda: calls.append("second")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_steps", module)
    monkeypatch.setattr(
        prepare, "STEPS", {"first": "fake_steps:first", "second": "fake_steps:second"}
    )
    return calls


def test_run_runs_the_named_steps_or_all(steps: list[str]) -> None:
    assert set(prepare.run(["second"])) == {"second"}
    assert steps == ["second"]
    prepare.run()
    assert steps == ["second", "first", "second"]


def test_an_unknown_step_is_refused_before_any_runs(steps: list[str]) -> None:
    with pytest.raises(KeyError, match="Unknown preparation step 'thrid'.*first, second"):
        prepare.run(["first", "thrid"])
    assert steps == []
    assert prepare.main(["thrid"]) == 2


def test_every_registered_step_can_be_imported() -> None:
    for name in prepare.STEPS:
        assert callable(prepare._function(name))


def _page(tmp_path: Path, name: str, steps: list[str] | None) -> Path:
    extra = f"  prepare: [{', '.join(steps)}]\n" if steps is not None else ""
    path = tmp_path / f"{name}.md"
    path.write_text(FRONT.format(extra=extra))
    return path


def test_pages_declare_their_steps_and_the_schema_checks_them(tmp_path: Path) -> None:
    a = _page(tmp_path, "a", ["melanoma-tables"])
    b = _page(tmp_path, "b", None)
    c = _page(tmp_path, "c", ["melanoma-tables"])
    assert book_prepare.steps_for([b]) == []
    assert book_prepare.steps_for([a, b, c]) == ["melanoma-tables"]  # once
    assert frontmatter.chapter_meta(a)["prepare"] == ["melanoma-tables"]
    with pytest.raises(frontmatter.ChapterMetaError, match="prepare"):
        frontmatter.chapter_meta(_page(tmp_path, "d", ["no-such-step"]))


def test_a_failing_step_is_reported_with_its_traceback(steps: list[str]) -> None:
    figures = book_prepare._run_one("first")
    assert figures["error"] is None and steps == ["first"]
    assert figures["cpu_seconds"] > 0 and figures["peak_mb"] > 0
    broken = book_prepare._run_one("no-such-step")
    assert "Unknown preparation step" in broken["error"]


def test_run_in_a_fresh_process_stops_at_a_failing_step() -> None:
    lines: list[str] = []
    done = book_prepare.run(["no-such-step", "melanoma-tables"], log=lines.append)
    assert [step.name for step in done] == ["no-such-step"]
    assert "Unknown preparation step" in (done[0].error or "")
    assert lines[0].startswith("mlbio: FAILED prepare no-such-step")


def test_the_build_prepares_only_for_notebooks_it_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps of stale notebooks run once, before the notebooks; a failing step stops the build."""
    needs, fresh, plain = (
        _page(tmp_path, "needs", ["melanoma-tables"]),
        _page(tmp_path, "fresh", ["melanoma-tables"]),
        _page(tmp_path, "plain", None),
    )
    order: list[object] = []
    monkeypatch.setattr(book_build.vendor, "main", lambda: None)
    monkeypatch.setattr(book_build, "sphinx_config", lambda root: {"nb_execution_mode": "cache"})
    monkeypatch.setattr(
        book_build.toc,
        "notebooks",
        lambda root: [SimpleNamespace(path=p) for p in (needs, fresh, plain)],
    )
    monkeypatch.setattr(execution, "fresh_cache", lambda cache, root: False)
    monkeypatch.setattr(execution, "stale", lambda cache, paths: [p for p in paths if p != fresh])

    def run(names: list[str], log: object) -> list[book_prepare.Prepared]:
        order.append(("prepare", list(names)))
        return [book_prepare.Prepared(n, 1.0, 1.0, 10.0, error="boom") for n in names]

    def execute(paths: list[Path], cache: Path, **kwargs: object) -> list[execution.Run]:
        order.append(("execute", [p.name for p in paths]))
        return []

    monkeypatch.setattr(book_prepare, "run", run)
    monkeypatch.setattr(execution, "execute", execute)
    result = book_build.build(root=tmp_path, output=tmp_path / "out", log=lambda *_: None)
    assert order == [("prepare", ["melanoma-tables"])]  # the failing step stopped the build
    assert not result.ok and "preparation step melanoma-tables failed" in result.problems[0]

    order.clear()
    monkeypatch.setattr(execution, "stale", lambda cache, paths: [plain])
    monkeypatch.setattr(
        book_build.subprocess,
        "run",
        lambda *a, **k: SimpleNamespace(returncode=0, stdout="", stderr=""),
    )
    book_build.build(root=tmp_path, output=tmp_path / "out", log=lambda *_: None)
    assert order == [("prepare", []), ("execute", ["plain.md"])]  # no page needs a step
