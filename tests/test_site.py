"""The built site in a real browser: Debian's Chromium driven by playwright.

Every HTML page of ``_build/html`` is opened twice: served over HTTP on 127.0.0.1 under the
same path as on GitHub Pages (``tools/serve.py``), and from disk as ``file:`` URLs, as a reader
who saved the site would open it. Each visit records console errors, uncaught exceptions, every
request (anything not ``file:``, ``data:``, ``blob:`` or the local server is aborted and
reported), whether every altair chart and every equation was drawn, and, over HTTP, axe-core's
accessibility report (WCAG 2.2 A/AA rules) for a reader in light mode and one in dark mode, and
the page's width on a phone.

The keyboard tests Tab through every page of the table of contents (the skip link first, every
control reached, each with a visible focus indicator) and open and close the search dialog with
Ctrl+K and with its button. The print test renders each chapter to PDF (``page.pdf``) and checks,
in the print layout of an A4 page, that nothing passes the right margin, that figures, charts and
solutions are printed, code is wrapped, links show their addresses and no sidebar or button is
left.

axe-core is the copy that ``package.json`` pins (``node_modules/axe-core``, installed by
``npm ci`` in ``make test``), injected into the page: the current release, not the older copy
that Python wrappers bundle.

The browser and its flags come from :mod:`mlbio_book.browser` (``$MLBIO_CHROMIUM``, default
``/usr/bin/chromium``). Without it these tests are skipped on a developer's machine and fail in CI
(``CI`` set), so that CI never passes silently.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from mlbio.altair import CHART_CLASS
from mlbio_book import browser as book_browser
from mlbio_book import toc
from mlbio_book.serve import serve

ROOT = toc.ROOT
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
#: Seconds to wait for charts and equations to be drawn.
RENDER_TIMEOUT_MS = 30_000

#: axe rules that fail the test (impact "serious" or "critical").
BLOCKING = {"serious", "critical"}
#: The axe-core of package.json (npm), injected into each page.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: No CSSOM preload: axe would re-fetch the stylesheets itself and resolve the theme's
#: `@import "../basic.css"` against the page (a spurious 404). Only the rule
#: css-orientation-lock needs the CSSOM, and no stylesheet here locks the orientation.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": AXE_TAGS},
    "resultTypes": ["violations"],
    "preload": False,
}
RUN_AXE = "(options) => axe.run(document, options)"
#: Narrow, documented exclusions: (rule id, CSS selector of the offending node, why).
AXE_EXCLUSIONS: list[tuple[str, str, str]] = []

WAIT_FOR_RENDERING = """
async ({ timeout, chart: chartClass }) => {
  const CHART = "div." + chartClass;  // the chart container class of mlbio.altair
  // Charts are drawn when they come near the screen: scroll to each, as a reader would.
  const start = Date.now();
  for (const chart of document.querySelectorAll(CHART)) {
    chart.scrollIntoView();
    while (!chart.dataset.rendered && Date.now() - start < timeout) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // MathJax loads when an equation comes near the screen (mlbio-math.js) and typesets what the
  // reader sees: scroll to each equation too.
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const equations = document.querySelectorAll(".math");
  if (equations.length && window.mlbioLoadMath) {
    equations[0].scrollIntoView();
    while (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) {
      if (Date.now() - start > timeout) break;
      await sleep(50);
    }
    if (window.MathJax.startup && window.MathJax.startup.promise) {
      await window.MathJax.startup.promise;
    }
    for (const equation of equations) {
      equation.scrollIntoView({ block: "center" });
      while (!equation.querySelector("mjx-container") && Date.now() - start < timeout) {
        await sleep(25);
      }
    }
  }
  window.scrollTo(0, 0);
  return true;
}
"""

INSPECT = """
(chart) => ({
  charts: [...document.querySelectorAll("div." + chart)].map((c) => ({
    id: c.id,
    state: c.dataset.rendered || "pending",
    drawn: c.querySelectorAll(`.${chart}-view svg.marks, .${chart}-view canvas`).length,
  })),
  math: [...document.querySelectorAll(".math")].map((m) => ({
    text: m.textContent.slice(0, 60),
    drawn: m.querySelectorAll("mjx-container").length,
    errors: m.querySelectorAll("mjx-merror, [data-mjx-error]").length,
  })),
  binder: [...document.querySelectorAll("a[href*='mybinder.org']")].map((a) => a.href),
  code_blocks: document.querySelectorAll("div.highlight pre").length,
  // Stylesheets that load without blocking (mlbio_book.speed) must be applied once loaded.
  css_pending: [...document.querySelectorAll("link[rel=stylesheet][onload]")]
    .filter((link) => link.media !== "all").map((link) => link.href),
  copy_buttons: document.querySelectorAll("button.copybtn").length,
  title: document.title,
})
"""

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@dataclass
class Visit:
    """What one page did in the browser."""

    url: str
    status: int | None = None
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    math: list[dict] = field(default_factory=list)
    binder: list[str] = field(default_factory=list)
    code_blocks: int = 0
    copy_buttons: int = 0
    title: str = ""
    final_url: str = ""
    axe: list[str] = field(default_factory=list)
    axe_dark: list[str] = field(default_factory=list)
    phone_width: tuple[int, int] = (0, 0)
    css_pending: list[str] = field(default_factory=list)
    theme_fonts: list[str] = field(default_factory=list)


def site_pages(html: Path) -> list[str]:
    """Every page of the site, relative to its root."""
    return [p.relative_to(html).as_posix() for p in toc.built_pages(html)]


def is_redirect(path: Path) -> bool:
    """Whether a built page only forwards the reader elsewhere (meta refresh)."""
    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    refresh = page.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.I)})
    return refresh is not None


def blocking_violations(result: dict) -> list[str]:
    """Serious/critical axe violations, minus the documented exclusions, as readable lines."""
    lines = []
    for v in result["violations"]:
        if v["impact"] not in BLOCKING:
            continue
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            if any(v["id"] == rule and sel in target for rule, sel, _ in AXE_EXCLUSIONS):
                continue
            lines.append(f"{v['impact']} {v['id']}: {target} ({v['help']})")
    return lines


def axe_source() -> str:
    """The pinned axe-core's script; skip (fail in CI) when ``npm ci`` has not installed it."""
    if not AXE.is_file():
        message = f"no axe-core at {AXE}: run `npm ci` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def pinned_axe_version() -> str:
    return json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]


def _axe(page, scheme: str) -> list[str]:
    """Blocking axe violations of the page for a reader whose system is in ``scheme`` mode."""
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(
        "(scheme) => document.documentElement.dataset.theme === scheme", arg=scheme
    )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    version = page.evaluate("() => axe.version")
    assert version == pinned_axe_version(), f"axe-core {version} is not the pinned one"
    return blocking_violations(page.evaluate(RUN_AXE, AXE_OPTIONS))


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (the system's, never a downloaded one)."""
    if not book_browser.CHROMIUM.is_file():
        message = (
            f"no Chromium at {book_browser.CHROMIUM} "
            "(set MLBIO_CHROMIUM or install Debian's chromium)"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(book_browser.CHROMIUM), args=list(book_browser.FLAGS)
        )
        yield chromium
        chromium.close()


def _settle(page) -> dict:
    """Wait for charts and equations, following a redirect page to its target; inspect."""
    from playwright.sync_api import Error

    for _ in range(3):
        try:
            page.evaluate(WAIT_FOR_RENDERING, {"timeout": RENDER_TIMEOUT_MS, "chart": CHART_CLASS})
            return page.evaluate(INSPECT, CHART_CLASS)
        except Error as err:  # a redirect page navigated away while we looked at it
            if "context was destroyed" not in str(err):
                raise
            page.wait_for_load_state("load")
    raise AssertionError(f"{page.url} keeps navigating")


def _visit(
    browser, url: str, allowed: tuple[str, ...], *, audit: bool, redirect: bool = False
) -> Visit:
    visit = Visit(url)
    context = browser.new_context(viewport=DESKTOP, service_workers="block")

    def route(r) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            visit.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and visit.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and visit.errors.append(f"HTTP {r.status}: {r.url}"),
    )
    # The theme's full icon fonts are replaced by subsets (mlbio_book.speed): never loaded.
    page.on(
        "request",
        lambda r: "/vendor/fontawesome/webfonts/" in r.url and visit.theme_fonts.append(r.url),
    )
    response = page.goto(url, wait_until="load")
    visit.status = response.status if response else None
    if redirect:  # a page that forwards the reader: look at where it lands
        page.wait_for_url(lambda u: u != url, timeout=RENDER_TIMEOUT_MS)
        page.wait_for_load_state("load")
    visit.final_url = page.url
    found = _settle(page)
    visit.charts, visit.math = found["charts"], found["math"]
    visit.binder, visit.title = found["binder"], found["title"]
    visit.code_blocks, visit.copy_buttons = found["code_blocks"], found["copy_buttons"]
    visit.css_pending = found["css_pending"]
    if audit:
        # A reader in light mode, then one in dark mode (the theme follows the system's
        # preference: pydata-sphinx-theme's "auto" mode). Transitions off first: axe must not
        # sample colours halfway through the switch.
        # And every section drawn: axe measures targets and backgrounds where it scrolls them
        # to, which is off while the sections around them still have estimated heights
        # (content-visibility: auto). Drawn sections look exactly as with it.
        page.add_style_tag(
            content="* { transition: none !important; content-visibility: visible !important; }"
        )
        visit.axe = _axe(page, "light")
        visit.axe_dark = _axe(page, "dark")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(200)
        visit.phone_width = tuple(page.evaluate(PAGE_WIDTH))
    context.close()
    return visit


@pytest.fixture(scope="module")
def served(built_site: Path):
    with serve(built_site) as base:
        yield base


@pytest.fixture(scope="module")
def http_visits(browser, built_site: Path, served: str) -> dict[str, Visit]:
    """Every page over HTTP, as GitHub Pages serves it, with the accessibility audit."""
    origin = served.split("/", 3)
    allowed = (*LOCAL_SCHEMES, "/".join(origin[:3]) + "/")
    return {
        p: _visit(browser, served + p, allowed, audit=True, redirect=is_redirect(built_site / p))
        for p in site_pages(built_site)
    }


@pytest.fixture(scope="module")
def file_visits(browser, built_site: Path) -> dict[str, Visit]:
    """Every page opened from disk (a saved copy, offline); 404.html needs a server by design."""
    pages = [p for p in site_pages(built_site) if p != "404.html"]
    return {
        p: _visit(
            browser,
            (built_site / p).as_uri(),
            LOCAL_SCHEMES,
            audit=False,
            redirect=is_redirect(built_site / p),
        )
        for p in pages
    }


def _failures(visits: dict[str, Visit], attr: str) -> dict[str, list]:
    return {page: getattr(v, attr) for page, v in visits.items() if getattr(v, attr)}


def test_site_has_the_expected_pages(built_site: Path) -> None:
    pages = site_pages(built_site)
    for required in ("index.html", "404.html", "search.html", "book/index.html"):
        assert required in pages


def test_pages_load_without_errors_over_http(http_visits: dict[str, Visit]) -> None:
    assert _failures(http_visits, "errors") == {}
    bad_status = {p: v.status for p, v in http_visits.items() if v.status != 200}
    assert bad_status == {"404.html": 200} or bad_status == {}


def test_pages_load_without_errors_from_disk(file_visits: dict[str, Visit]) -> None:
    assert _failures(file_visits, "errors") == {}


def test_no_request_leaves_the_site(
    http_visits: dict[str, Visit], file_visits: dict[str, Visit]
) -> None:
    assert _failures(http_visits, "outside") == {}
    assert _failures(file_visits, "outside") == {}


def _uses_altair() -> list[str]:
    return [
        page.path.name
        for page in toc.pages()
        if re.search(r"mlbio\.altair|from mlbio import altair", page.path.read_text())
    ]


@pytest.mark.parametrize("mode", ["http", "file"])
def test_every_chart_is_drawn(
    mode: str, http_visits: dict[str, Visit], file_visits: dict[str, Visit]
) -> None:
    visits = http_visits if mode == "http" else file_visits
    broken = {
        page: [c for c in v.charts if c["state"] != "true" or c["drawn"] < 1]
        for page, v in visits.items()
    }
    assert {p: c for p, c in broken.items() if c} == {}
    if _uses_altair():
        assert sum(len(v.charts) for v in visits.values()) > 0, "chapters use altair: no chart?"


@pytest.mark.parametrize("mode", ["http", "file"])
def test_every_equation_is_typeset(
    mode: str, http_visits: dict[str, Visit], file_visits: dict[str, Visit]
) -> None:
    visits = http_visits if mode == "http" else file_visits
    broken = {
        page: [m["text"] for m in v.math if m["drawn"] != 1 or m["errors"]]
        for page, v in visits.items()
    }
    assert {p: m for p, m in broken.items() if m} == {}


def test_no_serious_accessibility_violations(http_visits: dict[str, Visit]) -> None:
    assert _failures(http_visits, "axe") == {}


def test_no_serious_accessibility_violations_in_dark_mode(http_visits: dict[str, Visit]) -> None:
    assert _failures(http_visits, "axe_dark") == {}


def test_deferred_stylesheets_apply_and_icon_fonts_are_the_subsets(
    http_visits: dict[str, Visit], file_visits: dict[str, Visit]
) -> None:
    for visits in (http_visits, file_visits):
        assert _failures(visits, "css_pending") == {}
        assert _failures(visits, "theme_fonts") == {}


def test_pages_fit_a_phone_screen(http_visits: dict[str, Visit]) -> None:
    # Wide tables and charts must scroll inside their own box, not widen the page.
    too_wide = {
        p: v.phone_width for p, v in http_visits.items() if v.phone_width[0] > v.phone_width[1]
    }
    assert too_wide == {}


def _expected_binder(source: str) -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    hub = config["launch_buttons"]["binderhub_url"].rstrip("/")
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "main")
    ui = (
        "lab/tree" if config["launch_buttons"].get("notebook_interface") == "jupyterlab" else "tree"
    )
    return f"{hub}/v2/gh/{repo}/{branch}?urlpath={ui}/{source}"


def test_launch_buttons_open_this_page_in_binder(
    built_site: Path, http_visits: dict[str, Visit]
) -> None:
    checked, wrong = 0, {}
    notebooks = {f"{page.docname}.html" for page in toc.notebooks()}
    for page, visit in http_visits.items():
        source = Path(page).with_suffix(".md").as_posix()
        if page not in notebooks:
            assert visit.binder == [], f"{page} is not a notebook but has a Binder button"
            continue
        checked += 1
        expected = _expected_binder(source)
        if visit.binder != [expected]:
            wrong[page] = visit.binder
        else:
            query = parse_qs(urlparse(expected).query)
            assert (ROOT / query["urlpath"][0].split("/", 2)[2]).is_file()
    assert wrong == {}, f"expected e.g. {_expected_binder('book/x.md')}"
    assert checked > 0, "no notebook page found"
    assert (ROOT / "binder").is_dir(), "Binder needs the binder/ environment"


def test_missing_pages_get_the_404_page(browser, served: str) -> None:
    origin = "/".join(served.split("/", 3)[:3]) + "/"
    visit = _visit(
        browser, served + "book/no-such-chapter.html", (*LOCAL_SCHEMES, origin), audit=False
    )
    assert visit.status == 404
    assert visit.title.startswith("Page not found")
    # The 404 page's own styles and scripts load (its links are absolute, from html_baseurl).
    missing = served + "book/no-such-chapter.html"
    expected = [f"HTTP 404: {missing}", "console: Failed to load resource: the server responded"]
    assert [e for e in visit.errors if not e.startswith(tuple(expected))] == []
    assert len(visit.errors) == 2
    assert visit.outside == []


def test_theme_scripts_still_run(http_visits: dict[str, Visit]) -> None:
    # Some theme scripts are deferred (mlbio_book.assets): they must still do their job.
    no_copy = {p: v.code_blocks for p, v in http_visits.items() if v.copy_buttons < v.code_blocks}
    assert no_copy == {}
    assert sum(v.code_blocks for v in http_visits.values()) > 0


def test_search_finds_a_word_of_the_book(browser, served: str) -> None:
    origin = "/".join(served.split("/", 3)[:3]) + "/"
    context = browser.new_context(viewport=DESKTOP)
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(origin) else r.abort()
    )
    page = context.new_page()
    page.goto(served + "search.html?q=data", wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=RENDER_TIMEOUT_MS)
    assert page.locator("#search-results ul.search li").count() >= 1
    context.close()


def test_redirect_pages_land_on_a_page_of_the_book(
    built_site: Path, http_visits: dict[str, Visit], file_visits: dict[str, Visit]
) -> None:
    redirects = [p for p in site_pages(built_site) if is_redirect(built_site / p)]
    assert "index.html" in redirects  # the site's root forwards to the landing page
    for visits in (http_visits, file_visits):
        for page in redirects:
            visit = visits[page]
            assert visit.final_url != visit.url and "Page not found" not in visit.title, page


# ---------------------------------------------------------------------------------------------
# The keyboard: skip link, every control reachable with Tab and visibly focused, search dialog
# ---------------------------------------------------------------------------------------------

#: Marks every control a keyboard user must reach (visible, enabled, not taken out of the tab
#: order with tabindex="-1") with data-kb, and returns how many there are.
MARK_CONTROLS = """
() => {
  const selector = "a[href], button, input, select, textarea, summary, [tabindex]";
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.tabIndex < 0 || el.disabled || el.closest("[inert], dialog:not([open])")) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) continue;
    el.dataset.kb = String(n++);
  }
  return n;
}
"""

#: The focused control: its mark, and whether it shows a focus indicator (an outline or a
#: box shadow that it does not have when it is not focused).
FOCUSED = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  // A box shadow draws a ring if it is not transparent and has an offset, a blur or a spread.
  const ring = style.boxShadow.split(/,(?![^(]*\))/).some((shadow) => {
    if (shadow === "none" || /rgba\([^)]*,\s*0\)/.test(shadow)) return false;
    return (shadow.match(/-?[\d.]+px/g) || []).some((length) => parseFloat(length) !== 0);
  });
  return {
    kb: el.dataset.kb ?? null,
    what: el.outerHTML.slice(0, 120),
    visible: el.matches(":focus-visible") && (outline || ring),
  };
}
"""


def _keyboard_pages() -> list[str]:
    return [f"{page.docname}.html" for page in toc.pages()]


@pytest.mark.parametrize("page_name", _keyboard_pages())
def test_keyboard_reaches_every_control_with_a_visible_focus(
    browser, served: str, page_name: str
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(served + page_name, wait_until="load")
    page.evaluate(WAIT_FOR_RENDERING, {"timeout": RENDER_TIMEOUT_MS, "chart": CHART_CLASS})
    total = page.evaluate(MARK_CONTROLS)
    assert total > 5, "no controls found"
    reached, invisible, seen = set(), [], 0
    # Tab through the page from the top until focus comes back to the first control.
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first and "skip" in first["what"].lower(), (
        f"the first Tab should reach the skip link: {first}"
    )
    current = first
    for _ in range(total * 2 + 20):
        if current is not None:
            if current["kb"] is not None:
                reached.add(current["kb"])
            if not current["visible"]:
                invisible.append(current["what"])
        page.keyboard.press("Tab")
        current = page.evaluate(FOCUSED)
        seen += 1
        if current is not None and current["kb"] == first["kb"]:
            break
    missing = page.evaluate(
        "(reached) => [...document.querySelectorAll('[data-kb]')]"
        ".filter((el) => !reached.includes(el.dataset.kb)).map((el) => el.outerHTML.slice(0, 120))",
        sorted(reached),
    )
    context.close()
    assert missing == [], f"{len(missing)} of {total} controls never get the keyboard focus"
    assert invisible == [], f"{len(invisible)} controls show no focus indicator"


def test_skip_link_moves_to_the_content(browser, served: str) -> None:
    chapter = next(p for p in toc.pages() if p.is_chapter)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{served}{chapter.docname}.html", wait_until="load")
    page.keyboard.press("Tab")
    skip = page.locator("#pst-skip-link a")
    assert page.evaluate("() => document.activeElement.closest('#pst-skip-link') !== null")
    # The theme slides the focused link in from above the screen (a CSS transition).
    page.wait_for_function(
        "() => document.querySelector('#pst-skip-link a').getBoundingClientRect().top >= 0",
        timeout=5000,
    )
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 20, "the focused skip link is not on screen"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")
    # The next Tab continues inside the content, past the header and the sidebar.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#main-content') !== null")
    context.close()


@pytest.mark.parametrize("how", ["shortcut", "button"])
def test_search_dialog_opens_and_closes_from_the_keyboard(browser, served: str, how: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(served + _keyboard_pages()[0], wait_until="load")
    dialog = page.locator("#pst-search-dialog")
    assert not dialog.evaluate("(d) => d.open")
    if how == "shortcut":
        page.keyboard.press("Control+k")
    else:  # Tab to the visible search button, then Enter
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('.search-button__button')"):
                break
        else:
            raise AssertionError("Tab never reached the search button")
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('pst-search-dialog').open")
    assert page.evaluate(
        "() => document.activeElement === document.querySelector('#pst-search-dialog input')"
    ), "the search field should have the focus"
    page.keyboard.type("data")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('pst-search-dialog').open")
    context.close()


# ---------------------------------------------------------------------------------------------
# Printing a chapter
# ---------------------------------------------------------------------------------------------

#: The printable width of an A4 page with the print stylesheet's 15 mm margins, in CSS pixels.
A4_CONTENT_PX = (210 - 2 * 15) / 25.4 * 96

PRINTED = """
(limit) => {
  const shown = (el) => el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].slice(0, 3).map((c) => "." + c).join("");
  const past = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && box.right > limit + 1) {
      past.push(`${name(el)} ends at ${Math.round(box.right)} px`);
    }
  }
  const article = document.querySelector("article.bd-article");
  const external = [...article.querySelectorAll("a.reference.external[href^='http']")]
    .filter((a) => !a.closest(".bibliography, #mlbio-cite"));
  return {
    past: past.slice(0, 20),
    chrome: [...document.querySelectorAll(
      ".bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .prev-next-area, button"
    )].filter(shown).map(name).slice(0, 10),
    figures: [...article.querySelectorAll("img, div.mlbio-altair svg.marks")].length,
    figures_shown: [...article.querySelectorAll("img, div.mlbio-altair svg.marks")]
      .filter(shown).length,
    solutions: [...article.querySelectorAll(".solution")].map((s) =>
      [...s.children].slice(1).some(shown)),
    urls: external.map((a) => getComputedStyle(a, "::after").content).slice(0, 50),
    code: [...article.querySelectorAll("div.highlight pre")].map((p) =>
      getComputedStyle(p).whiteSpace),
  };
}
"""


@pytest.mark.parametrize("docname", [page.docname for page in toc.chapters()])
def test_chapter_prints_within_the_page(browser, served: str, docname: str, tmp_path) -> None:
    width = int(A4_CONTENT_PX)
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.goto(f"{served}{docname}.html", wait_until="load")
    page.evaluate(WAIT_FOR_RENDERING, {"timeout": RENDER_TIMEOUT_MS, "chart": CHART_CLASS})
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    found = page.evaluate(PRINTED, width)
    pdf = page.pdf(path=str(tmp_path / "chapter.pdf"), prefer_css_page_size=True)
    context.close()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") >= 2
    assert found["past"] == [], "cut off at the right margin of an A4 page"
    assert found["chrome"] == [], "sidebars, menus or buttons on paper"
    assert found["figures_shown"] == found["figures"], "a figure or chart is not printed"
    assert found["solutions"] and all(found["solutions"]), "solutions are not printed"
    assert all(style in ("pre-wrap", "break-spaces") for style in found["code"]), "code not wrapped"
    assert found["urls"] and all("://" in after for after in found["urls"]), found["urls"][:3]
