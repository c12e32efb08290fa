"""Verified access to the book's data sets.

Every remote file the book uses is listed in ``data/registry.csv`` with its SHA256 hash, size,
URL, provenance and licence.  This module turns that table into a :mod:`pooch` registry, fetches
files (from a local mirror when ``MLBIO_DATA_MIRROR`` is set, else from the network), verifies
every byte against the registry and parses the raw files into tidy :mod:`pandas` objects that are
cached in a fast format, so that a chapter loads its data in seconds.

Environment variables
---------------------
``MLBIO_DATA_DIR``
    Folder of the download and tidy caches (default: the user cache folder, ``~/.cache/mlbio``).
``MLBIO_DATA_MIRROR``
    Folder that holds the same files under the same relative names as the registry (for example
    ``../shared/data``).  Files are then copied from it instead of downloaded, and checked against
    the same hashes.  Give it as an absolute path: notebooks run in their own folder.
``MLBIO_REGISTRY``
    Another registry CSV (used by the tests); default ``data/registry.csv`` of the repository.

Adding a data set
-----------------
One registry row per file, with the data set's name in the ``dataset`` column; one loader,
registered with ``@_loads("<dataset>")``; and a card in ``data/README.md`` between
``<!-- card:<dataset> ... -->`` and ``<!-- end:<dataset> -->``. The book's Data page is generated
from the registry and the cards, and a test fails while a data set lacks its card or its loader.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pooch

__all__ = [
    "LOADERS",
    "DataCard",
    "DataError",
    "DataIntegrityError",
    "DataUnavailableError",
    "MirrorFileMissingError",
    "RegistryEntry",
    "TCGACounts",
    "UnknownDatasetError",
    "cache_dir",
    "dataset_files",
    "dataset_names",
    "fetch",
    "fetch_dataset",
    "load_eicu",
    "load_gene_info",
    "load_ham10000",
    "load_pad_ufes20",
    "load_tcga_ancestry",
    "load_tcga_clinical",
    "load_tcga_counts",
    "parse_tcga_barcodes",
    "read_cards",
    "read_registry",
    "registry_summary",
    "repo_root",
]

# Bump when a loader's output changes, so that stale tidy caches are not served.
_TIDY_VERSION = "1"

pooch.get_logger().setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class DataError(Exception):
    """Base class of every data-layer error raised by :mod:`mlbio.datasets`."""


class UnknownDatasetError(DataError, LookupError):
    """A data set or file name that the registry does not know."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0])


class DataIntegrityError(DataError):
    """A file whose SHA256 hash differs from the one in the registry."""


class MirrorFileMissingError(DataError, FileNotFoundError):
    """``MLBIO_DATA_MIRROR`` is set but does not hold a file that the registry lists."""


class DataUnavailableError(DataError):
    """A file could be neither downloaded nor taken from a mirror."""


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistryEntry:
    """One row of ``data/registry.csv``: a remote file, its data set and where it comes from."""

    name: str
    dataset: str
    sha256: str
    bytes: int
    url: str
    alt_url: str
    source: str
    license: str


_REGISTRY_COLUMNS = ("name", "dataset", "sha256", "bytes", "url", "alt_url", "source", "license")


def repo_root() -> Path:
    """Return the root folder of the book's repository (where ``data/registry.csv`` lives)."""
    return Path(__file__).resolve().parents[2]


def _registry_path() -> Path:
    env = os.environ.get("MLBIO_REGISTRY")
    return Path(env) if env else repo_root() / "data" / "registry.csv"


def read_registry(path: str | os.PathLike[str] | None = None) -> dict[str, RegistryEntry]:
    """Read the registry CSV into a mapping from file name to :class:`RegistryEntry`.

    Parameters
    ----------
    path
        The CSV to read; default ``MLBIO_REGISTRY`` or ``data/registry.csv``.

    Returns
    -------
    dict
        File name (relative path) to entry, in file order.

    Raises
    ------
    DataError
        If the file is missing, lacks a column, repeats a name or has a malformed hash.

    """
    path = Path(path) if path is not None else _registry_path()
    if not path.is_file():
        raise DataError(
            f"The data registry {path} does not exist. Run from a checkout of the book, or set "
            "MLBIO_REGISTRY to the path of registry.csv."
        )
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _REGISTRY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"The data registry {path} lacks the column(s) {missing}.")
        entries: dict[str, RegistryEntry] = {}
        for line, row in enumerate(reader, start=2):
            name = row["name"].strip()
            if name in entries:
                raise DataError(f"{path}, line {line}: the file {name!r} is listed twice.")
            if not re.fullmatch(r"[0-9a-f]{64}", row["sha256"].strip()):
                raise DataError(f"{path}, line {line}: {row['sha256']!r} is not a SHA256 hash.")
            dataset = (row["dataset"] or "").strip()
            if not re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", dataset):
                raise DataError(
                    f"{path}, line {line}: the dataset {dataset!r} of {name!r} must be a "
                    "lowercase identifier such as 'tcga_counts'."
                )
            entries[name] = RegistryEntry(
                name=name,
                dataset=dataset,
                sha256=row["sha256"].strip(),
                bytes=int(row["bytes"]),
                url=row["url"].strip(),
                alt_url=(row["alt_url"] or "").strip(),
                source=row["source"],
                license=row["license"],
            )
    return entries


def __getattr__(name: str) -> object:
    """``DATASETS``, the data set names before the registry had a ``dataset`` column.

    Kept for code written against the old name: a mapping from each data set of the registry
    to its card's title. New code calls :func:`dataset_names`.
    """
    if name == "DATASETS":
        cards = read_cards()
        return {d: (cards[d].title if d in cards else "") for d in dataset_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def dataset_names(registry: dict[str, RegistryEntry] | None = None) -> list[str]:
    """Return the names of the data sets of the registry, in the order of their first file."""
    registry = read_registry() if registry is None else registry
    return list(dict.fromkeys(entry.dataset for entry in registry.values()))


def dataset_files(dataset: str, registry: dict[str, RegistryEntry] | None = None) -> list[str]:
    """Return the registry names of the files that make up ``dataset``.

    Raises
    ------
    UnknownDatasetError
        If no row of the registry belongs to ``dataset``.

    """
    registry = read_registry() if registry is None else registry
    names = [name for name, entry in registry.items() if entry.dataset == dataset]
    if not names:
        known = dataset_names(registry)
        close = difflib.get_close_matches(dataset, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownDatasetError(
            f"Unknown data set {dataset!r}.{hint} Known data sets: {', '.join(known)}."
        )
    return names


@dataclass(frozen=True)
class DataCard:
    """A data set's card in ``data/README.md``: its title, text and the works to cite."""

    dataset: str
    title: str
    body: str
    cite: tuple[str, ...]


_CARD = re.compile(
    r"^<!-- card:(?P<dataset>\w+)(?P<options>[^\n]*?)-->\n"
    r"#+ (?P<title>[^\n]+)\n(?P<body>.*?)^<!-- end:(?P=dataset) -->",
    re.M | re.S,
)


def read_cards(path: str | os.PathLike[str] | None = None) -> dict[str, DataCard]:
    """Read the data cards of ``data/README.md`` (default: beside the registry).

    A card starts with ``<!-- card:<dataset> cite=<bibkey>,<bibkey> -->`` and a heading (its
    title), and ends with ``<!-- end:<dataset> -->``.

    Raises
    ------
    DataError
        If the file is missing or holds a card twice.

    """
    path = Path(path) if path is not None else _registry_path().with_name("README.md")
    if not path.is_file():
        raise DataError(f"The data cards file {path} does not exist.")
    cards: dict[str, DataCard] = {}
    for match in _CARD.finditer(path.read_text(encoding="utf-8")):
        dataset = match["dataset"]
        if dataset in cards:
            raise DataError(f"{path}: the card of {dataset!r} appears twice.")
        options = dict(item.split("=", 1) for item in match["options"].split() if "=" in item)
        cite = tuple(k for k in options.get("cite", "").split(",") if k)
        cards[dataset] = DataCard(dataset, match["title"].strip(), match["body"].strip(), cite)
    return cards


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Return the cache folder (``MLBIO_DATA_DIR`` or the user cache folder)."""
    env = os.environ.get("MLBIO_DATA_DIR")
    return Path(env).expanduser().resolve() if env else Path(pooch.os_cache("mlbio"))


def _mirror_dir() -> Path | None:
    env = os.environ.get("MLBIO_DATA_MIRROR")
    if not env:
        return None
    mirror = Path(env).expanduser()
    if not mirror.is_absolute():
        raise DataError(
            f"MLBIO_DATA_MIRROR={env!r} is a relative path; notebooks run in their own folder, so "
            f"give an absolute path, e.g. MLBIO_DATA_MIRROR={mirror.resolve()}."
        )
    if not mirror.is_dir():
        raise DataError(
            f"MLBIO_DATA_MIRROR={env!r} is not a folder. Point it at a copy of the data mirror "
            "or unset it to download from the network."
        )
    return mirror


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mirror_downloader(mirror: Path) -> Callable[[str, str, object], None]:
    def download(url: str, output_file: str, _pooch: object) -> None:
        # pooch passes the URL it would have used; we map it back to the registry name.
        name = url.split("mlbio-mirror://", 1)[1]
        source = mirror / name
        if not source.is_file():
            raise MirrorFileMissingError(
                f"The data mirror {mirror} has no file {name!r}. Copy it there (see "
                "data/registry.csv for its URL and hash), or unset MLBIO_DATA_MIRROR to "
                "download it."
            )
        shutil.copyfile(source, output_file)

    return download


def _pooch(
    registry: dict[str, RegistryEntry], mirror: Path | None, *, alt: bool = False
) -> pooch.Pooch:
    """Make a Pooch for the registry: files from the mirror, the url or (alt) the alt_url."""
    urls = {
        e.name: (
            f"mlbio-mirror://{e.name}"
            if mirror is not None
            else ((e.alt_url or e.url) if alt else e.url)
        )
        for e in registry.values()
    }
    return pooch.create(
        path=cache_dir() / "raw",
        base_url="",
        registry={e.name: f"sha256:{e.sha256}" for e in registry.values()},
        urls=urls,
        # Retrying a local copy cannot help; the network deserves three more tries.
        retry_if_failed=0 if mirror is not None else 3,
        allow_updates=True,
    )


def _fetch_one(
    entry: RegistryEntry,
    fetcher: pooch.Pooch,
    mirror: Path | None,
    alt_fetcher: pooch.Pooch | None = None,
) -> Path:
    """Fetch one file; without a mirror, try its ``alt_url`` when its ``url`` fails."""
    try:
        return _fetch_from(entry, fetcher, mirror, entry.url)
    except (DataIntegrityError, DataUnavailableError) as err:
        if mirror is not None or not entry.alt_url or alt_fetcher is None:
            raise
        try:
            return _fetch_from(entry, alt_fetcher, None, entry.alt_url)
        except DataError as alt_err:
            raise type(err)(f"{err} Its alt_url failed too: {alt_err}") from None


def _fetch_from(entry: RegistryEntry, fetcher: pooch.Pooch, mirror: Path | None, url: str) -> Path:
    downloader = _mirror_downloader(mirror) if mirror is not None else None
    try:
        return Path(fetcher.fetch(entry.name, downloader=downloader))
    except MirrorFileMissingError:
        raise
    except ValueError as err:  # pooch's hash mismatch
        if "hash" not in str(err).lower():
            raise
        found = re.search(r"got\s+([0-9a-f]{64})", str(err))
        actual = found.group(1) if found else "unknown"
        where = f"the mirror file {mirror / entry.name}" if mirror else f"the download {url}"
        fix = "Replace the mirror file with an intact copy" if mirror else "Retry later"
        raise DataIntegrityError(
            f"SHA256 mismatch for {entry.name!r} ({where}): expected {entry.sha256}, got "
            f"{actual}. The corrupt copy was discarded and nothing was cached. {fix}; if the "
            "source legitimately changed, update its row in data/registry.csv."
        ) from None
    except OSError as err:
        if mirror is not None:
            raise
        raise DataUnavailableError(
            f"Could not download {entry.name!r} from {url} ({err.__class__.__name__}: "
            f"{err}). There is no network and no mirror: connect to the internet, or set "
            "MLBIO_DATA_MIRROR to the absolute path of a folder holding the data files."
        ) from None
    except Exception as err:  # requests errors do not all derive from OSError
        if err.__class__.__module__.startswith("requests"):
            raise DataUnavailableError(
                f"Could not download {entry.name!r} from {url} ({err.__class__.__name__}). "
                "There is no network and no mirror: connect to the internet, or set "
                "MLBIO_DATA_MIRROR to the absolute path of a folder holding the data files."
            ) from None
        raise


def fetch(
    names: str | Sequence[str],
    *,
    workers: int = 8,
    registry: dict[str, RegistryEntry] | None = None,
) -> Path | list[Path]:
    """Fetch registry files into the cache, verify their hashes and return their local paths.

    Parameters
    ----------
    names
        One registry name (e.g. ``"tcga/TCGA_ACC_Counts.exp.gz"``) or a sequence of names.
    workers
        Parallel transfers when several files are asked for.
    registry
        A registry mapping (default: :func:`read_registry`).

    Returns
    -------
    pathlib.Path or list of pathlib.Path
        A path for a single name, a list (same order) for a sequence.

    Raises
    ------
    UnknownDatasetError
        A name that the registry does not list.
    DataIntegrityError
        A file whose hash differs from the registry (nothing is cached).
    MirrorFileMissingError
        ``MLBIO_DATA_MIRROR`` is set but lacks the file.
    DataUnavailableError
        No mirror and the download failed (for instance, no network), from the file's ``url``
        and from its ``alt_url`` (tried when the ``url`` fails).

    """
    registry = read_registry() if registry is None else registry
    single = isinstance(names, str)
    wanted = [names] if single else list(names)
    for name in wanted:
        if name not in registry:
            close = difflib.get_close_matches(name, registry, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownDatasetError(f"{name!r} is not in the data registry.{hint}")
    mirror = _mirror_dir()
    fetcher = _pooch(registry, mirror)
    alt_fetcher = _pooch(registry, None, alt=True) if mirror is None else None
    # Create the sub-folders up front: pooch's own makedirs races when threads share a folder.
    for folder in {(Path(fetcher.abspath) / n).parent for n in wanted}:
        folder.mkdir(parents=True, exist_ok=True)
    if len(wanted) == 1:
        paths = [_fetch_one(registry[wanted[0]], fetcher, mirror, alt_fetcher)]
    else:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            paths = list(
                pool.map(lambda n: _fetch_one(registry[n], fetcher, mirror, alt_fetcher), wanted)
            )
    return paths[0] if single else paths


def fetch_dataset(dataset: str, *, workers: int = 8) -> list[Path]:
    """Fetch every file of a data set (see :func:`dataset_names`) and return the local paths."""
    registry = read_registry()
    return fetch(dataset_files(dataset, registry), workers=workers, registry=registry)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Tidy cache
# --------------------------------------------------------------------------------------------
def _tidy_key(dataset: str, extra: str = "") -> str:
    registry = read_registry()
    digest = hashlib.sha256(_TIDY_VERSION.encode())
    for name in dataset_files(dataset, registry):
        digest.update(registry[name].sha256.encode())
    digest.update(extra.encode())
    return f"{dataset}-{digest.hexdigest()[:16]}"


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Write a file through a temporary file in the same folder, then rename it into place.

    Readers (another notebook running side by side, a rerun after a crash) see either no file or
    the whole file, never half of one.

    Parameters
    ----------
    target
        The file to write.
    write
        Called with the temporary file's path; writes the content there.

    """
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".tmp-{target.stem}-"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=target.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_directory(folder: Path) -> Iterator[Path]:
    """Fill a folder all at once: yield a temporary sibling, then put it in the folder's place.

    Write the files into the yielded folder; when the ``with`` block ends without an error, it
    replaces ``folder`` (an older copy is removed). On an error nothing is left behind and
    ``folder`` is untouched.

    Parameters
    ----------
    folder
        The folder to (re)create.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.

    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".tmp-{folder.name}-"))
    try:
        yield tmp
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _cached_frame(dataset: str, build: Callable[[], pd.DataFrame], extra: str = "") -> pd.DataFrame:
    target = cache_dir() / "tidy" / f"{_tidy_key(dataset, extra)}.parquet"
    if target.is_file():
        return pd.read_parquet(target)
    frame = build()
    atomic_write(target, lambda p: frame.to_parquet(p))
    return frame


# --------------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------------
#: The loader of each data set: a function of no argument that fetches, parses and caches it.
LOADERS: dict[str, Callable[[], object]] = {}

_F = TypeVar("_F", bound=Callable[..., object])


def _loads(dataset: str, **kwargs: object) -> Callable[[_F], _F]:
    """Register the decorated function as the loader of ``dataset`` (called with ``kwargs``)."""

    def register(func: _F) -> _F:
        LOADERS[dataset] = functools.partial(func, **kwargs) if kwargs else func
        return func

    return register


# --------------------------------------------------------------------------------------------
# TCGA
# --------------------------------------------------------------------------------------------
#: Sample type codes of TCGA barcodes (GDC code tables), the ones a reader meets in this book.
SAMPLE_TYPES = {
    "01": "Primary Solid Tumor",
    "02": "Recurrent Solid Tumor",
    "03": "Primary Blood Derived Cancer - Peripheral Blood",
    "05": "Additional - New Primary",
    "06": "Metastatic",
    "07": "Additional Metastatic",
    "10": "Blood Derived Normal",
    "11": "Solid Tissue Normal",
}

_BARCODE = re.compile(
    r"^(?P<project>TCGA)-(?P<tss>[A-Z0-9]{2})-(?P<participant_code>[A-Z0-9]{4})"
    r"-(?P<sample_type_code>\d{2})(?P<vial>[A-Z])"
    r"-(?P<portion>\d{2})(?P<analyte>[A-Z])-(?P<plate>[A-Z0-9]{4})-(?P<center>[A-Z0-9]{2})$"
)


def parse_tcga_barcodes(barcodes: Iterable[str]) -> pd.DataFrame:
    """Split full TCGA aliquot barcodes into their fields.

    A barcode such as ``TCGA-OR-A5J1-01A-11R-A29S-07`` encodes the tissue source site (``OR``),
    the participant (``TCGA-OR-A5J1``), the sample type (``01``, primary solid tumour) and vial
    (``A``), the portion (``11``) and analyte (``R``, RNA), the plate (``A29S``) and the
    sequencing centre (``07``).  Site and plate are the classic batch variables of TCGA.

    Parameters
    ----------
    barcodes
        Full aliquot barcodes (28 characters).

    Returns
    -------
    pandas.DataFrame
        Indexed by barcode, with columns ``participant``, ``tss``, ``sample_type_code``,
        ``sample_type``, ``vial``, ``portion``, ``analyte``, ``plate``, ``center``.

    Raises
    ------
    ValueError
        Naming every barcode that is not a full TCGA aliquot barcode.

    """
    barcodes = [str(b) for b in barcodes]
    series = pd.Series(barcodes, dtype=object)
    parts = series.str.extract(_BARCODE)
    bad = series[parts["project"].isna()].tolist()
    if bad:
        shown = ", ".join(repr(b) for b in bad[:5])
        raise ValueError(
            f"{len(bad)} value(s) are not full TCGA aliquot barcodes (expected the form "
            f"TCGA-OR-A5J1-01A-11R-A29S-07): {shown}."
        )
    parts.index = pd.Index(barcodes, name="barcode")
    parts["participant"] = parts["project"] + "-" + parts["tss"] + "-" + parts["participant_code"]
    parts["sample_type"] = parts["sample_type_code"].map(SAMPLE_TYPES).fillna("other")
    columns = [
        "participant", "tss", "sample_type_code", "sample_type",
        "vial", "portion", "analyte", "plate", "center",
    ]  # fmt: skip
    return parts[columns].astype(str)


@dataclass(frozen=True)
class TCGACounts:
    """TCGA raw counts with their sample annotations.

    Attributes
    ----------
    counts : pandas.DataFrame
        Samples × genes (Ensembl ids without version), raw HTSeq counts as ``int32``.
    samples : pandas.DataFrame
        One row per sample (same index as ``counts``): ``cancer_type`` and the barcode fields
        of :func:`parse_tcga_barcodes`.

    """

    counts: pd.DataFrame
    samples: pd.DataFrame


@_loads("tcga_counts")
def load_tcga_counts() -> TCGACounts:
    """Load the TCGA raw counts of the six cancer types (samples × genes) with barcode fields.

    The first call parses the six gzipped tables (about ten seconds) and caches a NumPy matrix;
    later calls read the cache in well under two seconds.

    Returns
    -------
    TCGACounts
        ``.counts`` (samples × 56,537 genes) and ``.samples`` (cancer type, participant, tissue
        source site, sample type, vial, portion, analyte, plate, centre).

    """
    key = _tidy_key("tcga_counts")
    folder = cache_dir() / "tidy" / key
    if not (folder / "done").is_file():
        paths = fetch_dataset("tcga_counts")
        matrices, types, genes = [], [], None
        for path in sorted(paths):
            cancer = re.search(r"TCGA_([A-Z]+)_Counts", path.name).group(1)  # type: ignore[union-attr]
            table = pd.read_csv(path, sep="\t", index_col=0)
            if genes is None:
                genes = table.index
            elif not table.index.equals(genes):
                raise DataError(f"{path.name} lists other genes than the first counts table.")
            matrices.append(table.to_numpy(dtype=np.int32).T)
            types += [(b, cancer) for b in table.columns]
        assert genes is not None
        samples = parse_tcga_barcodes([b for b, _ in types])
        samples.insert(0, "cancer_type", [c for _, c in types])
        with atomic_directory(folder) as tmp:
            np.save(tmp / "counts.npy", np.vstack(matrices))
            pd.DataFrame({"gene_id": genes.astype(str)}).to_parquet(tmp / "genes.parquet")
            samples.to_parquet(tmp / "samples.parquet")
            (tmp / "done").write_text("ok\n")
    samples = pd.read_parquet(folder / "samples.parquet")
    genes = pd.read_parquet(folder / "genes.parquet")["gene_id"].to_numpy(dtype=object)
    matrix = np.load(folder / "counts.npy")
    counts = pd.DataFrame(matrix, index=samples.index, columns=pd.Index(genes, name="gene_id"))
    return TCGACounts(counts=counts, samples=samples)


@_loads("tcga_clinical")
def load_tcga_clinical() -> pd.DataFrame:
    """Load the TCGA Pan-Cancer Clinical Data Resource (TCGA-CDR) with decoded site codes.

    Returns
    -------
    pandas.DataFrame
        One row per patient (11,160), indexed by ``bcr_patient_barcode``; the CDR columns plus
        ``tss`` (site code), ``tss_source_site`` and ``tss_disease`` from the ``TSS_Info`` sheet.

    """

    def build() -> pd.DataFrame:
        path = fetch_dataset("tcga_clinical")[0]
        cdr = pd.read_excel(path, sheet_name="TCGA-CDR").drop(columns="Unnamed: 0")
        tss = pd.read_excel(path, sheet_name="TSS_Info", skiprows=2, dtype=str)
        tss = tss.rename(
            columns={
                "TSS Code": "tss",
                "Source Site": "tss_source_site",
                "Disease type": "tss_disease",
            }
        ).dropna(subset=["tss"])
        cdr["tss"] = cdr["bcr_patient_barcode"].str.slice(5, 7)
        out = cdr.merge(tss, on="tss", how="left", validate="many_to_one")
        for col in out.columns:
            if out[col].dtype == object:
                out[col] = out[col].astype("string")
        return out.set_index("bcr_patient_barcode")

    return _cached_frame("tcga_clinical", build)


@_loads("tcga_ancestry")
def load_tcga_ancestry() -> pd.DataFrame:
    """Load self-reported race and ethnicity next to genetically inferred ancestry.

    Returns
    -------
    pandas.DataFrame
        One row per patient: ``patient``, ``cancer_type``, ``self_reported_race``,
        ``self_reported_ethnicity`` and ``eigenstrat``, the inferred ancestry call as coded in
        the file's ``Notes`` sheet: ``EA`` (European American), ``AA`` (African American),
        ``EAA`` (East Asian American), ``NA`` (Native American), ``OA`` (others), or missing
        where no call was made.

    Notes
    -----
    ``NA`` is a category here, *Native American*, not "not available": the file is read with
    pandas' default missing-value strings switched off, so that only empty cells are missing.
    Stray rows that are not patients (a blank or a fragment of text below a sheet's table)
    are dropped.

    """

    def build() -> pd.DataFrame:
        path = fetch_dataset("tcga_ancestry")[0]
        sheets = pd.read_excel(
            path, sheet_name=None, header=None, dtype=str, keep_default_na=False, na_values=[""]
        )
        frames = []
        for name, sheet in sheets.items():
            if name == "Notes":
                continue
            body = sheet.iloc[1:, :5]
            body.columns = [
                "patient", "cancer_type", "self_reported_race", "self_reported_ethnicity",
                "eigenstrat",
            ]  # fmt: skip
            body = body.apply(lambda col: col.str.strip()).replace("", None)
            frames.append(body[body["patient"].str.match(r"TCGA-\w{2}-\w{4}$", na=False)])
        return pd.concat(frames, ignore_index=True).astype("string")

    # "na-as-category": caches written before "NA" (Native American) was kept are not reused.
    return _cached_frame("tcga_ancestry", build, extra="na-as-category")


@_loads("gencode_genes")
def load_gene_info() -> pd.DataFrame:
    """Load the GENCODE v22 gene table used by the TCGA counts.

    Returns
    -------
    pandas.DataFrame
        Indexed by Ensembl gene id without version (as in :func:`load_tcga_counts`), with
        ``gene_name``, ``chromosome``, ``start``, ``end``, ``strand``, ``gene_type``.

    """

    def build() -> pd.DataFrame:
        path = fetch_dataset("gencode_genes")[0]
        genes = pd.read_csv(path, sep="\t")
        genes["gene_id"] = genes["gene_id"].str.replace(r"\.\d+$", "", regex=True)
        genes = genes.rename(columns={"seqname": "chromosome"})
        cols = ["gene_id", "gene_name", "chromosome", "start", "end", "strand", "gene_type"]
        return genes[cols].set_index("gene_id")

    return _cached_frame("gencode_genes", build)


# --------------------------------------------------------------------------------------------
# Dermatology
# --------------------------------------------------------------------------------------------
@_loads("ham10000_metadata")
@_loads("ham10000_images", images=True)
def load_ham10000(images: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
    """Load the HAM10000 metadata, and optionally the 2,000 images held by the book.

    Parameters
    ----------
    images
        If true, also return the images, and restrict the metadata to the imaged lesions.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, numpy.ndarray)
        The metadata (10,015 rows: ``lesion_id``, ``image_id``, ``dx``, ``dx_type``, ``age``,
        ``sex``, ``localization``, ``dataset``).  With ``images=True``, the metadata of the
        2,000 images (sorted by ``image_id``) and a ``uint8`` array of shape
        ``(2000, 150, 150, 3)`` whose row *i* is the image of metadata row *i*.

    Notes
    -----
    Several images show the same lesion: split by ``lesion_id``, never by image.

    """

    def build() -> pd.DataFrame:
        path = fetch_dataset("ham10000_metadata")[0]
        return pd.read_csv(path)

    meta = _cached_frame("ham10000_metadata", build)
    if not images:
        return meta
    target = cache_dir() / "tidy" / f"{_tidy_key('ham10000_images')}.npz"
    if not target.is_file():
        from PIL import Image

        names = dataset_files("ham10000_images")
        paths = fetch(names)
        ids = [Path(n).stem for n in names]
        order = np.argsort(ids)
        arrays = []
        for i in order:
            with Image.open(paths[i]) as img:  # type: ignore[index]
                arrays.append(np.asarray(img.convert("RGB"), dtype=np.uint8))
        if len({a.shape for a in arrays}) != 1:
            raise DataError("The HAM10000 images do not all have the same size.")
        stacked = np.stack(arrays)
        ids_sorted = np.array([ids[i] for i in order])
        atomic_write(target, lambda p: np.savez(p, images=stacked, image_id=ids_sorted))
    with np.load(target) as npz:
        array, ids_sorted = npz["images"], npz["image_id"]
    imaged = meta.set_index("image_id").loc[ids_sorted].reset_index()
    return imaged[meta.columns], array


@_loads("pad_ufes_20")
def load_pad_ufes20() -> pd.DataFrame:
    """Load the PAD-UFES-20 smartphone skin-lesion metadata (with Fitzpatrick skin type).

    Returns
    -------
    pandas.DataFrame
        2,298 rows, the 26 original columns; ``fitspatrick`` (sic) holds the skin type 1-6.
        The hosting repository's extra ``image_path`` column is dropped.

    """

    def build() -> pd.DataFrame:
        path = fetch_dataset("pad_ufes_20")[0]
        return pd.read_csv(path).drop(columns=["image_path"], errors="ignore")

    return _cached_frame("pad_ufes_20", build)


# --------------------------------------------------------------------------------------------
# eICU
# --------------------------------------------------------------------------------------------
@_loads("eicu")
def load_eicu() -> pd.DataFrame:
    """Load the eICU-CRD demo as one tidy row per ICU stay with APACHE IVa and hospital fields.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patientunitstayid``: the ``patient`` table (``age`` made numeric, with
        ``"> 89"`` coded as 90), the APACHE IVa ``predictedhospitalmortality`` and
        ``actualhospitalmortality`` (``None`` where the stay has no APACHE IVa score),
        ``died_in_hospital`` (bool, from the discharge status) and the hospital's
        ``numbedscategory``, ``teachingstatus`` and ``region``.

    """

    def build() -> pd.DataFrame:
        paths = {p.name: p for p in fetch_dataset("eicu")}
        patient = pd.read_csv(paths["patient.csv.gz"])
        apache = pd.read_csv(paths["apachePatientResult.csv.gz"])
        hospital = pd.read_csv(paths["hospital.csv.gz"])
        apache = apache.loc[
            apache["apacheversion"] == "IVa",
            ["patientunitstayid", "apachescore", "predictedhospitalmortality",
             "actualhospitalmortality"],
        ]  # fmt: skip
        # APACHE marks 'not computable' with -1; that is missing, not a probability.
        apache["predictedhospitalmortality"] = apache["predictedhospitalmortality"].where(
            apache["predictedhospitalmortality"] >= 0
        )
        age = patient["age"].astype("string").str.strip()
        patient["age"] = pd.to_numeric(age.replace({"> 89": "90", "": None}), errors="coerce")
        status = patient["hospitaldischargestatus"]
        patient["died_in_hospital"] = status.map({"Expired": True, "Alive": False}).astype(
            "boolean"
        )
        out = patient.merge(apache, on="patientunitstayid", how="left", validate="one_to_one")
        out = out.merge(hospital, on="hospitalid", how="left", validate="many_to_one")
        return out.set_index("patientunitstayid")

    return _cached_frame("eicu", build)


# --------------------------------------------------------------------------------------------
# Summaries for the Data page
# --------------------------------------------------------------------------------------------
def registry_summary(registry: dict[str, RegistryEntry] | None = None) -> pd.DataFrame:
    """Summarise the registry per data set: its card's title, files, size, licence and source.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set name (see :func:`dataset_names`), with ``description`` (the title
        of its card in ``data/README.md``), ``files``, ``megabytes``, ``license`` and ``source``
        (distinct values joined by "; ").

    """
    registry = read_registry() if registry is None else registry
    cards = read_cards()
    rows = []
    for dataset in dataset_names(registry):
        entries = [registry[n] for n in dataset_files(dataset, registry)]
        card = cards.get(dataset)
        rows.append(
            {
                "dataset": dataset,
                "description": card.title if card else "",
                "files": len(entries),
                "megabytes": round(sum(e.bytes for e in entries) / 1e6, 2),
                "license": "; ".join(sorted({e.license for e in entries})),
                "source": "; ".join(sorted({e.source for e in entries})),
            }
        )
    return pd.DataFrame(rows).set_index("dataset")
