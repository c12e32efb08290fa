"""The book is citable and teachable: stable anchors, redirects, citation metadata, bibliography,
glossary, instructors' table, exercises and the contributor guide.

Most tests read the sources only (fast, no notebook runs). The tests at the end check the built
site (``built_site`` fixture of conftest.py). Each rule is also tested on a small broken example,
so that a checker that cannot fail would be noticed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))

import anchors as anchor_tool  # noqa: E402  (tools/anchors.py)
import book_sources  # noqa: E402
import cite_section  # noqa: E402
import instructors  # noqa: E402
from chapter_meta import ChapterMetaError, chapter_meta  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
PAGES = book_sources.book_pages(ROOT)
CHAPTERS = [page for page in PAGES if page.is_chapter]
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
# 1. Stable anchors
# ---------------------------------------------------------------------------------------------


def test_the_toc_lists_the_reference_pages() -> None:
    docnames = [page.docname for page in PAGES]
    for page in ("book/glossary", "book/instructors", "book/references"):
        assert page in docnames, f"{page} is missing from _toc.yml"


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_every_title_and_section_has_an_explicit_label(page: book_sources.Page) -> None:
    assert book_sources.label_problems(page) == []


def test_label_checker_catches_missing_and_misnamed_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path / "demo.md",
        "---\nkernelspec: {}\n---\n(demo)=\n# Demo\n\n"
        "```{code-cell} ipython3\n# a comment\n```\n\n"
        "(demo-ok)=\n\n## Labelled, with a blank line between\n\n## Unlabelled\n\n"
        "(other-prefix)=\n### Wrong prefix\n\n(Demo-Caps)=\n## Capitals\n\n"
        "#### Deep, not required\n",
    )
    page = book_sources.parse_page(path, "demo")
    assert [h.label for h in page.headings if h.level <= 3] == [
        "demo",
        "demo-ok",
        None,
        "other-prefix",
        "Demo-Caps",
    ]
    problems = "\n".join(book_sources.label_problems(page))
    assert "Unlabelled" in problems and "no explicit label" in problems
    assert "must start with 'demo-'" in problems
    assert "lowercase" in problems
    assert "a comment" not in problems and "Deep" not in problems


def test_every_published_anchor_still_resolves() -> None:
    published = cite_section.load_anchor_list(ROOT / "book" / "anchors.txt")
    assert published, "book/anchors.txt lists no anchor"
    assert anchor_tool.check() == []


def test_published_anchors_cover_the_pages_of_the_list() -> None:
    """anchors.txt is the list of a release: its entries name pages that exist or redirect."""
    published = cite_section.load_anchor_list(ROOT / "book" / "anchors.txt")
    assert {"home", "glossary"} <= set(published)
    for label in published:
        assert book_sources.LABEL_RE.match(label), label


def test_anchor_check_fails_when_a_label_disappears_without_redirect() -> None:
    published = {"ch": "book/ch", "ch-old": "book/ch", "gone": "book/gone"}
    current = {"ch": "book/ch", "ch-new": "book/ch", "gone-new": "book/other"}
    pages = {"book/ch", "book/other"}
    none = {"pages": {}, "anchors": {}}
    problems = anchor_tool.anchor_problems(published, current, none, pages)
    assert any("'ch-old'" in p and "disappeared" in p for p in problems)
    assert any("'gone'" in p for p in problems)

    # A renamed label on the same page needs an anchor redirect only.
    fixed = {"pages": {}, "anchors": {"ch-old": "ch-new", "gone": "gone-new"}}
    problems = anchor_tool.anchor_problems(published, current, fixed, pages)
    # ... but "gone" lived on a page that no longer exists: a page redirect is needed too.
    assert len(problems) == 1 and "book/gone" in problems[0] and "pages:" in problems[0]
    fixed["pages"] = {"book/gone.md": "book/other.md"}
    assert anchor_tool.anchor_problems(published, current, fixed, pages) == []

    # A redirect to a label that does not exist, and a cycle, are errors.
    broken = {"pages": {}, "anchors": {"ch-old": "nowhere"}}
    assert anchor_tool.anchor_problems({"ch-old": "book/ch"}, current, broken, pages)
    cycle = {"pages": {}, "anchors": {"a": "b", "b": "a"}}
    assert any("circular" in p for p in anchor_tool.anchor_problems({}, current, cycle, pages))


def test_anchor_update_appends_and_never_removes(tmp_path: Path) -> None:
    write(tmp_path / "_toc.yml", "format: jb-book\nroot: book/index\n")
    write(tmp_path / "book/index.md", "(home)=\n# Home\n\n(home-a)=\n## A\n")
    write(tmp_path / "book/anchors.txt", "# header\nhome-old book/index\n")
    assert anchor_tool.update(tmp_path) == 2
    listed = cite_section.load_anchor_list(tmp_path / "book/anchors.txt")
    assert listed == {"home-old": "book/index", "home": "book/index", "home-a": "book/index"}


# ---------------------------------------------------------------------------------------------
# 2. Redirects
# ---------------------------------------------------------------------------------------------


def test_redirect_map_is_valid() -> None:
    redirects = cite_section.load_redirects(ROOT / "book" / "redirects.yml")
    docnames = {page.docname for page in PAGES}
    for old, new in redirects["pages"].items():
        assert not (ROOT / old).exists(), f"{old} still exists: rediraffe cannot replace it"
        assert Path(new).with_suffix("").as_posix() in docnames | set(redirects["pages"]), new
    current = book_sources.current_anchors(ROOT)
    for old in redirects["anchors"]:
        assert old not in current, f"{old} is redirected but still defined"
        assert cite_section.resolve_anchor(old, redirects["anchors"]) in current
    assert "sphinxext.rediraffe" in CONFIG["sphinx"]["extra_extensions"]
    assert CONFIG["sphinx"]["local_extensions"]["cite_section"] == "book/_ext"


def test_redirect_map_rejects_unknown_sections(tmp_path: Path) -> None:
    path = write(tmp_path / "redirects.yml", "page: {}\n")
    with pytest.raises(ValueError, match="unknown"):
        cite_section.load_redirects(path)


def test_redirects_work_in_a_small_build(tmp_path: Path) -> None:
    """A renamed page and a renamed, moved section keep their old addresses."""
    ext = ROOT / "book" / "_ext"
    write(
        tmp_path / "conf.py",
        f"import sys\nsys.path.insert(0, {str(ext)!r})\n"
        "extensions = ['myst_parser', 'sphinx_design', 'sphinx_exercise', 'cite_section']\n"
        "html_baseurl = 'https://example.org/demo/'\nproject = 'Demo'\n",
    )
    write(
        tmp_path / "CITATION.cff",
        "cff-version: 1.2.0\nmessage: Cite it.\ntitle: Demo book\nversion: 9.9.9\n"
        "date-released: 2031-01-02\nauthors:\n  - name: Demo authors\n"
        "url: https://example.org/demo/\n",
    )
    write(tmp_path / "index.md", "(home)=\n# Home\n\n```{toctree}\nbook/new\n```\n")
    exercises = "".join(
        f"```{{exercise}} Q{i}\n:label: new-ex-{i}\n:class: level-{level}\n\nWhy?\n```\n\n"
        f"```{{solution}} new-ex-{i}\n:label: new-sol-{i}\n:class: dropdown\n\nSo.\n```\n\n"
        for i, level in enumerate(book_sources.LEVELS)
    )
    write(
        tmp_path / "book/new.md",
        f"(new)=\n# New page\n\n(new-section)=\n## A section\n\n{exercises}",
    )
    write(
        tmp_path / "book/redirects.yml",
        "pages:\n  book/old.md: book/new.md\nanchors:\n  old-section: new-section\n",
    )
    write(tmp_path / "book/anchors.txt", "old-section book/old\n")
    out = tmp_path / "_build"
    build = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "-n",
        "-q",
        "-b",
        "html",
        str(tmp_path),
        str(out),
    ]
    proc = subprocess.run(build, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    old = (out / "book" / "old.html").read_text(encoding="utf-8")
    assert 'href="new.html"' in old and "window.location.hash" in old
    assert '<html lang="en">' in old and "<title>" in old
    new = (out / "book" / "new.html").read_text(encoding="utf-8")
    assert '<section id="new-section">' in new, "the label must be the section's first id"
    # Exercises: a level badge in each title, and unique ids for their bodies.
    for i, level in enumerate(book_sources.LEVELS):
        colour = cite_section.LEVEL_BADGE[level]
        assert re.search(
            rf'id="new-ex-{i}">\s*<p class="admonition-title">.*?'
            rf'<span class="mlbio-level-badge [^"]*sd-bg-{colour}[^"]*">{level}</span></p>',
            new,
        ), level
        assert f'id="new-ex-{i}-content"' in new and f'id="new-sol-{i}-content"' in new
    assert 'id="exercise-content"' not in new
    assert 'id="old-section"' in new, "the renamed label must stay an alias of the section"
    data = json.loads(
        re.search(r'id="mlbio-cite-data">(.*?)</script>', new, re.S).group(1).replace("<\\/", "</")
    )
    assert data["moved"]["old-section"] == "#new-section"  # relative to the page
    home = (out / "index.html").read_text(encoding="utf-8")
    home_data = json.loads(
        re.search(r'id="mlbio-cite-data">(.*?)</script>', home, re.S).group(1).replace("<\\/", "</")
    )
    assert home_data["moved"]["old-section"] == "book/new.html#new-section"
    assert data["entries"]["new-section"]["url"] == (
        "https://example.org/demo/book/new.html#new-section"
    )
    assert "version 9.9.9" in data["entries"][""]["text"]

    # A new release: an incremental build rewrites every page's citation box.
    cff = tmp_path / "CITATION.cff"
    cff.write_text(cff.read_text().replace("9.9.9", "10.0.0"), encoding="utf-8")
    proc = subprocess.run(build, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in (out / "index.html", out / "book" / "new.html"):
        text = page.read_text(encoding="utf-8")
        assert "version 10.0.0" in text and "9.9.9" not in text


def test_a_redirect_to_a_missing_label_fails_the_build(tmp_path: Path) -> None:
    ext = ROOT / "book" / "_ext"
    write(
        tmp_path / "conf.py",
        f"import sys\nsys.path.insert(0, {str(ext)!r})\n"
        "extensions = ['myst_parser', 'cite_section']\n",
    )
    write(
        tmp_path / "CITATION.cff",
        "title: T\nversion: 1.0.0\ndate-released: 2030-01-01\nauthors:\n  - name: A\n"
        "url: https://example.org/\n",
    )
    write(tmp_path / "index.md", "(home)=\n# Home\n")
    write(tmp_path / "book/redirects.yml", "anchors:\n  home-old: home-nowhere\n")
    out = tmp_path / "_build"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path), str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "home-nowhere" in proc.stderr


# ---------------------------------------------------------------------------------------------
# 3. Citation metadata: CITATION.cff, .zenodo.json, one version
# ---------------------------------------------------------------------------------------------


def test_citation_cff_validates_against_the_schema() -> None:
    from cffconvert.cli.create_citation import create_citation

    citation = create_citation(str(ROOT / "CITATION.cff"), None)
    citation.validate()  # raises on an invalid file


def test_cffconvert_rejects_an_invalid_file(tmp_path: Path) -> None:
    from cffconvert.cli.create_citation import create_citation

    path = write(tmp_path / "CITATION.cff", "cff-version: 1.2.0\ntitle: No authors\n")
    with pytest.raises(Exception):  # noqa: B017 (jsonschema's ValidationError)
        create_citation(str(path), None).validate()


def test_citation_cff_agrees_with_the_book_configuration() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["title"] == CONFIG["title"]
    assert cff["url"] == CONFIG["html"]["baseurl"]
    assert cff["repository-code"] == CONFIG["repository"]["url"]
    assert [a.get("name") for a in cff["authors"]] == [CONFIG["author"]]
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(cff["version"]))
    assert isinstance(cff["date-released"], dt.date)
    assert {"CC-BY-4.0", "MIT"} <= set(cff["license"])


def test_zenodo_metadata_matches_citation_cff() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert zenodo["title"] == cff["title"]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in cff["authors"]]
    assert zenodo["upload_type"] == "publication" and zenodo["publication_type"] == "book"
    assert zenodo["license"].upper() in {lic.upper() for lic in cff["license"]}
    assert zenodo["access_right"] == "open"
    # Zenodo takes the version from the release tag: no second copy of the version here.
    assert "version" not in zenodo


def test_the_version_is_written_in_one_place_only() -> None:
    cff_version = str(yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"])
    assert "version" not in CONFIG
    assert cite_section.load_citation(ROOT / "CITATION.cff")["version"] == cff_version
    tags = subprocess.run(
        ["git", "tag", "--points-at", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for tag in tags:
        if tag.startswith("v"):
            assert tag == f"v{cff_version}", "the release tag must match CITATION.cff's version"


def test_citation_text_and_bibtex_for_a_section() -> None:
    from pybtex.database import parse_string

    meta = cite_section.load_citation(ROOT / "CITATION.cff")
    url = meta["url"] + "book/x.html#x-a"
    got = cite_section.cite(meta, url, "A 100% page", "Costs & #1 items_x", key="x-a")
    for part in (meta["authors"][0], meta["title"], meta["version"], str(meta["year"]), url):
        assert part in got["text"]
    assert "section “Costs & #1 items_x”" in got["text"]
    entry = parse_string(got["bibtex"], "bibtex").entries[f"mlbio{meta['year']}:x-a"]
    assert entry.fields["url"] == url
    assert entry.fields["year"] == str(meta["year"])
    assert entry.fields["version"] == meta["version"]
    assert r"Costs \& \#1 items\_x" in entry.fields["note"]
    assert r"A 100\% page" in entry.fields["note"]
    # The entity author is braced, so BibTeX keeps it as one name (not "authors, The mlbio book").
    assert [p.last_names for p in entry.persons["author"]] == [["{The mlbio book authors}"]]


def test_load_citation_refuses_incomplete_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "CITATION.cff", "title: T\nauthors: []\nurl: https://e.org\n")
    with pytest.raises(cite_section.CitationError, match="version"):
        cite_section.load_citation(path)


def test_people_authors_are_formatted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "CITATION.cff",
        "title: T\nversion: 1.0.0\ndate-released: 2030-05-06\nurl: https://e.org\nauthors:\n"
        "  - {family-names: Curie, given-names: Marie Salomea}\n  - {name: A Consortium}\n",
    )
    meta = cite_section.load_citation(path)
    assert meta["authors"] == ["Curie, M. S.", "A Consortium"]
    assert meta["bibtex_authors"] == ["Curie, Marie Salomea", "{A Consortium}"]
    assert meta["year"] == 2030 and meta["url"] == "https://e.org/"


# ---------------------------------------------------------------------------------------------
# 4. Bibliography
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
    for page in [*PAGES, book_sources.parse_page(ROOT / "book/_template.md", "book/_template")]:
        text = page.path.read_text(encoding="utf-8")
        cited = {k.strip() for group in CITE_ROLE.findall(text) for k in group.split(",")}
        assert cited <= keys, f"{page.path.name}: unknown keys {sorted(cited - keys)}"
        if cited:
            assert any(d.name == "bibliography" for d in page.directives), (
                f"{page.path.name} cites but has no {{bibliography}}"
            )


def test_references_page_lists_every_entry() -> None:
    page = book_sources.parse_page(ROOT / "book/references.md", "book/references")
    (bib,) = [d for d in page.directives if d.name == "bibliography"]
    assert "all" in bib.options
    # A bullet list: no citation targets, so no clash with the chapters' own lists.
    assert bib.options.get("list") == "bullet"


# ---------------------------------------------------------------------------------------------
# 5. Glossary
# ---------------------------------------------------------------------------------------------


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
        for text in TERM_ROLE.findall(page.path.read_text(encoding="utf-8")):
            assert term_target(text) in terms, f"{page.path.name}: {{term}}`{text}`"
            linked += 1
    assert linked > 0
    assert term_target("features <feature>") == "feature"


# ---------------------------------------------------------------------------------------------
# 6. Chapter metadata and the instructors' table
# ---------------------------------------------------------------------------------------------


def test_there_are_chapters() -> None:
    assert CHAPTERS, "no chapter in _toc.yml outside the Reference part"


@pytest.mark.parametrize("page", CHAPTERS, ids=[p.docname for p in CHAPTERS])
def test_every_chapter_has_complete_front_matter(page: book_sources.Page) -> None:
    meta = chapter_meta(page.path)
    assert re.fullmatch(r"\d+ min", str(meta["time_read"])), meta["time_read"]
    assert re.fullmatch(r"\d+ min", str(meta["time_run"])), meta["time_run"]
    assert any(d.name == "chapter-info" for d in page.directives), "add ```{chapter-info}```"


def test_front_matter_checker_catches_a_missing_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.md",
        "---\nmlbio:\n  levels: [novice]\n  objectives: [x]\n  prerequisites: []\n"
        "  time_read: 5 min\n---\n# C\n",
    )
    with pytest.raises(ChapterMetaError, match="time_run"):
        chapter_meta(path)


def test_instructors_table_has_one_row_per_chapter() -> None:
    rows = instructors.chapter_rows(ROOT)
    assert [r["docname"] for r in rows] == [c.docname for c in CHAPTERS]
    table = instructors.table_markdown(rows)
    for row in rows:
        assert f"<{row['label']}>`" in table, row["docname"]
        for label, _title, _level in row["exercises"]:
            assert f"<{label}>`" in table
    text = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    assert "```{instructors-table}" in text
    assert "2-hour workshop" in text and "4-week module" in text


def test_course_plans_cite_existing_anchors_and_exercises() -> None:
    text = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    plans = text[text.index("(instructors-plans)=") : text.index("(instructors-citing)=")]
    refs = [term_target(r) for r in re.findall(r"\{ref\}`([^`]+)`", plans)]
    known = set(book_sources.current_anchors(ROOT)) | {
        ex.options.get("label") for page in PAGES for ex in page.exercises()
    }
    assert len(refs) >= 10
    assert sorted(set(refs) - known) == []
    assert "2-hour workshop" in plans and "4-week module" in plans


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
    rows = instructors.chapter_rows(tmp_path)
    assert [r["docname"] for r in rows] == ["book/one"]
    assert rows[0]["exercises"] == [("one-ex-q", "Q", "advanced")]
    assert rows[0]["anchors"] == [("one-a", "A")]
    assert "{bdg-danger}`advanced`" in instructors.table_markdown(rows)
    write(tmp_path / "book/one.md", front.replace("  time_run: 1 min\n", ""))
    with pytest.raises(ChapterMetaError):
        instructors.chapter_rows(tmp_path)


# ---------------------------------------------------------------------------------------------
# 7. Exercises and the chapter template
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_exercises_follow_the_convention(page: book_sources.Page) -> None:
    assert book_sources.exercise_problems(page) == []


def test_exercise_checker_catches_missing_level_and_visible_solution(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.md",
        "(c)=\n# C\n\n```{exercise} One\n:label: c-ex-one\n\nQ\n```\n\n"
        "```{solution} c-ex-one\n:label: c-sol-one\n\nA\n```\n\n"
        "```{exercise} Two\n:label: other-two\n:class: level-expert\n```\n",
    )
    problems = "\n".join(book_sources.exercise_problems(book_sources.parse_page(path, "c")))
    assert "level-novice" in problems  # no level class on exercise one
    assert "dropdown" in problems  # its solution is visible
    assert "must start with 'c-ex-'" in problems
    assert "'other-two' has no solution" in problems


def test_chapter_template_follows_the_rules_and_is_not_built() -> None:
    template = ROOT / "book" / "_template.md"
    page = book_sources.parse_page(template, "book/_template", part="Template")
    assert book_sources.label_problems(page) == []
    assert book_sources.exercise_problems(page) == []
    chapter_meta(template)
    names = [d.name for d in page.directives]
    for needed in ("chapter-info", "admonition", "exercise", "bibliography"):
        assert needed in names, needed
    assert any(d.argument == "Why this choice?" for d in page.directives)
    titles = [h.title for h in page.headings]
    assert "Key takeaways" in titles and "Exercises" in titles and "References" in titles
    assert "book/_template" not in [p.docname for p in PAGES]
    assert "_template.md" in CONFIG["execute"]["exclude_patterns"]
    assert CONFIG["only_build_toc_files"] is True


def test_every_level_has_a_badge_colour() -> None:
    assert set(cite_section.LEVEL_BADGE) == set(book_sources.LEVELS)


# ---------------------------------------------------------------------------------------------
# 8. CONTRIBUTING.md
# ---------------------------------------------------------------------------------------------


def test_contributing_explains_each_kind_of_contribution() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needed in (
        "make book",
        "make test",
        "make lint",
        "make bench",
        "data/registry.csv",
        "data/README.md",
        "mlbio.datasets",
        "book/references.bib",
        "book/_template.md",
        "level-novice",
        "book/redirects.yml",
        "tools/anchors.py",
        "CITATION.cff",
    ):
        assert needed in text, needed


def test_readme_says_how_to_cite() -> None:
    readme = ROOT / "README.md"
    if not readme.is_file():
        pytest.fail("README.md is missing")
    assert "Cite this book" in readme.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The built site
# ---------------------------------------------------------------------------------------------


def cite_data(html_text: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="mlbio-cite-data">(.*?)</script>', html_text, re.S
    )
    assert match, "no citation data on the page"
    return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_every_built_page_shows_how_to_cite_it(built_site: Path, page: book_sources.Page) -> None:
    meta = cite_section.load_citation(ROOT / "CITATION.cff")
    text = (built_site / f"{page.docname}.html").read_text(encoding="utf-8")
    assert "How to cite this page" in text
    assert f"version {meta['version']}" in text
    assert "@misc{mlbio" in text and "Copy BibTeX" in text
    data = cite_data(text)
    for heading in page.anchors():
        # Every labelled section is an anchor of the page, and citable from the box.
        assert f'id="{heading.label}"' in text, heading.label
        if heading.level > 1:
            entry = data["entries"][heading.label]
            assert entry["url"].endswith(f"{page.docname}.html#{heading.label}")
            assert f"url = {{{entry['url']}}}" in entry["bibtex"]


def test_built_instructors_page_has_a_row_per_chapter(built_site: Path) -> None:
    text = (built_site / "book" / "instructors.html").read_text(encoding="utf-8")
    table = text[text.index("mlbio-instructors-table") :]
    table = table[: table.index("</table>")]
    rows = table.count("<tr")
    assert rows == len(CHAPTERS) + 1  # a header row, then one row per chapter
    for chapter in CHAPTERS:
        assert f'href="{Path(chapter.docname).name}.html' in table, chapter.docname


def test_built_exercises_have_level_classes_and_unique_ids(built_site: Path) -> None:
    seen = 0
    for page in PAGES:
        text = (built_site / f"{page.docname}.html").read_text(encoding="utf-8")
        ids = re.findall(r'\sid="([^"]+)"', text)
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, f"{page.docname}: duplicate ids {sorted(duplicates)[:5]}"
        for ex in page.exercises():
            level = book_sources.exercise_level(ex)
            assert re.search(
                rf'class="exercise level-{level}[^"]*" id="{ex.options["label"]}"', text
            ), ex.options["label"]
            seen += 1
        assert 'class="solution admonition"' not in text, "a solution is not folded"
    assert seen > 0


def test_built_references_page_lists_the_seed_literature(built_site: Path) -> None:
    text = (built_site / "book" / "references.html").read_text(encoding="utf-8")
    for needle in ("Deep learning", "Opportunities and obstacles", "Selene", "practically"):
        assert needle in text
