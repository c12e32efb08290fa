"""Cache derived tables (extracted features, intermediate results) keyed on the data's hashes.

A chapter that spends seconds deriving a table from a data set (image features, a normalised
matrix) computes it once and reads it back afterwards. The cache key is made of the SHA256
hashes that ``data/registry.csv`` lists for every file of the data sets the table derives from,
the table's name and a version string that the caller bumps whenever the code that builds the
table changes. A new release of the data, a corrected file or a new version of the recipe
therefore gives a new key, and a stale table is never served.

Tables are stored as parquet files under ``mlbio.datasets.cache_dir() / "tidy"`` (set
``MLBIO_DATA_DIR`` to move them). Every write goes to a temporary file in the same folder that is
renamed when complete, so that an interrupted build never leaves half a table behind.

Examples
--------
>>> from mlbio import cache
>>> def build():  # doctest: +SKIP
...     return expensive_features()
>>> features = cache.cached_frame(
...     "ham10000-lesion-features", ["ham10000_images"], build, version="1"
... )  # doctest: +SKIP

"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from mlbio import datasets as _datasets

__all__ = ["cache_key", "cache_path", "cached_array", "cached_frame", "code_version"]

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _check(name: str, datasets: Sequence[str], version: str) -> list[str]:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"The cache name {name!r} must be lowercase letters, digits, '.', '_' or '-' "
            "(it becomes part of a file name), e.g. 'ham10000-lesion-features'."
        )
    if isinstance(datasets, str):
        raise TypeError(
            f"datasets must be a list of data set names, e.g. [{datasets!r}], not a string."
        )
    names = list(datasets)
    if not names:
        raise ValueError(
            "Name at least one data set the table is derived from (see "
            "mlbio.datasets.dataset_names()): the cache key is made of their hashes."
        )
    if not isinstance(version, str) or not version:
        raise ValueError(f"version must be a non-empty string, got {version!r}.")
    return names


def code_version(*modules: ModuleType, extra: str = "") -> str:
    """Return a version string that changes whenever the source of ``modules`` changes.

    Pass it as ``version`` to :func:`cached_frame` when the table is built by functions of
    those modules: an edit to their code (even to a comment) then rebuilds the table instead of
    serving one computed by older code.

    Parameters
    ----------
    *modules
        Imported modules, e.g. ``mlbio.images``.
    extra
        Anything else the table depends on (e.g. parameters written in the notebook).

    Returns
    -------
    str
        12 hexadecimal digits of a SHA256 of the modules' source and ``extra``.

    Examples
    --------
    >>> import mlbio.images
    >>> len(code_version(mlbio.images))
    12

    """
    if not modules:
        raise ValueError("Name at least one module whose source the table depends on.")
    digest = hashlib.sha256(extra.encode())
    for module in modules:
        if not isinstance(module, ModuleType):
            raise TypeError(f"code_version expects modules, got {type(module).__name__}.")
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:12]


def cache_key(name: str, datasets: Sequence[str], version: str = "1") -> str:
    """Return the key of a derived table: 16 hexadecimal digits of a SHA256.

    Parameters
    ----------
    name
        The table's name.
    datasets
        The data sets it is derived from (names from :func:`mlbio.datasets.dataset_names`); their
        order does not matter.
    version
        The version of the code that builds the table.

    Returns
    -------
    str
        A digest of the name, the version and the registry hash of every file of the data sets.

    Raises
    ------
    mlbio.datasets.UnknownDatasetError
        If a data set name is not known.

    """
    names = _check(name, datasets, version)
    registry = _datasets.read_registry()
    digest = hashlib.sha256(f"{name}\0{version}\0".encode())
    for dataset in sorted(set(names)):
        digest.update(f"{dataset}\0".encode())
        for file in _datasets.dataset_files(dataset, registry):
            digest.update(f"{file}\0{registry[file].sha256}\0".encode())
    return digest.hexdigest()[:16]


def cache_path(
    name: str, datasets: Sequence[str], version: str = "1", suffix: str = ".parquet"
) -> Path:
    """Return the file of a cached result (it may not exist yet).

    :func:`cached_frame` stores ``.parquet`` files, :func:`cached_array` ``.npy`` files.
    """
    key = cache_key(name, datasets, version)
    return _datasets.cache_dir() / "tidy" / f"{name}-{key}{suffix}"


def cached_frame(
    name: str,
    datasets: Sequence[str],
    build: Callable[[], pd.DataFrame],
    version: str = "1",
) -> pd.DataFrame:
    """Return a derived table from the cache, building and storing it on the first call.

    Parameters
    ----------
    name
        The table's name (lowercase letters, digits, ``.``, ``_``, ``-``), unique in the book.
    datasets
        The data sets the table is derived from (names from
        :func:`mlbio.datasets.dataset_names`). Their registry hashes are part of the key: a
        change in any of their files rebuilds the table.
    build
        Function of no argument that computes the table. It is called only when the cache has
        no table for the key.
    version
        Bump it whenever ``build`` (or code it calls) changes what it returns.

    Returns
    -------
    pandas.DataFrame
        The table as stored in parquet, on the first call as on later ones (index, column
        names and dtypes are kept; column names must be strings).

    Raises
    ------
    TypeError
        If ``build`` returns something other than a DataFrame.
    ValueError
        If the name, the data sets or the version are malformed.

    """
    target = cache_path(name, datasets, version)
    if target.is_file():
        return pd.read_parquet(target)
    frame = build()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"The build function of the cached table {name!r} returned a "
            f"{type(frame).__name__}; it must return a pandas DataFrame."
        )
    _datasets.atomic_write(target, frame.to_parquet)
    # Read it back, so that the first call returns exactly what every later call will.
    return pd.read_parquet(target)


def cached_array(
    name: str,
    datasets: Sequence[str],
    build: Callable[[], np.ndarray],
    version: str = "1",
) -> np.ndarray:
    """Return a derived array from the cache, building and storing it on the first call.

    The same as :func:`cached_frame` for a NumPy array (stored as ``.npy``), such as a stack of
    image masks.

    Parameters
    ----------
    name, datasets, build, version
        As in :func:`cached_frame`; ``build`` returns a NumPy array of numbers or booleans.

    Returns
    -------
    numpy.ndarray
        The array as stored, on the first call as on later ones.

    Raises
    ------
    TypeError
        If ``build`` returns something other than an array of numbers or booleans (arrays of
        Python objects cannot be stored without pickle, which the cache never loads).

    """
    target = cache_path(name, datasets, version, suffix=".npy")
    if target.is_file():
        return np.load(target, allow_pickle=False)
    array = build()
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        what = f"an array of {array.dtype}" if isinstance(array, np.ndarray) else type(array)
        raise TypeError(
            f"The build function of the cached array {name!r} returned {what}; it must return "
            "a NumPy array of numbers or booleans."
        )
    _datasets.atomic_write(target, lambda path: np.save(path, array, allow_pickle=False))
    return np.load(target, allow_pickle=False)
