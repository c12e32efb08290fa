"""The strict build and the notebook-cache invalidation."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    import build as book_build

    return book_build.toc_files()


def test_strict_build_has_zero_warnings(build_result) -> None:  # noqa: ANN001
    import build as book_build

    assert build_result.returncode == 0
    assert book_build.problems(build_result.output) == []
    assert "build succeeded" in build_result.output


def test_every_toc_page_is_built(built_site: Path) -> None:
    files = toc_files()
    assert len(files) >= 2
    missing = [f for f in files if not (built_site / f"{f}.html").is_file()]
    assert missing == [], f"pages of _toc.yml absent from _build/html: {missing}"


def test_warning_detector_catches_sphinx_warnings_only() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    import build as book_build

    log = "\n".join(
        [
            "/work/book/a.md:12: WARNING: undefined label: 'nope'",
            "WARNING: the config value 'x' is unknown",
            "[IPKernelApp] WARNING | Kernel is running over TCP without encryption.",
            "reading sources... [ 50%] book/data",
        ]
    )
    assert len(book_build.problems(log)) == 2


def load_extension():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("mlbio_build", ROOT / "book/_ext/mlbio_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cache_is_cleared_when_code_or_registry_change(tmp_path: Path) -> None:
    ext = load_extension()
    (tmp_path / "code/mlbio").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "code/mlbio/a.py").write_text("x = 1\n")
    (tmp_path / "data/registry.csv").write_text("name,sha256\n")
    cache = tmp_path / "_build/.jupyter_cache"
    cache.mkdir(parents=True)
    (cache / "entry").write_text("cached output")
    app = SimpleNamespace(srcdir=str(tmp_path), outdir=str(tmp_path / "_build/html"))
    config = SimpleNamespace(nb_execution_cache_path=str(cache))
    env = SimpleNamespace(found_docs={"a", "b"})

    ext._check_cache(app, config)  # first build: stamp written, cache kept
    assert (cache / "entry").is_file()
    ext._check_cache(app, config)  # nothing changed
    assert (cache / "entry").is_file()
    assert ext._outdated(app, env, set(), set(), set()) == []

    (tmp_path / "data/registry.csv").write_text("name,sha256\nnew,row\n")
    ext._check_cache(app, config)
    assert not cache.exists()
    assert ext._outdated(app, env, set(), set(), set()) == ["a", "b"]

    cache.mkdir()
    (cache / "entry").write_text("cached output")
    ext._check_cache(app, config)
    (tmp_path / "code/mlbio/a.py").write_text("x = 2\n")
    ext._check_cache(app, config)
    assert not cache.exists()
    shutil.rmtree(tmp_path / "_build")
