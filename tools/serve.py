"""Serve the built site on the loopback interface as GitHub Pages would.

The site is served under the path of ``html.baseurl`` in ``_config.yml`` (``/mlbio-book/``), a
missing file gets ``404.html`` with status 404, and a folder gets its ``index.html``. The
browser tests and ``tools/budgets.py`` (Lighthouse) use it; run it by hand to preview a build::

    python tools/serve.py [_build/html] [--port 8000]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]


def site_prefix(config: Path = ROOT / "_config.yml") -> str:
    """Return the URL path the site lives under (``/mlbio-book/``), from ``html.baseurl``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    path = urlparse(data.get("html", {}).get("baseurl", "") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        clean = urlparse(path).path
        if not clean.startswith(self.prefix):
            return str(Path(self.directory) / "\0missing")
        rel = unquote(clean[len(self.prefix) :])
        return super().translate_path("/" + rel)

    def send_head(self):  # noqa: ANN201
        path = Path(self.translate_path(self.path))
        if path.is_dir() and not (path / "index.html").is_file():
            path = Path(self.directory) / "\0missing"
        if not path.exists():
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(html: Path, port: int = 0, prefix: str | None = None) -> Iterator[str]:
    """Serve ``html`` on 127.0.0.1 in a background thread; yield the site's base URL."""
    prefix = prefix or site_prefix()
    handler = functools.partial(
        type("Handler", (_Handler,), {"prefix": prefix}), directory=str(html)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with serve(args.html, args.port) as url:
        print(f"Serving {args.html} at {url}index.html (Ctrl-C stops)")
        threading.Event().wait()


if __name__ == "__main__":
    main()
