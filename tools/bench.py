"""Benchmark the book: cold build, warm no-change rebuild, and each chapter's run time and memory.

Writes ``bench/results.json`` and prints a table.  Budgets (on a 2-core machine): each chapter
executes in <= 60 s and <= 1.5 GB peak memory; a warm rebuild with no changes takes <= 20 s; a
second load of the TCGA matrix takes <= 2 s.  The script reports and flags; it is not a test.

Usage: ``make bench`` or ``python tools/bench.py [--skip-cold]``.
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

from build import toc_files

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGET = {
    "chapter_seconds": 60,
    "chapter_peak_mb": 1536,
    "warm_rebuild_seconds": 20,
    "tcga_load": 2,
}

RUNNER = r"""
import json, resource, sys, time
import jupytext, nbclient
nb = jupytext.read(sys.argv[1])
start = time.perf_counter()
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
# The kernel has exited: RUSAGE_CHILDREN now holds its peak resident memory (KiB on Linux).
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


def toc_notebooks() -> list[Path]:
    files = toc_files()
    paths = [ROOT / f"{f}.md" for f in files]
    return [p for p in paths if p.is_file() and "jupytext:" in p.read_text()[:400]]


def timed_build(output: Path) -> float:
    cmd = [
        str(BIN / "jupyter-book"),
        "build",
        ".",
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(output),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def tcga_second_load() -> float:
    code = (
        "import time; from mlbio import datasets as d; d.load_tcga_counts(); "
        "t = time.perf_counter(); d.load_tcga_counts(); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold and warm builds")
    args = parser.parse_args()
    vendor = ROOT / "tools" / "vendor.py"
    if vendor.is_file():
        subprocess.run([sys.executable, str(vendor)], cwd=ROOT, check=True)

    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "node": platform.node(),
        },
        "budgets": BUDGET,
    }
    results["tcga_second_load_seconds"] = round(tcga_second_load(), 3)

    if not args.skip_cold:
        with tempfile.TemporaryDirectory(prefix="mlbio-bench-") as tmp:
            results["cold_build_seconds"] = round(timed_build(Path(tmp)), 1)
            results["warm_rebuild_seconds"] = round(timed_build(Path(tmp)), 1)

    chapters = {}
    for path in toc_notebooks():
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, str(path), str(path.parent)],
            capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            chapters[path.name] = {"error": proc.stderr[-2000:]}
            continue
        chapters[path.name] = {
            k: round(v, 1) for k, v in json.loads(proc.stdout.splitlines()[-1]).items()
        }
    results["chapters"] = chapters

    out = ROOT / "bench"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    print(f"{'what':<40}{'value':>12}  budget")
    for key, budget_key in [
        ("cold_build_seconds", None),
        ("warm_rebuild_seconds", "warm_rebuild_seconds"),
        ("tcga_second_load_seconds", "tcga_load"),
    ]:
        if key in results:
            budget = BUDGET.get(budget_key) if budget_key else None
            flag = "" if budget is None or results[key] <= budget else "  OVER"
            print(f"{key:<40}{results[key]:>12}  {budget if budget else '-'}{flag}")
    for name, figures in chapters.items():
        if "error" in figures:
            print(f"{name:<40}{'ERROR':>12}")
            continue
        over = (
            figures["seconds"] > BUDGET["chapter_seconds"]
            or figures["peak_mb"] > BUDGET["chapter_peak_mb"]
        )
        line = f"{figures['seconds']:.1f} s, {figures['peak_mb']:.0f} MB"
        print(f"{name:<40}{line:>20}{'  OVER' if over else ''}")
    print(f"\nwritten to {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
