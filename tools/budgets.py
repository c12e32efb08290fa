"""Measure the built site against its budgets; write ``bench/budgets.json`` and print a table.

Page weight
    For every HTML page: the HTML itself (with the chart data and images inlined into it) plus
    the files only that page uses (``_images/``, notebook outputs). The budget is 1.5 MB a page.
    The theme's and the book's shared JavaScript, CSS and fonts (``_static/``) are counted once
    for the whole site, and as "first visit" the page plus every shared file it loads itself.
Lighthouse
    ``lighthouse`` (npm, pinned in package.json) with the system Chromium, on the landing page
    and on the heaviest chapter, served as GitHub Pages serves them (``tools/serve.py``), with
    Lighthouse's mobile (default) and desktop settings; scores for performance, accessibility,
    best practices and SEO, from the median of three runs (``--runs``). The aim is 95 for each;
    the script reports, it does not fail on them.

Usage::

    python tools/budgets.py [--html _build/html] [--no-lighthouse] [--page book/x.html ...]

Exits 1 if a page is over the weight budget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import serve  # noqa: E402

PAGE_BUDGET = 1_500_000
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROMIUM = os.environ.get("MLBIO_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
NOT_PAGES = ("_static/", "_sources/", "_images/")
SHARED_SUFFIXES = {".js", ".css", ".woff", ".woff2", ".ttf"}


class Assets(HTMLParser):
    """The local files an HTML page loads (scripts, stylesheets, icons, images, media)."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = set(a.get("rel", "").lower().split())
        if tag == "link" and rel & {"stylesheet", "icon", "preload", "modulepreload"}:
            self.urls.append(a.get("href", ""))
        elif tag in self.LOADS and a.get(self.LOADS[tag]):
            self.urls.append(a[self.LOADS[tag]])


def site_pages(html: Path) -> list[Path]:
    """Every HTML page of the site (assets and sources excluded)."""
    return sorted(
        p for p in html.rglob("*.html") if not p.relative_to(html).as_posix().startswith(NOT_PAGES)
    )


def loaded_files(html: Path, page: Path) -> set[Path]:
    """Local files a page loads directly (no duplicates; missing files are skipped)."""
    parser = Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    files = set()
    for url in parser.urls:
        if url.startswith(("http:", "https:", "//", "data:")):
            continue
        if url.startswith("/"):  # 404.html: absolute paths under the site's prefix
            url = url.split("/", 2)[-1]
            target = html / unquote(urlparse(url).path)
        else:
            target = Path(unquote(urlparse(urljoin(page.as_uri(), url)).path))
        if target.is_file():
            files.add(target.resolve())
    return files


def is_shared(html: Path, path: Path) -> bool:
    """Whether a file is shared by the pages: JavaScript, CSS, fonts, and all of ``_static/``."""
    return html / "_static" in path.parents or path.suffix in SHARED_SUFFIXES


def page_weights(html: Path) -> dict[str, dict[str, int]]:
    """Bytes of every page: its own weight, and its weight on a first visit."""
    html = html.resolve()
    result = {}
    for page in site_pages(html):
        files = loaded_files(html, page)
        shared = [f for f in files if is_shared(html, f)]
        own = [f for f in files if not is_shared(html, f)]
        page_bytes = page.stat().st_size + sum(f.stat().st_size for f in own)
        result[page.relative_to(html).as_posix()] = {
            "html_bytes": page.stat().st_size,
            "page_bytes": page_bytes,
            "first_visit_bytes": page_bytes + sum(f.stat().st_size for f in shared),
        }
    return result


def shared_weight(html: Path) -> dict[str, int]:
    """Bytes of the shared files that some page loads, each counted once."""
    html = html.resolve()
    shared = set()
    for page in site_pages(html):
        shared |= {f for f in loaded_files(html, page) if is_shared(html, f)}
    return {"files": len(shared), "bytes": sum(f.stat().st_size for f in shared)}


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
            f"--chrome-path={CHROMIUM}",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
        ]
        if preset == "desktop":
            cmd.append("--preset=desktop")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not report.is_file():
            raise RuntimeError(f"lighthouse failed on {url}:\n{proc.stderr[-2000:]}")
        data = json.loads(report.read_text())
    scores = {k: round(100 * (v["score"] or 0)) for k, v in data["categories"].items()}
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


def default_pages(weights: dict[str, dict[str, int]]) -> list[str]:
    """The landing page and the heaviest chapter (first visit)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    landing = f"{toc['root']}.html"
    chapters = {p: w for p, w in weights.items() if p.startswith("book/") and p != landing}
    heaviest = max(chapters, key=lambda p: chapters[p]["first_visit_bytes"]) if chapters else None
    return [landing] + ([heaviest] if heaviest else [])


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
        if not LIGHTHOUSE.is_file() or not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
            print(
                f"Lighthouse needs {LIGHTHOUSE} (npm ci) and Chromium at {CHROMIUM}",
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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
