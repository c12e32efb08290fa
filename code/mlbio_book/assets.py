"""The site's assets: a site that serves itself, works offline, loads fast and is indexed.

* Serves ``book/_static`` (the book's CSS and chart loader, Sphinx templates ``*_t`` given the
  chart class of :data:`mlbio.altair.CHART_CLASS`; the vendored Vega and MathJax of
  :mod:`mlbio_book.vendor`). The folder is added here, after jupyter-book computed its
  configuration, because jupyter-book adds *every* ``.js``/``.css`` file of the static folders
  it knows to *every* page, which would put MathJax's hundred files and the 0.9 MB Vega bundle
  on each page.
* Adds ``book/_templates`` to ``templates_path`` (theme overrides; see their comments).
* Points ``mathjax_path`` at the vendored MathJax instead of a CDN and loads MathJax only on
  pages that hold mathematics, and there only when an equation nears the screen (the loader
  ``mlbio-math.js``, MathJax's lazy typesetting); adds the chart loader only to pages that hold
  a chart.
* Defers the theme's scripts that may wait, and drops sphinx-thebe's files when the book offers
  no live code.
* Link previews (sphinxext-opengraph): Open Graph and Twitter card tags with a social card
  image made at build time, with the book's logo (no request to a third party when a page is
  read); a chapter's description comes from :mod:`mlbio_book.chapters`.
* Writes the 404 page's body, a valid root ``index.html`` and ``sitemap.xml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlbio.altair import CHART_CLASS
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from mlbio_book.render import render
from mlbio_book.vendor import MATHJAX, VEGA

logger = logging.getLogger(__name__)

STATIC = "book/_static"
TEMPLATES = "book/_templates"
LOADER = "mlbio-altair.js"
MATH_LOADER = "mlbio-math.js"
CSS = "custom.css"
PRINT_CSS = "mlbio-print.css"
LOGO = "book/_static/mlbio-logo.png"
CHART_MARKER = f'class="{CHART_CLASS}"'
#: What marks a page as holding mathematics for MathJax (Sphinx's math nodes and delimiters).
MATH_MARKERS = ('class="math', "\\(", "\\[", "$$")
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


def _configure(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    static, templates = root / STATIC, root / TEMPLATES
    if static.is_dir() and str(static) not in [str(p) for p in config.html_static_path]:
        config.html_static_path = [*config.html_static_path, str(static)]
    if templates.is_dir() and str(templates) not in [str(p) for p in config.templates_path]:
        config.templates_path = [str(templates), *config.templates_path]
    config.html_context = {**config.html_context, "mlbio_chart_class": CHART_CLASS}
    config.mathjax_path = MATHJAX
    # Jupyter Book sets html_title from _config.yml's title, not Sphinx's project.
    config.ogp_site_name = config.html_title or config.project
    # Link previews carry the book's logo (tools/logo.py draws it), not Sphinx's.
    if (root / LOGO).is_file():
        config.ogp_social_cards = {
            "image_mini": LOGO,
            "line_color": "#0072B2",
            **(config.ogp_social_cards or {}),
        }
    if config.html_baseurl:
        config.ogp_site_url = config.html_baseurl
        # GitHub Pages serves 404.html for any missing path, so its links must be absolute.
        prefix = urlparse(config.html_baseurl).path or "/"
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        config.notfound_urls_prefix = prefix
        config.notfound_context = {
            "title": "Page not found",
            "body": render("not-found.html", home=prefix + config.root_doc + ".html"),
        }


def _check_vendor(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    static = Path(app.confdir) / STATIC
    if not static.is_dir():
        return  # a site without the book's static folder (the tests' small sites)
    for rel in (MATHJAX, VEGA):
        if not (static / rel).is_file():
            logger.warning(
                f"mlbio_book: {static / rel} is missing; run `python -m mlbio_book.vendor` "
                "(the book's build does it before every build)."
            )
    app.add_css_file(CSS)
    # The book on paper: media="print", so it never delays the page on screen.
    app.add_css_file(PRINT_CSS, media="print")


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
    return type(js)(js.filename, priority=js.priority, **{**attrs, "defer": "defer"})  # type: ignore[attr-defined]


def thebe_enabled(app: Sphinx) -> bool:
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


def _lazy_mathjax(js: object) -> object:
    """Turn MathJax's script into the loader that fetches it when an equation nears the screen.

    Its configuration asks for the lazy-typesetting module (see ``book/_static/mlbio-math.js``).
    """
    attrs = getattr(js, "attributes", {})
    body = attrs.get("body", "")
    if body.startswith("window.MathJax"):
        config = json.loads(body.split("=", 1)[1].strip().rstrip(";") or "{}")
        loader = config.setdefault("loader", {})
        loader["load"] = sorted({*loader.get("load", []), "ui/lazy"})
        new_body = "window.MathJax = " + json.dumps(config, sort_keys=True)
        return type(js)(None, priority=js.priority, **{**attrs, "body": new_body})  # type: ignore[attr-defined]
    return type(js)(f"_static/{MATH_LOADER}", priority=js.priority, defer="defer")  # type: ignore[attr-defined]


def _page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    body = context.get("body", "")
    thebe = thebe_enabled(app)
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        if not thebe:
            scripts[:] = [js for js in scripts if not _is_thebe(js)]
        # The search page runs Sphinx's search scripts at once, and they need doctools.js.
        if pagename != "search":
            scripts[:] = [_deferred(js) for js in scripts]
        if not any(marker in body for marker in MATH_MARKERS):
            scripts[:] = [js for js in scripts if not _is_mathjax(js)]
        else:
            scripts[:] = [_lazy_mathjax(js) if _is_mathjax(js) else js for js in scripts]
    styles = context.get("css_files")
    if not thebe and isinstance(styles, list):
        styles[:] = [css for css in styles if not _is_thebe(css)]
    if CHART_MARKER in body:
        # The loader fetches the Vega bundle itself when a chart comes near the screen.
        app.add_js_file(LOADER, priority=800, defer="defer")


def _root_index(app: Sphinx, exception: Exception | None) -> None:
    """Write the site's root index.html as a valid HTML5 page that forwards to the root doc.

    sphinx-external-toc writes a bare ``<meta http-equiv="Refresh">`` (no doctype, title or
    language) when the root document is not ``index``; it leaves an existing file alone.
    """
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = f"{app.config.root_doc}.html"
    favicon = app.config.html_favicon
    html = render(
        "root-index.html",
        lang=app.config.language or "en",
        title=app.config.html_title or app.config.project,
        canonical=(app.config.html_baseurl or "") + target,
        favicon=f"_static/{Path(favicon).name}" if favicon else "data:,",
        target=target,
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
        logger.warning("mlbio_book: html_baseurl is not set; no sitemap.xml written")
        return
    base = base if base.endswith("/") else base + "/"
    urls = sorted(base + app.builder.get_target_uri(doc) for doc in app.env.found_docs)
    (Path(app.outdir) / "sitemap.xml").write_text(render("sitemap.xml", urls=urls), "utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    app.setup_extension("notfound.extension")
    app.setup_extension("sphinxext.opengraph")
    # Link previews: with no ogp_image set, sphinxext-opengraph draws a card image per page at
    # build time (matplotlib and the fonts it ships), so no page asks a third party for it.
    app.connect("config-inited", _configure, priority=800)
    app.connect("builder-inited", _check_vendor)
    # After sphinx.ext.mathjax (priority 500) has added MathJax to the page.
    app.connect("html-page-context", _page_assets, priority=700)
    app.connect("build-finished", _root_index, priority=400)
    app.connect("build-finished", _sitemap)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
