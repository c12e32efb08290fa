"""Data-preparation steps in the build: run once, before the notebooks that read their tables.

A chapter names, in its front matter (``mlbio: prepare: [...]``), the steps of
:data:`mlbio.prepare.STEPS` whose cached tables it reads. Before the parallel execution,
:func:`mlbio_book.build.build` collects the steps of the notebooks it is about to execute
(:func:`steps_for`) and runs each once (:func:`run`), so that two notebooks executed side by
side never compute the same table at once, and a notebook's run time is its own. A step runs in
a fresh process, like a notebook, and its run time, CPU time and peak memory are logged the same
way. A step whose tables are cached already costs little (it checks that the files exist).
"""

from __future__ import annotations

import multiprocessing
import resource
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlbio_book.frontmatter import read_front_matter


@dataclass(frozen=True)
class Prepared:
    """The outcome of one preparation step."""

    name: str
    seconds: float
    cpu_seconds: float
    peak_mb: float
    error: str | None = None


def steps_for(paths: Iterable[Path]) -> list[str]:
    """The preparation steps the notebooks at ``paths`` declare, each once, in order of need."""
    steps: list[str] = []
    for path in paths:
        meta = read_front_matter(Path(path)).get("mlbio") or {}
        for name in meta.get("prepare") or []:
            if name not in steps:
                steps.append(name)
    return steps


def _run_one(name: str) -> dict[str, Any]:
    """Run one step in this (fresh) worker process; return its figures."""
    start = time.perf_counter()
    error = None
    try:
        from mlbio import prepare

        prepare.run([name])
    except Exception:  # reported to the build with its traceback
        error = traceback.format_exc()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "name": name,
        "seconds": time.perf_counter() - start,
        # The whole worker process: the step and the imports it needs, as for a notebook.
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "error": error,
    }


def run(names: Iterable[str], *, log: Any = print) -> list[Prepared]:
    """Run the named steps one after another, each in a fresh process.

    Parameters
    ----------
    names
        Names of :data:`mlbio.prepare.STEPS`.
    log
        Where to report each step (one line, like a notebook's).

    Returns
    -------
    list of Prepared
        One per step; a failed step has its ``error`` (the traceback), and the steps after it
        are not run.

    """
    done: list[Prepared] = []
    context = multiprocessing.get_context("spawn")
    for name in names:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            step = Prepared(**pool.submit(_run_one, name).result())
        done.append(step)
        state = "FAILED" if step.error else "ok"
        log(
            f"mlbio: {state:>6} prepare {step.name}: {step.seconds:.1f} s, "
            f"{step.cpu_seconds:.1f} s CPU, {step.peak_mb:.0f} MB"
        )
        if step.error:
            break
    return done
