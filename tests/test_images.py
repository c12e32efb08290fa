"""mlbio.images: colour features, colour statistics and Shades of Gray colour constancy."""

from __future__ import annotations

import numpy as np
import pytest
from mlbio import images as im
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer


def _stack(rng: np.random.Generator, n: int = 6, size: int = 20) -> np.ndarray:
    return rng.integers(20, 236, size=(n, size, size, 3), dtype=np.uint8)


def test_colour_histogram_counts_pixels_in_the_right_bin() -> None:
    imgs = np.zeros((2, 10, 10, 3), dtype=np.uint8)
    imgs[0] = [255, 0, 0]  # all red: bin (3, 0, 0) = 48
    imgs[1, :5] = [0, 0, 255]  # half blue: bin 3, half black: bin 0
    hist = im.colour_features(imgs)[:, :64]
    assert hist[0, 48] == 1.0 and hist[0].sum() == 1.0
    assert hist[1, 3] == 0.5 and hist[1, 0] == 0.5


def test_thumbnail_keeps_the_layout() -> None:
    imgs = np.zeros((1, 10, 10, 3), dtype=np.uint8)
    imgs[0, :, 5:] = 255  # right half white
    thumb = im.colour_features(imgs, grid=2)[0, 64:].reshape(2, 2, 3)
    np.testing.assert_allclose(thumb[:, 0], 0.0)
    np.testing.assert_allclose(thumb[:, 1], 1.0)


@pytest.mark.parametrize(
    ("shape", "match"),
    [((10, 10, 3), "stack of RGB"), ((1, 10, 10, 4), "stack of RGB"), ((1, 12, 12, 3), "grid")],
)
def test_bad_shapes_are_refused(shape: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        im.colour_features(np.zeros(shape, dtype=np.uint8))


def test_colour_statistics_names_and_values() -> None:
    imgs = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    imgs[0, ..., 1] = 255  # green
    imgs[1] = 128  # grey
    stats = im.colour_statistics(imgs)
    assert stats.shape == (2, 24)
    assert stats.loc[0, "G_mean"] == 1.0 and stats.loc[0, "R_mean"] == 0.0
    assert stats.loc[1, "S_mean"] == 0.0  # grey has no saturation
    assert stats.loc[1, "V_mean"] == pytest.approx(128 / 255)


def test_shades_of_gray_removes_a_colour_cast() -> None:
    rng = np.random.default_rng(1)
    scene = rng.uniform(0.2, 0.8, size=(4, 16, 16, 3))
    cast = np.array([1.2, 0.9, 0.6])  # a warm illuminant
    seen = np.clip(scene * cast, 0, 1)
    corrected = im.shades_of_gray(seen)
    # The cast moves the channel means apart; after correction they agree closely again.
    spread_before = np.ptp(seen.mean(axis=(1, 2)), axis=1)
    spread_after = np.ptp(corrected.mean(axis=(1, 2)), axis=1)
    assert (spread_after < spread_before / 5).all()
    # The same scene under two casts looks (almost) the same after correction.
    other = np.clip(scene * np.array([0.7, 1.0, 1.1]), 0, 1)
    gap_before = np.abs(seen - other).mean()
    gap_after = np.abs(corrected - im.shades_of_gray(other)).mean()
    assert gap_after < gap_before / 3


def test_shades_of_gray_keeps_dtype_and_refuses_bad_input() -> None:
    rng = np.random.default_rng(2)
    imgs = _stack(rng)
    out = im.shades_of_gray(imgs)
    assert out.dtype == np.uint8 and out.shape == imgs.shape
    with pytest.raises(ValueError, match="power"):
        im.shades_of_gray(imgs, power=0.5)
    black = imgs.copy()
    black[0, ..., 2] = 0
    with pytest.raises(ValueError, match="black everywhere"):
        im.shades_of_gray(black)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        im.shades_of_gray(imgs.astype(float))


def test_transformer_in_a_pipeline_is_per_image() -> None:
    rng = np.random.default_rng(3)
    imgs = _stack(rng, n=8)
    pipe = make_pipeline(im.ShadesOfGray(), FunctionTransformer(im.colour_features))
    together = pipe.fit_transform(imgs)
    # Each image is corrected by its own illuminant: the result does not depend on the batch.
    alone = np.vstack([pipe.fit_transform(imgs[i : i + 1]) for i in range(len(imgs))])
    np.testing.assert_allclose(together, alone)
