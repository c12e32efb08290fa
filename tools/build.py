"""Build the book strictly: vendored assets, then ``jupyter-book build . -W -n --keep-going``.

Exits non-zero if the build fails, if any cell raises, or if Sphinx printed a single warning.
Run it as ``make book`` (which sets up ``.venv`` first) or ``python tools/build.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WARNING = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL|SEVERE): ")


def toc_files() -> list[str]:
    """Every page of ``_toc.yml`` (root first), as paths without suffix."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def prepare() -> None:
    """Fetch or generate the files the site serves itself (JavaScript bundles, fonts)."""
    vendor = ROOT / "tools" / "vendor.py"
    if vendor.is_file():
        subprocess.run([sys.executable, str(vendor)], cwd=ROOT, check=True)


def build(extra: list[str] | None = None) -> tuple[int, str, float]:
    """Run the strict build; return (exit code, combined output, seconds)."""
    prepare()
    cmd = [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going", *(extra or [])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return proc.returncode, proc.stdout + proc.stderr, seconds


def problems(output: str) -> list[str]:
    """Lines of the build log that are warnings, errors or tracebacks."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # Sphinx colours its log lines
    return [line for line in plain.splitlines() if WARNING.search(line)]


def main() -> int:
    if not os.environ.get("MLBIO_DATA_MIRROR"):
        print("note: MLBIO_DATA_MIRROR is not set; data will be downloaded.", file=sys.stderr)
    code, output, seconds = build(sys.argv[1:])
    print(output)
    bad = problems(output)
    if code != 0 or bad:
        print(
            f"\nStrict build FAILED (exit {code}, {len(bad)} warning/error lines):", file=sys.stderr
        )
        for line in bad[:50]:
            print("  " + line, file=sys.stderr)
        return 1
    print(f"Strict build succeeded in {seconds:.1f} s: open _build/html/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
