"""The derived tables of the melanoma case study: lesion masks and lesion features, cached.

Segmenting the 2,000 HAM10000 images of the book and describing every lesion takes about a
minute of CPU, the Shades-of-Gray variant of the features as long again. The pages of the case
study therefore read these tables from :mod:`mlbio.cache`, keyed on the hashes of the image
files and on the source code of :mod:`mlbio.images` and of this module, and the build (and
Binder) computes them once, beforehand, with :func:`prepare_tables`, a data-preparation step
like the data download (see :mod:`mlbio.prepare`).

The pages and the preparation call the same functions, so they use the same cache keys: a page
run on an empty cache still gets the same tables, only more slowly.

:func:`lesion_masks`
    The boolean lesion mask of every image (:func:`mlbio.images.segment_lesions`).
:func:`lesion_table`
    Segmentation flags and lesion features of every image
    (:func:`mlbio.images.describe_lesions`), optionally on Shades-of-Gray colour-corrected
    copies of the images with the same outlines.
:func:`prepare_tables`
    Fill the cache with all three; return the files.

Examples
--------
>>> from mlbio import melanoma
>>> masks = melanoma.lesion_masks()  # doctest: +SKIP
>>> features = melanoma.lesion_table()  # doctest: +SKIP

"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mlbio import cache, datasets, images

__all__ = ["IMAGES", "TABLES", "lesion_masks", "lesion_table", "prepare_tables", "table_paths"]

#: The data set every table here is derived from.
IMAGES = "ham10000_images"
#: The names of the cached results (see :func:`table_paths`).
TABLES = {
    "masks": "ham10000-lesion-masks",
    "features": "ham10000-lesion-features",
    "corrected": "ham10000-lesion-features-shades-of-gray",
}


def version() -> str:
    """Return the version of the code that builds the tables (:mod:`mlbio.images`, this module).

    Returns
    -------
    str
        :func:`mlbio.cache.code_version` of both modules: any edit to them gives new cache keys.

    """
    return cache.code_version(images, sys.modules[__name__])


def _pixels() -> np.ndarray:
    return datasets.load_ham10000(images=True)[1]


def lesion_masks() -> np.ndarray:
    """Return the lesion mask of each of the book's HAM10000 images, from the cache if there.

    Returns
    -------
    numpy.ndarray
        Booleans of shape ``(n_images, height, width)``, in the order of
        ``mlbio.datasets.load_ham10000(images=True)``.

    """
    return cache.cached_array(
        TABLES["masks"],
        [IMAGES],
        lambda: images.segment_lesions(_pixels())[0],
        version=version(),
    )


def lesion_table(corrected: bool = False) -> pd.DataFrame:
    """Return the segmentation flags and lesion features of every image, from the cache if there.

    Parameters
    ----------
    corrected
        If true, the features of Shades-of-Gray colour-corrected copies of the images
        (:func:`mlbio.images.shades_of_gray`), measured inside the same outlines
        (:func:`lesion_masks`), so that only the colours differ.

    Returns
    -------
    pandas.DataFrame
        One row per image, in the order of ``mlbio.datasets.load_ham10000(images=True)``: the
        columns of :func:`mlbio.images.describe_lesions` (quality flags, then features).

    """
    if not isinstance(corrected, bool):
        raise TypeError(f"corrected must be True or False, got {corrected!r}.")

    def build() -> pd.DataFrame:
        masks = lesion_masks()
        pixels = _pixels()
        return images.describe_lesions(
            images.shades_of_gray(pixels) if corrected else pixels, masks=masks
        )

    return cache.cached_frame(
        TABLES["corrected" if corrected else "features"], [IMAGES], build, version=version()
    )


def table_paths() -> dict[str, Path]:
    """Return the cache file of each table (they may not exist yet).

    Returns
    -------
    dict of str to pathlib.Path
        The keys of :data:`TABLES` and the files :func:`lesion_masks` and :func:`lesion_table`
        read and write.

    """
    current = version()
    return {
        key: cache.cache_path(
            name, [IMAGES], current, suffix=".npy" if key == "masks" else ".parquet"
        )
        for key, name in TABLES.items()
    }


def prepare_tables() -> dict[str, Path]:
    """Compute every table of the case study that the cache does not hold yet.

    Returns
    -------
    dict of str to pathlib.Path
        The cache files, as :func:`table_paths` (they all exist afterwards).

    """
    paths = table_paths()
    if not paths["masks"].is_file():
        lesion_masks()
    for corrected in (False, True):
        if not paths["corrected" if corrected else "features"].is_file():
            lesion_table(corrected=corrected)
    return paths
