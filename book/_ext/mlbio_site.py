"""Sphinx extension of the book: a site that serves itself, works offline and validates.

- Serves ``book/_static`` (the book's CSS, the altair chart loader, and the vendored Vega and
  MathJax that ``tools/vendor.py`` writes to ``book/_static/vendor/``). The folder is added to
  ``html_static_path`` here, after jupyter-book computed its configuration, because jupyter-book
  adds *every* ``.js``/``.css`` file of the static folders it knows to *every* page, which would
  put MathJax's hundred files and the 0.9 MB Vega bundle on each page.
- Adds ``book/_templates`` to ``templates_path`` (a theme macro without the 1.5 MB
  ``fontawesome.js``; see the template's comment).
- Points ``mathjax_path`` at the vendored MathJax instead of a CDN, and loads MathJax only on
  pages that hold mathematics (Sphinx also loads it on every page whose toctree includes one,
  which is the landing page of a book).
- Adds the chart loader (which fetches the Vega bundle once a chart comes near the screen) only
  to pages that hold an altair chart rendered by :func:`mlbio.altair.enable` (``div.mlbio-vega``).
- Sets ``MLBIO_SITE_BUILD=1`` for the kernels that execute the notebooks, so that
  :mod:`mlbio.altair` writes charts for the site's loader rather than for JupyterLab.
- Repairs markup that third-party code writes into the pages (each fix says why below), adds a
  ``<meta name="description">`` taken from the page's first paragraph, configures the 404 page
  from ``html_baseurl``, writes a valid root ``index.html`` and writes ``sitemap.xml``.
"""

from __future__ import annotations

import hashlib
import os
import re
from html import escape, unescape
from pathlib import Path
from urllib.parse import urlparse

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

BOOK = Path(__file__).resolve().parents[1]
STATIC = BOOK / "_static"
TEMPLATES = BOOK / "_templates"
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
VEGA = "vendor/vega/vega-bundle.js"
LOADER = "mlbio-altair.js"
CSS = "custom.css"
CHART_MARKER = 'class="mlbio-vega"'
BIBLIOENTRY = 'role="doc-biblioentry"'
#: What marks a page as holding mathematics for MathJax (Sphinx's math nodes and delimiters).
MATH_MARKERS = ('class="math', "\\(", "\\[", "$$")
#: pandas' DataFrame HTML carries a `<style scoped>` block (invalid HTML5, and repeated for each
#: table); custom.css holds the same rules once.
PANDAS_STYLE = re.compile(r"<style scoped>\s*(?:\.dataframe[^{}]*\{[^{}]*\}\s*)+</style>\s*")
#: Scripts that only define functions or wait for the parsed document (see _deferred).
DEFERRABLE = {
    "_static/doctools.js",
    "_static/sphinx_highlight.js",
    "_static/clipboard.min.js",
    "_static/copybutton.js",
    "_static/scripts/sphinx-book-theme.js",
    "_static/togglebutton.js",
    "_static/design-tabs.js",
}
HALIGN = re.compile(r'(<th\b[^>]*?) halign="(left|right|center)"')
SUMMARY_P = re.compile(r'<p class="(collapsed|expanded) admonition-title">(.*?)</p>')
THEBE_CONFIG = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>', re.S)
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")
DESCRIPTION_CHARS = 160
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

# Set at import, before any notebook executes: kernels inherit the builder's environment.
os.environ["MLBIO_SITE_BUILD"] = "1"


def _configure(app: Sphinx, config: Config) -> None:
    if str(STATIC) not in [str(p) for p in config.html_static_path]:
        config.html_static_path = [*config.html_static_path, str(STATIC)]
    if str(TEMPLATES) not in [str(p) for p in config.templates_path]:
        config.templates_path = [str(TEMPLATES), *config.templates_path]
    config.mathjax_path = MATHJAX
    if config.html_baseurl and "notfound_urls_prefix" in config:
        # GitHub Pages serves 404.html for any missing path, so its links must be absolute.
        prefix = urlparse(config.html_baseurl).path or "/"
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        config.notfound_urls_prefix = prefix
        home = prefix + config.root_doc + ".html"
        config.notfound_context = {
            "title": "Page not found",
            "body": (
                "<h1>Page not found</h1>\n"
                "<p>There is no page at this address; it may have moved when the book was "
                "reorganised.</p>\n"
                f'<p>Go to the <a href="{home}">start of the book</a>, or search it with the '
                "search box.</p>\n"
            ),
        }


def _check_vendor(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    for rel in (MATHJAX, VEGA):
        if not (STATIC / rel).is_file():
            logger.warning(
                f"mlbio_site: {STATIC / rel} is missing; run `python tools/vendor.py` "
                "(tools/build.py does it before every build)."
            )
    app.add_css_file(CSS)


def _unique_scripts(scripts: list) -> list:
    """Drop repeated scripts.

    sphinx-thebe 0.3.1 and sphinx-togglebutton add their inline scripts twice under
    jupyter-book, once with filename None and once with "", so Sphinx does not see the copies;
    the second ``const THEBE_JS_URL = ...`` throws "Identifier has already been declared".
    """
    seen: set = set()
    unique = []
    for js in scripts:
        attrs = getattr(js, "attributes", {})
        key = (getattr(js, "filename", js) or "", tuple(sorted(attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    return unique


def _deferred(js: object) -> object:
    """Return ``js`` with ``defer`` if it is one of the theme's scripts that may wait.

    Sphinx and its extensions put their scripts synchronously in ``<head>``, where each one
    blocks the first paint (about 3 s on a slow phone, by Lighthouse's estimate). The scripts in
    ``DEFERRABLE`` only define functions or act once the document is parsed, and deferred
    scripts run in order, so they can wait; ``documentation_options.js`` cannot (inline scripts
    use it at once) and stays as it is.
    """
    attrs = getattr(js, "attributes", None)
    if getattr(js, "filename", None) not in DEFERRABLE or attrs is None:
        return js
    if "defer" in attrs or "async" in attrs:
        return js
    return type(js)(js.filename, priority=js.priority, **{**attrs, "defer": "defer"})


def _thebe_enabled(app: Sphinx) -> bool:
    """Whether the book offers thebe's live code (``launch_buttons.thebe`` in _config.yml)."""
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(asset: object) -> bool:
    """Whether a script or stylesheet belongs to sphinx-thebe.

    jupyter-book always loads sphinx-thebe; when the book does not offer live code, its files
    only cost requests, and its inline configuration names a CDN (unpkg) and an unrelated
    Binder repository.
    """
    filename = str(getattr(asset, "filename", "") or "")
    body = getattr(asset, "attributes", {}).get("body", "")
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body


def _is_mathjax(js: object) -> bool:
    filename = str(getattr(js, "filename", "") or "")
    body = getattr(js, "attributes", {}).get("body", "")
    return filename.endswith(MATHJAX) or body.startswith("window.MathJax")


def page_description(body: str) -> str | None:
    """Return the text of the first paragraph of a page body, cut to about 160 characters."""
    for match in FIRST_PARAGRAPH.finditer(body):
        text = " ".join(unescape(TAG.sub("", match.group(1))).split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_CHARS:
                text = text[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
            return text
    return None


def _page_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body", "")
    # docutils writes a reference list as <div role="list"> of <div role="doc-biblioentry">:
    # that role is deprecated and not a list item, so axe reports the list as broken (critical
    # for screen readers, which then announce an empty list).
    if BIBLIOENTRY in body:
        body = body.replace(BIBLIOENTRY, 'role="listitem"')
    body = PANDAS_STYLE.sub("", body)
    # pandas writes `halign` (not an HTML attribute) on the headers of MultiIndex columns.
    body = HALIGN.sub(r'\1 style="text-align: \2"', body)
    # myst-nb's hidden-code toggles put <p> inside <summary> (invalid HTML: only phrasing
    # content is allowed there); custom.css gives the <span> the <p>'s rules.
    body = SUMMARY_P.sub(r'<span class="\1 admonition-title">\2</span>', body)
    thebe = _thebe_enabled(app)
    if not thebe:
        body = THEBE_CONFIG.sub("", body)
    if "body" in context:
        context["body"] = body

    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = _unique_scripts(scripts)
        if not thebe:
            scripts[:] = [js for js in scripts if not _is_thebe(js)]
        # The search page runs Sphinx's search scripts at once, and they need doctools.js.
        if pagename != "search":
            scripts[:] = [_deferred(js) for js in scripts]
        if not any(marker in body for marker in MATH_MARKERS):
            scripts[:] = [js for js in scripts if not _is_mathjax(js)]
    styles = context.get("css_files")
    if not thebe and isinstance(styles, list):
        styles[:] = [css for css in styles if not _is_thebe(css)]
    if CHART_MARKER in body:
        # The loader fetches the Vega bundle itself when a chart comes near the screen.
        app.add_js_file(LOADER, priority=800, defer="defer")

    metatags = context.get("metatags", "")
    if body and 'name="description"' not in metatags:
        text = page_description(body) or app.config.project
        context["metatags"] = metatags + f'\n<meta name="description" content="{escape(text)}" />'


ROOT_REDIRECT = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{title}: start page.">
<link rel="canonical" href="{canonical}">
<link rel="icon" href="{favicon}">
<meta http-equiv="refresh" content="0; url={target}">
</head>
<body>
<main>
<h1>{title}</h1>
<p><a href="{target}">Open the book</a>.</p>
</main>
</body>
</html>
"""


def _root_index(app: Sphinx, exception: Exception | None) -> None:
    """Write the site's root index.html as a valid HTML5 page that forwards to the root doc.

    sphinx-external-toc writes a bare ``<meta http-equiv="Refresh">`` (no doctype, title or
    language) when the root document is not ``index``; it leaves an existing file alone.
    """
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = f"{app.config.root_doc}.html"
    favicon = app.config.html_favicon
    html = ROOT_REDIRECT.format(
        lang=app.config.language or "en",
        title=escape(app.config.project),
        canonical=escape((app.config.html_baseurl or "") + target),
        favicon=f"_static/{Path(favicon).name}" if favicon else "data:,",
        target=escape(target),
    )
    (Path(app.outdir) / "index.html").write_text(html, encoding="utf-8")


def _sitemap(app: Sphinx, exception: Exception | None) -> None:
    """Write ``sitemap.xml``: every page built from a document, under ``html_baseurl``.

    Written from the environment's list of documents, so an incremental build (which rewrites
    only the pages that changed) still lists every page; sphinx-sitemap 2.9 collects the pages
    as they are written and so leaves the others out of an incremental build's sitemap.
    """
    if exception is not None or app.builder.format != "html" or app.builder.name != "html":
        return
    base = app.config.html_baseurl
    if not base:
        logger.warning("mlbio_site: html_baseurl is not set; no sitemap.xml written")
        return
    base = base if base.endswith("/") else base + "/"
    urls = sorted(base + app.builder.get_target_uri(doc) for doc in app.env.found_docs)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    lines += [f"  <url><loc>{escape(url)}</loc></url>" for url in urls]
    lines.append("</urlset>")
    (Path(app.outdir) / "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure, priority=800)
    app.connect("builder-inited", _check_vendor)
    # After sphinx.ext.mathjax (priority 500) has added MathJax to the page.
    app.connect("html-page-context", _page_assets, priority=700)
    app.connect("build-finished", _root_index, priority=400)
    app.connect("build-finished", _sitemap)
    return {
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "version": "1",
        # A new version of this file makes Sphinx rewrite every page (not re-execute them).
        "env_version": int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8], 16),
    }
