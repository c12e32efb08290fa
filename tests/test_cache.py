"""mlbio.cache: derived tables cached on the data's registry hashes, written atomically."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlbio import cache
from mlbio import datasets as ds

FIELDS = ["name", "dataset", "sha256", "bytes", "url", "alt_url", "source", "license"]


class Registry:
    """A tiny registry in tmp_path with one HAM10000 image and the PAD-UFES-20 metadata."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = tmp_path / "registry.csv"
        self.cache = tmp_path / "cache"
        self.hashes = {
            "ham10000/images/ISIC_0000001.jpg": "a" * 64,
            "pad_ufes_20/metadata.csv": "b" * 64,
        }
        self.datasets = {
            "ham10000/images/ISIC_0000001.jpg": "ham10000_images",
            "pad_ufes_20/metadata.csv": "pad_ufes_20",
        }
        monkeypatch.setenv("MLBIO_REGISTRY", str(self.path))
        monkeypatch.setenv("MLBIO_DATA_DIR", str(self.cache))
        self.write()

    def write(self) -> None:
        with self.path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            for name, sha in self.hashes.items():
                writer.writerow(
                    {"name": name, "dataset": self.datasets[name], "sha256": sha, "bytes": 1}
                    | {"url": "https://example.invalid/x", "alt_url": "", "source": "test"}
                    | {"license": "CC0"}
                )

    def files(self) -> list[Path]:
        return sorted(p for p in self.cache.rglob("*") if p.is_file())


@pytest.fixture
def reg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    return Registry(tmp_path, monkeypatch)


def _table(value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [value, 2.0], "label": pd.array(["mel", "nv"], dtype="string")},
        index=pd.Index(["ISIC_1", "ISIC_2"], name="image_id"),
    )


class Counter:
    def __init__(self, value: float = 1.0) -> None:
        self.calls, self.value = 0, value

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        return _table(self.value)


def test_the_table_is_built_once_then_read_back(reg: Registry) -> None:
    build = Counter()
    first = cache.cached_frame("features", ["ham10000_images"], build)
    second = cache.cached_frame("features", ["ham10000_images"], build)
    assert build.calls == 1
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, _table())  # index, names and values survive
    assert [p.parent.name for p in reg.files()] == ["tidy"]
    assert reg.files()[0].name.startswith("features-")


def test_a_changed_data_file_rebuilds_the_table(reg: Registry) -> None:
    cache.cached_frame("features", ["ham10000_images"], Counter(1.0))
    reg.hashes["ham10000/images/ISIC_0000001.jpg"] = "c" * 64
    reg.write()
    build = Counter(5.0)
    again = cache.cached_frame("features", ["ham10000_images"], build)
    assert build.calls == 1 and again["x"].iloc[0] == 5.0


def test_only_the_named_data_sets_enter_the_key(reg: Registry) -> None:
    key = cache.cache_key("features", ["ham10000_images"])
    reg.hashes["pad_ufes_20/metadata.csv"] = "d" * 64
    reg.write()
    assert cache.cache_key("features", ["ham10000_images"]) == key
    assert cache.cache_key("features", ["ham10000_images", "pad_ufes_20"]) != key
    # The order in which data sets are named does not matter.
    assert cache.cache_key("t", ["pad_ufes_20", "ham10000_images"]) == cache.cache_key(
        "t", ["ham10000_images", "pad_ufes_20"]
    )


def test_version_and_name_enter_the_key(reg: Registry) -> None:
    build = Counter()
    cache.cached_frame("features", ["ham10000_images"], build, version="1")
    cache.cached_frame("features", ["ham10000_images"], build, version="2")
    cache.cached_frame("other", ["ham10000_images"], build, version="1")
    assert build.calls == 3
    assert len(reg.files()) == 3


def test_a_failing_build_leaves_nothing_behind(reg: Registry) -> None:
    def broken() -> pd.DataFrame:
        raise RuntimeError("feature extraction crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        cache.cached_frame("features", ["ham10000_images"], broken)
    assert reg.files() == []


def test_an_unwritable_table_leaves_no_temporary_file(reg: Registry) -> None:
    def unstorable() -> pd.DataFrame:
        return pd.DataFrame({"a": [object()]})  # parquet cannot store arbitrary objects

    with pytest.raises(Exception, match="object"):
        cache.cached_frame("features", ["ham10000_images"], unstorable)
    assert reg.files() == []


def test_a_build_must_return_a_dataframe(reg: Registry) -> None:
    with pytest.raises(TypeError, match="must return a pandas DataFrame"):
        cache.cached_frame("features", ["ham10000_images"], lambda: np.zeros(3))
    assert reg.files() == []


@pytest.mark.parametrize(
    ("name", "datasets", "version", "error", "match"),
    [
        ("Bad Name", ["ham10000_images"], "1", ValueError, "lowercase"),
        ("../escape", ["ham10000_images"], "1", ValueError, "lowercase"),
        ("ok", [], "1", ValueError, "at least one data set"),
        ("ok", "ham10000_images", "1", TypeError, "list of data set names"),
        ("ok", ["ham10000_images"], "", ValueError, "version"),
        ("ok", ["ham1000_images"], "1", ds.UnknownDatasetError, "Did you mean"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    reg: Registry, name: str, datasets: list[str], version: str, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        cache.cached_frame(name, datasets, Counter(), version=version)


def test_code_version_follows_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    module = tmp_path / "recipe_mod.py"
    module.write_text("def build():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    recipe = importlib.import_module("recipe_mod")
    first = cache.code_version(recipe)
    assert first == cache.code_version(recipe)
    assert cache.code_version(recipe, extra="bins=4") != first
    module.write_text("def build():\n    return 2\n")
    sys.modules.pop("recipe_mod")
    importlib.invalidate_caches()
    assert cache.code_version(importlib.import_module("recipe_mod")) != first
    with pytest.raises(ValueError, match="at least one module"):
        cache.code_version()
    with pytest.raises(TypeError, match="modules"):
        cache.code_version("recipe_mod")


def test_arrays_are_cached_like_tables(reg: Registry) -> None:
    calls = []

    def masks() -> np.ndarray:
        calls.append(1)
        return np.arange(24).reshape(2, 3, 4) % 3 == 0

    first = cache.cached_array("masks", ["ham10000_images"], masks)
    second = cache.cached_array("masks", ["ham10000_images"], masks)
    assert len(calls) == 1
    assert first.dtype == bool and first.shape == (2, 3, 4)
    np.testing.assert_array_equal(first, second)
    assert [p.suffix for p in reg.files()] == [".npy"]
    # A table and an array of the same name and key do not collide.
    cache.cached_frame("masks", ["ham10000_images"], Counter())
    assert sorted(p.suffix for p in reg.files()) == [".npy", ".parquet"]
    # A changed data file rebuilds the array.
    reg.hashes["ham10000/images/ISIC_0000001.jpg"] = "e" * 64
    reg.write()
    cache.cached_array("masks", ["ham10000_images"], masks)
    assert len(calls) == 2


def test_an_array_of_objects_is_refused_and_nothing_is_written(reg: Registry) -> None:
    with pytest.raises(TypeError, match="numbers or booleans"):
        cache.cached_array("bad", ["ham10000_images"], lambda: np.array([object()]))
    with pytest.raises(TypeError, match="numbers or booleans"):
        cache.cached_array("bad", ["ham10000_images"], lambda: [1, 2])
    assert reg.files() == []


def test_a_half_written_table_is_never_visible(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process reading while a table is written sees no file, never half of one."""
    target = cache.cache_path("features", ["ham10000_images"])
    real = pd.DataFrame.to_parquet
    seen = []

    def interrupted(frame: pd.DataFrame, path: str, *args: object, **kwargs: object) -> None:
        real(frame, path, *args, **kwargs)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])  # half of the table is on disk ...
        seen.append(target.exists())  # ... what a second notebook would find now
        raise KeyboardInterrupt  # ... and the build is stopped

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.cached_frame("features", ["ham10000_images"], Counter())
    assert seen == [False]
    assert reg.files() == []  # neither the table nor the temporary file
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    build = Counter()
    pd.testing.assert_frame_equal(
        cache.cached_frame("features", ["ham10000_images"], build), _table()
    )
    assert build.calls == 1


def test_a_half_written_array_is_never_visible(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = cache.cache_path("masks", ["ham10000_images"], suffix=".npy")
    real = np.save
    seen = []

    def interrupted(path: str, array: np.ndarray, **kwargs: object) -> None:
        real(path, array, **kwargs)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])
        seen.append(target.exists())
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.cached_array("masks", ["ham10000_images"], lambda: np.ones((50, 4, 4), bool))
    assert seen == [False] and reg.files() == []
