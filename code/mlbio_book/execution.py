"""Notebook execution: a parallel pre-executor, and a cache that notices code and data changes.

**Parallel, ahead of Sphinx.** :func:`execute` runs the notebooks that need it side by side in
``workers`` processes (default: every core), each in its own folder as working directory, with
the environment of the build (:data:`mlbio.altair.SITE_ENV`, ``MLBIO_DATA_MIRROR``), and stores
the results in the same jupyter-cache that myst-nb reads during the Sphinx build. A notebook is
read exactly as myst-nb reads it (jupyter-cache's reader plugin ``myst_nb_md``), so its cache key
is the one myst-nb computes, and Sphinx finds every notebook in the cache instead of running it
again, one after another. The strictness is the build's: a failing cell stops the build with
the notebook, the cell and its traceback.

**A cache that notices code and data.** myst-nb keys a notebook on its own code cells, so it
cannot see a change in the helper package ``code/mlbio`` or in ``data/``. :func:`fresh_cache`
hashes those inputs and empties the cache when the hash changes; the Sphinx side of this module
then makes Sphinx read every notebook again (in a full build).

**One chapter.** For ``make chapter``, only that chapter is executed; notebooks whose cached
outputs are out of date are named in :data:`NOT_EXECUTED_ENV` and shown without outputs instead
of being run by myst-nb (see :mod:`mlbio_book.build`).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import resource
import shutil
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlbio.altair import SITE_ENV
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: How myst-nb reads a MyST Markdown notebook into jupyter-cache (``read_fmt`` of its reader).
READ_FMT = {"type": "plugin", "name": "myst_nb_md"}
#: Beside the cache: the hash of the inputs the cache was filled with.
STAMP = "mlbio-inputs.sha256"
#: Beside the cache: each notebook's last run time, to start the longest first.
TIMES = "mlbio-run-times.json"
#: Notebooks (docnames, separated by os.pathsep) that the Sphinx build must not execute.
NOT_EXECUTED_ENV = "MLBIO_NOT_EXECUTED"
#: The docname of the chapter a one-chapter build is for.
CHAPTER_ENV = "MLBIO_CHAPTER"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def inputs_hash(root: Path) -> str:
    """Hash every file that notebook outputs depend on besides the notebooks themselves.

    These are the helper package ``code/mlbio`` (and its ``pyproject.toml``), the data
    registry and the data cards (which name the data sets in summaries).
    """
    files = sorted((root / "code" / "mlbio").rglob("*.py"))
    files += [root / "code" / "pyproject.toml", root / "data" / "registry.csv"]
    files += [root / "data" / "README.md"]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fresh_cache(cache: Path, root: Path) -> bool:
    """Empty the notebook cache if ``code/mlbio`` or ``data/`` changed; return whether it did."""
    current = inputs_hash(root)
    stamp = cache.parent / STAMP
    previous = stamp.read_text().strip() if stamp.is_file() else None
    cleared = previous is not None and previous != current
    if cleared:
        shutil.rmtree(cache, ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return cleared


def read_notebook(path: Path) -> Any:
    """Read a notebook exactly as myst-nb hands it to jupyter-cache."""
    from jupyter_cache.readers import get_reader

    return get_reader(READ_FMT)(str(path))


def stale(cache: Path, paths: Iterable[Path]) -> list[Path]:
    """The notebooks whose outputs the cache does not hold for their current code."""
    from jupyter_cache import get_cache

    store = get_cache(str(cache))
    out = []
    for path in paths:
        try:
            store.match_cache_notebook(read_notebook(path))
        except KeyError:
            out.append(Path(path))
    return out


@dataclass(frozen=True)
class Run:
    """The outcome of one notebook's execution."""

    path: Path
    seconds: float
    cpu_seconds: float
    peak_mb: float
    error: str | None = None


def _run(path: str, timeout: int | None, allow_errors: bool) -> tuple[dict, Any]:
    """Execute one notebook in this (fresh) worker process; return its figures and notebook."""
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ[SITE_ENV] = "1"
    nb = read_notebook(Path(path))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = single_nb_execution(
        nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=allow_errors
    )
    # The kernel has exited: RUSAGE_CHILDREN now holds its CPU time and peak memory (KiB).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "path": path,
        "seconds": result.time,
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "peak_mb": after.ru_maxrss / 1024,
        "error": _ANSI.sub("", str(result.err)) if result.err is not None else None,
    }
    return figures, (None if result.err is not None else nb)


def _order(paths: list[Path], cache: Path) -> list[Path]:
    """Longest-running notebooks first (by their last run), so no worker idles at the end."""
    times_file = cache.parent / TIMES
    times = json.loads(times_file.read_text()) if times_file.is_file() else {}
    return sorted(paths, key=lambda p: -times.get(str(p), float("inf")))


def execute(
    paths: Iterable[Path],
    cache: Path,
    *,
    workers: int | None = None,
    timeout: int | None = None,
    allow_errors: bool = False,
    force: bool = False,
    log: Any = print,
) -> list[Run]:
    """Execute the notebooks that need it, in parallel, into the jupyter-cache at ``cache``.

    Parameters
    ----------
    paths
        The notebooks (MyST Markdown files).
    cache
        The jupyter-cache folder that myst-nb reads (``_build/.jupyter_cache``).
    workers
        Notebooks run at once (default: the number of cores).
    timeout
        Seconds a cell may run (``execute.timeout`` of ``_config.yml``).
    allow_errors
        Whether a cell may raise (never in the book's build).
    force
        Execute every notebook of ``paths``, even those the cache holds.
    log
        Where to report progress (one line a notebook).

    Returns
    -------
    list of Run
        One per executed notebook (those the cache held are not run); a failed one has its
        ``error``: the cell and its traceback.

    """
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    paths = [Path(p).resolve() for p in paths]
    todo = _order(paths if force else stale(cache, paths), cache)
    if not todo:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    log(f"mlbio: executing {len(todo)} notebook(s) with {workers} worker(s)")
    os.environ[SITE_ENV] = "1"  # also for the workers' kernels
    store = get_cache(str(cache))
    runs = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=1) as pool:
        futures = [pool.submit(_run, str(p), timeout, allow_errors) for p in todo]
        for future in futures:
            figures, nb = future.result()
            run = Run(Path(figures.pop("path")), **figures)
            runs.append(run)
            if nb is not None:
                # Cached here, one at a time: the workers never write the cache's database.
                store.add_nb_to_project(str(run.path), read_data=READ_FMT)
                bundle = CacheBundleIn(nb, str(run.path), data={"execution_seconds": run.seconds})
                store.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
            state = "FAILED" if run.error else "ok"
            log(
                f"mlbio: {state:>6} {run.path.name}: {run.seconds:.1f} s, "
                f"{run.cpu_seconds:.1f} s CPU, {run.peak_mb:.0f} MB"
            )
    times_file = cache.parent / TIMES
    times = json.loads(times_file.read_text()) if times_file.is_file() else {}
    times.update({str(r.path): r.seconds for r in runs if not r.error})
    times_file.write_text(json.dumps(times, indent=1) + "\n")
    return runs


# ---------------------------------------------------------------------------------------------
# Sphinx side
# ---------------------------------------------------------------------------------------------


def _builder_inited(app: Sphinx) -> None:
    os.environ[SITE_ENV] = "1"  # kernels that myst-nb starts inherit it
    config = getattr(app.env, "mystnb_config", None)
    if config is None:
        return
    cache = Path(config.execution_cache_path)
    fresh_cache(cache, Path(app.confdir))
    not_executed = [d for d in os.environ.get(NOT_EXECUTED_ENV, "").split(os.pathsep) if d]
    if not_executed:
        patterns = [*config.execution_excludepatterns]
        srcdir = Path(app.srcdir)
        patterns += [Path(app.env.doc2path(d)).relative_to(srcdir).as_posix() for d in not_executed]
        app.env.mystnb_config = config.copy(execution_excludepatterns=patterns)


def _outdated(
    app: Sphinx, env: BuildEnvironment, added: set, changed: set, removed: set
) -> list[str]:
    """After a change of ``code/mlbio`` or ``data/``, read every notebook again.

    A one-chapter build (:data:`CHAPTER_ENV` set) reads its chapter again, whose outputs may
    have changed with the code, and keeps the other pages as they were; the next full build
    reads them again.
    """
    chapter = os.environ.get(CHAPTER_ENV)
    if chapter:
        return [chapter] if chapter in env.found_docs and chapter not in added else []
    current = inputs_hash(Path(app.confdir))
    previous = getattr(env, "mlbio_inputs", None)
    if previous == current:
        return []
    env.mlbio_inputs = current  # type: ignore[attr-defined]
    if previous is None:
        return []  # a new environment reads everything anyway
    return sorted(d for d in env.found_docs if d not in added)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.connect("builder-inited", _builder_inited, priority=900)  # after myst-nb's config
    app.connect("env-get-outdated", _outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
