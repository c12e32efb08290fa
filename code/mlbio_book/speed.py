"""Fast pages on a phone: what each page loads, and when (``make budgets`` measures it).

Every rule here is generic: it holds for any page that follows the chapter template, whatever its
length, figures, charts or equations.

* **Stylesheets the first screen does not need do not block it.** :data:`DEFERRED_CSS` lists
  them, each with the reason; they load with the ``media="print"`` swap (applied once loaded,
  and always when printing), with a ``<noscript>`` copy for readers without JavaScript. What
  lays out the first screen (the theme, sphinx-design's badges, myst-nb's cells,
  togglebutton's folded solutions, the book's own CSS) stays render-blocking, so nothing shifts.
* **Images** get their intrinsic ``width`` and ``height`` (no layout shift while they load, as
  the theme scales them with ``max-width: 100%; height: auto``), ``decoding="async"``, and
  ``loading="lazy"`` when they come after the page's first ``<h2>`` (those before it may be
  on the first screen, where lazy loading would delay the largest paint).
* **Sphinx's options script** (``documentation_options.js``, the one script that must run
  before the page's own) is written into the page instead of being fetched.
* **MathJax** loads only on pages with mathematics, and only when an equation comes near the
  screen (``mlbio-math.js``); its lazy-typesetting module then typesets what the reader sees.
* **Icon fonts** are cut down to the icons the site uses: Font Awesome's three fonts weigh
  0.3 MB and every page loads two of them for its header buttons. After the build,
  :func:`subset_icon_fonts` collects the icons of every page (``fa-*`` classes, and the icons
  the theme's CSS and JavaScript use) and writes subsets that ``custom.css`` declares in place
  of the theme's fonts (a later ``@font-face`` of the same family and weight wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Stylesheets that load without blocking the first paint, and why they may wait.
DEFERRED_CSS = {
    "pygments.css": "colours of code: late colours move nothing on the screen",
    "copybutton.css": "copy buttons appear on hovering a code cell; placed absolutely",
    "exercise.css": "exercises are at the end of a chapter",
    "mlbio-cite.css": "the 'How to cite this page' box is at the end of a page",
}
#: The MathJax loader (``book/_static``): MathJax comes when an equation nears the screen.
MATH_LOADER = "mlbio-math.js"
#: What the theme's Font Awesome fonts are called in the site, and what the subsets are called.
FONTS_DIR = "_static/vendor/fontawesome/webfonts"
ICONS_DIR = "_static/mlbio-icons"
FONTS = {  # subset file -> the theme's TrueType font it is cut from
    "fa-solid-900.woff": "fa-solid-900.ttf",
    "fa-regular-400.woff": "fa-regular-400.ttf",
    "fa-brands-400.woff": "fa-brands-400.ttf",
}
THEME_CSS = "_static/styles/pydata-sphinx-theme.css"
OPTIONS_JS = "_static/documentation_options.js"
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')
#: ``.fa-name:before{content:"\f001"}`` (selector lists too) in the theme's CSS.
_ICON_RULE = re.compile(r"((?:\.fa-[a-z0-9-]+:(?::)?before,?)+)\{content:\"([^\"]*)\"\}")
_ICON_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
_PUA = re.compile(r"\\(f[0-9a-f]{3}|e[0-9a-f]{3})\b", re.I)


# ---------------------------------------------------------------------------------------------
# Stylesheets
# ---------------------------------------------------------------------------------------------


def is_deferred(css: object) -> bool:
    """Whether a stylesheet of the page may load after the first paint."""
    name = Path(str(getattr(css, "filename", "") or "")).name
    return name in DEFERRED_CSS


def _defer_css(context: dict) -> None:
    styles = context.get("css_files")
    css_tag = context.get("css_tag")
    if not isinstance(styles, list) or css_tag is None:
        return
    noscript = []
    for i, css in enumerate(styles):
        attrs = getattr(css, "attributes", None)
        if attrs is None or not is_deferred(css) or attrs.get("media"):
            continue
        plain = type(css)(css.filename, priority=css.priority, **attrs)
        noscript.append(css_tag(plain))
        styles[i] = type(css)(
            css.filename,
            priority=css.priority,
            **{**attrs, "media": "print", "onload": "this.media='all'"},
        )
    context["mlbio_noscript_css"] = "".join(noscript)


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------


def image_sizes(app: Sphinx) -> dict[str, Path]:
    """The source file of each image Sphinx copies into ``_images/``, by its name there."""
    srcdir = Path(app.srcdir)
    return {name: srcdir / src for src, name in getattr(app.builder, "images", {}).items()}


def _size(path: Path) -> tuple[int, int] | None:
    import imagesize

    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def lazy_images(body: str, find: dict[str, Path]) -> str:
    """Give every ``<img>`` of a page body its size, async decoding and (late ones) lazy loading.

    ``find`` maps an image's file name (in ``_images/``) to its source file, from which the
    intrinsic size is read; an image already sized, or whose file is unknown, keeps its size.
    """
    first_h2 = body.find("<h2")
    first_h2 = len(body) if first_h2 < 0 else first_h2

    def fix(match: re.Match[str]) -> str:
        tag = match.group(0)
        attrs = dict(_ATTR.findall(tag))
        extra = []
        if "width" not in attrs and "height" not in attrs:
            name = Path(unquote(urlparse(attrs.get("src", "")).path)).name
            size = _size(find[name]) if name in find else None
            if size:
                extra += [f'width="{size[0]}"', f'height="{size[1]}"']
        if "decoding" not in attrs:
            extra.append('decoding="async"')
        if "loading" not in attrs and match.start() > first_h2:
            extra.append('loading="lazy"')
        if not extra:
            return tag
        end = -2 if tag.endswith("/>") else -1
        return tag[:end].rstrip() + " " + " ".join(extra) + tag[end:]

    return _IMG.sub(fix, body)


# ---------------------------------------------------------------------------------------------
# Icon fonts
# ---------------------------------------------------------------------------------------------


@dataclass
class IconUse:
    """The icons a site uses, as Font Awesome codepoints, and the classes they came from."""

    codepoints: set[int]
    classes: set[str]


def css_unescape(text: str) -> str:
    r"""A CSS string's characters (``"\\f0c9"`` is U+F0C9; ``"\\31 "`` is "1")."""
    return re.sub(
        r"\\([0-9a-fA-F]{1,6}) ?|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], text
    )


def icon_codepoints(theme_css: str) -> dict[str, int]:
    """Font Awesome's icon classes (``fa-...``) and their codepoints, from the theme's CSS."""
    icons = {}
    for selectors, content in _ICON_RULE.findall(theme_css):
        text = css_unescape(content).strip()
        if len(text) != 1:
            continue
        for name in re.findall(r"\.(fa-[a-z0-9-]+):", selectors):
            icons[name] = ord(text)
    return icons


def icons_used(html: Path) -> IconUse:
    """Every icon that a page of the built site may draw.

    The ``fa-*`` classes of every HTML page and of the site's JavaScript (the theme adds some
    icons itself, e.g. the banners' close button), mapped to codepoints with the theme's CSS,
    plus every private-use codepoint that a stylesheet uses outside Font Awesome's own icon
    rules (the theme's admonition and link icons are CSS variables holding codepoints).
    """
    html = Path(html)
    theme_css = (html / THEME_CSS).read_text(encoding="utf-8")
    icons = icon_codepoints(theme_css)
    classes: set[str] = set()
    for path in [*html.rglob("*.html"), *(html / "_static").rglob("*.js")]:
        if "vendor" in path.relative_to(html).parts or path.name == "fontawesome.js":
            continue  # MathJax and Vega bring their own fonts; fontawesome.js is not loaded
        text = path.read_text(encoding="utf-8", errors="replace")
        classes |= set(_ICON_CLASS.findall(text))
    codepoints = {icons[c] for c in classes if c in icons}
    for css in (html / "_static").rglob("*.css"):
        if "vendor" in css.relative_to(html).parts:
            continue
        text = _ICON_RULE.sub("", css.read_text(encoding="utf-8", errors="replace"))
        codepoints |= {int(cp, 16) for cp in _PUA.findall(text)}  # escaped: "\f0eb"
        codepoints |= {ord(ch) for ch in text if 0xE000 <= ord(ch) <= 0xF8FF}  # or not
    # Classes that are not icons (fa-solid, fa-lg, ...) are not in the table and add nothing.
    return IconUse(codepoints, {c for c in classes if c in icons})


def subset_icon_fonts(html: Path) -> dict[str, int]:
    """Write the Font Awesome subsets the site needs (WOFF); return their sizes in bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    html = Path(html)
    used = icons_used(html)
    out = html / ICONS_DIR
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    for target, source in FONTS.items():
        font = TTFont(html / FONTS_DIR / source)
        cmap = font.getBestCmap()
        keep = sorted(cp for cp in used.codepoints if cp in cmap) or [ord(" ")]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep)
        subsetter.subset(font)
        tmp = out / (target + ".tmp")
        subset.save_font(font, str(tmp), options)
        tmp.replace(out / target)
        sizes[target] = (out / target).stat().st_size
    return sizes


# ---------------------------------------------------------------------------------------------
# Sphinx
# ---------------------------------------------------------------------------------------------


def _inline_options(app: Sphinx, context: dict) -> None:
    """Put Sphinx's ``documentation_options.js`` (0.4 kB) into the page.

    It is the one script that must run before the page's inline scripts (they set
    ``DOCUMENTATION_OPTIONS.pagename``), so it cannot be deferred; inline, it costs the first
    paint no request.
    """
    scripts = context.get("script_files")
    options = Path(app.outdir) / OPTIONS_JS
    if not isinstance(scripts, list) or not options.is_file():
        return
    text = options.read_text(encoding="utf-8").strip()
    for i, js in enumerate(scripts):
        if getattr(js, "filename", None) == OPTIONS_JS:
            scripts[i] = type(js)(None, priority=js.priority, body=text)


def _page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "body" in context:
        context["body"] = lazy_images(context["body"], image_sizes(app))
    _defer_css(context)
    _inline_options(app, context)


def _fonts(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    html = Path(app.outdir)
    if not (html / THEME_CSS).is_file() or not (html / FONTS_DIR).is_dir():
        return  # another theme
    sizes = subset_icon_fonts(html)
    logger.info(
        "mlbio_book: icon fonts cut to the icons the site uses: "
        + ", ".join(f"{name} {size / 1e3:.0f} kB" for name, size in sizes.items())
    )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register this concern with Sphinx."""
    # After mlbio_book.assets (700), which settles the page's scripts and stylesheets.
    app.connect("html-page-context", _page, priority=750)
    app.connect("build-finished", _fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
