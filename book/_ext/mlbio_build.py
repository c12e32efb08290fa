"""Sphinx extension of the book: keep the notebook cache honest.

myst-nb's execution cache keys each notebook on its own code cells, so it cannot see a change in
the helper package ``code/mlbio`` or in ``data/registry.csv``, and it would serve outputs computed
with old code or old data.  This extension hashes those inputs; when the hash differs from the
one stored beside the cache, it empties the cache and marks every notebook as outdated, so the
next build executes them all again.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

STAMP = "mlbio-inputs.sha256"


def inputs_hash(root: Path) -> str:
    """Hash every file that notebook outputs depend on besides the notebooks themselves."""
    files = sorted((root / "code" / "mlbio").rglob("*.py"))
    files += [root / "code" / "pyproject.toml", root / "data" / "registry.csv"]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _check_cache(app: Sphinx, config: Config) -> None:
    root = Path(app.srcdir)
    cache = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    if not cache.is_absolute():
        cache = root / cache
    current = inputs_hash(root)
    stamp = cache.parent / STAMP
    previous = stamp.read_text().strip() if stamp.is_file() else None
    app.env_inputs_changed = previous != current  # type: ignore[attr-defined]
    if previous is not None and previous != current:
        logger.info("mlbio: code/ or data/registry.csv changed; clearing the notebook cache")
        shutil.rmtree(cache, ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")


def _outdated(app: Sphinx, env: BuildEnvironment, added: set, changed: set, removed: set) -> list:
    if getattr(app, "env_inputs_changed", False):
        return sorted(d for d in env.found_docs if d not in added)
    return []


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_cache, priority=900)
    app.connect("env-get-outdated", _outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
