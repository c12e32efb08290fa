"""Vendor the JavaScript the site serves itself: the Vega bundle and MathJax.

The built pages must not fetch anything from a third party (readers may be offline, and a CDN
learns who reads what), so the libraries that render charts and mathematics are copied into the
site at build time, into the git-ignored folder ``book/_static/vendor/``:

``vega/vega-bundle.js``
    Vega, Vega-Lite and Vega-Embed in one file, made by ``vl_convert.javascript_bundle()`` for
    the Vega-Lite version altair writes. The bundle declares top-level names (one is ``_``) that
    clash with Sphinx's ``doctools.js``, so it is wrapped in a function scope; it still sets
    ``window.vegaEmbed``, ``window.vega`` and ``window.vegaLite``.
``mathjax/``
    MathJax 3 (``tex-mml-chtml.js`` and the fonts, TeX extensions and accessibility components it
    loads on demand) copied from the npm package pinned in ``package.json``/``package-lock.json``.

Each part carries a stamp naming what it was made from, so a warm rebuild skips the work. If
``node_modules`` lacks the pinned MathJax, ``npm ci --omit=dev`` installs the build's npm
packages only (MathJax; the test tools vnu-jar and Lighthouse are dev dependencies, installed by
``make test``), with ``--prefer-offline``, so it works with no network once the npm cache holds
the packages, and ``--ignore-scripts``, so no package downloads anything of its own.
:mod:`mlbio_book.assets` puts the folder in the site. Run it as ``python -m mlbio_book.vendor``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from mlbio_book.toc import ROOT

#: The site's own static folder (the book's CSS, the chart loader, the favicon).
STATIC = ROOT / "book" / "_static"
VENDOR = STATIC / "vendor"
NODE_MODULES = ROOT / "node_modules"
STAMP = ".stamp"
#: Paths of the vendored entry points, relative to the static folder.
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
VEGA = "vendor/vega/vega-bundle.js"

#: MathJax parts the site needs: the combined TeX+MathML->CommonHTML component and what it
#: loads lazily (TeX extensions, CHTML fonts, the menu and the accessibility/speech modules).
MATHJAX_FILES = (Path(MATHJAX).name,)
MATHJAX_DIRS = ("input", "output", "ui", "a11y", "sre", "adaptors")


def _stamp_ok(folder: Path, key: str) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key


def _write_stamp(folder: Path, key: str) -> None:
    (folder / STAMP).write_text(key + "\n", encoding="utf-8")


def vega() -> Path:
    """Write the function-scoped Vega/Vega-Lite/Vega-Embed bundle; return its path."""
    import altair as alt
    import vl_convert as vlc

    vl_version = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    key = f"vl-convert-python {vlc.__version__}; vega-lite {vl_version}"
    target = STATIC / VEGA
    folder = target.parent
    if target.is_file() and _stamp_ok(folder, key):
        return target
    bundle = vlc.javascript_bundle(vl_version=vl_version)
    if "window.vegaEmbed" not in bundle:
        raise RuntimeError("vl-convert's bundle no longer sets window.vegaEmbed; update vendor.py")
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        f"/* Vega {vlc.get_vega_version()}, Vega-Lite {vl_version}, "
        f"Vega-Embed {vlc.get_vega_embed_version()} (BSD-3-Clause), bundled by {key}. "
        "Wrapped in a function scope by tools/vendor.py. */\n"
    )
    tmp = target.with_suffix(".tmp")
    tmp.write_text(header + "(function () {\n" + bundle + "\n})();\n", encoding="utf-8")
    tmp.replace(target)
    _write_stamp(folder, key)
    return target


def _pinned_mathjax() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/mathjax"]["version"]


def _installed_mathjax() -> str | None:
    manifest = NODE_MODULES / "mathjax" / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def npm_ci(*, dev: bool = False) -> None:
    """Install the pinned npm packages into ``node_modules``: the build's, or (dev) all."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "vendor.py: npm is not installed, and node_modules lacks the pinned MathJax. "
            "Install Node.js and npm (Debian: apt-get install nodejs npm), then rebuild."
        )
    cmd = [npm, "ci", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"]
    if not dev:
        cmd.append("--omit=dev")
    print("vendor.py: " + " ".join(cmd[1:]), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"vendor.py: `npm ci` failed:\n{proc.stdout}\n{proc.stderr}")


def mathjax() -> Path:
    """Copy the pinned MathJax into the vendor folder; return the path of its entry script."""
    pinned = _pinned_mathjax()
    key = f"mathjax {pinned}"
    entry = STATIC / MATHJAX
    folder = entry.parent
    if entry.is_file() and _stamp_ok(folder, key):
        return entry
    if _installed_mathjax() != pinned:
        npm_ci()
    if _installed_mathjax() != pinned:
        raise SystemExit(f"vendor.py: node_modules/mathjax is not version {pinned} after npm ci")
    source = NODE_MODULES / "mathjax" / "es5"
    tmp = folder.with_name("mathjax.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in MATHJAX_FILES:
        shutil.copy2(source / name, tmp / name)
    for name in MATHJAX_DIRS:
        shutil.copytree(source / name, tmp / name)
    shutil.copy2(NODE_MODULES / "mathjax" / "LICENSE", tmp / "LICENSE")
    _write_stamp(tmp, key)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return entry


def main() -> int:
    """Vendor Vega and MathJax into the site's static folder."""
    for path in (vega(), mathjax()):
        print(f"vendor.py: {path.relative_to(ROOT)} ready", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
