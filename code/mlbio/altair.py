"""An altair renderer for the book: interactive charts with no JavaScript from a CDN.

altair's default HTML output loads Vega, Vega-Lite and Vega-Embed from a public CDN, so a page
breaks offline and tells a third party who reads it; embedding the libraries in each chart
instead would add about 0.9 MB per chart. :func:`enable` switches altair to the renderer of this
module, which writes each chart as a small ``<div class="mlbio-vega">`` (:data:`CHART_CLASS`)
holding only its
Vega-Lite specification (JSON). The site serves the Vega bundle once (vendored at build time by
``tools/vendor.py``) and its script ``_static/mlbio-altair.js`` draws every chart of the page
with Vega-Embed, so tooltips, selections and zooming keep working.

Where the chart is drawn depends on who displays it:

- during the book's build (the build sets :data:`SITE_ENV`, ``MLBIO_SITE_BUILD=1``, for the
  kernels that execute the notebooks), the output is the ``text/html`` described above;
- anywhere else (JupyterLab, Binder), the output is the standard Vega-Lite MIME bundle, which
  JupyterLab draws with its own copy of Vega, again with no CDN.

Give every chart a ``description=`` (or at least a ``title=``): it becomes the accessible name
that screen readers announce for the chart.

Examples
--------
>>> import mlbio.altair
>>> mlbio.altair.enable()  # once, before the first chart of a notebook

"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import warnings
from typing import Any

import altair as alt

#: Name under which the renderer is registered with ``altair.renderers``.
RENDERER = "mlbio"
#: Environment variable set (to ``"1"``) by the book's build for the kernels it starts.
SITE_ENV = "MLBIO_SITE_BUILD"
#: Class of a chart's container div; its view and spec carry ``-view`` and ``-spec`` suffixes.
#: The site's chart loader, its CSS and the browser tests all take the name from here.
CHART_CLASS = "mlbio-vega"
#: MIME type of a Vega-Lite specification of the version altair writes.
MIMETYPE = f"application/vnd.vegalite.v{alt.SCHEMA_VERSION.lstrip('v').split('.')[0]}+json"
#: Accessible name used (with a warning) when a chart has neither description nor title.
FALLBACK_DESCRIPTION = "Interactive chart (its author gave no description)"

_counter = itertools.count(1)


def describe(spec: dict[str, Any]) -> str | None:
    """Return the text that names a chart for screen readers, or ``None`` if it has none.

    Parameters
    ----------
    spec
        A Vega-Lite specification (``chart.to_dict()``).

    Returns
    -------
    str or None
        The spec's ``description``, else the text of its ``title``, else ``None``.

    """
    if isinstance(spec.get("description"), str) and spec["description"].strip():
        return spec["description"].strip()
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    if isinstance(title, str) and title.strip():
        return title.strip()
    return None


def _accessible(spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
    text = describe(spec)
    if text is None:
        warnings.warn(
            "altair chart without description= or title=: screen readers cannot name it.",
            UserWarning,
            stacklevel=3,
        )
        text = FALLBACK_DESCRIPTION
    if spec.get("description") != text:
        spec = {**spec, "description": text}
    return spec, text


def drawn_height(spec: dict[str, Any]) -> int | None:
    """Return the height in pixels of the drawn chart, or ``None`` if it cannot be computed.

    The site reserves that height before the chart is drawn, so that the text below does not
    jump when it appears (a layout shift that readers and Lighthouse both notice). The size is
    computed with ``vl-convert`` (Vega run in Rust, no browser), the same engine as the site's.
    """
    try:
        import vl_convert

        return int(vl_convert.vegalite_to_scenegraph(spec)["height"])
    except Exception:  # a missing size only costs a layout shift
        return None


def chart_html(spec: dict[str, Any], chart_id: str | None = None) -> str:
    """Return the HTML of one chart for the book's site: a div holding its spec as JSON.

    The JSON is embedded in a ``<script type="application/json">`` element with every ``<``
    escaped, so that no value in the data can close the element. Nothing else is embedded: the
    page's Vega bundle and ``mlbio-altair.js`` draw the chart.

    Parameters
    ----------
    spec
        A Vega-Lite specification (``chart.to_dict()``).
    chart_id
        The ``id`` of the chart's div. By default ``mlbio-vega-<n>-<hash>``, where ``n`` counts
        the charts drawn by this process, so that ids are unique within a page and stable
        across reruns.

    Returns
    -------
    str
        The HTML fragment.

    """
    spec, text = _accessible(spec)
    payload = json.dumps(spec, separators=(",", ":"), sort_keys=True, allow_nan=False)
    payload = payload.replace("<", "\\u003c")
    if chart_id is None:
        digest = hashlib.sha256(payload.encode()).hexdigest()[:8]
        chart_id = f"{CHART_CLASS}-{next(_counter)}-{digest}"
    label = html.escape(text)
    height = drawn_height(spec)
    style = f' style="min-height: {height}px"' if height else ""
    return (
        f'<div class="{CHART_CLASS}" id="{html.escape(chart_id)}">'
        f'<div class="{CHART_CLASS}-view"{style}></div>'
        f"<noscript><p>Interactive chart (needs JavaScript): {label}</p></noscript>"
        f'<script type="application/json" class="{CHART_CLASS}-spec">{payload}</script>'
        "</div>"
    )


def render(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """Render a chart: the renderer function registered with ``altair.renderers``.

    Parameters
    ----------
    spec
        The chart's Vega-Lite specification, as altair passes it.
    **metadata
        Ignored (altair passes renderer options here).

    Returns
    -------
    dict
        A MIME bundle: ``text/html`` for the book's site when ``SITE_ENV`` is ``"1"``, else the
        Vega-Lite MIME type that JupyterLab draws itself; both with a ``text/plain`` fallback.

    """
    spec, text = _accessible(spec)
    plain = f"<altair chart: {text}>"
    if os.environ.get(SITE_ENV) == "1":
        return {"text/html": chart_html(spec), "text/plain": plain}
    return {MIMETYPE: spec, "text/plain": plain}


def enable() -> None:
    """Make altair draw charts with the book's renderer (call once per notebook).

    Registers :func:`render` as the altair renderer ``"mlbio"`` and enables it. Charts keep
    their interactivity (tooltips, selections); no JavaScript is fetched from a CDN, and the
    page carries each chart's data only once.
    """
    alt.renderers.register(RENDERER, render)
    alt.renderers.enable(RENDERER)
