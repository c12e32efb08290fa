"""Plot style and reproducibility defaults shared by every chapter."""

from __future__ import annotations

import os
import random

import matplotlib as mpl
import numpy as np
import sklearn

from mlbio import SEED

__all__ = ["OKABE_ITO", "SEED", "setup"]  # SEED lives in the package root; kept here too

#: Okabe-Ito palette: distinguishable with the common forms of colour blindness.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)


def setup(seed: int = SEED) -> np.random.Generator:
    """Set the book's plot style and seed Python's and NumPy's global generators.

    Figures get an opaque white background (readable in dark mode), the colour-blind-safe
    Okabe-Ito palette, readable font sizes and a resolution that keeps pages light.

    Parameters
    ----------
    seed
        Seed for :mod:`random`, NumPy's legacy global generator and the returned generator.

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed``, for code that draws its own random numbers.

    """
    # Text repr of estimators: sklearn's HTML repr embeds a whole document (invalid in a page).
    sklearn.set_config(display="text")
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    random.seed(seed)
    np.random.seed(seed)  # some libraries still read NumPy's global generator
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "figure.dpi": 96,
            "savefig.dpi": 96,
            "figure.figsize": (6.4, 4.0),
            "font.size": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )
    return np.random.default_rng(seed)
