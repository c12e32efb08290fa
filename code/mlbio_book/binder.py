"""The Binder environment, made here as Binder makes it, without the network.

Binder (repo2docker) builds a chapter's environment from ``binder/`` alone: the Python of
``binder/runtime.txt``, the packages of ``binder/requirements.txt`` on top of its base image
(JupyterLab and friends, :data:`BASE`), then it runs ``binder/postBuild``. The test
``tests/test_binder.py`` does the same in a temporary folder and runs every notebook of the
book in that environment, so that the Binder button's promise is checked on every ``make test``.

Tests may not use the network, so the packages come from uv's cache: ``make install`` fills it
(``python -m mlbio_book.binder --fill-cache``: the same installation, online, into a throwaway
environment), and the test installs with ``uv pip install --offline``, which takes every file
from that cache. uv finds the Python of ``runtime.txt`` on the machine and never downloads one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mlbio_book.toc import ROOT

BINDER = ROOT / "binder"
#: What repo2docker's base environment for Python 3.11 brings besides Python (its
#: ``environment.py-3.11.yml``): the Jupyter applications a chapter opens in.
BASE = ("jupyterlab==4.*", "notebook==7.*", "jupyter_server==2.*", "ipywidgets==8.*")
#: What pip's build isolation downloads on Binder when postBuild installs ``code/`` editable
#: (code/pyproject.toml's build backend); installed here so that postBuild runs offline.
BUILD = ("setuptools>=61",)


class BinderEnvError(RuntimeError):
    """The Binder environment could not be made (a missing tool or an incomplete cache)."""


def python_version(binder: Path = BINDER) -> str:
    """The Python version of ``runtime.txt`` (``python-3.11`` gives ``3.11``)."""
    text = (binder / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", text)
    if not match:
        raise BinderEnvError(f"{binder / 'runtime.txt'} should read python-X.Y, not {text!r}")
    return match[1]


def uv() -> str:
    """The uv of the project's environment (``make install`` installs it), or the system's."""
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise BinderEnvError("uv is missing: `make install` installs it (the lint group).")
    return found


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, **kwargs)  # type: ignore[call-overload]


def create(target: Path, *, offline: bool = True, binder: Path = BINDER) -> Path:
    """Make a fresh environment from ``binder/`` in ``target``; return its Python.

    Raises
    ------
    BinderEnvError
        If uv or the Python of ``runtime.txt`` is missing, or (``offline``) if uv's cache lacks
        a package: ``make install`` fills it.

    """
    version = python_version(binder)
    cache = ["--offline"] if offline else []
    proc = _run([uv(), "venv", "--seed", "--python", version, *cache, str(target)])
    if proc.returncode != 0:
        raise BinderEnvError(f"uv venv --python {version} failed:\n{proc.stderr[-2000:]}")
    python = target / "bin" / "python"
    install = [uv(), "pip", "install", "--python", str(python), *cache, "--quiet"]
    # As repo2docker: first the base environment, then `pip install -r binder/requirements.txt`
    # on top of it (which may replace what the base brought).
    for step, args in (
        ("the base environment", [*BASE, *BUILD]),
        ("binder/requirements.txt", ["-r", str(binder / "requirements.txt")]),
    ):
        proc = _run([*install, *args])
        if proc.returncode != 0:
            hint = " (uv's cache lacks a package: run `make install`)" if offline else ""
            raise BinderEnvError(f"installing {step} failed{hint}:\n{proc.stderr[-3000:]}")
    return python


#: Where :func:`cached` keeps the Binder environment between test runs (``make clean`` removes it).
ENVIRONMENTS = ROOT / "_build" / "binder-env"
#: Written into an environment once it is complete (a broken, half-made one is never reused).
STAMP = ".mlbio-binder-complete"


def key(binder: Path = BINDER) -> str:
    """Hash what makes the environment: ``runtime.txt``, ``requirements.txt``, the base packages.

    Any change to them (or to :data:`BASE`, :data:`BUILD`) makes a new environment.
    """
    digest = hashlib.sha256()
    for name in ("runtime.txt", "requirements.txt"):
        digest.update(name.encode() + b"\0" + (binder / name).read_bytes() + b"\0")
    digest.update("\n".join((*BASE, *BUILD)).encode())
    return digest.hexdigest()[:16]


def cached(binder: Path = BINDER, root: Path = ENVIRONMENTS) -> tuple[Path, bool]:
    """The Binder environment for the current ``binder/`` files, made once and then reused.

    The environment lives in ``root/<key>`` (:func:`key`); environments of other keys are
    removed. Returns its Python and whether it was reused. A run after a change to ``binder/``
    (or on a fresh clone) makes it anew with :func:`create`, offline from uv's cache.
    """
    target = root / key(binder)
    python = target / "bin" / "python"
    if (target / STAMP).is_file() and python.exists():
        return python, True
    if root.is_dir():
        for old in root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    try:
        create(target, binder=binder)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    (target / STAMP).write_text(key(binder) + "\n", encoding="utf-8")
    return python, False


def fill_cache(binder: Path = BINDER) -> None:
    """Install the Binder environment once, online, so that uv's cache holds all it needs."""
    with tempfile.TemporaryDirectory(prefix="mlbio-binder-") as tmp:
        create(Path(tmp) / "env", offline=False, binder=binder)
        # And check at once that the offline installation, as the test makes it, works.
        create(Path(tmp) / "env-offline", offline=True, binder=binder)


def main(argv: list[str] | None = None) -> int:
    """``python -m mlbio_book.binder --fill-cache`` (``make install``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fill-cache", action="store_true", help="fill uv's cache (online)")
    args = parser.parse_args(argv)
    if not args.fill_cache:
        parser.print_help()
        return 2
    try:
        fill_cache()
    except BinderEnvError as err:
        print(f"mlbio_book.binder: {err}", file=sys.stderr)
        return 1
    print("mlbio_book.binder: uv's cache holds the Binder environment (binder/requirements.txt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
