"""mlbio.melanoma: the preparation step fills exactly the cache entries the pages read."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlbio import images, melanoma

FIELDS = ["name", "dataset", "sha256", "bytes", "url", "alt_url", "source", "license"]


def _synthetic_images(n: int = 4, side: int = 48) -> np.ndarray:
    """Skin-coloured squares with a dark disc (the lesion) of growing size, slightly off-centre."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:side, :side]
    stack = np.empty((n, side, side, 3), dtype=np.uint8)
    for i in range(n):
        image = np.array([205.0, 160.0, 140.0]) + rng.normal(0, 4, (side, side, 3))
        radius = side * (0.15 + 0.05 * i)
        inside = (yy - side / 2 - i) ** 2 + (xx - side / 2) ** 2 < radius**2
        image[inside] = np.array([95.0, 60.0, 45.0]) + 10 * i
        stack[i] = np.clip(image, 0, 255).astype(np.uint8)
    return stack


class Images:
    """The book's images replaced by a synthetic stack; counts how often they are loaded."""

    def __init__(self) -> None:
        self.pixels = _synthetic_images()
        self.loads = 0

    def __call__(self) -> np.ndarray:
        self.loads += 1
        return self.pixels


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Images:
    """A registry with one HAM10000 image file, an empty cache, synthetic pixels."""
    registry = tmp_path / "registry.csv"
    with registry.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow(
            {"name": "ham10000/images/ISIC_0000001.jpg", "dataset": "ham10000_images"}
            | {"sha256": "a" * 64, "bytes": 1, "url": "https://example.invalid/x"}
            | {"alt_url": "", "source": "test", "license": "CC0"}
        )
    monkeypatch.setenv("MLBIO_REGISTRY", str(registry))
    monkeypatch.setenv("MLBIO_DATA_DIR", str(tmp_path / "cache"))
    fake = Images()
    monkeypatch.setattr(melanoma, "_pixels", fake)
    return fake


def _cached_files(tmp_path: Path) -> set[Path]:
    return {p for p in (tmp_path / "cache").rglob("*") if p.is_file()}


def _forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def computes(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed a table the preparation step should have cached")

    for name in ("segment_lesions", "describe_lesions", "shades_of_gray"):
        monkeypatch.setattr(images, name, computes)
    monkeypatch.setattr(melanoma, "_pixels", computes)


def test_prepare_fills_exactly_what_the_pages_read(
    data: Images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = melanoma.prepare_tables()
    assert _cached_files(tmp_path) == set(paths.values())
    assert set(paths) == {"masks", "features", "corrected"}
    # The expected tables, computed directly from the pixels.
    masks = images.segment_lesions(data.pixels)[0]
    features = images.describe_lesions(data.pixels, masks=masks)
    corrected = images.describe_lesions(images.shades_of_gray(data.pixels), masks=masks)
    # What the pages call now reads the cache and computes nothing.
    _forbid_computing(monkeypatch)
    np.testing.assert_array_equal(melanoma.lesion_masks(), masks)
    pd.testing.assert_frame_equal(melanoma.lesion_table(), features, check_dtype=False)
    pd.testing.assert_frame_equal(
        melanoma.lesion_table(corrected=True), corrected, check_dtype=False
    )
    assert _cached_files(tmp_path) == set(paths.values())  # nothing new was written


def test_a_page_on_an_empty_cache_computes_the_same_tables(
    data: Images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader runs the page with no preparation: same tables, same files.
    read = melanoma.lesion_table(corrected=True), melanoma.lesion_table()
    assert _cached_files(tmp_path) == set(melanoma.table_paths().values())
    _forbid_computing(monkeypatch)
    assert melanoma.prepare_tables() == melanoma.table_paths()  # finds everything cached
    pd.testing.assert_frame_equal(melanoma.lesion_table(corrected=True), read[0])
    pd.testing.assert_frame_equal(melanoma.lesion_table(), read[1])


def test_the_corrected_features_use_the_same_outlines(data: Images) -> None:
    plain, corrected = melanoma.lesion_table(), melanoma.lesion_table(corrected=True)
    geometry = ["area_fraction", "edge_fraction", "problem", "ok"]
    pd.testing.assert_frame_equal(plain[geometry], corrected[geometry])
    colours = [c for c in plain.columns if c not in geometry and plain[c].dtype.kind == "f"]
    assert not np.allclose(plain[colours].to_numpy(), corrected[colours].to_numpy(), equal_nan=True)


def test_new_code_gives_new_cache_files(data: Images, monkeypatch: pytest.MonkeyPatch) -> None:
    before = melanoma.table_paths()
    monkeypatch.setattr(melanoma, "version", lambda: "edited-code")
    after = melanoma.table_paths()
    assert all(before[key] != after[key] for key in before)


def test_corrected_must_be_a_boolean(data: Images) -> None:
    with pytest.raises(TypeError, match="True or False"):
        melanoma.lesion_table(corrected="yes")  # type: ignore[arg-type]
