"""The book is citable and teachable: labels, published anchors, redirects, citation metadata,
bibliography, glossary, chapter front matter and exercises, read from the sources (fast, no
build); and the citation box, the instructors' table and the exercises on the built site.

The extensions themselves are tested on small sites in tests/test_extensions.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from mlbio_book import anchors, chapters, citation, exercises, frontmatter, sources, toc
from mlbio_book.levels import LEVELS

ROOT = toc.ROOT
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
PAGES = sources.book_pages(ROOT)
CHAPTERS = [page for page in PAGES if page.is_chapter]
TEMPLATE = sources.parse_page(ROOT / "book" / "_template.md", "book/_template", part="Template")
SEED_KEYS = {
    "lecun2015deep",
    "ching2018opportunities",
    "wainberg2018deep",
    "eraslan2019deep",
    "chen2019selene",
    "marx2019machine",
}
REQUIRED_TERMS = {
    "baseline",
    "batch effect",
    "bootstrap",
    "calibration",
    "combat",
    "confounder",
    "cross-validation",
    "curse of dimensionality",
    "data leakage",
    "feature",
    "generalisation",
    "grouped split",
    "label",
    "learning curve",
    "nested cross-validation",
    "overfitting",
    "permutation test",
    "selection bias",
    "shortcut learning",
    "transfer learning",
    "harmonisation",
}
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def term_target(text: str) -> str:
    """The glossary term a {term} role points to: `text <term>` or `term`."""
    match = re.search(r"<([^>]+)>\s*$", text)
    return (match.group(1) if match else text).strip().lower()


def glossary_terms(path: Path) -> list[str]:
    """Terms defined in the page's {glossary} block, in order."""
    text = path.read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}[^\n]*\n(.*?)\n```", text, re.S)
    assert block, f"{path} has no {{glossary}} block"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.startswith((" ", "\t", ":"))
    ]


# ---------------------------------------------------------------------------------------------
# 1. Stable anchors and redirects
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_every_title_and_section_has_an_explicit_label(page: sources.Page) -> None:
    assert anchors.label_problems(page) == []


def test_label_checker_catches_missing_and_misnamed_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path / "demo.md",
        "---\nkernelspec: {}\n---\n(demo)=\n# Demo\n\n"
        "```{code-cell} ipython3\n# a comment\n```\n\n"
        "(demo-ok)=\n\n## Labelled, with a blank line between\n\n## Unlabelled\n\n"
        "(other-prefix)=\n### Wrong prefix\n\n(Demo-Caps)=\n## Capitals\n\n"
        "#### Deep, not required\n",
    )
    page = sources.parse_page(path, "demo")
    assert [h.label for h in page.headings if h.level <= 3] == [
        "demo",
        "demo-ok",
        None,
        "other-prefix",
        "Demo-Caps",
    ]
    problems = "\n".join(anchors.label_problems(page))
    assert "Unlabelled" in problems and "no explicit label" in problems
    assert "must start with 'demo-'" in problems
    assert "lowercase" in problems
    assert "a comment" not in problems and "Deep" not in problems


def test_every_published_anchor_still_resolves() -> None:
    assert anchors.load_anchor_list(ROOT / anchors.ANCHORS), "book/anchors.txt lists no anchor"
    assert anchors.check() == []


def test_generated_sections_are_citable_anchors() -> None:
    """The Data page's sections come from data/README.md, yet count as the page's anchors."""
    data = next(page for page in PAGES if page.docname == "book/data")
    labels = [h.label for h in data.anchors()]
    assert "data-eicu" in labels and labels.index("data-eicu") < labels.index("data-check")


def test_anchor_check_fails_when_a_label_disappears_without_redirect() -> None:
    published = {"ch": "book/ch", "ch-old": "book/ch", "gone": "book/gone"}
    current = {"ch": "book/ch", "ch-new": "book/ch", "gone-new": "book/other"}
    pages = {"book/ch", "book/other"}
    none = {"pages": {}, "anchors": {}}
    problems = anchors.anchor_problems(published, current, none, pages)
    assert any("'ch-old'" in p and "disappeared" in p for p in problems)
    assert any("'gone'" in p for p in problems)

    # A renamed label on the same page needs an anchor redirect only.
    fixed = {"pages": {}, "anchors": {"ch-old": "ch-new", "gone": "gone-new"}}
    problems = anchors.anchor_problems(published, current, fixed, pages)
    # ... but "gone" lived on a page that no longer exists: a page redirect is needed too.
    assert len(problems) == 1 and "book/gone" in problems[0] and "pages:" in problems[0]
    fixed["pages"] = {"book/gone.md": "book/other.md"}
    assert anchors.anchor_problems(published, current, fixed, pages) == []

    # A redirect to a label that does not exist, and a cycle, are errors.
    broken = {"pages": {}, "anchors": {"ch-old": "nowhere"}}
    assert anchors.anchor_problems({"ch-old": "book/ch"}, current, broken, pages)
    cycle = {"pages": {}, "anchors": {"a": "b", "b": "a"}}
    assert any("circular" in p for p in anchors.anchor_problems({}, current, cycle, pages))


def test_anchor_update_appends_and_never_removes(tmp_path: Path) -> None:
    write(tmp_path / "_toc.yml", "format: jb-book\nroot: book/index\n")
    write(tmp_path / "book/index.md", "(home)=\n# Home\n\n(home-a)=\n## A\n")
    write(tmp_path / "book/anchors.txt", "# header\nhome-old book/index\n")
    assert anchors.update(tmp_path) == 2
    listed = anchors.load_anchor_list(tmp_path / "book/anchors.txt")
    assert listed == {"home-old": "book/index", "home": "book/index", "home-a": "book/index"}


def test_redirect_map_is_valid() -> None:
    redirects = anchors.load_redirects(ROOT / anchors.REDIRECTS)
    docnames = {page.docname for page in PAGES}
    for old, new in redirects["pages"].items():
        assert not (ROOT / old).exists(), f"{old} still exists: rediraffe cannot replace it"
        assert Path(new).with_suffix("").as_posix() in docnames | set(redirects["pages"]), new
    current = sources.current_anchors(ROOT)
    for old in redirects["anchors"]:
        assert old not in current, f"{old} is redirected but still defined"
        assert anchors.resolve_anchor(old, redirects["anchors"]) in current


def test_redirect_map_rejects_unknown_sections(tmp_path: Path) -> None:
    path = write(tmp_path / "redirects.yml", "page: {}\n")
    with pytest.raises(ValueError, match="unknown"):
        anchors.load_redirects(path)


# ---------------------------------------------------------------------------------------------
# 2. Citation metadata: CITATION.cff, .zenodo.json, one version
# ---------------------------------------------------------------------------------------------


def test_citation_cff_validates_against_the_schema() -> None:
    from cffconvert.cli.create_citation import create_citation

    create_citation(str(ROOT / "CITATION.cff"), None).validate()  # raises on an invalid file


def test_cffconvert_rejects_an_invalid_file(tmp_path: Path) -> None:
    from cffconvert.cli.create_citation import create_citation

    path = write(tmp_path / "CITATION.cff", "cff-version: 1.2.0\ntitle: No authors\n")
    with pytest.raises(Exception):  # noqa: B017 (jsonschema's ValidationError)
        create_citation(str(path), None).validate()


def test_the_release_tag_matches_the_version() -> None:
    cff_version = citation.load_citation(ROOT / "CITATION.cff")["version"]
    assert "version" not in CONFIG
    assert "version" not in json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    tags = subprocess.run(
        ["git", "tag", "--points-at", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for tag in tags:
        if tag.startswith("v"):
            assert tag == f"v{cff_version}", "the release tag must match CITATION.cff's version"


# ---------------------------------------------------------------------------------------------
# 3. Bibliography and glossary
# ---------------------------------------------------------------------------------------------


def bib_entries() -> dict:
    from pybtex.database import parse_file

    return parse_file(str(ROOT / "book" / "references.bib"), "bibtex").entries


def test_references_bib_parses_and_holds_the_seed_literature() -> None:
    entries = bib_entries()  # pybtex raises on a duplicate key
    assert SEED_KEYS <= set(entries)
    for key, entry in entries.items():
        assert "title" in entry.fields and "year" in entry.fields, key
        assert entry.persons.get("author") or "author" in entry.fields, key
        if entry.type == "article":
            assert "journal" in entry.fields, key
            assert "doi" in entry.fields or "url" in entry.fields, f"{key}: add a doi (or url)"


def test_every_cited_key_exists_and_citing_pages_list_their_references() -> None:
    keys = set(bib_entries())
    for page in [*PAGES, TEMPLATE]:
        cited = {k.strip() for group in CITE_ROLE.findall(page.text) for k in group.split(",")}
        assert cited <= keys, f"{page.path.name}: unknown keys {sorted(cited - keys)}"
        if cited:
            assert page.named("bibliography"), f"{page.path.name} cites but has no bibliography"


def test_glossary_defines_the_book_terms_in_alphabetical_order() -> None:
    terms = glossary_terms(ROOT / "book" / "glossary.md")
    lowered = [t.lower() for t in terms]
    assert REQUIRED_TERMS <= set(lowered), sorted(REQUIRED_TERMS - set(lowered))
    assert lowered == sorted(lowered), "keep the glossary in alphabetical order"
    assert len(lowered) == len(set(lowered)), "a term is defined twice"


def test_every_term_link_points_to_a_glossary_entry() -> None:
    terms = {t.lower() for t in glossary_terms(ROOT / "book" / "glossary.md")}
    linked = 0
    for page in PAGES:
        for text in TERM_ROLE.findall(page.text):
            assert term_target(text) in terms, f"{page.path.name}: {{term}}`{text}`"
            linked += 1
    assert linked > 0
    assert term_target("features <feature>") == "feature"


# ---------------------------------------------------------------------------------------------
# 4. Chapter front matter, the instructors' table, exercises, the template
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", [*CHAPTERS, TEMPLATE], ids=[p.docname for p in [*CHAPTERS, TEMPLATE]]
)
def test_every_chapter_has_valid_front_matter_and_its_box(page: sources.Page) -> None:
    frontmatter.chapter_meta(page.path)  # raises, naming the file and the field
    assert page.named("chapter-info"), "add ```{chapter-info}``` under the title"


def test_front_matter_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    good = {
        "levels": ["novice"],
        "objectives": ["Do"],
        "prerequisites": [],
        "time_read": "5 min",
        "time_run": "1 min",
    }
    assert frontmatter.problems({"mlbio": good}, "c.md") == []
    bad = {**good, "levels": ["novice", "expert"], "time_read": "five"}
    del bad["time_run"]
    found = "\n".join(frontmatter.problems({"mlbio": bad}, "c.md"))
    assert "c.md: front matter field 'mlbio.levels[1]' 'expert' is not one of" in found
    assert str(list(LEVELS)) in found
    assert "c.md: front matter field 'mlbio.time_read'" in found
    assert "c.md: front matter field 'mlbio.time_run' is missing" in found
    assert frontmatter.problems({}, "c.md") == ["c.md: front matter field 'mlbio' is missing."]
    # Optional fields may be added.
    assert (
        frontmatter.problems(
            {"mlbio": {**good, "description": "A chapter about what it is about."}}
        )
        == []
    )


def test_instructors_table_follows_the_toc(tmp_path: Path) -> None:
    """A chapter added to the toc gets a row; a broken front matter stops the table."""
    write(
        tmp_path / "_toc.yml",
        "format: jb-book\nroot: book/index\nparts:\n  - caption: Part\n    chapters:\n"
        "      - file: book/one\n  - caption: Reference\n    chapters:\n      - file: book/ref\n",
    )
    write(tmp_path / "book/index.md", "(home)=\n# Home\n")
    write(tmp_path / "book/ref.md", "(ref)=\n# Ref\n")
    front = (
        "---\nmlbio:\n  levels: [advanced]\n  objectives: [Do]\n  prerequisites: []\n"
        "  time_read: 5 min\n  time_run: 1 min\n---\n(one)=\n# One\n\n(one-a)=\n## A\n\n"
        "```{exercise} Q\n:label: one-ex-q\n:class: level-advanced\n\nWhy?\n```\n"
    )
    write(tmp_path / "book/one.md", front)
    rows = chapters.chapter_rows(tmp_path)
    assert [r["docname"] for r in rows] == ["book/one"]
    assert rows[0]["exercises"] == ["{ref}`Q <one-ex-q>` {bdg-danger}`advanced`"]
    assert rows[0]["anchors"] == ["{ref}`one <one>` (the chapter)", "{ref}`one-a <one-a>`"]
    write(tmp_path / "book/one.md", front.replace("  time_run: 1 min\n", ""))
    with pytest.raises(frontmatter.ChapterMetaError, match="time_run"):
        chapters.chapter_rows(tmp_path)


@pytest.mark.parametrize("page", [*PAGES, TEMPLATE], ids=[p.docname for p in [*PAGES, TEMPLATE]])
def test_exercises_follow_the_convention(page: sources.Page) -> None:
    assert exercises.problems(page) == []


def test_exercise_checker_catches_missing_level_and_visible_solution(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.md",
        "(c)=\n# C\n\n```{exercise} One\n:label: c-ex-one\n\nQ\n```\n\n"
        "```{solution} c-ex-one\n:label: c-sol-one\n\nA\n```\n\n"
        "```{exercise} Two\n:label: other-two\n:class: level-expert\n```\n",
    )
    problems = "\n".join(exercises.problems(sources.parse_page(path, "c")))
    assert "level-novice" in problems  # no level class on exercise one
    assert "dropdown" in problems  # its solution is visible
    assert "must start with 'c-ex-'" in problems
    assert "'other-two' has no solution" in problems


def test_the_chapter_template_is_a_correct_example_and_is_not_built() -> None:
    assert anchors.label_problems(TEMPLATE) == []
    assert any(d.argument == "Why this choice?" for d in TEMPLATE.named("admonition"))
    assert "{glue:text}" in TEMPLATE.text, "the template shows how to glue a number"
    assert "book/_template" not in [p.docname for p in PAGES]
    assert "_template.md" in CONFIG["execute"]["exclude_patterns"]


# ---------------------------------------------------------------------------------------------
# The built site
# ---------------------------------------------------------------------------------------------


def page_soup(built_site: Path, docname: str) -> BeautifulSoup:
    return BeautifulSoup((built_site / f"{docname}.html").read_text("utf-8"), "html.parser")


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_every_built_page_shows_how_to_cite_it(built_site: Path, page: sources.Page) -> None:
    meta = citation.load_citation(ROOT / "CITATION.cff")
    html = page_soup(built_site, page.docname)
    box = html.find("div", id="mlbio-cite")
    assert f"version {meta['version']}" in box.get_text()
    assert box.find("pre", id="mlbio-cite-bibtex").string.startswith("@misc{mlbio")
    data = json.loads(box.find("script", id="mlbio-cite-data").string.replace("<\\/", "</"))
    for heading in page.anchors():
        # Every labelled section is an anchor of the page, and citable from the box.
        assert html.find(id=heading.label) is not None, heading.label
        if heading.level > 1:
            entry = data["entries"][heading.label]
            assert entry["url"].endswith(f"{page.docname}.html#{heading.label}")
            assert f"url = {{{entry['url']}}}" in entry["bibtex"]


def test_built_instructors_page_has_a_row_per_chapter(built_site: Path) -> None:
    table = page_soup(built_site, "book/instructors").find(
        "table", class_="mlbio-instructors-table"
    )
    rows = table.find_all("tr")
    assert len(rows) == len(CHAPTERS) + 1  # a header row, then one row per chapter
    links = [row.find("td").find("a")["href"] for row in rows[1:]]
    assert links == [f"{Path(c.docname).name}.html#{c.label}" for c in CHAPTERS]


def test_built_exercises_have_level_classes_and_unique_ids(built_site: Path) -> None:
    seen = 0
    for page in PAGES:
        html = page_soup(built_site, page.docname)
        ids = [tag["id"] for tag in html.find_all(id=True)]
        assert len(ids) == len(set(ids)), f"{page.docname}: duplicate ids"
        for ex in page.exercises():
            node = html.find(id=ex.options["label"])
            assert f"level-{exercises.level(ex)}" in node["class"], ex.options["label"]
            seen += 1
        for solution in html.find_all(class_="solution"):
            assert "dropdown" in solution["class"], "a solution is not folded"
    assert seen > 0
