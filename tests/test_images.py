"""mlbio.images: colour features, colour statistics and Shades of Gray colour constancy."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


# --------------------------------------------------------------------------------------------
# Chunked processing gives the same answer as one image at a time
# --------------------------------------------------------------------------------------------
def test_chunked_colour_functions_match_image_by_image() -> None:
    rng = np.random.default_rng(3)
    n = im._CHUNK * 2 + 7  # crosses two chunk boundaries
    imgs = rng.integers(10, 250, size=(n, 6, 6, 3), dtype=np.uint8)
    stats = im.colour_statistics(imgs)
    corrected = im.shades_of_gray(imgs)
    assert stats.shape == (n, 24) and list(stats.index) == list(range(n))
    for i in (0, im._CHUNK - 1, im._CHUNK, n - 1):
        single = im.colour_statistics(imgs[i : i + 1])
        np.testing.assert_allclose(stats.iloc[i].to_numpy(), single.iloc[0].to_numpy())
        np.testing.assert_array_equal(corrected[i], im.shades_of_gray(imgs[i : i + 1])[0])


def test_shades_of_gray_names_the_black_image_in_a_later_chunk() -> None:
    rng = np.random.default_rng(4)
    imgs = rng.integers(10, 250, size=(im._CHUNK + 5, 4, 4, 3), dtype=np.uint8)
    imgs[im._CHUNK + 2, ..., 0] = 0
    with pytest.raises(ValueError, match=f"Image {im._CHUNK + 2} "):
        im.shades_of_gray(imgs)


# --------------------------------------------------------------------------------------------
# Synthetic lesions with known shapes
# --------------------------------------------------------------------------------------------
SIZE = 100
SKIN = (215, 170, 150)
BROWN = (110, 70, 45)
BLACK = (35, 25, 25)


def _polar(shape: str, centre: tuple[float, float] = (50.0, 50.0)) -> np.ndarray:
    """Boolean mask of a known shape on a SIZE × SIZE grid."""
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(float)
    dy, dx = yy - centre[0], xx - centre[1]
    r, t = np.hypot(dy, dx), np.arctan2(dy, dx)
    if shape == "disc":
        return r < 22
    if shape == "ellipse":  # semi-axes 30 and 14, turned by 30 degrees
        c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
        u, v = c * dx + s * dy, -s * dx + c * dy
        return (u / 30) ** 2 + (v / 14) ** 2 < 1
    if shape == "egg":  # a half-disc of radius 22 on a flattened half-ellipse: a "D"
        return np.where(dx < 0, (dx / 5) ** 2 + (dy / 22) ** 2 < 1, r < 22)
    if shape == "ragged":  # a disc whose radius oscillates 12 times around the border
        return r < 22 * (1 + 0.25 * np.sin(12 * t))
    raise ValueError(shape)


def _paint(
    mask: np.ndarray, colour: tuple = BROWN, noise: float = 4.0, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty((SIZE, SIZE, 3))
    img[:] = SKIN
    img[mask] = colour
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _features(mask: np.ndarray, img: np.ndarray | None = None) -> pd.Series:
    img = _paint(mask) if img is None else img
    return im.lesion_features(img[None], mask[None]).iloc[0]


def test_a_disc_is_symmetric_and_an_egg_is_not() -> None:
    disc, ellipse, egg = (_features(_polar(s)) for s in ("disc", "ellipse", "egg"))
    assert disc["asymmetry"] < 0.03
    # An ellipse is mirror-symmetric about its principal axes, as the ABCD rule reads symmetry;
    # what sets it apart from a disc is its elongation.
    assert ellipse["asymmetry"] < 0.05
    assert ellipse["eccentricity"] > 0.85 > 0.2 > disc["eccentricity"]
    # An egg (here a "D") has one mirror axis; about the axis perpendicular to it, it does not.
    assert egg["asymmetry_max"] > 0.1 > 5 * ellipse["asymmetry_max"]
    assert egg["asymmetry"] > max(disc["asymmetry"], ellipse["asymmetry"]) + 0.04
    # A ragged star has mirror axes too: its irregularity is a matter of border, not symmetry.
    assert _features(_polar("ragged"))["asymmetry"] < 0.1


def test_a_ragged_border_is_irregular() -> None:
    disc, ragged = _features(_polar("disc")), _features(_polar("ragged"))
    assert disc["compactness"] < 1.15 and disc["solidity"] > 0.97
    assert ragged["compactness"] > disc["compactness"] + 0.3
    assert ragged["solidity"] < 0.9


def test_a_two_colour_disc_is_variegated() -> None:
    disc = _polar("disc")
    plain = _paint(disc)
    two = plain.copy()
    left = disc & (np.arange(SIZE)[None, :] < 50)
    two[left] = BLACK
    f_plain, f_two = _features(disc, plain), _features(disc, two)
    assert f_plain["colour_sd"] < 6 and f_plain["colour_asymmetry"] < 2  # pixel noise only
    assert f_two["colour_sd"] > f_plain["colour_sd"] + 10
    assert f_two["colour_asymmetry"] > 15  # the halves across one principal axis differ
    # The shape is unchanged: colour does not leak into the shape features.
    assert abs(f_two["asymmetry"] - f_plain["asymmetry"]) < 1e-9


def test_diameter_and_area_are_fractions_of_the_image() -> None:
    f = _features(_polar("disc"))  # radius 22 on a 100-pixel image
    assert f["diameter"] == pytest.approx(0.44, abs=0.02)
    assert f["area"] == pytest.approx(np.pi * 22**2 / SIZE**2, rel=0.03)


def test_texture_sees_a_checkerboard() -> None:
    disc = _polar("disc")
    flat = _paint(disc, noise=0)
    checks = flat.copy()
    yy, xx = np.mgrid[:SIZE, :SIZE]
    checks[disc & ((yy // 2 + xx // 2) % 2 == 0)] = BLACK
    f_flat, f_checks = _features(disc, flat), _features(disc, checks)
    assert f_checks["texture_contrast"] > f_flat["texture_contrast"] + 1
    assert f_checks["texture_homogeneity"] < f_flat["texture_homogeneity"]
    lbp = [f"lbp_{k}" for k in range(10)]
    assert f_flat[lbp].sum() == pytest.approx(1.0) and f_checks[lbp].sum() == pytest.approx(1.0)


def test_lesion_histogram_counts_only_lesion_pixels() -> None:
    disc = _polar("disc")
    f = _features(disc, _paint(disc, noise=0))
    hist = f[[c for c in f.index if c.startswith("hist_")]]
    assert len(hist) == 64 and hist.sum() == pytest.approx(1.0)
    # BROWN = (110, 70, 45) falls in bins (1, 1, 0) with 4 levels per channel; skin is not counted.
    assert hist["hist_r1g1b0"] == pytest.approx(1.0)


def test_empty_mask_gives_missing_features_not_an_error() -> None:
    img = _paint(_polar("disc"))
    masks = np.stack([_polar("disc"), np.zeros((SIZE, SIZE), dtype=bool)])
    feats = im.lesion_features(np.stack([img, img]), masks)
    assert feats.iloc[0].notna().all()
    assert feats.iloc[1].isna().all()


@pytest.mark.parametrize(
    ("masks", "match"),
    [(np.zeros((1, SIZE, SIZE), dtype=np.uint8), "boolean"), (np.zeros((1, 5, 5), bool), "shape")],
)
def test_lesion_features_refuses_bad_masks(masks: np.ndarray, match: str) -> None:
    img = _paint(_polar("disc"))[None]
    with pytest.raises(ValueError, match=match):
        im.lesion_features(img, masks)


# --------------------------------------------------------------------------------------------
# Segmentation
# --------------------------------------------------------------------------------------------
def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize("shape", ["disc", "ellipse", "egg", "ragged"])
def test_segmentation_finds_a_lesion_on_skin(shape: str) -> None:
    truth = _polar(shape)
    masks, quality = im.segment_lesions(_paint(truth)[None])
    assert quality.loc[0, "ok"] and quality.loc[0, "problem"] == ""
    assert _iou(masks[0], truth) > 0.9


def test_segmentation_ignores_hairs_and_a_vignette() -> None:
    truth = _polar("disc")
    img = _paint(truth)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    img[np.abs(yy - 0.8 * xx - 10) < 1] = BLACK  # a one-pixel-wide hair across the image
    vignette = np.hypot(yy - 49.5, xx - 49.5) > 52
    img[vignette] = (5, 5, 5)  # black corners of the dermoscope
    shade = np.clip(1.1 - np.hypot(yy - 49.5, xx - 49.5) / 90, 0.5, 1)  # darker periphery
    img = (img * shade[..., None]).astype(np.uint8)
    masks, quality = im.segment_lesions(img[None])
    assert quality.loc[0, "field_fraction"] < 0.95  # the corners are outside the field
    assert quality.loc[0, "ok"]
    assert _iou(masks[0], truth) > 0.85


def test_failed_segmentations_are_flagged() -> None:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    blank = np.full((SIZE, SIZE, 3), SKIN, dtype=np.uint8)  # no lesion at all
    filling = _paint(np.hypot(yy - 50, xx - 50) < 65)  # larger than the image
    corner = _paint(np.hypot(yy - 95, xx - 50) < 30)  # runs off the bottom edge
    tiny = _paint(np.hypot(yy - 50, xx - 50) < 3.5)  # a dot, not a lesion
    masks, quality = im.segment_lesions(np.stack([blank, filling, corner, tiny]))
    assert quality["problem"].tolist() == [
        "no dark region",
        "fills the field",
        "cut by the edge",
        "too small",
    ]
    assert not quality["ok"].any()
    assert not masks[0].any()
    assert set(quality["problem"]) - {""} <= set(im.SEGMENTATION_PROBLEMS)


def test_segmentation_refuses_bad_arguments() -> None:
    img = _paint(_polar("disc"))[None]
    with pytest.raises(ValueError, match="channel"):
        im.segment_lesions(img, channel="purple")
    with pytest.raises(ValueError, match="fraction"):
        im.segment_lesions(img, max_area=2.0)
    with pytest.raises(ValueError, match="smaller than max_area"):
        im.segment_lesions(img, min_area=0.5, max_area=0.4)


def test_describe_lesions_keeps_every_image_with_its_flags() -> None:
    good = _paint(_polar("disc"))
    blank = np.full((SIZE, SIZE, 3), SKIN, dtype=np.uint8)
    table = im.describe_lesions(np.stack([good, blank]))
    assert len(table) == 2
    assert table["ok"].tolist() == [True, False]
    assert table.loc[1, "problem"] == "no dark region"
    assert table.loc[0, "asymmetry"] < 0.05 and np.isnan(table.loc[1, "asymmetry"])
    assert {"edge_fraction", "compactness", "lbp_9"} <= set(table.columns)


def test_segmentation_quality_checks_any_masks() -> None:
    truth = _polar("disc")
    img = _paint(truth)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    corner = np.hypot(yy - 95, xx - 50) < 30
    masks = np.stack([truth, np.zeros_like(truth), corner])
    quality = im.segmentation_quality(np.stack([img, img, img]), masks)
    assert quality["problem"].tolist() == ["", "no dark region", "cut by the edge"]
    assert quality.loc[0, "area_fraction"] == pytest.approx(truth.mean())
    # The same flags as segment_lesions gives for its own masks.
    seg_masks, seg_quality = im.segment_lesions(img[None])
    again = im.segmentation_quality(img[None], seg_masks)
    pd.testing.assert_frame_equal(again, seg_quality.drop(columns="threshold"))
    with pytest.raises(ValueError, match="boolean"):
        im.segmentation_quality(img[None], truth[None].astype(int))


def test_describe_lesions_with_given_masks_keeps_the_outlines() -> None:
    truth = _polar("egg")
    img = _paint(truth)
    recoloured = np.clip(img.astype(float) * [1.2, 0.9, 0.7], 0, 255).astype(np.uint8)
    plain = im.describe_lesions(img[None], masks=truth[None])
    cast = im.describe_lesions(recoloured[None], masks=truth[None])
    shape = ["asymmetry", "asymmetry_max", "compactness", "solidity", "diameter", "area"]
    pd.testing.assert_frame_equal(plain[shape], cast[shape])
    assert abs(plain.loc[0, "lesion_b"] - cast.loc[0, "lesion_b"]) > 1  # colours did change
    assert np.isnan(plain.loc[0, "threshold"]) and plain.loc[0, "ok"]
