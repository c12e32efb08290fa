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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["ShadesOfGray", "colour_features", "colour_statistics", "shades_of_gray"]


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

    arr = _to_unit(_as_images(images))
    n = len(arr)
    hsv = rgb2hsv(arr.reshape(-1, arr.shape[2], 3)).reshape(arr.shape)
    columns: dict[str, np.ndarray] = {}
    for space, data in (("RGB", arr), ("HSV", hsv)):
        flat = data.reshape(n, -1, 3)
        p05, p95 = np.percentile(flat, [5, 95], axis=1)
        for c, channel in enumerate(space):
            columns[f"{channel}_mean"] = flat[..., c].mean(axis=1)
            columns[f"{channel}_std"] = flat[..., c].std(axis=1)
            columns[f"{channel}_p05"] = p05[:, c]
            columns[f"{channel}_p95"] = p95[:, c]
    return pd.DataFrame(columns)


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
    unit = _to_unit(arr)
    n = len(unit)
    flat = unit.reshape(n, -1, 3)
    illuminant = np.mean(flat**power, axis=1) ** (1.0 / power)  # (n, 3)
    dark = illuminant.min(axis=1) <= 1e-6
    if dark.any():
        raise ValueError(
            f"{int(dark.sum())} image(s) have a colour channel that is black everywhere; the "
            "illuminant cannot be estimated. Remove them before colour correction."
        )
    gain = illuminant.mean(axis=1, keepdims=True) / illuminant  # (n, 3)
    corrected = np.clip(unit * gain[:, None, None, :], 0.0, 1.0)
    if arr.dtype.kind in "ui":
        return np.round(corrected * 255.0).astype(arr.dtype)
    return corrected.astype(arr.dtype)


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
