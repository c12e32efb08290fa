"""Unit tests of mlbio.report: the model card and the versions-and-data table."""

from __future__ import annotations

import hashlib
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from mlbio import report
from mlbio.datasets import UnknownDatasetError, read_registry
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

COLUMNS = [
    "score",
    "ci_low",
    "ci_high",
    "fold_std",
    "dummy",
    "permuted_mean",
    "permuted_std",
    "p_value",
]


def evaluate_table(p_auc: float = 1 / 31, **attrs) -> pd.DataFrame:
    """A hand-built table of the shape mlbio.evaluation.evaluate returns."""
    table = pd.DataFrame(
        [
            [0.8234, 0.7712, 0.8698, 0.041, 0.5, 0.503, 0.032, 1 / 31],
            [0.9123, 0.8841, 0.9377, 0.022, 0.5, 0.497, 0.041, p_auc],
        ],
        index=pd.Index(["balanced_accuracy", "roc_auc"], name="metric"),
        columns=COLUMNS,
    )
    table.attrs.update(
        n_splits=5,
        n_permutations=30,
        n_bootstrap=1000,
        confidence=0.95,
        permutation="groups-by-size",
        pos_label="mel",
        n_samples=2000,
        n_groups=1563,
    )
    table.attrs.update(attrs)
    return table


def card(**kwargs) -> str:
    args = {
        "title": "Melanoma vs naevus",
        "task": "Tell melanoma from naevus in a dermoscopy image (development).",
        "data": {"source": "HAM10000, 2,000 images", "outcome": "histology or follow-up"},
        "evaluation": evaluate_table(),
        "intended_use": "Teaching; not for clinical use.",
        "limitations": ["Balanced classes by construction.", "No skin type recorded."],
    }
    args.update(kwargs)
    return report.model_card(**args)


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table of the rendered Markdown as rows of cell texts (header first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out, rows, row, inside = [], None, None, False
    for tok in tokens:
        if tok.type == "table_open":
            rows = []
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            inside = True
        elif tok.type == "inline" and inside:
            row.append(tok.content)
            inside = False
        elif tok.type == "tr_close":
            rows.append(row)
        elif tok.type == "table_close":
            out.append(rows)
    return out


def test_card_reports_score_interval_baselines_and_p_value():
    (table,) = tables(card())
    header, *rows = table
    assert header == [
        "metric",
        "score (95 % CI)",
        "SD over folds",
        "dummy",
        "permuted labels",
        "p",
    ]
    assert rows[0] == [
        "balanced accuracy",
        "0.82 (0.77 to 0.87)",
        "0.04",
        "0.50",
        "0.50 ± 0.03",
        "0.032 (no permutation matched)",
    ]
    assert rows[1][0] == "AUROC" and rows[1][1] == "0.91 (0.88 to 0.94)"


def test_no_permutation_matched_only_at_the_smallest_p_value():
    text = card(evaluation=evaluate_table(p_auc=3 / 31))
    (table,) = tables(text)
    assert table[1][-1].endswith("(no permutation matched)")
    assert table[2][-1] == "0.097"
    # with 100 permutations, 1/31 is not the smallest attainable p-value
    (table,) = tables(card(evaluation=evaluate_table(n_permutations=100)))
    assert table[1][-1] == "0.032"


def test_card_states_the_validation_scheme_from_the_attrs():
    text = card()
    assert "5-fold cross-validation on 2,000 samples in 1,563 groups" in text
    assert "1,000 resamples of whole groups" in text
    assert "30 permutations of the labels (scheme: groups-by-size)" in text
    assert "1/31" in text and "positive class: mel" in text
    ungrouped = card(evaluation=evaluate_table(n_groups=None, permutation="samples"))
    assert "groups" not in ungrouped.split("Pooled out-of-fold")[1].split(".")[0]
    assert "resamples of samples" in ungrouped


def test_missing_baselines_are_shown_as_not_run():
    ev = evaluate_table(n_permutations=0, permutation="none")
    ev[["permuted_mean", "permuted_std", "p_value"]] = np.nan
    (table,) = tables(card(evaluation=ev))
    assert table[1][4:] == ["not run", "not run"]
    assert "permutations" not in card(evaluation=ev)


def test_sections_name_their_tripod_ai_and_reforms_items():
    text = card(model=make_pipeline(StandardScaler(), LogisticRegression()))
    lines = {line.split("**")[1]: line for line in text.splitlines() if line.startswith("**")}
    assert "TRIPOD+AI 12a, 12e, 23a" in lines["Evaluation"]
    assert "REFORMS 6 data leakage, 7 metrics and uncertainty" in lines["Evaluation"]
    assert "TRIPOD+AI 26" in lines["Limitations"]
    assert "REFORMS 8" in lines["Limitations"]
    assert "```\nPipeline(" in text
    assert "- No skin type recorded." in text
    assert "- **source**: HAM10000, 2,000 images" in text
    assert "not a TRIPOD+AI report" in text


def test_card_with_subgroups_and_versions():
    sub = pd.DataFrame(
        {
            "subgroup": ["F", "M|X", "all"],
            "metric": "auroc",
            "n": [900, 20, 920],
            "events": [450, 0, 450],
            "estimate": [0.9, np.nan, 0.9],
            "ci_low": [0.87, np.nan, 0.87],
            "ci_high": [0.93, np.nan, 0.93],
            "note": ["", "one class only (no events); metric undefined: no interval", ""],
        }
    )
    versions = report.versions_and_data([], packages=["numpy"])
    text = card(subgroups=sub, versions=versions, extra={"Next steps": "A prospective study."})
    evaluation_table, subgroup_table = tables(text)
    assert [row[0] for row in subgroup_table[1:]] == ["F", "M|X", "all"]
    assert all(len(row) == 4 for row in subgroup_table)  # the pipe did not split a cell
    assert subgroup_table[1][3] == "0.90 (0.87 to 0.93)"
    assert "one class only" in subgroup_table[2][3]
    assert f"numpy {np.__version__}" in text
    assert "**Next steps**\n\nA prospective study." in text


@pytest.mark.parametrize("drop", ["score", "ci_low"])
def test_a_table_that_is_not_from_evaluate_is_refused(drop):
    with pytest.raises(ValueError, match=drop):
        card(evaluation=evaluate_table().drop(columns=drop))
    old = evaluate_table().rename(columns={"score": "oof"})
    with pytest.raises(ValueError, match="mlbio.evaluation.evaluate"):
        card(evaluation=old)


@pytest.fixture()
def registry(tmp_path):
    rng = np.random.default_rng(0)
    names = [(f"ham10000/images/ISIC_{i:07d}.jpg", "ham10000_images") for i in (3, 1, 2)]
    names += [("tcga/TCGA_ACC_Counts.exp.gz", "tcga_counts"), ("eicu/patient.csv.gz", "eicu")]
    lines = ["name,dataset,sha256,bytes,url,alt_url,source,license"]
    for i, (name, dataset) in enumerate(names):
        digest = hashlib.sha256(rng.bytes(8)).hexdigest()
        lines.append(
            f"{name},{dataset},{digest},{100 + i},https://example.org/{name},,test,CC BY 4.0"
        )
    path = tmp_path / "registry.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_registry(path)


def test_versions_and_data_lists_packages_and_every_file_hash(registry):
    t = report.versions_and_data(
        ["tcga_counts", "ham10000_images"],
        packages=["numpy", "scikit-learn", "no-such-package-xyz"],
        registry=registry,
    )
    assert list(t.columns) == ["kind", "name", "version", "dataset", "sha256", "bytes", "license"]
    packages = t[t["kind"] == "package"].set_index("name")["version"]
    assert packages["numpy"] == metadata.version("numpy")
    assert packages["scikit-learn"] == metadata.version("scikit-learn")
    assert packages["no-such-package-xyz"] == "not installed"
    data = t[t["kind"] == "data"]
    assert len(data) == 4
    for _, row in data.iterrows():
        assert row["sha256"] == registry[row["name"]].sha256
        assert row["bytes"] == registry[row["name"]].bytes
    assert t.loc[t["kind"] == "python", "version"].iloc[0].count(".") == 2


def test_versions_and_data_collapses_large_data_sets_into_a_manifest_hash(registry):
    t = report.versions_and_data(["ham10000_images"], packages=[], registry=registry, max_files=2)
    (row,) = t[t["kind"] == "data"].to_dict("records")
    entries = sorted(
        (e for e in registry.values() if e.name.startswith("ham10000/")), key=lambda e: e.name
    )
    manifest = "".join(f"{e.sha256}  {e.name}\n" for e in entries)
    assert row["sha256"] == hashlib.sha256(manifest.encode()).hexdigest()
    assert row["bytes"] == sum(e.bytes for e in entries)
    assert "3 files" in row["name"]
    with pytest.raises(UnknownDatasetError, match="Unknown data set"):
        report.versions_and_data(["tcga_count"], registry=registry)


def test_every_book_data_set_resolves_in_the_real_registry():
    from mlbio.datasets import dataset_names

    names = dataset_names()
    t = report.versions_and_data(names, packages=[], max_files=50)
    assert set(t.loc[t["kind"] == "data", "dataset"]) == set(names)
    assert t.loc[t["kind"] == "data", "sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
