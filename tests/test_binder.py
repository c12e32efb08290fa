"""Binder, for real: every notebook of the book runs in an environment made from ``binder/`` alone.

As Binder (repo2docker) does, in a temporary folder and without the network
(:mod:`mlbio_book.binder`):

1. a fresh environment with the Python of ``binder/runtime.txt``, Binder's base packages
   (JupyterLab) and ``binder/requirements.txt`` on top, installed offline from uv's cache
   (``make install`` fills it); it is kept in ``_build/binder-env/<hash of binder/'s files>``
   (:func:`mlbio_book.binder.cached`) and reused until those files change, so that a rerun
   costs only the steps below;
2. ``binder/postBuild`` runs in a copy of the repository, with its own home folder and data cache,
   the data coming from the mirror (``MLBIO_DATA_MIRROR``) and pip kept offline;
3. JupyterLab starts in that environment; each notebook's launch URL (``urlpath`` of the page's
   Binder button) opens, and the server hands the ``.md`` file to JupyterLab as a notebook (through
   jupytext), with the "Jupytext Notebook" viewer that postBuild makes the default;
4. that notebook runs top to bottom with nbclient, in the environment's own kernel, in the
   chapter's folder: two at a time.

The notebooks are those of ``_toc.yml`` (:func:`mlbio_book.toc.notebooks`), so a new chapter is
covered without a change here. This is the slowest test of the suite (a few minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup
from mlbio_book import binder, toc

ROOT = toc.ROOT
TIMEOUT = 900  # seconds a notebook may take in the Binder environment (cell timeout)
#: The first cell added to each notebook: which Python runs it.
PROBE = "import sys; print(sys.prefix)"

RUNNER = r"""
import sys
import nbformat
from nbclient import NotebookClient

source, folder, timeout, out, probe = sys.argv[1:6]
nb = nbformat.reads(open(source, encoding="utf-8").read(), as_version=4)
nb.cells.insert(0, nbformat.v4.new_code_cell(probe))
client = NotebookClient(nb, timeout=int(timeout), kernel_name="python3",
                        resources={"metadata": {"path": folder}})
try:
    client.execute()
except Exception as err:  # the failing cell and its traceback
    print(f"{type(err).__name__}: {err}", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, out)
"""


def _fail_or_skip(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _repository_copy(target: Path) -> Path:
    """The files of the repository (tracked, and new ones not ignored), as Binder checks it out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


def _environment(home: Path, python: Path, data: Path) -> dict[str, str]:
    """Variables for postBuild, JupyterLab and the kernels: the Binder environment first on
    PATH, a home of its own (no user's Jupyter settings or kernels), pip offline."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "PIP_", "VIRTUAL_ENV", "PYTHON", "CONDA"))
    }
    env.update(
        HOME=str(home),
        PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
        MLBIO_DATA_DIR=str(data),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        # Binder's pip downloads code/'s build backend; here it comes with the environment.
        PIP_NO_BUILD_ISOLATION="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def binder_site(tmp_path_factory: pytest.TempPathFactory):
    """The Binder environment after postBuild, and JupyterLab running in it."""
    if not os.environ.get("MLBIO_DATA_MIRROR"):
        _fail_or_skip("MLBIO_DATA_MIRROR is not set: the Binder test uses no network")
    tmp = tmp_path_factory.mktemp("binder")
    started = time.perf_counter()
    try:
        python, reused = binder.cached()
    except binder.BinderEnvError as err:
        _fail_or_skip(str(err))
    installed = time.perf_counter() - started
    repo = _repository_copy(tmp / "repo")
    home, data = tmp / "home", tmp / "data"
    home.mkdir()
    env = _environment(home, python, data)
    post = subprocess.run(
        [str(repo / "binder" / "postBuild")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert post.returncode == 0, f"postBuild failed:\n{post.stdout[-3000:]}\n{post.stderr[-3000:]}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "mlbio-binder-test"
    lab = subprocess.Popen(
        [str(python.parent / "jupyter"), "lab", "--no-browser", "--allow-root"]
        + [f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0"]
        + [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={repo}"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}api/status?token={token}", timeout=5)
                break
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    lab.kill()
                    pytest.fail(f"JupyterLab did not start:\n{lab.stderr.read()[-3000:]}")
                time.sleep(1)
        yield {
            "python": python,
            "repo": repo,
            "env": env,
            "base": base,
            "token": token,
            "tmp": tmp,
            "seconds": {
                "environment (reused)" if reused else "environment (made)": round(installed),
                "postBuild and JupyterLab": round(time.perf_counter() - started - installed),
            },
        }
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()


def _get(site: dict, path: str) -> bytes:
    sep = "&" if "?" in path else "?"
    with urllib.request.urlopen(f"{site['base']}{path}{sep}token={site['token']}", timeout=60) as r:
        assert r.status == 200, path
        return r.read()


def _launch_path(built_site: Path, page: toc.TocPage) -> str:
    """The JupyterLab path of the page's Binder button (its ``urlpath``)."""
    html = (built_site / f"{page.docname}.html").read_text(encoding="utf-8")
    links = [
        a["href"]
        for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)
        if "mybinder.org" in a["href"]
    ]
    assert len(links) == 1, f"{page.docname}: expected one Binder button, found {links}"
    return parse_qs(urlparse(links[0]).query)["urlpath"][0]


def test_binder_environment_is_consistent(binder_site: dict) -> None:
    check = subprocess.run(
        [str(binder_site["python"]), "-m", "pip", "check"],
        env=binder_site["env"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # postBuild installed mlbio from the copy of the repository, and cached every data set.
    where = subprocess.run(
        [str(binder_site["python"]), "-c", "import mlbio; print(mlbio.__file__)"],
        env=binder_site["env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(binder_site["repo"])
    assert any((binder_site["tmp"] / "data").iterdir())


def test_launch_urls_open_their_chapter_as_a_notebook(binder_site: dict, built_site: Path) -> None:
    settings = json.loads(
        _get(binder_site, "lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    )
    viewers = settings["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == "Jupytext Notebook"  # postBuild's setting is in force
    notebooks = toc.notebooks()
    assert notebooks
    for page in notebooks:
        urlpath = _launch_path(built_site, page)
        assert urlpath.startswith("lab/tree/"), urlpath
        relative = urlpath.removeprefix("lab/tree/")
        assert relative == page.path.relative_to(ROOT).as_posix()
        assert b"JupyterLab" in _get(binder_site, urlpath)
        model = json.loads(_get(binder_site, f"api/contents/{relative}?type=notebook&content=1"))
        assert model["type"] == "notebook" and model["path"] == relative
        assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"
        assert any(c["cell_type"] == "code" for c in model["content"]["cells"])


def _execute(site: dict, page: toc.TocPage) -> tuple[str, str | None, float]:
    """Run one notebook as Binder opens it; return (page, error or None, seconds)."""
    relative = page.path.relative_to(ROOT).as_posix()
    model = json.loads(_get(site, f"api/contents/{relative}?type=notebook&content=1"))
    work = site["tmp"] / "runs" / page.docname
    work.parent.mkdir(parents=True, exist_ok=True)
    source = work.with_suffix(".ipynb")
    source.write_text(json.dumps(model["content"]), encoding="utf-8")
    out = work.with_suffix(".out.ipynb")
    folder = (site["repo"] / relative).parent
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(site["python"]),
            "-c",
            RUNNER,
            str(source),
            str(folder),
            str(TIMEOUT),
            str(out),
            PROBE,
        ],
        cwd=folder,
        env=site["env"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 4,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return page.docname, proc.stderr[-4000:], seconds
    executed = json.loads(out.read_text(encoding="utf-8"))
    probe = "".join(executed["cells"][0]["outputs"][0]["text"]).strip()
    if Path(probe) != site["python"].parent.parent:
        return page.docname, f"ran in {probe}, not in the Binder environment", seconds
    return page.docname, None, seconds


def test_every_notebook_runs_in_binder(binder_site: dict) -> None:
    notebooks = toc.notebooks()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda page: _execute(binder_site, page), notebooks))
    times = ", ".join(f"{name} {seconds:.0f} s" for name, _, seconds in results)
    print(f"\nBinder environment: {binder_site['seconds']}; notebooks: {times}")
    failed = {name: error for name, error, _ in results if error}
    assert failed == {}, "\n\n".join(f"{name}:\n{error}" for name, error in failed.items())
    assert len(results) == len(notebooks) >= 2


def test_cached_environment_is_remade_when_binder_files_change(tmp_path: Path, monkeypatch) -> None:
    """The kept environment is reused only for the same binder/ files, and never half-made."""
    files = tmp_path / "binder"
    files.mkdir()
    (files / "runtime.txt").write_text("python-3.11\n")
    (files / "requirements.txt").write_text("numpy==2.4.6\n")
    made: list[Path] = []

    def fake_create(target: Path, *, binder: Path) -> Path:
        made.append(target)
        (target / "bin").mkdir(parents=True)
        (target / "bin" / "python").touch()
        return target / "bin" / "python"

    monkeypatch.setattr(binder, "create", fake_create)
    envs = tmp_path / "envs"
    first, reused = binder.cached(files, envs)
    assert not reused and len(made) == 1
    assert binder.cached(files, envs) == (first, True) and len(made) == 1
    (files / "requirements.txt").write_text("numpy==2.4.7\n")
    second, reused = binder.cached(files, envs)
    assert not reused and second != first and not first.exists()  # the old one is removed

    error = binder.BinderEnvError

    def broken_create(target: Path, *, binder: Path) -> Path:
        target.mkdir(parents=True)
        raise error("uv's cache lacks a package")

    monkeypatch.setattr(binder, "create", broken_create)
    (files / "runtime.txt").write_text("python-3.12\n")
    with pytest.raises(binder.BinderEnvError):
        binder.cached(files, envs)
    assert list(envs.iterdir()) == []  # nothing half-made is left to be reused
