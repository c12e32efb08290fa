"""Repairs of the markup that third-party code writes into the pages (each says why).

The Nu Html Checker and axe (tests/test_html.py, tests/test_site.py) fail the build's tests on
each of these, so every repair here is checked on the real pages.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup
from sphinx.application import Sphinx

#: docutils writes a reference list as ``<div role="list">`` of ``<div role="doc-biblioentry">``:
#: that role is deprecated and not a list item, so axe reports the list as broken (critical for
#: screen readers, which then announce an empty list).
BIBLIOENTRY = 'role="doc-biblioentry"'
#: pandas' DataFrame HTML carries a ``<style scoped>`` block (invalid HTML5, and repeated for
#: each table); the book's custom.css holds the same rules once.
PANDAS_STYLE = re.compile(r"<style scoped>\s*(?:\.dataframe[^{}]*\{[^{}]*\}\s*)+</style>\s*")
#: pandas writes ``halign`` (not an HTML attribute) on the headers of MultiIndex columns.
HALIGN = re.compile(r'(<th\b[^>]*?) halign="(left|right|center)"')
#: myst-nb's hidden-code toggles put ``<p>`` inside ``<summary>`` (only phrasing content is
#: allowed there); custom.css gives the ``<span>`` the ``<p>``'s rules.
SUMMARY_P = re.compile(r'<p class="(collapsed|expanded) admonition-title">(.*?)</p>')
#: sphinx-thebe's inline configuration names a CDN and an unrelated Binder repository.
THEBE_CONFIG = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>', re.S)
#: pydata-sphinx-theme folds a page's sub-pages (``sections:`` in _toc.yml) into a ``<details>``
#: whose ``<summary>`` holds only a decorative chevron: axe reports a summary with no name
#: (serious), on every page, because every page carries the sidebar.
NAMELESS_SUMMARY = '<summary><span class="toctree-toggle" role="presentation">'
NAMED_SUMMARY = (
    '<summary aria-label="Show or hide the sub-pages">'
    '<span class="toctree-toggle" role="presentation">'
)


def repair_body(body: str, *, thebe: bool = False) -> str:
    """Return a page body with the repairs of this module applied."""
    body = body.replace(BIBLIOENTRY, 'role="listitem"')
    body = PANDAS_STYLE.sub("", body)
    body = HALIGN.sub(r'\1 style="text-align: \2"', body)
    body = SUMMARY_P.sub(r'<span class="\1 admonition-title">\2</span>', body)
    if not thebe:
        body = THEBE_CONFIG.sub("", body)
    return body


def repair_nav(html: str) -> str:
    """Return the sidebar's navigation HTML with a name for each fold of sub-pages."""
    repaired = str(html).replace(NAMELESS_SUMMARY, NAMED_SUMMARY)
    return Markup(repaired) if isinstance(html, Markup) else repaired


def _named_nav(generate: Any) -> Any:
    """Wrap the theme's ``generate_toctree_html`` so that its output gets :func:`repair_nav`."""
    if getattr(generate, "mlbio_repaired", False):
        return generate

    def generate_named(*args: Any, **kwargs: Any) -> Any:
        return repair_nav(generate(*args, **kwargs))

    generate_named.mlbio_repaired = True  # type: ignore[attr-defined]
    return generate_named


def unique_scripts(scripts: list) -> list:
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


def _repair(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    from mlbio_book.assets import thebe_enabled

    if "body" in context:
        context["body"] = repair_body(context["body"], thebe=thebe_enabled(app))
    if callable(context.get("generate_toctree_html")):
        context["generate_toctree_html"] = _named_nav(context["generate_toctree_html"])
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique_scripts(scripts)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    # Before mlbio_book.assets (700), which looks at the repaired body.
    app.connect("html-page-context", _repair, priority=650)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
