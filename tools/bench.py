"""Benchmark the build: cold builds with 1 and with 2 workers side by side, warm rebuilds.

In one run, each into a fresh temporary folder (its own notebook cache):

1. a cold build with 1 worker, then a cold build with 2 workers, and their ratio (the parallel
   pre-execution's gain: about (sum of notebook times) / workers + Sphinx time);
2. in the second folder: a warm rebuild with no change, and a one-chapter rebuild
   (``--chapter``) after a one-line prose edit of ``--edit-page`` (restored afterwards);
3. each notebook's run time, CPU time and peak memory (from the 1-worker build, where no two
   notebooks compete), and the same for each data-preparation step (:mod:`mlbio.prepare`),
   which the build runs before the notebooks. The steps fill the data cache
   (``MLBIO_DATA_DIR``), which the temporary folders do not reset: unless that cache is empty,
   the steps' figures are those of finding the tables already there.

Every figure is wall time and CPU time (user + system of the build and all its children): on
a shared machine the wall times are inflated, the CPU times much less. Writes
``bench/results.json`` and prints a table. Budgets: a notebook runs in <= 60 s and <= 1.5 GB;
a warm rebuild takes <= 20 s; a one-chapter rebuild takes the chapter's run time + <= 20 s.

Usage: ``make bench`` or ``python tools/bench.py [--edit-page book/overfitting.md]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlbio_book import build as book_build
from mlbio_book.toc import ROOT

BUDGET = {
    "chapter_seconds": 60,
    "chapter_peak_mb": 1536,
    "warm_rebuild_seconds": 20,
    "chapter_rebuild_overhead_seconds": 20,
    "tcga_load": 2,
}
EDIT = "\n\nA line of prose added by tools/bench.py, removed when it is done.\n"


def timed(label: str, **kwargs: object) -> dict:
    result = book_build.build(log=lambda *_: None, **kwargs)
    if not result.ok:
        sys.exit(f"{label}: build failed:\n" + "\n".join(result.problems[:20]))
    return {
        "seconds": round(result.seconds, 1),
        "cpu_seconds": round(result.cpu_seconds, 1),
        "prepare_seconds": round(result.prepare_seconds, 1),
        "execute_seconds": round(result.execute_seconds, 1),
        "sphinx_seconds": round(result.sphinx_seconds, 1),
        "executed": {
            run.path.name: {
                "seconds": round(run.seconds, 1),
                "cpu_seconds": round(run.cpu_seconds, 1),
                "peak_mb": round(run.peak_mb),
            }
            for run in result.runs
        },
        "prepared": {
            step.name: {
                "seconds": round(step.seconds, 1),
                "cpu_seconds": round(step.cpu_seconds, 1),
                "peak_mb": round(step.peak_mb),
            }
            for step in result.prepared
        },
    }


def tcga_second_load() -> float:
    code = (
        "import time; from mlbio import datasets as d; d.load_tcga_counts(); "
        "t = time.perf_counter(); d.load_tcga_counts(); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edit-page", type=Path, default=Path("book/overfitting.md"))
    args = parser.parse_args()
    page = (ROOT / args.edit_page).resolve()
    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "budgets": BUDGET,
        "tcga_second_load_seconds": round(tcga_second_load(), 3),
    }
    with tempfile.TemporaryDirectory(prefix="mlbio-bench-") as tmp:
        one, two = Path(tmp) / "one", Path(tmp) / "two"
        results["cold_1_worker"] = timed("cold, 1 worker", workers=1, output=one)
        results["cold_2_workers"] = timed("cold, 2 workers", workers=2, output=two)
        results["warm_no_change"] = timed("warm", output=two)
        original = page.read_text(encoding="utf-8")
        try:
            page.write_text(original + EDIT, encoding="utf-8")
            time.sleep(1)  # a new modification time for Sphinx
            results["chapter_after_prose_edit"] = timed("chapter", chapter=page, output=two)
        finally:
            page.write_text(original, encoding="utf-8")
    for key in ("seconds", "cpu_seconds"):
        results[f"ratio_2_to_1_workers_{key}"] = round(
            results["cold_2_workers"][key] / results["cold_1_worker"][key], 2
        )
    out = ROOT / "bench"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    load = ", ".join(f"{x:.1f}" for x in results["machine"]["load_average"])
    print(f"machine: {results['machine']['cpus']} cores, load average {load} (1, 5, 15 min)")
    print(f"{'build':<34}{'wall s':>9}{'CPU s':>9}{'notebooks s':>13}{'Sphinx s':>10}")
    for key in ("cold_1_worker", "cold_2_workers", "warm_no_change", "chapter_after_prose_edit"):
        r = results[key]
        print(
            f"{key:<34}{r['seconds']:>9}{r['cpu_seconds']:>9}"
            f"{r['execute_seconds']:>13}{r['sphinx_seconds']:>10}"
        )
    ratio = results["ratio_2_to_1_workers_seconds"]
    print(f"cold build, 2 workers / 1 worker (wall): {ratio}  (aim: <= 0.65)")
    # Budgets hold for a quiet machine: flags compare CPU time, which a busy machine inflates
    # far less than wall time.
    warm = results["warm_no_change"]
    flag = "" if warm["cpu_seconds"] <= BUDGET["warm_rebuild_seconds"] else "  OVER"
    print(
        f"warm rebuild, no change: {warm['seconds']} s, {warm['cpu_seconds']} s CPU "
        f"(budget {BUDGET['warm_rebuild_seconds']} s){flag}"
    )
    edit = results["chapter_after_prose_edit"]
    print(
        f"make chapter after a prose edit of {args.edit_page}: {edit['seconds']} s, "
        f"{edit['cpu_seconds']} s CPU "
        f"({len(edit['executed'])} notebook(s) executed; budget: its run time + 20 s)"
    )
    print(f"second load of the TCGA matrix: {results['tcga_second_load_seconds']} s")
    print(f"\n{'notebook (1-worker build)':<34}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
    print("(budget: 60 s CPU and 1.5 GB a notebook; OVER is flagged on CPU time)")
    for name, fig in results["cold_1_worker"]["executed"].items():
        over = (
            fig["cpu_seconds"] > BUDGET["chapter_seconds"]
            or fig["peak_mb"] > BUDGET["chapter_peak_mb"]
        )
        print(
            f"{name:<34}{fig['seconds']:>9}{fig['cpu_seconds']:>9}{fig['peak_mb']:>9}"
            + ("  OVER" if over else "")
        )
    prepared = results["cold_1_worker"]["prepared"]
    if prepared:
        print(f"\n{'preparation step (1-worker build)':<34}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
        for name, fig in prepared.items():
            print(f"{name:<34}{fig['seconds']:>9}{fig['cpu_seconds']:>9}{fig['peak_mb']:>9}")
    print(f"\nwritten to {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
