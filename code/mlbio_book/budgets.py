"""Page weights of the built site: what each page costs a reader to download.

For every page of the site (:func:`mlbio_book.toc.built_pages`): the HTML itself (with the chart
data and images inlined into it) plus the files only that page uses (``_images/``, notebook
outputs), against the budget of :data:`PAGE_BUDGET`. The theme's and the book's shared
JavaScript, CSS and fonts (``_static/``) are counted once for the whole site, and as "first
visit" the page plus every shared file it loads itself. The tests and ``tools/budgets.py``
(which adds Lighthouse) use these functions.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from bs4 import BeautifulSoup

from mlbio_book.toc import built_pages

#: Bytes a page may weigh (HTML plus the files only it loads).
PAGE_BUDGET = 1_500_000
SHARED_SUFFIXES = {".js", ".css", ".woff", ".woff2", ".ttf"}
#: ``rel`` values of ``<link>`` elements that make the browser load the file.
LOADING_RELS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}
#: Elements that load a file, and the attribute that names it.
LOADS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
    "track": "src",
    "input": "src",
}


def loaded_urls(soup: BeautifulSoup) -> list[str]:
    """The URLs a parsed page makes the browser load (scripts, styles, icons, images...)."""
    urls = []
    for tag in soup.find_all(True):
        if tag.name == "link" and LOADING_RELS & set(tag.get("rel") or []) and tag.get("href"):
            urls.append(tag["href"])
        elif tag.name in LOADS and tag.get(LOADS[tag.name]):
            urls.append(tag[LOADS[tag.name]])
        if tag.name in ("img", "source") and tag.get("srcset"):
            urls += [part.split()[0] for part in tag["srcset"].split(",") if part.strip()]
    return urls


def loaded_files(html: Path, page: Path) -> set[Path]:
    """Local files a page loads directly (no duplicates; missing files are skipped)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    files = set()
    for url in loaded_urls(soup):
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
    html = Path(html).resolve()
    result = {}
    for page in built_pages(html):
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
    html = Path(html).resolve()
    shared = set()
    for page in built_pages(html):
        shared |= {f for f in loaded_files(html, page) if is_shared(html, f)}
    return {"files": len(shared), "bytes": sum(f.stat().st_size for f in shared)}
