"""Measure the built site against its budgets; write ``bench/budgets.json`` and print tables.

``make budgets`` (after ``make book``) is the one command that produces the table of a release.

Page weight
    Every page's weight and first-visit weight against the page budget (see
    :mod:`mlbio_book.budgets`).
Lighthouse
    ``lighthouse`` (npm, pinned in package.json) with the system Chromium, on the landing page
    and on every chapter of ``_toc.yml`` (:func:`mlbio_book.toc.chapters`, so new chapters are
    measured without a change here), served as GitHub Pages serves them
    (:mod:`mlbio_book.serve`), with Lighthouse's mobile (default: a slow phone on a slow 4G
    network, simulated) and desktop settings; three runs each, and the run with the median
    performance score is reported (``--runs``). The targets are :data:`TARGETS`.

Lighthouse simulates the phone's slower CPU by multiplying the CPU time it observes, so a busy
machine makes pages look slower than they are (total blocking time above all): the table
shows Lighthouse's benchmark index of the machine for each page (a quiet desktop scores about
1000 or more); re-measure when it is low and a score is near its target.

Usage::

    python tools/budgets.py [--html _build/html] [--no-lighthouse] [--page book/x.html ...]

Exits 1 if a page is over the weight budget or a median score is below its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from mlbio_book import browser, toc
from mlbio_book.budgets import PAGE_BUDGET, page_weights, shared_weight
from mlbio_book.serve import serve

ROOT = toc.ROOT
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse(url: str, preset: str) -> dict[str, float]:
    """Run Lighthouse on one URL; return its category scores (0-100)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-path={browser.CHROMIUM}",
            f"--chrome-flags={' '.join(browser.FLAGS)}",
            f"--only-categories={','.join(CATEGORIES)}",
        ]
        if preset == "desktop":
            cmd.append("--preset=desktop")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not report.is_file():
            raise RuntimeError(f"lighthouse failed on {url}:\n{proc.stderr[-2000:]}")
        data = json.loads(report.read_text())
    scores: dict = {k: round(100 * (v["score"] or 0)) for k, v in data["categories"].items()}
    scores["benchmark_index"] = data["environment"]["benchmarkIndex"]
    low = {}
    for category in data["categories"].values():
        for ref in category["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                low[ref["id"]] = audit.get("displayValue", audit["score"])
    return {**scores, "below_0.9": low}


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score, plus every run's performance score.

    Lighthouse simulates a slow phone from the CPU time it observes, so one run on a busy
    machine can be far off; its authors advise the median of several runs.
    """
    ordered = sorted(runs, key=lambda r: r["performance"])
    return {**ordered[len(ordered) // 2], "performance_runs": [r["performance"] for r in runs]}


#: Lighthouse's scores that each measured page must reach (median run).
TARGETS = {
    ("mobile", "performance"): 90,
    ("mobile", "accessibility"): 100,
    ("mobile", "best-practices"): 100,
    ("mobile", "seo"): 100,
    ("desktop", "performance"): 95,
}


def default_pages(weights: dict[str, dict[str, int]]) -> list[str]:
    """The landing page and every chapter of the table of contents, in reading order."""
    pages = toc.pages()
    chosen = [f"{pages[0].docname}.html"] + [f"{p.docname}.html" for p in pages if p.is_chapter]
    return [p for p in chosen if p in weights]


def below_target(results: dict[str, dict[str, dict]]) -> list[str]:
    """``page: preset category score < target`` for every median score below its target."""
    misses = []
    for (preset, category), target in TARGETS.items():
        for page, scores in results.get(preset, {}).items():
            if scores[category] < target:
                misses.append(f"{page}: {preset} {category} {scores[category]} < {target}")
    return misses


def table(results: dict[str, dict[str, dict]]) -> str:
    """The Lighthouse table: one row per page, mobile and desktop side by side."""
    rows = [
        "| page | mobile performance (runs) | accessibility | best practices | SEO "
        "| desktop performance (runs) | benchmark index |",
        "|---|---|---|---|---|---|---|",
    ]
    for page, mobile in results["mobile"].items():
        desktop = results["desktop"][page]

        def perf(scores: dict) -> str:
            runs = ", ".join(str(r) for r in scores["performance_runs"])
            return f"{scores['performance']} ({runs})"

        rows.append(
            f"| {page} | {perf(mobile)} | {mobile['accessibility']} | {mobile['best-practices']} "
            f"| {mobile['seo']} | {perf(desktop)} | {mobile['benchmark_index']:.0f} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", action="append", help="page for Lighthouse (repeatable)")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "budgets.json")
    args = parser.parse_args()
    if not (args.html / "index.html").is_file():
        print(f"No built site at {args.html}: run `make book` first.", file=sys.stderr)
        return 2

    weights = page_weights(args.html)
    shared = shared_weight(args.html)
    over = [p for p, w in weights.items() if w["page_bytes"] > PAGE_BUDGET]
    print(f"{'page':<40} {'HTML kB':>9} {'page kB':>9} {'first visit kB':>15}")
    for page, w in sorted(weights.items(), key=lambda kv: -kv[1]["page_bytes"]):
        flag = "  OVER BUDGET" if page in over else ""
        print(
            f"{page:<40} {w['html_bytes'] / 1e3:>9.0f} {w['page_bytes'] / 1e3:>9.0f}"
            f" {w['first_visit_bytes'] / 1e3:>15.0f}{flag}"
        )
    kb = shared["bytes"] / 1e3
    print(f"shared JS/CSS/fonts loaded by pages: {shared['files']} files, {kb:.0f} kB")
    print(f"budget: {PAGE_BUDGET / 1e6:.1f} MB a page; {len(over)} over")

    result = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "page_budget_bytes": PAGE_BUDGET,
        "pages": weights,
        "shared": shared,
        "over_budget": over,
    }
    if not args.no_lighthouse:
        if not LIGHTHOUSE.is_file() or not browser.CHROMIUM.is_file():
            print(
                f"Lighthouse needs {LIGHTHOUSE} (npm ci) and Chromium at {browser.CHROMIUM}",
                file=sys.stderr,
            )
            return 2
        pages = args.page or default_pages(weights)
        result["lighthouse"] = {}
        with serve(args.html) as base:
            for preset in ("mobile", "desktop"):
                result["lighthouse"][preset] = {}
                for page in pages:
                    runs = [lighthouse(base + page, preset) for _ in range(args.runs)]
                    scores = median_run(runs)
                    result["lighthouse"][preset][page] = scores
                    shown = "  ".join(f"{k} {scores[k]}" for k in CATEGORIES)
                    spread = scores["performance_runs"]
                    print(f"lighthouse {preset:<7} {page:<32} {shown}  (performance runs {spread})")
                    if scores["below_0.9"]:
                        print(f"    audits below 0.9 (median run): {scores['below_0.9']}")
        print(f"\nLighthouse, median of {args.runs} runs:\n")
        print(table(result["lighthouse"]))
        misses = below_target(result["lighthouse"])
        result["below_target"] = misses
        print("\nBelow target: " + ("; ".join(misses) if misses else "none"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if over or result.get("below_target") else 0


if __name__ == "__main__":
    sys.exit(main())
