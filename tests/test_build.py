"""The strict build, the parallel pre-execution of notebooks, and the notebook cache."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from mlbio_book import build as book_build
from mlbio_book import execution, toc


def test_strict_build_has_zero_warnings(build_result) -> None:
    assert build_result.returncode == 0
    assert build_result.problems == []
    assert "build succeeded" in build_result.output


def test_every_toc_page_is_built(built_site: Path) -> None:
    built = {
        p.relative_to(built_site).with_suffix("").as_posix() for p in toc.built_pages(built_site)
    }
    pages = [page.docname for page in toc.pages()]
    assert len(pages) >= 2
    assert [d for d in pages if d not in built] == []


def test_warning_detector_catches_sphinx_warnings_only() -> None:
    log = "\n".join(
        [
            "/work/book/a.md:12: WARNING: undefined label: 'nope'",
            "\x1b[91mWARNING: the config value 'x' is unknown\x1b[39;49;00m",
            "[IPKernelApp] WARNING | Kernel is running over TCP without encryption.",
            "reading sources... [ 50%] book/data",
        ]
    )
    assert len(book_build.problems(log)) == 2


# ---------------------------------------------------------------------------------------------
# Parallel pre-execution
# ---------------------------------------------------------------------------------------------

NOTEBOOK = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
{code}
```
"""


def notebook(path: Path, code: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTEBOOK.format(title=path.stem, code=code), encoding="utf-8")
    return path


def test_a_failing_cell_is_reported_with_its_code_and_traceback(tmp_path: Path) -> None:
    good = notebook(tmp_path / "a" / "good.md", "x = 1")
    bad = notebook(tmp_path / "b" / "bad.md", "values = [1, 2]\nvalues[7]")
    runs = execution.execute([good, bad], tmp_path / ".jupyter_cache", workers=2, timeout=60)
    by_name = {run.path.name: run for run in runs}
    assert by_name["good.md"].error is None
    error = by_name["bad.md"].error
    assert "values[7]" in error and "IndexError" in error
    # The good one is cached, the failed one is not, so it runs again next time.
    assert execution.stale(tmp_path / ".jupyter_cache", [good, bad]) == [bad.resolve()]


@pytest.mark.sphinx("html", testroot="execution", freshenv=True)
def test_myst_nb_reads_what_the_pre_executor_cached(app, monkeypatch) -> None:
    """Same cache key as myst-nb: Sphinx uses the outputs instead of running the notebook."""
    monkeypatch.delenv(execution.NOT_EXECUTED_ENV, raising=False)
    source = Path(app.srcdir) / "book" / "nb.md"
    cache = Path(app.env.mystnb_config.execution_cache_path)
    runs = execution.execute([source], cache, workers=1, timeout=60)
    assert [run.error for run in runs] == [None]
    app.build()
    assert app._warning.getvalue() == ""
    # One run only (the pre-executor's), in the notebook's own folder, as a site build.
    assert (source.parent / "runs.txt").read_text().splitlines() == ["run"]
    page = BeautifulSoup((Path(app.outdir) / "book" / "nb.html").read_text(), "html.parser")
    assert "site build: 1 | folder: book" in page.get_text()
    assert "Using cached notebook" in app._status.getvalue()


def test_chapter_builds_do_not_execute_stale_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Sphinx side excludes the pages a one-chapter build leaves out."""
    config = SimpleNamespace(
        execution_cache_path="/nonexistent/.jupyter_cache", execution_excludepatterns=["x.md"]
    )
    config.copy = lambda **kw: SimpleNamespace(**{**vars(config), **kw})
    env = SimpleNamespace(mystnb_config=config, doc2path=lambda d: f"/src/{d}.md")
    app = SimpleNamespace(env=env, confdir="/src", srcdir="/src")
    monkeypatch.setattr(execution, "fresh_cache", lambda cache, root: False)
    monkeypatch.setenv(execution.NOT_EXECUTED_ENV, os.pathsep.join(["book/a", "book/b"]))
    execution._builder_inited(app)
    assert env.mystnb_config.execution_excludepatterns == ["x.md", "book/a.md", "book/b.md"]
    # ... and, after a change of code/mlbio, reads its chapter again, not every page.
    env.found_docs, env.mlbio_inputs = {"book/a", "book/b", "book/c"}, "old"
    monkeypatch.setattr(execution, "inputs_hash", lambda root: "new")
    monkeypatch.setenv(execution.CHAPTER_ENV, "book/c")
    assert execution._outdated(app, env, set(), set(), set()) == ["book/c"]
    monkeypatch.delenv(execution.CHAPTER_ENV)
    assert execution._outdated(app, env, set(), set(), set()) == ["book/a", "book/b", "book/c"]
    assert execution._outdated(app, env, set(), set(), set()) == []


def test_cache_is_cleared_when_code_or_data_change(tmp_path: Path) -> None:
    (tmp_path / "code/mlbio").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "code/mlbio/a.py").write_text("x = 1\n")
    (tmp_path / "data/registry.csv").write_text("name,sha256\n")
    cache = tmp_path / "_build/.jupyter_cache"
    cache.mkdir(parents=True)
    (cache / "entry").write_text("cached output")

    assert not execution.fresh_cache(cache, tmp_path)  # first build: stamp written, cache kept
    assert not execution.fresh_cache(cache, tmp_path)  # nothing changed
    assert (cache / "entry").is_file()
    for changed in ("data/registry.csv", "code/mlbio/a.py", "data/README.md"):
        (tmp_path / changed).write_text("something else\n")
        assert execution.fresh_cache(cache, tmp_path), changed
        assert not cache.exists()
        cache.mkdir()
