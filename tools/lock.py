"""Compile the pinned requirement files from ``code/pyproject.toml`` with uv (``make lock``).

* ``requirements.txt``: ``mlbio`` with its groups ``book``, ``test`` and ``lint``, editable.
* ``binder/requirements.txt``: ``mlbio``'s own dependencies (what a chapter needs to run),
  constrained to the versions of ``requirements.txt``, so Binder runs what the build ran; except
  the packages of :data:`BINDER_FREE`, which the build's tools hold back and Binder's own
  JupyterLab needs newer (Binder installs this file on top of its base environment).

uv keeps the versions already pinned in a file unless a declared dependency needs another one
(``--upgrade-package NAME`` moves one on). ``--check`` compiles into a temporary folder and
fails if a file differs from what ``code/pyproject.toml`` gives; it resolves with ``--offline``
(from uv's cache, which ``make lock`` and ``make install`` fill), because tests may not use the
network.

Usage: ``python tools/lock.py [--check] [--upgrade-package NAME ...]``
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mlbio_book.toc import ROOT

GROUPS = ("book", "test", "lint")
#: Pins of requirements.txt that binder/requirements.txt does not follow, and why.
BINDER_FREE = {
    "jsonschema": "jupyter-book 1 needs jsonschema<4, but Binder's JupyterLab server "
    "(jupyter-events, jupyterlab-server) needs >=4.18: with 3.2 it does not start",
    "pyrsistent": "only jsonschema 3 needs it",
}
PYTHON = "3.11.7"  # the patch level matters: soupsieve 4.1 needs 3.11.5
HEADER = "make lock"


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise SystemExit("uv is missing: `make install` installs it (the lint group).")
    return found


def compile_all(out: Path, extra: list[str]) -> None:
    """Write requirements.txt and binder/requirements.txt under ``out``."""
    common = ["--python-version", PYTHON, "--custom-compile-command", HEADER, "--quiet", *extra]
    main = out / "requirements.txt"
    subprocess.run(
        [uv(), "pip", "compile", "-", "-o", str(main), *common],
        input=f"-e ./code[{','.join(GROUPS)}]\n",
        text=True,
        cwd=ROOT,
        check=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        pins = [
            ln
            for ln in main.read_text().splitlines()
            if "==" in ln and not ln.startswith("#") and ln.split("==")[0] not in BINDER_FREE
        ]
        constraints.write_text("\n".join(pins) + "\n")
        binder = out / "binder" / "requirements.txt"
        binder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [uv(), "pip", "compile", "code/pyproject.toml", "-c", str(constraints)]
            + ["-o", str(binder), *common],
            cwd=ROOT,
            check=True,
        )
    # Binder installs mlbio itself in postBuild; the constraints file is a temporary name.
    text = binder.read_text().replace(str(constraints), "requirements.txt")
    binder.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument("--upgrade-package", action="append", default=[], metavar="NAME")
    args = parser.parse_args()
    extra = [a for name in args.upgrade_package for a in ("--upgrade-package", name)]
    files = ("requirements.txt", "binder/requirements.txt")
    if not args.check:
        compile_all(ROOT, extra)
        print("compiled " + " and ".join(files))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:  # start from today's pins: uv keeps them when it can
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, Path(tmp) / name)
        compile_all(Path(tmp), [*extra, "--offline"])
        stale = []
        for name in files:
            ours, fresh = (ROOT / name).read_text(), (Path(tmp) / name).read_text()
            if ours != fresh:
                diff = difflib.unified_diff(ours.splitlines(), fresh.splitlines(), name, "fresh")
                stale.append("\n".join(list(diff)[:40]))
    if stale:
        print("Out of date; run `make lock`:\n" + "\n".join(stale), file=sys.stderr)
        return 1
    print("requirements.txt and binder/requirements.txt match code/pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
