"""Build the book strictly: vendored assets, notebooks in parallel, then Jupyter Book.

``python -m mlbio_book.build`` (``make book``):

1. vendors the JavaScript the site serves itself (:mod:`mlbio_book.vendor`);
2. runs the data-preparation steps those notebooks declare (:mod:`mlbio_book.prepare`), then
   executes, on all cores, every notebook of ``_toc.yml`` whose outputs the cache does not hold
   (:func:`mlbio_book.execution.execute`); a failing cell stops here, printing the notebook, the
   cell and its traceback;
3. runs ``jupyter-book build . -W -n --keep-going``, which finds every notebook in the cache;
4. fails if Sphinx printed a single warning, or if myst-nb had to execute a notebook itself
   (which would mean the cache keys differ).

``python -m mlbio_book.build --chapter book/<name>.md`` (``make chapter PAGE=...``) executes
that one notebook (if its code, ``code/mlbio`` or ``data/`` changed, or with ``--force``) and
builds the site around it. Other notebooks come from the cache; those whose cached outputs are
out of date are shown without outputs, and their pages' warnings are listed, not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlbio_book import execution, prepare, toc, vendor
from mlbio_book.toc import ROOT

WARNING = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL|SEVERE): ")
#: What myst-nb prints when it executes a notebook itself rather than reading the cache.
SELF_EXECUTED = re.compile(r"^(?P<path>\S+?): Executing notebook using", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class BuildResult:
    """The outcome of one build."""

    returncode: int
    output: str
    html: Path
    seconds: float = 0.0
    execute_seconds: float = 0.0
    prepare_seconds: float = 0.0
    sphinx_seconds: float = 0.0
    cpu_seconds: float = 0.0
    runs: list[execution.Run] = field(default_factory=list)
    prepared: list[prepare.Prepared] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_executed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the build succeeded with no warning."""
        return self.returncode == 0 and not self.problems


def sphinx_config(root: Path = ROOT) -> dict:
    """The Sphinx configuration Jupyter Book derives from ``_config.yml``."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(
        user_yaml=root / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=root
    )
    return config


def problems(output: str) -> list[str]:
    """Lines of the build log that are Sphinx warnings or errors."""
    plain = _ANSI.sub("", output)
    return [line for line in plain.splitlines() if WARNING.search(line)]


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(
    *,
    chapter: Path | None = None,
    workers: int | None = None,
    output: Path | None = None,
    force: bool = False,
    root: Path = ROOT,
    log: object = print,
) -> BuildResult:
    """Build the book (or one chapter, see the module's docstring) and check the log."""
    start, cpu_start = time.perf_counter(), _cpu()
    vendor.main()
    config = sphinx_config(root)
    out = Path(output).resolve() if output else root
    cache = Path(config.get("nb_execution_cache_path") or out / "_build" / ".jupyter_cache")
    html = out / "_build" / "html"
    excluded = config.get("nb_execution_excludepatterns", [])
    notebooks = [
        page.path
        for page in toc.notebooks(root)
        if not any(Path(page.path.relative_to(root).as_posix()).match(p) for p in excluded)
    ]
    if config.get("nb_execution_mode") not in ("cache", None):
        notebooks = []  # the book executes through its cache; other modes are myst-nb's
    execution.fresh_cache(cache, root)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop(execution.NOT_EXECUTED_ENV, None)
    env.pop(execution.CHAPTER_ENV, None)
    targets = notebooks
    result = BuildResult(1, "", html)
    if chapter is not None:
        page = Path(chapter).resolve()
        if page not in notebooks:
            raise SystemExit(f"{chapter} is not a notebook listed in _toc.yml.")
        targets = [page]
        others = execution.stale(cache, [p for p in notebooks if p != page])
        result.not_executed = [p.relative_to(root).with_suffix("").as_posix() for p in others]
        env[execution.NOT_EXECUTED_ENV] = os.pathsep.join(result.not_executed)
        env[execution.CHAPTER_ENV] = page.relative_to(root).with_suffix("").as_posix()

    todo = targets if force else execution.stale(cache, targets)
    t0 = time.perf_counter()
    result.prepared = prepare.run(prepare.steps_for(todo), log=log)
    result.prepare_seconds = time.perf_counter() - t0
    failed_steps = [step for step in result.prepared if step.error]
    t0 = time.perf_counter()
    if not failed_steps:
        result.runs = execution.execute(
            todo,
            cache,
            workers=workers,
            timeout=config.get("nb_execution_timeout"),
            allow_errors=bool(config.get("nb_execution_allow_errors")),
            force=True,  # exactly the notebooks found stale above
            log=log,
        )
    result.execute_seconds = time.perf_counter() - t0
    failed = [run for run in result.runs if run.error]
    if failed or failed_steps:
        result.problems = [
            f"preparation step {step.name} failed:\n{step.error}" for step in failed_steps
        ]
        result.problems += [
            f"{run.path.relative_to(root)}: a cell failed:\n{run.error}" for run in failed
        ]
        result.seconds = time.perf_counter() - start
        result.cpu_seconds = _cpu() - cpu_start
        return result

    strict = ["-W"] if not result.not_executed else []
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), *strict]
    cmd += ["-n", "--keep-going"]
    if output:
        cmd += ["--path-output", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    result.sphinx_seconds = time.perf_counter() - t0
    result.returncode = proc.returncode
    result.output = proc.stdout + proc.stderr
    found = problems(result.output)
    skipped = tuple(f"{root / d}." for d in result.not_executed)
    result.ignored = [line for line in found if skipped and line.startswith(skipped)]
    result.problems = [line for line in found if line not in result.ignored]
    if chapter is None:
        for match in SELF_EXECUTED.finditer(_ANSI.sub("", result.output)):
            result.problems.append(
                f"{match['path']}: myst-nb executed this notebook itself, after the parallel "
                "pre-execution: their cache keys differ (see mlbio_book.execution)."
            )
    if result.ignored and result.returncode != 0 and not result.problems:
        result.returncode = 0  # only the pages shown without outputs warned
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = _cpu() - cpu_start
    return result


def main(argv: list[str] | None = None) -> int:
    """Build from the command line; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", type=Path, help="build around this one notebook")
    parser.add_argument("--workers", type=int, help="notebooks executed at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="execute even if cached")
    parser.add_argument("--path-output", type=Path, help="build into this folder's _build/")
    args = parser.parse_args(argv)
    if not os.environ.get("MLBIO_DATA_MIRROR"):
        print("note: MLBIO_DATA_MIRROR is not set; data will be downloaded.", file=sys.stderr)
    result = build(
        chapter=args.chapter, workers=args.workers, output=args.path_output, force=args.force
    )
    if result.output:
        print(result.output)
    if result.not_executed:
        print(
            "\nNot executed (their cached outputs are out of date; `make book` runs them): "
            + ", ".join(result.not_executed)
            + (f"; {len(result.ignored)} warning(s) there not counted." if result.ignored else ".")
        )
    if not result.ok:
        print(f"\nBuild FAILED ({len(result.problems)} problem(s)):", file=sys.stderr)
        for line in result.problems[:50]:
            print("  " + line, file=sys.stderr)
        return 1
    executed = sum(r.seconds for r in result.runs)
    prepared = (
        f"{len(result.prepared)} preparation step(s), {result.prepare_seconds:.1f} s; "
        if result.prepared
        else ""
    )
    print(
        f"Strict build succeeded in {result.seconds:.1f} s ({prepared}"
        f"{len(result.runs)} notebook(s) executed, {executed:.1f} s of notebook time; "
        f"Sphinx {result.sphinx_seconds:.1f} s; "
        f"{result.cpu_seconds:.1f} s CPU): open {result.html / 'index.html'} or `make preview`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
