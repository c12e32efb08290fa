"""Image features and colour correction shared by the chapters that use dermoscopy images.

Everything here works on a stack of RGB images as one ``uint8`` (or float) array of shape
``(n, height, width, 3)``, as :func:`mlbio.datasets.load_ham10000` returns it, and is usable
inside a scikit-learn :class:`~sklearn.pipeline.Pipeline` (the transformers learn nothing from
other images, so they cannot leak between folds, but they still belong in the pipeline).

:func:`colour_features`
    A 64-bin joint colour histogram and a coarse thumbnail: cheap features that carry colour
    and layout, and also every colour cast of the camera or clinic that took the image.
:func:`colour_statistics`
    Named per-channel statistics (mean, standard deviation, percentiles) in RGB and HSV, a
    small readable table for exploring how images differ between groups.
:class:`ShadesOfGray`
    Colour constancy by the Shades of Gray algorithm (Finlayson & Trezzi, 2004), used for
    dermoscopy images by Barata et al. (2015): each image is divided by its own estimate of the
    illuminant colour, which removes much of a device's or clinic's colour cast.
:func:`segment_lesions`
    A lesion mask per image: Otsu's threshold (Otsu, 1979) on a smoothed colour channel inside
    the dermoscope's field of view, the most central dark region kept, and a quality table that
    flags the segmentations not to be trusted (no dark region, too small, filling the field, cut
    by the edge of the image).
:func:`segmentation_quality`
    The same flags for any masks (drawn by hand, from another method, or re-used on
    colour-corrected copies of the images).
:func:`describe_lesions`
    Both at once: one table with the quality flags and the features of every image.
:func:`lesion_features`
    Named, explainable features of each segmented lesion, after the ABCD rule of dermoscopy
    (Nachbar et al., 1994): asymmetry, border irregularity, colour variegation and diameter, plus
    the lesion's colour histogram and texture (grey-level co-occurrence and local binary
    patterns).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = [
    "ShadesOfGray",
    "colour_features",
    "colour_statistics",
    "describe_lesions",
    "lesion_features",
    "segment_lesions",
    "segmentation_quality",
    "shades_of_gray",
]


#: Images converted to floating point at a time (keeps the memory of a 2,000-image stack low).
_CHUNK = 100


def _as_images(images: ArrayLike, name: str = "images") -> np.ndarray:
    """Check that ``images`` is a stack of RGB images ``(n, h, w, 3)``; return it as an array."""
    arr = np.asarray(images)
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(
            f"{name} must be a stack of RGB images of shape (n, height, width, 3); got shape "
            f"{arr.shape}. For one image, pass image[None]."
        )
    if arr.dtype.kind not in "uif":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values.")
    return arr


def _to_unit(images: np.ndarray) -> np.ndarray:
    """Images as floats in [0, 1] (``uint8`` divided by 255; floats must already be in [0, 1])."""
    if images.dtype.kind in "ui":
        return images.astype(np.float64) / 255.0
    if images.min() < 0 or images.max() > 1:
        raise ValueError(
            "Float images must lie in [0, 1]; divide 8-bit values by 255 or pass uint8 images."
        )
    return images.astype(np.float64)


def colour_features(images: ArrayLike, *, bins_per_channel: int = 4, grid: int = 5) -> np.ndarray:
    """Joint colour histogram and a coarse thumbnail of mean colours, one row per image.

    Parameters
    ----------
    images
        ``uint8`` RGB images, shape ``(n, height, width, 3)``.
    bins_per_channel
        Levels per channel of the joint histogram (a power of two up to 256): 4 gives
        ``4 ** 3 = 64`` colour bins.
    grid
        The thumbnail has ``grid × grid`` cells; ``height`` and ``width`` must be multiples of it.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, bins_per_channel ** 3 + 3 * grid ** 2)``: the histogram (fractions of pixels,
        each row sums to 1), then the thumbnail's mean colours scaled to [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> imgs = rng.integers(0, 256, size=(2, 10, 10, 3), dtype=np.uint8)
    >>> colour_features(imgs).shape
    (2, 139)

    """
    arr = _as_images(images)
    if arr.dtype != np.uint8:
        raise ValueError(f"colour_features expects uint8 images, got {arr.dtype}.")
    if bins_per_channel < 1 or bins_per_channel > 256 or 256 % bins_per_channel:
        raise ValueError(f"bins_per_channel must divide 256, got {bins_per_channel}.")
    n, height, width, _ = arr.shape
    if height % grid or width % grid:
        raise ValueError(
            f"Image size {height}×{width} is not a multiple of grid={grid}; choose a grid that "
            "divides both sides."
        )
    levels = (arr // (256 // bins_per_channel)).astype(np.int64)
    codes = (
        levels[..., 0] * bins_per_channel**2 + levels[..., 1] * bins_per_channel + levels[..., 2]
    ).reshape(n, -1)
    n_bins = bins_per_channel**3
    offsets = (np.arange(n) * n_bins)[:, None]
    histogram = np.bincount((codes + offsets).ravel(), minlength=n * n_bins).reshape(n, n_bins)
    histogram = histogram / codes.shape[1]
    thumbnail = arr.reshape(n, grid, height // grid, grid, width // grid, 3).mean(axis=(2, 4))
    return np.hstack([histogram, thumbnail.reshape(n, -1) / 255.0])


def colour_statistics(images: ArrayLike) -> pd.DataFrame:
    """Per-image colour statistics with readable names, for exploring groups of images.

    For each of the channels R, G, B (scaled to [0, 1]) and H, S, V (scikit-image's HSV), the
    mean, the standard deviation and the 5th and 95th percentiles over the image's pixels.

    Parameters
    ----------
    images
        ``uint8`` RGB images, shape ``(n, height, width, 3)``.

    Returns
    -------
    pandas.DataFrame
        One row per image, columns such as ``R_mean``, ``V_p95`` (24 columns).

    Examples
    --------
    >>> imgs = np.zeros((1, 4, 4, 3), dtype=np.uint8)
    >>> imgs[..., 0] = 255  # pure red
    >>> colour_statistics(imgs).loc[0, ["R_mean", "G_mean", "S_mean"]].tolist()
    [1.0, 0.0, 1.0]

    """
    from skimage.color import rgb2hsv

    arr = _as_images(images)
    parts = []
    for start in range(0, len(arr), _CHUNK):  # in chunks: floats of 2,000 images need > 1 GB
        unit = _to_unit(arr[start : start + _CHUNK])
        n = len(unit)
        hsv = rgb2hsv(unit.reshape(-1, unit.shape[2], 3)).reshape(unit.shape)
        columns: dict[str, np.ndarray] = {}
        for space, data in (("RGB", unit), ("HSV", hsv)):
            flat = data.reshape(n, -1, 3)
            p05, p95 = np.percentile(flat, [5, 95], axis=1)
            for c, channel in enumerate(space):
                columns[f"{channel}_mean"] = flat[..., c].mean(axis=1)
                columns[f"{channel}_std"] = flat[..., c].std(axis=1)
                columns[f"{channel}_p05"] = p05[:, c]
                columns[f"{channel}_p95"] = p95[:, c]
        parts.append(pd.DataFrame(columns))
    return pd.concat(parts, ignore_index=True)


def shades_of_gray(images: ArrayLike, power: float = 6.0) -> np.ndarray:
    """Colour-correct each image by the Shades of Gray estimate of its illuminant.

    The illuminant of an image is estimated per channel as the Minkowski ``power``-mean of the
    channel's pixel values, ``e_c = (mean(I_c ** p)) ** (1 / p)``; each channel is then divided
    by ``e_c`` and multiplied by the mean of the three estimates, so that the estimated
    illuminant becomes neutral grey while the overall brightness is kept. ``power = 1`` is the
    Gray World assumption and ``power → ∞`` the White Patch (max-RGB) one; ``power = 6`` is the
    value recommended by Finlayson & Trezzi (2004) and used by Barata et al. (2015).

    Parameters
    ----------
    images
        RGB images ``(n, height, width, 3)``: ``uint8`` or floats in [0, 1].
    power
        Minkowski norm ``p`` (≥ 1).

    Returns
    -------
    numpy.ndarray
        Corrected images, same shape and dtype as the input (values clipped to the valid range).

    Examples
    --------
    >>> img = np.full((1, 2, 2, 3), [200, 100, 50], dtype=np.uint8)  # a flat orange cast
    >>> shades_of_gray(img)[0, 0, 0].tolist()  # becomes neutral grey of the same brightness
    [117, 117, 117]

    """
    arr = _as_images(images)
    if not np.isfinite(power) or power < 1:
        raise ValueError(f"power must be a finite number >= 1, got {power!r}.")
    out = np.empty_like(arr)
    for start in range(0, len(arr), _CHUNK):  # in chunks: floats of 2,000 images need > 1 GB
        unit = _to_unit(arr[start : start + _CHUNK])
        flat = unit.reshape(len(unit), -1, 3)
        illuminant = np.mean(flat**power, axis=1) ** (1.0 / power)  # (n, 3)
        dark = illuminant.min(axis=1) <= 1e-6
        if dark.any():
            first = start + int(np.flatnonzero(dark)[0])
            raise ValueError(
                f"Image {first} (and maybe others) has a colour channel that is black "
                "everywhere; the illuminant cannot be estimated. Remove such images before "
                "colour correction."
            )
        gain = illuminant.mean(axis=1, keepdims=True) / illuminant  # (n, 3)
        corrected = np.clip(unit * gain[:, None, None, :], 0.0, 1.0)
        if arr.dtype.kind in "ui":
            corrected = np.round(corrected * 255.0)
        out[start : start + _CHUNK] = corrected
    return out


class ShadesOfGray(TransformerMixin, BaseEstimator):
    """Shades of Gray colour constancy as a scikit-learn transformer (see :func:`shades_of_gray`).

    It learns nothing from other images (each image is corrected by its own illuminant
    estimate), so it is safe inside cross-validation; it takes and returns image stacks of shape
    ``(n, height, width, 3)``, so put it before a step that turns images into features (for
    example a :class:`~sklearn.preprocessing.FunctionTransformer` of :func:`colour_features`).

    Parameters
    ----------
    power : float, default=6.0
        Minkowski norm of the illuminant estimate.

    """

    def __init__(self, power: float = 6.0) -> None:
        self.power = power

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> ShadesOfGray:
        """Check the input; nothing is learnt."""
        _as_images(X, "X")
        if not np.isfinite(self.power) or self.power < 1:
            raise ValueError(f"power must be a finite number >= 1, got {self.power!r}.")
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the colour-corrected images."""
        return shades_of_gray(X, self.power)

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


# --------------------------------------------------------------------------------------------
# Lesion segmentation
# --------------------------------------------------------------------------------------------
#: What each ``problem`` of :func:`segment_lesions` means (shown to readers by the chapters).
SEGMENTATION_PROBLEMS: dict[str, str] = {
    "no dark region": "nothing darker than the surrounding skin was found",
    "too small": "the region found is too small to be the lesion (noise, a hair, a dot)",
    "fills the field": "the region covers most of the field: lesion larger than the image, or "
    "the threshold took skin",
    "cut by the edge": "the region runs into the edge of the image or of the dermoscope's "
    "field, so its shape, size and symmetry are not fully seen",
}

_CHANNELS = {"red": 0, "green": 1, "blue": 2}
#: A candidate region covering this much of the field's edge is taken only if nothing else is
#: found: the darker rim of a vignetted field of view looks like a ring-shaped "lesion".
_RIM = 0.25


def _channel(unit: np.ndarray, channel: str) -> np.ndarray:
    if channel == "gray":
        return unit.mean(axis=-1)
    if channel not in _CHANNELS:
        raise ValueError(
            f"channel must be one of 'red', 'green', 'blue' or 'gray'; got {channel!r}."
        )
    return unit[..., _CHANNELS[channel]]


def _field_of_view(unit: np.ndarray, dark_level: float) -> np.ndarray:
    """Pixels inside the dermoscope's field: not part of a black vignette reaching a corner."""
    from skimage import measure, morphology

    dark = unit.mean(axis=-1) < dark_level
    labels = measure.label(dark)
    corners = {labels[0, 0], labels[0, -1], labels[-1, 0], labels[-1, -1]} - {0}
    outside = np.isin(labels, list(corners))
    if outside.any():
        # An opening drops thin dark structures (hairs) that touch the vignette; the dilation
        # then moves the field's edge off the vignette's blurred rim.
        outside = morphology.opening(outside, morphology.disk(4))
        outside = morphology.dilation(outside, morphology.disk(3))
    return ~outside


def _visible_edge(fov: np.ndarray) -> np.ndarray:
    """Return the edge of what is seen: the image frame and a vignette's rim, inside the field."""
    from skimage import morphology

    edge = np.zeros(fov.shape, dtype=bool)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    if not fov.all():
        edge |= morphology.dilation(~fov, morphology.disk(1))
    return edge & fov


def _segment_one(
    unit: np.ndarray,
    channel: str,
    sigma: float,
    hair_radius: int,
    dark_level: float,
    min_area: float,
) -> tuple[np.ndarray, float]:
    """Segment one image (floats in [0, 1]); return the mask and Otsu's threshold (or NaN)."""
    from scipy import ndimage as ndi
    from skimage import filters, morphology

    height, width = unit.shape[:2]
    fov = _field_of_view(unit, dark_level)
    edge = _visible_edge(fov)
    threshold = np.nan
    mask = np.zeros((height, width), dtype=bool)
    values = _channel(unit, channel)
    if hair_radius > 0:  # a grey closing removes dark structures thinner than the disc: hairs
        values = morphology.closing(values, morphology.disk(hair_radius))
    if sigma > 0:
        values = filters.gaussian(values, sigma=sigma)
    inside = values[fov]
    if inside.size and np.ptp(inside) > 1e-6:
        threshold = float(filters.threshold_otsu(inside))
        dark = morphology.opening((values < threshold) & fov, morphology.disk(2))
        labels, n_regions = ndi.label(dark)
        if n_regions:
            index = np.arange(1, n_regions + 1)
            area = ndi.sum_labels(dark, labels, index)
            on_edge = ndi.sum_labels(edge, labels, index) / max(edge.sum(), 1)
            centres = np.asarray(ndi.center_of_mass(dark, labels, index)).reshape(-1, 2)
            distance = np.hypot(centres[:, 0] - (height - 1) / 2, centres[:, 1] - (width - 1) / 2)
            score = area * np.maximum(1 - distance / (min(height, width) / 2), 0.05)
            # Prefer regions that do not run along the edge (a vignette's darker rim does).
            clear = (on_edge < _RIM) & (area >= min_area * fov.sum())
            if clear.any():
                score = np.where(clear, score, -1.0)
            mask = ndi.binary_fill_holes(labels == index[int(np.argmax(score))])
    return mask, threshold


def segment_lesions(
    images: ArrayLike,
    *,
    channel: str = "blue",
    sigma: float = 1.0,
    hair_radius: int = 2,
    dark_level: float = 0.12,
    min_area: float = 0.005,
    max_area: float = 0.7,
    max_edge: float = 0.05,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Segment the lesion of each dermoscopy image, and flag the segmentations not to trust.

    For each image: find the dermoscope's field of view (a black vignette connected to a corner
    is outside it); take one colour channel, remove thin dark hairs with a grey-level closing and
    smooth it; threshold it with Otsu's method (Otsu, 1979) computed on the field of view only;
    clean the dark region with a morphological opening; keep the connected region with the best
    product of area and closeness to the centre (dermoscopy images are centred on the lesion),
    preferring regions that do not run along the edge; fill its holes.

    Parameters
    ----------
    images
        RGB images ``(n, height, width, 3)``: ``uint8`` or floats in [0, 1].
    channel
        ``"blue"`` (default), ``"green"``, ``"red"`` or ``"gray"`` (mean of the three).
    sigma
        Standard deviation (pixels) of the Gaussian smoothing before thresholding; 0 for none.
    hair_radius
        Radius (pixels) of the disc of the grey closing that removes hairs; 0 for none.
    dark_level
        Grey level (0-1) below which pixels connected to a corner count as vignette.
    min_area, max_area
        A mask covering less than ``min_area`` or more than ``max_area`` of the field of view
        is flagged as ``"too small"`` or ``"fills the field"``.
    max_edge
        A mask covering at least this fraction of the field's edge (image frame or vignette
        rim) is flagged as ``"cut by the edge"``: 0.05 is about 30 pixels of the 596 of the
        frame of a 150 × 150 image.

    Returns
    -------
    masks : numpy.ndarray
        Boolean, shape ``(n, height, width)``: the lesion of each image.
    quality : pandas.DataFrame
        One row per image: ``threshold`` (Otsu's threshold, NaN if it could not be computed),
        ``field_fraction`` (fraction of the image inside the field of view), ``area_fraction``
        (mask area over field area), ``edge_fraction`` (fraction of the field's edge covered by
        the mask), ``problem`` (``""`` or one of :data:`SEGMENTATION_PROBLEMS`) and ``ok``.

    Examples
    --------
    >>> yy, xx = np.mgrid[:60, :60]
    >>> img = np.full((1, 60, 60, 3), 200, dtype=np.uint8)
    >>> img[0][(yy - 30) ** 2 + (xx - 30) ** 2 < 15**2] = (90, 60, 40)  # a brown disc
    >>> masks, quality = segment_lesions(img)
    >>> bool(quality.loc[0, "ok"]), round(float(masks[0].mean()), 2)
    (True, 0.19)

    """
    arr = _as_images(images)
    for name, value in (("min_area", min_area), ("max_area", max_area), ("max_edge", max_edge)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a fraction and must lie in [0, 1], got {value!r}.")
    if min_area >= max_area:
        raise ValueError(f"min_area ({min_area}) must be smaller than max_area ({max_area}).")
    _channel(np.zeros((1, 1, 3)), channel)  # validates the name before the loop
    masks = np.zeros(arr.shape[:3], dtype=bool)
    thresholds = np.full(len(arr), np.nan)
    for i, image in enumerate(arr):
        masks[i], thresholds[i] = _segment_one(
            _to_unit(image), channel, sigma, hair_radius, dark_level, min_area
        )
    quality = segmentation_quality(
        arr, masks, dark_level=dark_level, min_area=min_area, max_area=max_area, max_edge=max_edge
    )
    quality.insert(0, "threshold", thresholds)
    return masks, quality


def segmentation_quality(
    images: ArrayLike,
    masks: ArrayLike,
    *,
    dark_level: float = 0.12,
    min_area: float = 0.005,
    max_area: float = 0.7,
    max_edge: float = 0.05,
) -> pd.DataFrame:
    """Check lesion masks against their images: the flags of :func:`segment_lesions`.

    Works for any masks (from :func:`segment_lesions`, drawn by hand, or from another method),
    so that the same check can audit them all.

    Parameters
    ----------
    images
        RGB images ``(n, height, width, 3)``: ``uint8`` or floats in [0, 1].
    masks
        Boolean lesion masks ``(n, height, width)``.
    dark_level, min_area, max_area, max_edge
        As in :func:`segment_lesions`.

    Returns
    -------
    pandas.DataFrame
        One row per image: ``field_fraction``, ``area_fraction``, ``edge_fraction``,
        ``problem`` (``""`` or one of :data:`SEGMENTATION_PROBLEMS`) and ``ok``.

    """
    arr = _as_images(images)
    mask_arr = _check_masks(masks, arr)
    for name, value in (("min_area", min_area), ("max_area", max_area), ("max_edge", max_edge)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a fraction and must lie in [0, 1], got {value!r}.")
    rows = []
    for image, mask in zip(arr, mask_arr, strict=True):
        fov = _field_of_view(_to_unit(image), dark_level)
        edge = _visible_edge(fov)
        area = float(mask.sum() / max(fov.sum(), 1))
        on_edge = float((mask & edge).sum() / max(edge.sum(), 1))
        if not mask.any():
            problem = "no dark region"
        elif area < min_area:
            problem = "too small"
        elif area > max_area:
            problem = "fills the field"
        elif on_edge >= max_edge:
            problem = "cut by the edge"
        else:
            problem = ""
        rows.append(
            {
                "field_fraction": float(fov.mean()),
                "area_fraction": area,
                "edge_fraction": on_edge,
                "problem": problem,
            }
        )
    quality = pd.DataFrame(
        rows, columns=["field_fraction", "area_fraction", "edge_fraction", "problem"]
    )
    quality["ok"] = quality["problem"] == ""
    return quality


def _check_masks(masks: ArrayLike, arr: np.ndarray) -> np.ndarray:
    mask_arr = np.asarray(masks)
    if mask_arr.shape != arr.shape[:3]:
        raise ValueError(
            f"masks must have shape (n, height, width) = {arr.shape[:3]} to match the images; "
            f"got {mask_arr.shape}."
        )
    if mask_arr.dtype != bool:
        raise ValueError(
            f"masks must be boolean (True inside the lesion), got dtype {mask_arr.dtype}; "
            "use the masks returned by segment_lesions, or masks > 0."
        )
    return mask_arr


# --------------------------------------------------------------------------------------------
# Explainable lesion features (ABCD rule, colour, texture)
# --------------------------------------------------------------------------------------------
def _reflection_asymmetry(
    coords: np.ndarray, centre: np.ndarray, degrees: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """For each axis angle, the fraction of ``coords`` whose mirror image leaves the mask.

    The mirror axes pass through ``centre`` at the given angles (degrees, measured from the row
    axis towards the column axis).
    """
    angles = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    axes = np.stack([np.cos(angles), np.sin(angles)])  # (2, A)
    offset = coords - centre  # (N, 2)
    along = offset @ axes  # (N, A)
    mirrored = centre[None, None, :] + 2 * along[..., None] * axes.T[None] - offset[:, None, :]
    mirrored = np.rint(mirrored).astype(np.intp)
    height, width = mask.shape
    rows, cols = mirrored[..., 0], mirrored[..., 1]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    hit = np.zeros(rows.shape, dtype=bool)
    hit[inside] = mask[rows[inside], cols[inside]]
    return 1.0 - hit.mean(axis=0)


def _texture(grey: np.ndarray, mask: np.ndarray, levels: int) -> dict[str, float]:
    """Grey-level co-occurrence statistics and uniform LBP histogram inside the mask."""
    from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

    out: dict[str, float] = {}
    # Level 0 marks pixels outside the lesion; its row and column are dropped from the GLCM.
    quantised = np.where(mask, 1 + np.minimum((grey * levels).astype(int), levels - 1), 0)
    glcm = graycomatrix(
        quantised.astype(np.uint8),
        distances=[1, 2],
        angles=[0, np.pi / 4, np.pi / 2, 3 * np.pi / 4],
        levels=levels + 1,
        symmetric=True,
    )[1:, 1:].astype(np.float64)
    total = glcm.sum(axis=(0, 1), keepdims=True)
    glcm = np.divide(glcm, total, out=np.zeros_like(glcm), where=total > 0)
    for prop in ("contrast", "homogeneity", "energy", "correlation"):
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"texture_{prop}"] = float(np.nanmean(graycoprops(glcm, prop)))
    lbp = local_binary_pattern((grey * 255).astype(np.uint8), P=8, R=1, method="uniform")
    counts = np.bincount(lbp[mask].astype(int), minlength=10)[:10]
    share = counts / max(counts.sum(), 1)
    for k in range(10):
        out[f"lbp_{k}"] = float(share[k])
    return out


_SHAPE_COLOUR_COLUMNS = [
    "asymmetry",
    "asymmetry_max",
    "colour_asymmetry",
    "compactness",
    "solidity",
    "colour_sd",
    "lesion_L",
    "lesion_a",
    "lesion_b",
    "skin_contrast",
    "diameter",
    "area",
    "eccentricity",
]
_TEXTURE_COLUMNS = [
    "texture_contrast",
    "texture_homogeneity",
    "texture_energy",
    "texture_correlation",
] + [f"lbp_{k}" for k in range(10)]


def _feature_columns(bins: int) -> list[str]:
    """Column names of :func:`lesion_features`, in order."""
    histogram = [f"hist_r{k // bins**2}g{(k // bins) % bins}b{k % bins}" for k in range(bins**3)]
    return _SHAPE_COLOUR_COLUMNS + histogram + _TEXTURE_COLUMNS


def _features_one(
    unit: np.ndarray, mask: np.ndarray, bins: int, glcm_levels: int
) -> dict[str, float]:
    from scipy import ndimage as ndi
    from skimage import measure
    from skimage.color import rgb2lab

    height, width = mask.shape
    row: dict[str, float] = {}
    if not mask.any():
        return row
    lab = rgb2lab(unit)
    props = measure.regionprops(mask.astype(np.uint8))[0]
    area = float(props.area)
    # A: asymmetry of shape about the most symmetric axis and the axis perpendicular to it
    # (searched in 10-degree steps refined to 1 degree: principal axes are undefined for
    # shapes with rotational symmetry), and of colour between the halves across those axes.
    coords = props.coords.astype(np.float64)
    centre = np.asarray(props.centroid)
    # The search for the axis uses a regular subsample of about 1,000 pixels (enough to rank
    # the axes); the asymmetry about the chosen axes uses every pixel.
    sample = coords[:: max(1, len(coords) // 1000)]
    coarse = np.arange(0.0, 180.0, 10.0)
    start = coarse[int(np.argmin(_reflection_asymmetry(sample, centre, coarse, mask)))]
    fine = start + np.arange(-5.0, 6.0)
    best = fine[int(np.argmin(_reflection_asymmetry(sample, centre, fine, mask)))]
    asym_best, asym_perpendicular = (
        float(v) for v in _reflection_asymmetry(coords, centre, np.array([best, best + 90]), mask)
    )
    axes = [np.array([np.cos(a), np.sin(a)]) for a in np.deg2rad([best, best + 90])]
    pixels = lab[mask]
    halves = []
    for axis in axes:
        side = (coords - centre) @ np.array([-axis[1], axis[0]]) > 0
        if side.all() or not side.any():
            halves.append(0.0)
        else:
            gap = pixels[side].mean(axis=0) - pixels[~side].mean(axis=0)
            halves.append(float(np.linalg.norm(gap)))
    row["asymmetry"] = (asym_best + asym_perpendicular) / 2
    row["asymmetry_max"] = max(asym_best, asym_perpendicular)
    row["colour_asymmetry"] = max(halves)
    # B: border irregularity.
    perimeter = float(measure.perimeter(mask))
    row["compactness"] = perimeter**2 / (4 * np.pi * area)
    row["solidity"] = float(props.solidity)
    # C: colour variegation, and colour relative to the surrounding skin.
    row["colour_sd"] = float(np.sqrt(pixels.var(axis=0).sum()))
    for c, name in enumerate(("L", "a", "b")):
        row[f"lesion_{name}"] = float(pixels[:, c].mean())
    skin = ~ndi.binary_dilation(mask, iterations=3)
    if skin.sum() >= 0.05 * mask.size:
        row["skin_contrast"] = float(np.linalg.norm(lab[skin].mean(axis=0) - pixels.mean(axis=0)))
    else:
        row["skin_contrast"] = np.nan
    # D: diameter (longest extent) and shape, as fractions of the image (no physical scale).
    row["diameter"] = float(props.feret_diameter_max) / max(height, width)
    row["area"] = area / (height * width)
    row["eccentricity"] = float(props.eccentricity)
    # Colour histogram of the lesion's pixels (joint RGB, bins per channel).
    levels = np.minimum((unit[mask] * bins).astype(int), bins - 1)
    codes = levels[:, 0] * bins**2 + levels[:, 1] * bins + levels[:, 2]
    histogram = np.bincount(codes, minlength=bins**3) / len(codes)
    for k, share in enumerate(histogram):
        r, g, b = k // bins**2, (k // bins) % bins, k % bins
        row[f"hist_r{r}g{g}b{b}"] = float(share)
    # Texture on the lesion's bounding box (plus a margin for the neighbourhoods): the same
    # values as on the whole image, for a fraction of the work.
    r0, c0, r1, c1 = props.bbox
    box = (slice(max(r0 - 2, 0), r1 + 2), slice(max(c0 - 2, 0), c1 + 2))
    row.update(_texture(unit[box].mean(axis=-1), mask[box], glcm_levels))
    return row


def lesion_features(
    images: ArrayLike,
    masks: ArrayLike,
    *,
    histogram_bins: int = 4,
    glcm_levels: int = 16,
) -> pd.DataFrame:
    """Explainable features of each segmented lesion, after the ABCD rule and beyond.

    The ABCD rule of dermoscopy (Nachbar et al., 1994) scores Asymmetry, Border, Colour and
    Differential structures; its "D" is often read as Diameter. These features measure the
    first three and the size on the pixels of a mask (from :func:`segment_lesions`), plus the
    lesion's colour histogram and texture. All are computed from one image and its mask alone,
    so they learn nothing from other images.

    Parameters
    ----------
    images
        RGB images ``(n, height, width, 3)``: ``uint8`` or floats in [0, 1].
    masks
        Boolean lesion masks ``(n, height, width)``.
    histogram_bins
        Levels per channel of the lesion's joint RGB histogram (``histogram_bins ** 3`` columns).
    glcm_levels
        Grey levels of the co-occurrence matrix.

    Returns
    -------
    pandas.DataFrame
        One row per image (all NaN where the mask is empty), with the columns

        - ``asymmetry``: the fraction of lesion pixels whose mirror image about an axis through
          the centroid falls outside the lesion, averaged over the most symmetric axis (searched
          to the nearest degree) and the axis perpendicular to it (0 for a disc or an ellipse);
          ``asymmetry_max``: the larger of the two, i.e. the asymmetry about the perpendicular
          axis;
        - ``colour_asymmetry``: the larger, over the two axes, of the CIELAB distance (ΔE)
          between the mean colours of the two halves;
        - ``compactness``: perimeter² / (4π area), about 1 for a disc, larger for a ragged or
          elongated border; ``solidity``: area / area of the convex hull (1 for a convex shape);
        - ``colour_sd``: colour variegation, the standard deviation of the lesion's pixels in
          CIELAB (ΔE units); ``lesion_L``, ``lesion_a``, ``lesion_b``: its mean colour;
          ``skin_contrast``: ΔE between the mean colours of the lesion and of the skin around it;
        - ``diameter``: the longest extent (maximum Feret diameter) as a fraction of the image
          side; ``area`` as a fraction of the image; ``eccentricity`` of the fitted ellipse.
          Without a physical scale, the "diameter above 6 mm" of clinical rules cannot be
          applied;
        - ``hist_r{i}g{j}b{k}``: the lesion's joint RGB histogram (fractions of its pixels);
        - ``texture_contrast``, ``texture_homogeneity``, ``texture_energy``,
          ``texture_correlation``: grey-level co-occurrence statistics inside the lesion
          (distances 1 and 2 pixels, four directions, averaged); ``lbp_0`` … ``lbp_9``: the
          histogram of uniform local binary patterns (8 neighbours, radius 1) inside the lesion.

    Examples
    --------
    >>> yy, xx = np.mgrid[:60, :60]
    >>> img = np.full((1, 60, 60, 3), 200, dtype=np.uint8)
    >>> disc = (yy - 30) ** 2 + (xx - 30) ** 2 < 15**2
    >>> img[0][disc] = (90, 60, 40)
    >>> feats = lesion_features(img, disc[None])
    >>> round(float(feats.loc[0, "asymmetry"]), 2), round(float(feats.loc[0, "colour_sd"]), 1)
    (0.0, 0.0)

    """
    arr = _as_images(images)
    mask_arr = _check_masks(masks, arr)
    if histogram_bins < 1 or glcm_levels < 2:
        raise ValueError("histogram_bins must be >= 1 and glcm_levels >= 2.")
    rows = [
        _features_one(_to_unit(image), mask, histogram_bins, glcm_levels)
        for image, mask in zip(arr, mask_arr, strict=True)
    ]
    columns = _feature_columns(histogram_bins)
    return pd.DataFrame(rows, columns=columns, dtype=np.float64)


def describe_lesions(
    images: ArrayLike, masks: ArrayLike | None = None, **segmentation: Any
) -> pd.DataFrame:
    """Segment every image and describe its lesion: quality flags and features in one table.

    Runs :func:`segment_lesions` (with ``segmentation`` as its keyword arguments), or, when
    ``masks`` are given, checks them with :func:`segmentation_quality`; then computes
    :func:`lesion_features` on the masks. Every image keeps its row, also when its segmentation
    is flagged: whether to drop, impute or keep such images is the analyst's decision, and it
    should be made knowing that failures are rarely random (large lesions run into the edge of
    the image more often, for instance).

    Parameters
    ----------
    images
        RGB images ``(n, height, width, 3)``.
    masks
        Optional boolean lesion masks ``(n, height, width)``, e.g. the masks of the original
        images when ``images`` are colour-corrected copies: the lesions' outlines then stay
        the same and only their colours change.
    **segmentation
        Keyword arguments of :func:`segment_lesions` (or of :func:`segmentation_quality`, when
        ``masks`` are given).

    Returns
    -------
    pandas.DataFrame
        One row per image: the columns of the quality table (``threshold``, NaN when ``masks``
        were given; ``field_fraction``, ``area_fraction``, ``edge_fraction``, ``problem``,
        ``ok``), then those of :func:`lesion_features`.

    """
    if masks is None:
        masks, quality = segment_lesions(images, **segmentation)
    else:
        quality = segmentation_quality(images, masks, **segmentation)
        quality.insert(0, "threshold", np.nan)
    features = lesion_features(images, masks)
    return pd.concat([quality, features], axis=1)
