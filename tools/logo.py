"""Draw the book's logo as a PNG (``book/_static/mlbio-logo.png``) from ``favicon.svg``'s shape.

Link previews (sphinxext-opengraph's social cards) need a raster logo; the favicon is an SVG
(a blue rounded square with a white "M"). Run ``python tools/logo.py`` after changing the
favicon; the PNG is committed.
"""

from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon

ROOT = Path(__file__).resolve().parents[1]
BLUE = "#0072B2"  # Okabe-Ito blue, as in favicon.svg
#: The "M" of favicon.svg (path "M14 46V18h8l10 16 10-16h8v28h-8V31l-10 15-10-15v15z"), in its
#: 64 x 64 box with y downwards.
M = [(14, 46), (14, 18), (22, 18), (32, 34), (42, 18), (50, 18), (50, 46), (42, 46), (42, 31),
     (32, 46), (22, 31), (22, 46)]  # fmt: skip


def main() -> None:
    fig = plt.figure(figsize=(2.56, 2.56), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 64)
    ax.set_ylim(64, 0)
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0, 0), 64, 64, boxstyle="round,pad=0,rounding_size=12", fc=BLUE))
    ax.add_patch(Polygon(M, closed=True, fc="white"))
    fig.savefig(ROOT / "book" / "_static" / "mlbio-logo.png", transparent=True)


if __name__ == "__main__":
    main()
