"""Serve the built site on the loopback interface as GitHub Pages would.

The site is served under the path of ``html.baseurl`` in ``_config.yml`` (``/mlbio-book/``); a
missing file gets ``404.html`` with status 404; a folder gets its ``index.html``; text files are
gzip-compressed when the browser accepts it and may be cached for 10 minutes, as on GitHub
Pages. The browser tests and ``tools/budgets.py`` (Lighthouse) use it; ``make preview``
serves the last build on http://localhost:8000::

    python -m mlbio_book.serve [_build/html] [--port 8000]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import mimetypes
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from mlbio_book.toc import ROOT

COMPRESSIBLE = {".html", ".js", ".css", ".json", ".svg", ".xml", ".txt", ".map", ".ttf", ".inv"}


def site_prefix(config: Path = ROOT / "_config.yml") -> str:
    """Return the URL path the site lives under (``/mlbio-book/``), from ``html.baseurl``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    path = urlparse(data.get("html", {}).get("baseurl", "") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


@lru_cache(maxsize=512)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path = Path(".")
    prefix: str = "/"

    def _resolve(self) -> Path | None:
        path = unquote(urlparse(self.path).path)
        if not path.startswith(self.prefix):
            return None
        target = (self.root / path[len(self.prefix) :]).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def _serve(self, head: bool) -> None:
        target, status = self._resolve(), 200
        if target is None:
            target, status = self.root / "404.html", 404
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith(("javascript", "json", "xml")):
            ctype += "; charset=utf-8"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        compress = accepts_gzip and target.suffix in COMPRESSIBLE
        data = _gzipped(target, target.stat().st_mtime_ns) if compress else target.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=600")
        if compress:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(html: Path, port: int = 0, prefix: str | None = None) -> Iterator[str]:
    """Serve ``html`` on 127.0.0.1 in a background thread; yield the site's base URL."""
    handler = type(
        "Handler", (_Handler,), {"root": Path(html).resolve(), "prefix": prefix or site_prefix()}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{handler.prefix}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """Serve a built site until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if not (args.html / "index.html").is_file():
        raise SystemExit(f"No site at {args.html}: run `make book` or `make chapter` first.")
    with serve(args.html, args.port) as url:
        print(f"Serving {args.html} at {url} (Ctrl-C stops)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
