"""Unit tests of mlbio.datasets on tiny synthetic fixtures of the real formats."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pooch.core
import pytest
from mlbio import datasets as ds
from PIL import Image

REAL_BARCODES = [
    "TCGA-OR-A5L9-01A-11R-A29S-07",  # ACC
    "TCGA-OU-A5PI-01A-12R-A29S-07",  # ACC, portion 12
    "TCGA-GS-A9TT-01A-11R-A38C-07",  # DLBC
    "TCGA-FA-A4XK-01A-11R-A31O-07",  # DLBC
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Fixture:
    """A registry, a mirror folder and a cache folder in tmp_path, wired through env vars."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mirror = tmp_path / "mirror"
        self.cache = tmp_path / "cache"
        self.registry = tmp_path / "registry.csv"
        self.rows: list[dict[str, str]] = []
        self.mirror.mkdir()
        monkeypatch.setenv("MLBIO_REGISTRY", str(self.registry))
        monkeypatch.setenv("MLBIO_DATA_DIR", str(self.cache))
        monkeypatch.setenv("MLBIO_DATA_MIRROR", str(self.mirror))
        self.write_registry()

    def add(
        self,
        name: str,
        data: bytes,
        *,
        dataset: str = "test_set",
        in_mirror: bool = True,
        url: str = "",
        alt_url: str = "",
    ) -> None:
        if in_mirror:
            target = self.mirror / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.rows.append(
            {
                "name": name,
                "dataset": dataset,
                "sha256": sha256(data),
                "bytes": str(len(data)),
                "url": url or f"https://example.invalid/{name}",
                "alt_url": alt_url,
                "source": "synthetic test fixture",
                "license": "CC0",
            }
        )
        self.write_registry()

    def write_registry(self) -> None:
        with self.registry.open("w", newline="") as fh:
            fields = ["name", "dataset", "sha256", "bytes", "url", "alt_url", "source", "license"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(self.rows)

    def leftovers(self) -> list[Path]:
        """Every file in the cache (to check that nothing half-written stays behind)."""
        return [p for p in self.cache.rglob("*") if p.is_file()] if self.cache.exists() else []


@pytest.fixture
def fx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fixture:
    return Fixture(tmp_path, monkeypatch)


# ------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------
def test_registry_reads_rows(fx: Fixture) -> None:
    fx.add("eicu/hospital.csv.gz", b"abc")
    reg = ds.read_registry()
    assert list(reg) == ["eicu/hospital.csv.gz"]
    assert reg["eicu/hospital.csv.gz"].sha256 == sha256(b"abc")
    assert reg["eicu/hospital.csv.gz"].bytes == 3


def test_registry_rejects_a_row_without_a_data_set(fx: Fixture) -> None:
    fx.add("a.csv", b"1", dataset="")
    with pytest.raises(ds.DataError, match="line 2: the dataset '' of 'a.csv'"):
        ds.read_registry()


def test_registry_rejects_duplicates_and_bad_hashes(fx: Fixture) -> None:
    fx.add("a.csv", b"1")
    fx.add("a.csv", b"2")
    with pytest.raises(ds.DataError, match="listed twice"):
        ds.read_registry()
    fx.rows = [dict(fx.rows[0], sha256="not-a-hash")]
    fx.write_registry()
    with pytest.raises(ds.DataError, match="not a SHA256 hash"):
        ds.read_registry()


def test_missing_registry_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ds.DataError, match="MLBIO_REGISTRY"):
        ds.read_registry(tmp_path / "nope.csv")


def test_unknown_dataset_and_file_names(fx: Fixture) -> None:
    fx.add("eicu/hospital.csv.gz", b"abc", dataset="eicu")
    fx.add("tcga/TCGA_ACC_Counts.exp.gz", b"abc", dataset="tcga_counts")
    assert ds.dataset_names() == ["eicu", "tcga_counts"]
    assert ds.dataset_files("tcga_counts") == ["tcga/TCGA_ACC_Counts.exp.gz"]
    with pytest.raises(ds.UnknownDatasetError, match="Did you mean 'tcga_counts'"):
        ds.dataset_files("tcga_count")
    with pytest.raises(ds.UnknownDatasetError, match="not in the data registry"):
        ds.fetch("eicu/hospital.csv")


# ------------------------------------------------------------------------------------------
# Fetching: mirror, hashes, corrupt and missing files
# ------------------------------------------------------------------------------------------
def test_fetch_from_mirror_verifies_and_caches(fx: Fixture) -> None:
    fx.add("tcga/x.bin", b"payload")
    path = ds.fetch("tcga/x.bin")
    assert isinstance(path, Path)
    assert path.read_bytes() == b"payload"
    assert fx.cache in path.parents
    # A second fetch uses the cache: it works even once the mirror copy is gone.
    (fx.mirror / "tcga/x.bin").unlink()
    assert ds.fetch("tcga/x.bin").read_bytes() == b"payload"


def test_corrupt_mirror_file_raises_and_caches_nothing(fx: Fixture) -> None:
    fx.add("tcga/x.bin", b"the real bytes")
    (fx.mirror / "tcga/x.bin").write_bytes(b"tampered bytes")
    with pytest.raises(ds.DataIntegrityError) as err:
        ds.fetch("tcga/x.bin")
    message = str(err.value)
    assert "tcga/x.bin" in message
    assert sha256(b"the real bytes") in message  # expected
    assert sha256(b"tampered bytes") in message  # actual
    assert "registry.csv" in message  # the fix
    assert fx.leftovers() == []


def test_corrupt_cached_file_is_replaced(fx: Fixture) -> None:
    fx.add("tcga/x.bin", b"good")
    cached = ds.fetch("tcga/x.bin")
    cached.write_bytes(b"bit rot")
    assert ds.fetch("tcga/x.bin").read_bytes() == b"good"


def test_missing_mirror_file(fx: Fixture) -> None:
    fx.add("ham10000/images/ISIC_0000001.jpg", b"jpeg", in_mirror=False)
    with pytest.raises(ds.MirrorFileMissingError, match="ISIC_0000001.jpg"):
        ds.fetch("ham10000/images/ISIC_0000001.jpg")
    assert fx.leftovers() == []


def test_relative_mirror_path_is_refused(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    fx.add("a.bin", b"x")
    monkeypatch.setenv("MLBIO_DATA_MIRROR", "../shared/data")
    with pytest.raises(ds.DataError, match="absolute path"):
        ds.fetch("a.bin")


def test_no_network_and_no_mirror(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 9 on the loopback interface: nothing listens, so the connection is refused at once.
    fx.add("a.bin", b"x", in_mirror=False, url="http://127.0.0.1:9/a.bin")
    monkeypatch.delenv("MLBIO_DATA_MIRROR")
    monkeypatch.setattr(pooch.core.time, "sleep", lambda s: None)  # skip the retry back-off
    with pytest.raises(ds.DataUnavailableError, match="MLBIO_DATA_MIRROR") as err:
        ds.fetch("a.bin")
    assert "a.bin" in str(err.value)
    assert fx.leftovers() == []


def test_parallel_fetch_of_many_files(fx: Fixture) -> None:
    names = [f"ham10000/images/ISIC_{i:07d}.jpg" for i in range(40)]
    for i, name in enumerate(names):
        fx.add(name, f"image {i}".encode())
    paths = ds.fetch(names, workers=8)
    assert [p.read_bytes() for p in paths] == [f"image {i}".encode() for i in range(40)]


# ------------------------------------------------------------------------------------------
# TCGA barcodes
# ------------------------------------------------------------------------------------------
def test_parse_real_tcga_barcodes() -> None:
    parsed = ds.parse_tcga_barcodes(REAL_BARCODES)
    first = parsed.loc["TCGA-OR-A5L9-01A-11R-A29S-07"]
    assert first["participant"] == "TCGA-OR-A5L9"
    assert first["tss"] == "OR"
    assert first["sample_type_code"] == "01"
    assert first["sample_type"] == "Primary Solid Tumor"
    assert (first["vial"], first["portion"], first["analyte"]) == ("A", "11", "R")
    assert (first["plate"], first["center"]) == ("A29S", "07")
    assert parsed.loc["TCGA-OU-A5PI-01A-12R-A29S-07", "portion"] == "12"
    assert list(parsed["plate"]) == ["A29S", "A29S", "A38C", "A31O"]


def test_malformed_barcodes_are_named() -> None:
    with pytest.raises(ValueError, match="TCGA-OR-A5L9") as err:
        ds.parse_tcga_barcodes([REAL_BARCODES[0], "TCGA-OR-A5L9", "sample_1"])
    assert "2 value(s)" in str(err.value)
    assert "sample_1" in str(err.value)


# ------------------------------------------------------------------------------------------
# Loaders on synthetic files of the real formats
# ------------------------------------------------------------------------------------------
def gz_table(frame: pd.DataFrame) -> bytes:
    return gzip.compress(frame.to_csv(sep="\t").encode())


def test_load_tcga_counts_and_its_cache(fx: Fixture) -> None:
    genes = pd.Index(["ENSG00000000003", "ENSG00000000005", "ENSG00000281920"])
    acc = pd.DataFrame({REAL_BARCODES[0]: [1, 2, 3], REAL_BARCODES[1]: [4, 5, 6]}, index=genes)
    dlbc = pd.DataFrame({REAL_BARCODES[2]: [7, 8, 9]}, index=genes)
    fx.add("tcga/TCGA_ACC_Counts.exp.gz", gz_table(acc), dataset="tcga_counts")
    fx.add("tcga/TCGA_DLBC_Counts.exp.gz", gz_table(dlbc), dataset="tcga_counts")
    data = ds.load_tcga_counts()
    assert data.counts.shape == (3, 3)
    assert data.counts.loc[REAL_BARCODES[2], "ENSG00000000005"] == 8
    assert data.counts.dtypes.unique().tolist() == [np.dtype("int32")]
    assert data.samples["cancer_type"].tolist() == ["ACC", "ACC", "DLBC"]
    assert (data.samples.index == data.counts.index).all()
    # The second load reads the tidy cache: it no longer needs the raw files.
    for path in fx.mirror.rglob("*.gz"):
        path.unlink()
    for path in (fx.cache / "raw").rglob("*.gz"):
        path.unlink()
    again = ds.load_tcga_counts()
    pd.testing.assert_frame_equal(again.counts, data.counts)


def test_tcga_tables_with_different_genes_are_refused(fx: Fixture) -> None:
    acc = pd.DataFrame({REAL_BARCODES[0]: [1, 2]}, index=["ENSG1", "ENSG2"])
    dlbc = pd.DataFrame({REAL_BARCODES[2]: [1, 2]}, index=["ENSG1", "ENSG3"])
    fx.add("tcga/TCGA_ACC_Counts.exp.gz", gz_table(acc), dataset="tcga_counts")
    fx.add("tcga/TCGA_DLBC_Counts.exp.gz", gz_table(dlbc), dataset="tcga_counts")
    with pytest.raises(ds.DataError, match="other genes"):
        ds.load_tcga_counts()


def test_changed_registry_invalidates_the_tidy_cache(fx: Fixture) -> None:
    fx.add(
        "pad_ufes_20/metadata.csv",
        b"patient_id,fitspatrick,image_path\nPAT_1,2,x.png\n",
        dataset="pad_ufes_20",
    )
    assert ds.load_pad_ufes20()["fitspatrick"].tolist() == [2]
    fx.rows = []
    fx.add(
        "pad_ufes_20/metadata.csv",
        b"patient_id,fitspatrick,image_path\nPAT_1,5,x.png\n",
        dataset="pad_ufes_20",
    )
    frame = ds.load_pad_ufes20()
    assert frame["fitspatrick"].tolist() == [5]
    assert "image_path" not in frame.columns


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="JPEG", quality=100)
    return buffer.getvalue()


def test_ham10000_images_align_with_metadata(fx: Fixture) -> None:
    meta = (
        "lesion_id,image_id,dx,dx_type,age,sex,localization,dataset\n"
        "HAM_1,ISIC_0000002,nv,histo,40,male,back,vidir_modern\n"
        "HAM_1,ISIC_0000001,nv,histo,40,male,back,vidir_modern\n"
        "HAM_2,ISIC_0000003,mel,histo,70,female,face,rosendahl\n"
        "HAM_3,ISIC_0000009,bkl,histo,70,female,face,rosendahl\n"
    )
    fx.add("ham10000/HAM10000_metadata.csv", meta.encode(), dataset="ham10000_metadata")
    colors = {"ISIC_0000001": (250, 0, 0), "ISIC_0000002": (0, 250, 0), "ISIC_0000003": (0, 0, 250)}
    for image_id, color in colors.items():
        fx.add(f"ham10000/images/{image_id}.jpg", jpeg(color), dataset="ham10000_images")
    assert ds.load_ham10000().shape == (4, 8)
    imaged, images = ds.load_ham10000(images=True)
    assert images.shape == (3, 8, 8, 3)
    assert images.dtype == np.uint8
    assert imaged["image_id"].tolist() == ["ISIC_0000001", "ISIC_0000002", "ISIC_0000003"]
    for row, image_id in enumerate(imaged["image_id"]):
        brightest_channel = int(images[row].mean(axis=(0, 1)).argmax())
        assert brightest_channel == int(np.argmax(colors[image_id]))


def test_tcga_ancestry_keeps_native_american_calls(fx: Fixture) -> None:
    """'NA' is the Native American ancestry call, not a missing value; stray rows go."""
    buffer = io.BytesIO()
    header = [
        "Patient_ID",
        "Cancer_type",
        "Self_reported_race",
        "Self-reported ethnicity",
        "EIGENSTRAT",
    ]
    rows = [
        ["TCGA-OR-A5J1", "ACC", "White", "Not Available", "EA"],
        ["TCGA-OR-A5J2", "ACC", "American Indian/Alaska Native", "Hispanic/Latino", "NA"],
        ["TCGA-OR-A5J3", "ACC", "Black", "non-Hispanic/Latino", None],
        ["  Vie", None, None, None, None],
    ]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        notes = pd.DataFrame([["EA", "European American"], [None, "Native American"]])
        notes.to_excel(writer, sheet_name="Notes", header=False, index=False)
        pd.DataFrame(rows, columns=header).to_excel(writer, sheet_name="ACC", index=False)
    fx.add("tcga/Genetic_Ancestry.xlsx", buffer.getvalue(), dataset="tcga_ancestry")
    table = ds.load_tcga_ancestry()
    assert table["patient"].tolist() == ["TCGA-OR-A5J1", "TCGA-OR-A5J2", "TCGA-OR-A5J3"]
    assert table["eigenstrat"].iloc[1] == "NA"  # Native American, kept as a category
    assert pd.isna(table["eigenstrat"].iloc[2])  # an empty cell is missing
    assert table["self_reported_ethnicity"].iloc[0] == "Not Available"


def test_load_eicu_tidies_ages_and_apache(fx: Fixture) -> None:
    patient = pd.DataFrame(
        {
            "patientunitstayid": [1, 2, 3],
            "age": ["45", "> 89", ""],
            "hospitalid": [10, 10, 20],
            "hospitaldischargestatus": ["Alive", "Expired", None],
        }
    )
    apache = pd.DataFrame(
        {
            "patientunitstayid": [1, 1, 2],
            "apacheversion": ["IV", "IVa", "IVa"],
            "apachescore": [30, 31, 90],
            "predictedhospitalmortality": [0.1, 0.12, -1.0],
            "actualhospitalmortality": ["ALIVE", "ALIVE", "EXPIRED"],
        }
    )
    hospital = pd.DataFrame(
        {
            "hospitalid": [10, 20],
            "numbedscategory": ["<100", ">= 500"],
            "teachingstatus": ["f", "t"],
            "region": ["Midwest", "South"],
        }
    )
    for name, frame in {
        "patient": patient,
        "apachePatientResult": apache,
        "hospital": hospital,
    }.items():
        fx.add(
            f"eicu/{name}.csv.gz",
            gzip.compress(frame.to_csv(index=False).encode()),
            dataset="eicu",
        )
    stays = ds.load_eicu()
    assert stays.loc[2, "age"] == 90
    assert pd.isna(stays.loc[3, "age"])
    assert stays.loc[1, "predictedhospitalmortality"] == pytest.approx(0.12)  # IVa, not IV
    assert pd.isna(stays.loc[2, "predictedhospitalmortality"])  # -1 means "not computable"
    assert stays["died_in_hospital"].tolist()[:2] == [False, True]
    assert stays.loc[3, "region"] == "South"


def test_registry_summary_counts_files(fx: Fixture) -> None:
    fx.add("eicu/patient.csv.gz", b"x" * 10_000, dataset="eicu")
    fx.add("ham10000/images/ISIC_0000001.jpg", b"y" * 10_000, dataset="ham10000_images")
    fx.add("ham10000/images/ISIC_0000002.jpg", b"z" * 10_000, dataset="ham10000_images")
    fx.registry.with_name("README.md").write_text(
        "<!-- card:eicu cite=a -->\n## ICU stays\n\nText.\n<!-- end:eicu -->\n"
    )
    summary = ds.registry_summary()
    assert list(summary.index) == ["eicu", "ham10000_images"]
    assert summary.loc["ham10000_images", "files"] == 2
    assert summary.loc["eicu", "megabytes"] == pytest.approx(0.01)
    assert summary.loc["eicu", "description"] == "ICU stays"


def test_alt_url_is_tried_when_the_url_fails(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Port 9 refuses at once; the alt_url is a server on the loopback interface."""
    import http.server
    import threading

    payload = b"the real bytes"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        alt = f"http://127.0.0.1:{server.server_address[1]}/copy.bin"
        fx.add("a.bin", payload, in_mirror=False, url="http://127.0.0.1:9/a.bin", alt_url=alt)
        fx.add("b.bin", b"other", in_mirror=False, url="http://127.0.0.1:9/b.bin", alt_url=alt)
        monkeypatch.delenv("MLBIO_DATA_MIRROR")
        monkeypatch.setattr(pooch.core.time, "sleep", lambda s: None)  # skip the retry back-off
        assert ds.fetch("a.bin").read_bytes() == payload
        # Both addresses fail for b.bin (the copy has other bytes): both are named.
        with pytest.raises(ds.DataUnavailableError) as err:
            ds.fetch("b.bin")
        assert "127.0.0.1:9/b.bin" in str(err.value) and "alt_url failed too" in str(err.value)
        assert "SHA256 mismatch" in str(err.value)
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------------------------------
# The real registry against the real mirror
# ------------------------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[1]
MIRROR = os.environ.get("MLBIO_DATA_MIRROR")


@pytest.mark.skipif(not MIRROR, reason="MLBIO_DATA_MIRROR is not set (CI always sets it)")
def test_every_registry_row_is_in_the_mirror_with_its_hash() -> None:
    registry = ds.read_registry(REPO / "data" / "registry.csv")
    mirror = Path(MIRROR)  # type: ignore[arg-type]
    missing = [n for n in registry if not (mirror / n).is_file()]
    assert missing == [], f"files of the registry absent from the mirror: {missing[:10]}"
    wrong = [
        n
        for n, e in registry.items()
        if hashlib.sha256((mirror / n).read_bytes()).hexdigest() != e.sha256
    ]
    assert wrong == [], f"mirror files whose hash differs from the registry: {wrong[:10]}"


@pytest.mark.skipif(not MIRROR, reason="MLBIO_DATA_MIRROR is not set (CI always sets it)")
def test_registry_carries_every_row_of_the_manifest() -> None:
    manifest = Path(MIRROR) / "MANIFEST.csv"  # type: ignore[arg-type]
    if not manifest.is_file():
        pytest.skip("the mirror has no MANIFEST.csv")
    with manifest.open(newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    registry = ds.read_registry(REPO / "data" / "registry.csv")
    assert set(rows) <= set(registry)
    for name, row in rows.items():
        entry = registry[name]
        assert (entry.sha256, entry.url, entry.license) == (
            row["sha256"],
            row["url"],
            row["license"],
        )


def test_every_data_set_has_a_card_and_a_loader() -> None:
    registry = ds.read_registry(REPO / "data" / "registry.csv")
    names = ds.dataset_names(registry)
    cards = ds.read_cards(REPO / "data" / "README.md")
    assert [name for name in names if name not in cards] == [], "add a card to data/README.md"
    assert [name for name in names if name not in ds.LOADERS] == [], "add a loader"
    assert [name for name in cards if name not in names] == [], "a card of no data set"


def test_atomic_directory_replaces_a_folder_whole_or_not_at_all(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="stopped"):
        with ds.atomic_directory(folder) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("stopped")
    # An interrupted write leaves the old folder as it was and no temporary folder behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]
    assert sorted(p.name for p in folder.iterdir()) == ["old.txt"]
    with ds.atomic_directory(folder) as tmp:
        (tmp / "new.txt").write_text("new")
        assert not (folder / "new.txt").exists()  # nothing visible before the block ends
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]
    assert sorted(p.name for p in folder.iterdir()) == ["new.txt"]
