"""mlbio.altair: charts for the site carry their spec only, never the Vega libraries or a CDN."""

from __future__ import annotations

import json
import warnings

import altair as alt
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from mlbio import altair as mlbio_altair

CHART = mlbio_altair.CHART_CLASS


@pytest.fixture
def chart() -> alt.Chart:
    data = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2], "label": ["a", "b", "</script><b>"]})
    return (
        alt.Chart(data, title="Three points", description="Three points, y against x")
        .mark_point()
        .encode(x="x", y="y", tooltip=["label"])
        .add_params(alt.selection_point(fields=["label"]))
    )


@pytest.fixture
def restore_renderer():
    previous = alt.renderers.active
    yield
    alt.renderers.enable(previous)


def chart_of(html: str) -> BeautifulSoup:
    """The chart's container div."""
    return BeautifulSoup(html, "html.parser").find("div", class_=CHART)


def spec_of(html: str) -> dict:
    script = chart_of(html).find("script", class_=f"{CHART}-spec")
    assert script["type"] == "application/json"
    return json.loads(script.string)


def test_site_output_is_a_div_with_the_spec_and_nothing_else(chart, monkeypatch) -> None:
    monkeypatch.setenv(mlbio_altair.SITE_ENV, "1")
    bundle = mlbio_altair.render(chart.to_dict())
    assert set(bundle) == {"text/html", "text/plain"}
    html = bundle["text/html"]
    assert chart_of(html)["id"].startswith(f"{CHART}-")
    assert html.startswith("<div")  # the container is the whole output
    # No library, no CDN, no inline code: the site's own scripts draw the chart.
    assert "http" not in html.replace(alt.SCHEMA_URL, "")
    assert "<script src" not in html and "vegaEmbed" not in html
    assert html.count("<script") == 1
    assert len(html) < 3_000
    spec = spec_of(html)
    assert spec["params"][0]["select"]["type"] == "point"  # interactivity kept
    assert spec["encoding"]["tooltip"] == [{"field": "label", "type": "nominal"}]


def test_data_cannot_close_the_script_element(chart) -> None:
    html = mlbio_altair.chart_html(chart.to_dict())
    body = html.split(f'class="{CHART}-spec">', 1)[1]
    assert body.count("</script>") == 1 and body.endswith("</script></div>")
    assert "\\u003c/script>\\u003cb>" in body
    values = spec_of(html)["datasets"]
    assert ["</script><b>"] == [row["label"] for rows in values.values() for row in rows][2:]


def test_outside_the_site_build_jupyterlab_gets_the_vega_lite_mimetype(chart, monkeypatch) -> None:
    monkeypatch.delenv(mlbio_altair.SITE_ENV, raising=False)
    bundle = mlbio_altair.render(chart.to_dict())
    assert set(bundle) == {mlbio_altair.MIMETYPE, "text/plain"}
    assert mlbio_altair.MIMETYPE.startswith("application/vnd.vegalite.v")
    assert bundle[mlbio_altair.MIMETYPE]["mark"]["type"] == "point"


def test_enable_makes_altair_use_the_renderer(chart, monkeypatch, restore_renderer) -> None:
    monkeypatch.setenv(mlbio_altair.SITE_ENV, "1")
    mlbio_altair.enable()
    assert alt.renderers.active == mlbio_altair.RENDERER
    bundle = chart._repr_mimebundle_()
    assert chart_of(bundle["text/html"]) is not None


def test_ids_are_unique_within_a_page(chart) -> None:
    spec = chart.to_dict()
    ids = {chart_of(mlbio_altair.chart_html(spec))["id"] for _ in range(3)}
    assert len(ids) == 3


def test_the_accessible_name_comes_from_description_or_title() -> None:
    assert mlbio_altair.describe({"description": " Ages ", "title": "T"}) == "Ages"
    assert mlbio_altair.describe({"title": {"text": ["Two", "lines"]}}) == "Two lines"
    assert mlbio_altair.describe({"title": "Counts"}) == "Counts"
    assert mlbio_altair.describe({}) is None
    html = mlbio_altair.chart_html({"title": "Counts", "mark": "bar"})
    assert spec_of(html)["description"] == "Counts"
    assert chart_of(html).noscript.get_text() == "Interactive chart (needs JavaScript): Counts"


def test_a_chart_without_description_warns() -> None:
    with pytest.warns(UserWarning, match="screen readers"):
        html = mlbio_altair.chart_html({"mark": "bar"})
    assert spec_of(html)["description"] == mlbio_altair.FALLBACK_DESCRIPTION
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlbio_altair.chart_html({"mark": "bar", "description": "Bars"})


def test_the_chart_height_is_reserved_before_it_is_drawn(chart) -> None:
    html = mlbio_altair.chart_html(chart.to_dict())
    style = chart_of(html).find("div", class_=f"{CHART}-view")["style"]
    height = int(style.removeprefix("min-height: ").removesuffix("px"))
    assert 300 <= height <= 400  # altair's default plot height plus axes and title
    assert mlbio_altair.drawn_height({"mark": "no-such-mark"}) is None
