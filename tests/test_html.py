"""The built HTML itself: valid (Nu Html Checker), links that resolve, no third-party assets,
a sitemap and a 404 page for GitHub Pages, and pages within the weight budget.

The Nu Html Checker is ``vnu.jar`` from the npm package ``vnu-jar`` (pinned in package.json,
installed into node_modules by ``tools/vendor.py``); it needs Java. Without either, the check is
skipped on a developer's machine and fails in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from mlbio_book import budgets, toc
from mlbio_book.serve import site_prefix

ROOT = toc.ROOT
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: Nu Html Checker errors caused by markup we do not control, each matched narrowly by its
#: message, with the reason. (Empty: the fixes live in mlbio_book.repairs.)
VNU_IGNORED: list[tuple[re.Pattern[str], str]] = []
EXTERNAL = ("http:", "https:", "//")
#: ``rel`` values of ``<link>`` elements a reader follows (not loaded by the browser).
LINK_RELS = {"next", "prev", "index", "search", "up"}


@dataclass(frozen=True)
class Parsed:
    """The ids of a page, the URLs it links to and the URLs it loads."""

    ids: frozenset[str]
    links: tuple[str, ...]
    loads: tuple[str, ...]


@cache
def parse(path: Path) -> Parsed:
    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    ids = {tag["id"] for tag in page.find_all(id=True)}
    ids |= {tag["name"] for tag in page.find_all("a", attrs={"name": True})}
    links = [a["href"] for a in page.find_all("a", href=True)]
    links += [
        link["href"]
        for link in page.find_all("link", href=True)
        if LINK_RELS & set(link.get("rel") or [])
    ]
    return Parsed(frozenset(ids), tuple(links), tuple(budgets.loaded_urls(page)))


def pages(html: Path) -> list[Path]:
    return toc.built_pages(html)


def resolve(html: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment an internal URL of ``page`` points to (None if external)."""
    if url.startswith(EXTERNAL) or url.startswith(("mailto:", "data:", "javascript:", "tel:")):
        return None
    prefix = site_prefix()
    if url.startswith("/"):  # 404.html uses absolute paths under the site's prefix
        assert url.startswith(prefix), f"{page.name}: {url} is outside the site {prefix}"
        url = "/" + url[len(prefix) :]
        base = html.as_uri() + "/"
        target = urljoin(base, url.lstrip("/"))
    else:
        target = urljoin(page.as_uri(), url)
    parsed = urlparse(target)
    path = Path(unquote(parsed.path))
    if path.is_dir():
        path = path / "index.html"
    return path, unquote(parsed.fragment)


def test_pages_are_valid_html(built_site: Path) -> None:
    if not VNU.is_file() or shutil.which("java") is None:
        message = f"the Nu Html Checker needs {VNU} (npm ci) and Java"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    files = [str(p) for p in pages(built_site)]
    proc = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(proc.stderr or proc.stdout)["messages"]
    errors = [
        f"{Path(unquote(urlparse(m.get('url', '')).path)).relative_to(built_site)}:"
        f"{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
        and not any(rx.search(m["message"]) for rx, _ in VNU_IGNORED)
    ]
    assert errors == [], "\n".join(errors[:40])
    assert len(files) >= 4


def test_internal_links_and_anchors_resolve(built_site: Path) -> None:
    broken: dict[str, list[str]] = defaultdict(list)
    checked = 0
    for page in pages(built_site):
        collected = parse(page)
        for url in collected.links + collected.loads:
            found = resolve(built_site, page, url)
            if found is None:
                continue
            path, fragment = found
            checked += 1
            rel = page.relative_to(built_site).as_posix()
            if not path.is_file():
                broken[rel].append(f"{url} (no file)")
            elif fragment and path.suffix == ".html" and fragment not in parse(path).ids:
                broken[rel].append(f"{url} (no anchor #{fragment})")
    assert dict(broken) == {}
    assert checked > 100


def test_no_page_loads_anything_from_another_site(built_site: Path) -> None:
    # Links a reader clicks (Binder, the repository, DOIs) are fine; loaded assets are not.
    outside = {
        page.relative_to(built_site).as_posix(): [
            u for u in parse(page).loads if u.startswith(EXTERNAL)
        ]
        for page in pages(built_site)
    }
    assert {p: u for p, u in outside.items() if u} == {}
    # Nor any script or stylesheet: a CSS @import or url() of another site would load too.
    for asset in (built_site / "_static").rglob("*.css"):
        text = asset.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"""(@import|url\()\s*['"]?(https?:)?//""", text), asset


def test_sitemap_lists_every_page_under_the_base_url(built_site: Path) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    base = config["html"]["baseurl"]
    tree = ET.parse(built_site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in tree.getroot().findall("s:url/s:loc", ns)]
    assert urls and all(u.startswith(base) for u in urls)
    listed = {u[len(base) :] for u in urls}
    for rel in listed:
        assert (built_site / rel).is_file(), rel

    def is_document(path: Path) -> bool:
        head = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").head
        canonical = head.find("link", rel="canonical") is not None
        return canonical and head.find("meta", attrs={"http-equiv": True}) is None

    expected = {
        p.relative_to(built_site).as_posix() for p in pages(built_site) if is_document(p)
    } - {"404.html", "search.html", "genindex.html"}
    assert listed == expected


def test_404_page_is_at_the_root_with_absolute_links(built_site: Path) -> None:
    page = built_site / "404.html"
    assert page.is_file()
    collected = parse(page)
    prefix = site_prefix()
    local = [u for u in collected.loads if not u.startswith(EXTERNAL + ("data:",))]
    assert local and all(u.startswith(prefix) for u in local), local[:5]
    assert (built_site / ".nojekyll").is_file()  # GitHub Pages must not drop _static/


def test_every_page_is_within_the_weight_budget(built_site: Path) -> None:
    weights = budgets.page_weights(built_site)
    assert weights, "no page measured"
    over = {p: w for p, w in weights.items() if w["page_bytes"] > budgets.PAGE_BUDGET}
    assert over == {}, f"pages over {budgets.PAGE_BUDGET} bytes"


def test_theme_override_matches_the_installed_theme() -> None:
    # book/_templates/static/webpack-macros.html copies the theme's macro minus fontawesome.js;
    # when the theme is upgraded its asset digest changes and the copy must be redone.
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme/pydata_sphinx_theme/static"
    original = (theme / "webpack-macros.html").read_text()
    ours = (ROOT / "book/_templates/static/webpack-macros.html").read_text()
    digest = re.search(r"digest=(\w+)", original).group(1)
    assert set(re.findall(r"digest=(\w+)", ours)) == {digest}
    stripped = [line.strip() for line in original.splitlines() if "fontawesome" not in line]
    stripped = [line.replace("styles/theme.css", "basic.css") for line in stripped]
    for line in ours.splitlines():
        if "pathto(" in line:
            assert line.strip() in stripped, line
    theme_css = theme / "styles" / "theme.css"
    assert re.sub(r"/\*.*?\*/", "", theme_css.read_text(), flags=re.S).strip() == (
        '@import "../basic.css";'
    )


#: Pages nobody links to: no link preview (sphinxext-opengraph leaves out the generated index).
NOT_LINKED = ("404.html", "search.html", "genindex.html")


def test_every_page_previews_well_when_linked(built_site: Path) -> None:
    """Open Graph and Twitter card tags: title, a short description, the book's own card image."""
    from PIL import Image

    base = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    checked = 0
    for page in pages(built_site):
        head = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").head
        if head.find("meta", attrs={"http-equiv": True}) or page.name in NOT_LINKED:
            continue
        rel = page.relative_to(built_site).as_posix()
        og = {m["property"]: m["content"] for m in head.find_all("meta", property=True)}
        assert og.get("og:title") and og["og:url"] == base + rel, rel
        description = og.get("og:description", "")
        assert 40 <= len(description) <= 210, f"{rel}: description of {len(description)} characters"
        assert head.find("meta", attrs={"name": "description"})["content"] == description, rel
        assert head.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
        image = og["og:image"]
        assert image.startswith(base + "_images/social_previews/"), rel  # made at build time
        card = Image.open(built_site / image.removeprefix(base)).convert("RGB")
        # The book's logo (blue #0072B2, tools/logo.py) in the card's corner, not Sphinx's.
        corner = card.crop((card.width * 3 // 4, card.height * 3 // 4, card.width, card.height))
        blue = sum(
            count
            for count, (r, g, b) in corner.getcolors(corner.width * corner.height)
            if abs(r - 0x00) < 40 and abs(g - 0x72) < 40 and abs(b - 0xB2) < 40
        )
        assert blue > 500, f"{rel}: the card does not show the book's logo"
        checked += 1
    assert checked >= 5
    # A chapter is described by what its reader will learn (its front matter), briefly.
    from mlbio_book import chapters, frontmatter

    for chapter in toc.chapters():
        head = BeautifulSoup(
            (built_site / f"{chapter.docname}.html").read_text(encoding="utf-8"), "html.parser"
        ).head
        expected = chapters.description(frontmatter.chapter_meta(chapter.path))
        assert head.find("meta", property="og:description")["content"] == expected


def test_pages_load_what_the_first_screen_needs_first(built_site: Path) -> None:
    """Deferred stylesheets, sized and lazy images, MathJax only through its loader."""
    from mlbio_book import speed

    for page in pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        rel = page.relative_to(built_site).as_posix()
        if soup.find("meta", attrs={"http-equiv": True}) or rel == "404.html":
            continue  # redirects; the 404 page keeps sphinx-notfound-page's own asset links
        noscript = "".join(str(n) for n in soup.head.find_all("noscript"))
        for link in soup.head.find_all("link", rel="stylesheet"):
            name = Path(urlparse(link["href"]).path).name
            if link.find_parent("noscript"):
                continue
            if name in speed.DEFERRED_CSS:
                assert link.get("media") == "print" and link.get("onload"), (rel, name)
                assert name in noscript, f"{rel}: no <noscript> copy of {name}"
            elif name != "mlbio-print.css":
                assert not link.get("media"), f"{rel}: {name} should block (the first screen)"
        # Sphinx's search index is loaded by the search page only.
        scripts = [s.get("src", "") for s in soup.find_all("script")]
        assert any("searchindex.js" in src for src in scripts) == (rel == "search.html"), rel
        # MathJax is never loaded directly: its loader fetches it when an equation nears.
        assert not any("mathjax" in src.lower() for src in scripts), rel
        has_math = soup.find(class_="math") is not None
        assert any(speed.MATH_LOADER in src for src in scripts) >= has_math, rel
        body = soup.find("article") or soup.body
        h2 = body.find("h2")
        first_h2 = (h2.sourceline, h2.sourcepos) if h2 else None
        for img in body.find_all("img"):
            assert img.get("width") and img.get("height"), f"{rel}: {img.get('src')} has no size"
            assert img.get("decoding") == "async"
            after_h2 = first_h2 is not None and (img.sourceline, img.sourcepos) > first_h2
            assert (img.get("loading") == "lazy") == after_h2, f"{rel}: {img.get('src')}"


def test_icon_fonts_hold_every_icon_the_site_uses(built_site: Path) -> None:
    from fontTools.ttLib import TTFont
    from mlbio_book import speed

    used = speed.icons_used(built_site)
    assert "fa-magnifying-glass" in used.classes and len(used.codepoints) >= 10
    fonts = {name: TTFont(built_site / speed.ICONS_DIR / name) for name in speed.FONTS}
    covered = set().union(*(set(f.getBestCmap()) for f in fonts.values()))
    originals = set()
    for source in speed.FONTS.values():
        originals |= set(TTFont(built_site / speed.FONTS_DIR / source).getBestCmap())
    assert used.codepoints & originals <= covered
    # The subsets replace the theme's fonts: same families, in the book's stylesheet.
    css = (built_site / "_static" / "custom.css").read_text()
    for name in speed.FONTS:
        assert f"mlbio-icons/{name}" in css
    assert sum((built_site / speed.ICONS_DIR / n).stat().st_size for n in speed.FONTS) < 30_000
