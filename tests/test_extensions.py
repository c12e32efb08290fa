"""The book's Sphinx extensions (mlbio_book), each on a small site of tests/sites/ built with
sphinx.testing, and read back with BeautifulSoup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mlbio_book import citation, datacards, levels, repairs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def built(app) -> Path:
    """Build a test site, check that Sphinx said nothing, and return its output folder."""
    app.build()
    assert app._warning.getvalue() == ""
    return Path(app.outdir)


def cite_data(page: BeautifulSoup) -> dict:
    return json.loads(page.find("script", id="mlbio-cite-data").string.replace("<\\/", "</"))


# ---------------------------------------------------------------------------------------------
# Citation boxes, stable anchors, redirects, exercises
# ---------------------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="citable", freshenv=True)
def test_renamed_pages_and_sections_keep_their_addresses(app) -> None:
    out = built(app)
    old = soup(out / "book" / "old.html")
    assert old.html["lang"] == "en" and old.title.string
    assert old.find("a")["href"] == "new.html"
    assert "window.location.hash" in old.find("script").string
    new = soup(out / "book" / "new.html")
    section = new.find("section", id="new-section")
    assert section is not None, "the label must be the section's first id"
    # The renamed label is an alias of the section (Sphinx writes extra ids as empty spans).
    assert new.find(id="old-section").parent is section
    data = cite_data(new)
    assert data["moved"]["old-section"] == "#new-section"  # relative to the page
    home = cite_data(soup(out / "index.html"))
    assert home["moved"]["old-section"] == "book/new.html#new-section"
    assert data["entries"]["new-section"]["url"] == (
        "https://example.org/demo/book/new.html#new-section"
    )
    assert "version 9.9.9" in data["entries"][""]["text"]
    box = new.find("div", id="mlbio-cite")
    assert box.find("pre", id="mlbio-cite-bibtex").string.startswith("@misc{mlbio2031:new,")
    assert [o["value"] for o in box.find_all("option")] == ["", "new-section"]


@pytest.mark.sphinx("html", testroot="citable", freshenv=True)
def test_exercises_show_their_level_and_have_unique_ids(app) -> None:
    app.build()
    page = soup(Path(app.outdir) / "book" / "new.html")
    for i, level in enumerate(levels.LEVELS):
        exercise = page.find(id=f"new-ex-{i}")
        badge = exercise.find(class_="admonition-title").find("span", class_="mlbio-level-badge")
        assert badge.string == level
        assert set(levels.badge_classes(level)) <= set(badge["class"])
        assert page.find(id=f"new-ex-{i}-content") and page.find(id=f"new-sol-{i}-content")
    assert page.find(id="exercise-content") is None
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids))


@pytest.mark.sphinx("html", testroot="citable", freshenv=True)
def test_a_new_release_rewrites_every_box(app, make_app) -> None:
    app.build()
    cff = Path(app.srcdir) / "CITATION.cff"
    cff.write_text(cff.read_text().replace("9.9.9", "10.0.0"), encoding="utf-8")
    again = make_app("html", srcdir=app.srcdir)
    again.build()
    for page in ("index.html", "book/new.html"):
        text = (Path(again.outdir) / page).read_text(encoding="utf-8")
        assert "version 10.0.0" in text and "9.9.9" not in text


@pytest.mark.sphinx("html", testroot="redirect-missing", freshenv=True)
def test_a_redirect_to_a_missing_label_warns(app) -> None:
    app.build()
    assert "anchor 'home-old' redirects to 'home-nowhere'" in app._warning.getvalue()


def test_citation_text_and_bibtex_for_a_section(tmp_path: Path) -> None:
    from pybtex.database import parse_string

    cff = tmp_path / "CITATION.cff"
    cff.write_text(
        "title: A book\nversion: 1.2.3\ndate-released: 2030-05-06\nurl: https://e.org/b\n"
        "authors:\n  - {family-names: Curie, given-names: Marie Salomea}\n  - {name: A Team}\n"
    )
    meta = citation.load_citation(cff)
    assert meta["authors"] == ["Curie, M. S.", "A Team"] and meta["url"] == "https://e.org/b/"
    url = meta["url"] + "book/x.html#x-a"
    got = citation.cite(meta, url, "A 100% page", "Costs & #1 items_x", key="x-a")
    assert got["text"].startswith("Curie, M. S. & A Team (2030). “A 100% page”, section")
    entry = parse_string(got["bibtex"], "bibtex").entries["mlbio2030:x-a"]
    assert entry.fields["url"] == url and entry.fields["version"] == "1.2.3"
    assert r"Costs \& \#1 items\_x" in entry.fields["note"]
    # An entity author is braced, so BibTeX keeps it as one name.
    assert [p.last_names for p in entry.persons["author"]][1] == ["{A Team}"]
    cff.write_text("title: T\nauthors: []\nurl: https://e.org\n")
    with pytest.raises(citation.CitationError, match="version"):
        citation.load_citation(cff)


# ---------------------------------------------------------------------------------------------
# Chapter metadata: {chapter-info}, {instructors-table}, page descriptions and link previews
# ---------------------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="chapters", freshenv=True)
def test_chapter_info_table_and_link_previews(app) -> None:
    out = built(app)
    one = soup(out / "book" / "one.html")
    info = one.find(class_="chapter-info")
    badges = [b.string for b in info.find_all("span", class_="sd-badge")]
    assert badges == ["novice", "advanced"]
    assert f"sd-bg-{levels.LEVELS['advanced']}" in info.find("span", string="advanced")["class"]
    assert [li.get_text(strip=True) for li in info.find_all("li")] == [
        "Explain a thing.",
        "Run another thing.",
        "None.",
    ]
    # The page describes itself by its objectives, to search engines and link previews alike.
    description = one.find("meta", attrs={"name": "description"})["content"]
    assert description == "You will learn to: explain a thing; run another thing."
    assert one.find("meta", property="og:description")["content"] == description
    assert one.find("meta", property="og:title")["content"] == "One"
    assert one.find("meta", property="og:url")["content"] == (
        "https://example.org/demo/book/one.html"
    )
    image = one.find("meta", property="og:image")["content"]
    assert image.startswith("https://example.org/demo/_images/social_previews/")
    assert (out / image.removeprefix("https://example.org/demo/")).is_file()
    assert one.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
    # A page that is not a chapter: its first paragraph.
    home = soup(out / "index.html").find("meta", attrs={"name": "description"})["content"]
    assert home.startswith("The landing page of a small book")
    # The instructors' table: a header row and one row per chapter of the toc.
    table = soup(out / "book" / "instructors.html").find("table", class_="mlbio-instructors-table")
    rows = table.find_all("tr")
    assert len(rows) == 2
    cells = rows[1].find_all("td")
    assert cells[0].find("a")["href"] == "one.html#one"
    assert "sd-bg-danger" in cells[3].find("span", class_="sd-badge")["class"]
    assert [a["href"] for a in cells[4].find_all("a")] == ["one.html#one", "one.html#one-a"]


@pytest.mark.sphinx("html", testroot="chapters", freshenv=True)
def test_a_broken_front_matter_stops_the_chapter(app) -> None:
    page = Path(app.srcdir) / "book" / "one.md"
    page.write_text(page.read_text().replace("  time_run: 1 min\n", ""), encoding="utf-8")
    app.build()
    warnings = app._warning.getvalue()
    assert "one.md: front matter field 'mlbio.time_run' is missing" in warnings


# ---------------------------------------------------------------------------------------------
# The Data page
# ---------------------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="datacards", freshenv=True)
def test_data_page_has_a_section_per_data_set(app) -> None:
    page = soup(built(app) / "index.html")
    sections = page.find_all("section", id=lambda i: i and i.startswith("data-"))
    # In the order of the cards, labelled after the data sets of the registry.
    assert [s["id"] for s in sections] == ["data-ham10000-images", "data-eicu"]
    assert sections[0].h2.get_text().startswith("Some images")
    eicu = sections[1].get_text(" ", strip=True)
    assert "2 files of data/registry.csv (2.0 MB)" in eicu
    assert "mlbio.datasets.load_eicu()" in eicu
    assert "load_ham10000(images=True)" in sections[0].get_text()


def test_data_cards_need_a_card_and_a_loader(tmp_path: Path) -> None:
    site = Path(__file__).with_name("sites") / "test-datacards"
    shutil.copytree(site / "data", tmp_path / "data")
    readme = tmp_path / "data" / "README.md"
    text = readme.read_text()
    readme.write_text(text.replace("<!-- card:eicu -->", "<!-- card:eicu cite=a,b,c -->"))
    assert "Cite {cite:t}`a`, {cite:t}`b` and {cite:t}`c`." in datacards.markdown(tmp_path)
    readme.write_text(text.split("<!-- card:eicu")[0] + "<!-- card:nothing -->\n## X\n"
                      "<!-- end:nothing -->\n")  # fmt: skip
    with pytest.raises(datacards.DataCardError) as err:
        datacards.sections(tmp_path)
    assert "'eicu' has no card" in str(err.value)
    assert "card for 'nothing'" in str(err.value)
    registry = tmp_path / "data" / "registry.csv"
    registry.write_text(registry.read_text().replace(",eicu,", ",new_set,"))
    with pytest.raises(datacards.DataCardError, match="'new_set' has no loader"):
        datacards.sections(tmp_path)


# ---------------------------------------------------------------------------------------------
# Markup repairs
# ---------------------------------------------------------------------------------------------


def test_markup_repairs() -> None:
    pandas_html = (
        "<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n"
        "        vertical-align: middle;\n    }\n\n    .dataframe thead th {\n"
        '        text-align: right;\n    }\n</style>\n<table class="dataframe">'
        '<tr><th colspan="2" halign="left">a</th></tr></table></div>'
        '<details><summary><p class="collapsed admonition-title">Show code</p></summary></details>'
        '<div role="list"><div role="doc-biblioentry">X</div></div>'
        '<script type="text/x-thebe-config">{"cdn": 1}</script>'
    )
    page = BeautifulSoup(repairs.repair_body(pandas_html), "html.parser")
    assert page.find("style") is None
    assert page.find("th")["style"] == "text-align: left" and not page.find("th").get("halign")
    assert page.summary.find("p") is None and page.summary.span.string == "Show code"
    assert page.find(attrs={"role": "listitem"}).string == "X"
    assert page.find("script") is None
    # Only pandas' own rules are removed, not a chapter's style element.
    own = "<style scoped>p { color: red }</style>"
    assert repairs.repair_body(own) == own
    # The thebe configuration stays when the book offers live code.
    assert "x-thebe-config" in repairs.repair_body(pandas_html, thebe=True)


def test_sidebar_folds_get_a_name() -> None:
    from markupsafe import Markup

    nav = Markup(
        '<li class="has-children"><a href="x.html">X</a><details><summary>'
        '<span class="toctree-toggle" role="presentation"><i class="fa-solid"></i></span>'
        "</summary><ul><li>Y</li></ul></details></li>"
    )
    calls = []

    def generate(*args, **kwargs):
        calls.append((args, kwargs))
        return nav

    wrapped = repairs._named_nav(generate)
    out = wrapped("sidebar", maxdepth=4)
    assert isinstance(out, Markup) and calls == [(("sidebar",), {"maxdepth": 4})]
    summary = BeautifulSoup(str(out), "html.parser").summary
    assert summary["aria-label"] == "Show or hide the sub-pages"
    assert repairs._named_nav(wrapped) is wrapped  # wrapped once, however often called
