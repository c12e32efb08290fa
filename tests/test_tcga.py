"""Unit tests of mlbio.tcga and mlbio.preprocessing.ExpressionFilter, on synthetic fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import datasets, tcga
from mlbio.preprocessing import ExpressionFilter, LogCPM
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


# ---------------------------------------------------------------------------------------------
# expressed_genes
# ---------------------------------------------------------------------------------------------
def test_expressed_genes_uses_counts_per_million_not_raw_counts() -> None:
    # Sample 0 is sequenced 100 times deeper than sample 1. Gene 0 has the same CPM (5) in both;
    # gene 1 has many raw reads in the deep sample only because it is deep (0.5 CPM).
    counts = np.array(
        [
            [500.0, 50.0, 99_999_450.0],
            [5.0, 0.5, 999_994.5],
        ]
    )
    keep = tcga.expressed_genes(counts, min_cpm=1.0, min_fraction=0.5)
    assert keep.tolist() == [True, False, True]


def test_expressed_genes_needs_the_fraction_of_samples() -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(1000, size=(10, 4)).astype(float)
    counts[:, 1] = 0
    counts[:3, 1] = 1000  # expressed in 3 of 10 samples
    assert tcga.expressed_genes(counts, min_fraction=0.3)[1]
    assert not tcga.expressed_genes(counts, min_fraction=0.4)[1]


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        (np.array([[1.0, -1.0], [1.0, 1.0]]), {}, "non-negative"),
        (np.array([[0.0, 0.0], [1.0, 1.0]]), {}, "library size 0"),
        (np.ones((2, 2)), {"min_fraction": 0}, "min_fraction"),
        (np.ones(3), {}, "samples × genes"),
    ],
)
def test_expressed_genes_rejects_bad_input(counts: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tcga.expressed_genes(counts, **kwargs)


# ---------------------------------------------------------------------------------------------
# ExpressionFilter
# ---------------------------------------------------------------------------------------------
def test_expression_filter_learns_from_the_training_samples_only() -> None:
    train = np.array([[5.0, 0.0, 2.0], [5.0, 0.0, 0.0], [5.0, 0.0, 0.0], [5.0, 0.0, 0.0]])
    test = np.array([[0.0, 9.0, 9.0]])
    fitted = ExpressionFilter(min_value=1.0, min_fraction=0.25).fit(train)
    assert fitted.get_support().tolist() == [True, False, True]
    # The test sample's high value of feature 1 must not bring it back.
    assert fitted.transform(test).tolist() == [[0.0, 9.0]]


def test_expression_filter_in_a_pipeline_after_logcpm() -> None:
    rng = np.random.default_rng(1)
    counts = rng.poisson(50, size=(30, 6)).astype(float)
    counts[:, 0] = 0  # never expressed
    counts[:, 1] = 1e6  # huge: others become ~0 CPM... keep them large too
    counts[:, 2:] *= 1e3
    pipe = make_pipeline(LogCPM(), ExpressionFilter(min_value=1.0, min_fraction=0.5))
    out = pipe.fit_transform(counts)
    assert out.shape == (30, 5)
    assert pipe[-1].get_support()[0] == np.False_


def test_expression_filter_errors() -> None:
    with pytest.raises(ValueError, match="No feature"):
        ExpressionFilter(min_value=10).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="min_fraction"):
        ExpressionFilter(min_fraction=1.5).fit(np.ones((3, 2)))
    with pytest.raises(Exception, match="not fitted"):
        ExpressionFilter().transform(np.ones((3, 2)))


# ---------------------------------------------------------------------------------------------
# load_log_cpm: the cache
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def fake_counts(tmp_path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A tiny TCGACounts served by a fake loader that counts its calls; cache in tmp_path."""
    monkeypatch.setenv("MLBIO_DATA_DIR", str(tmp_path / "cache"))
    state = {"calls": 0, "hash": "a"}
    barcodes = ["TCGA-OR-A5L9-01A-11R-A29S-07", "TCGA-GS-A9TT-01A-11R-A38C-07"]
    samples = datasets.parse_tcga_barcodes(barcodes)
    samples.insert(0, "cancer_type", ["ACC", "DLBC"])
    counts = pd.DataFrame(
        [[1_000_000, 0, 10], [500_000, 500_000, 0]],
        index=samples.index,
        columns=pd.Index(["ENSG1", "ENSG2", "ENSG3"], name="gene_id"),
        dtype=np.int32,
    )

    def load() -> datasets.TCGACounts:
        state["calls"] += 1
        return datasets.TCGACounts(counts=counts, samples=samples)

    monkeypatch.setattr(datasets, "load_tcga_counts", load)
    monkeypatch.setattr(
        datasets, "_tidy_key", lambda dataset, extra="": f"{dataset}-{state['hash']}-{extra}"
    )
    return state


def test_load_log_cpm_values_and_cache(fake_counts: dict) -> None:
    first = tcga.load_log_cpm(min_cpm=1.0, min_fraction=0.5)
    assert list(first.values.columns) == ["ENSG1", "ENSG2", "ENSG3"]
    assert first.values.loc["TCGA-OR-A5L9-01A-11R-A29S-07", "ENSG1"] == pytest.approx(
        np.log2(1_000_000 / 1_000_010 * 1e6 + 1), rel=1e-6
    )
    assert first.samples["library_size"].tolist() == [1_000_010, 1_000_000]
    assert first.n_genes_total == 3
    second = tcga.load_log_cpm(min_cpm=1.0, min_fraction=0.5)
    assert fake_counts["calls"] == 1, "the second call must read the cache"
    pd.testing.assert_frame_equal(first.values, second.values)


def test_load_log_cpm_cache_depends_on_settings_and_data(fake_counts: dict) -> None:
    loose = tcga.load_log_cpm(min_cpm=1.0, min_fraction=0.5)
    strict = tcga.load_log_cpm(min_cpm=1.0, min_fraction=1.0)
    assert strict.values.shape[1] < loose.values.shape[1], "settings must be part of the key"
    fake_counts["hash"] = "b"  # new data files: a new key
    tcga.load_log_cpm(min_cpm=1.0, min_fraction=0.5)
    assert fake_counts["calls"] == 3


# ---------------------------------------------------------------------------------------------
# site_names and barcode_summary
# ---------------------------------------------------------------------------------------------
def test_site_names_decodes_codes_and_marks_unknown() -> None:
    samples = pd.DataFrame({"tss": ["OR", "GS", "ZZ"]}, index=["a", "b", "c"])
    clinical = pd.DataFrame(
        {"tss": ["OR", "OR", "GS"], "tss_source_site": ["Site one", "Site one", "Site two"]}
    )
    names = tcga.site_names(samples, clinical)
    assert names.tolist() == ["Site one", "Site two", "unknown"]
    assert names.index.tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="tss"):
        tcga.site_names(samples.rename(columns={"tss": "x"}), clinical)


def test_barcode_summary_counts_levels_and_shared_levels() -> None:
    samples = pd.DataFrame(
        {
            "cancer_type": pd.array(["A"] * 4 + ["B"] * 3 + ["C"] * 2, dtype="string"),
            "plate": ["p1", "p1", "p1", "p2", "p2", "p3", "p3", "p4", "p4"],
        }
    )
    summary = tcga.barcode_summary(samples, "plate")
    assert summary.loc["A", "samples"] == 4
    assert summary.loc["A", "levels"] == 2
    assert summary.loc["A", "largest"] == "p1"
    assert summary.loc["A", "largest_share"] == pytest.approx(0.75)
    assert summary.loc["A", "shared_levels"] == 1  # p2 also holds B
    assert summary.loc["B", "shared_levels"] == 1
    assert summary.loc["C", "shared_levels"] == 0
    assert summary["groupable"].tolist() == [True, True, False]
    assert summary.attrs["confounded"] is False
    nested = samples.assign(plate=["p1"] * 4 + ["p2"] * 3 + ["p3"] * 2)
    assert tcga.barcode_summary(nested, "plate").attrs["confounded"] is True
    with pytest.raises(ValueError, match="no column"):
        tcga.barcode_summary(samples, "tss")


# ---------------------------------------------------------------------------------------------
# resampled_ari
# ---------------------------------------------------------------------------------------------
def blobs(n_per: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([rng.normal(c, 0.5, size=(n_per, 2)) for c in centres])
    y = np.repeat(np.array(["a", "b", "c"], dtype=object), n_per)
    order = rng.permutation(len(y))  # shuffled, so that a misaligned subsample shows
    return X[order], y[order]


def test_resampled_ari_is_one_for_separated_clusters() -> None:
    X, y = blobs()
    result = tcga.resampled_ari(
        KMeans(3, n_init=5, random_state=0), X, pd.Series(y), n_resamples=10
    )
    assert result.estimate == pytest.approx(1.0)
    # Each subsample's clustering is compared with the labels of the same samples.
    assert result.low == pytest.approx(1.0) and result.high == pytest.approx(1.0)
    assert result.scores.shape == (10,)


def test_resampled_ari_is_near_zero_for_unrelated_labels_and_reproducible() -> None:
    X, y = blobs()
    y_random = np.random.default_rng(3).permutation(y)
    km = KMeans(3, n_init=5, random_state=0)
    a = tcga.resampled_ari(km, X, y_random, n_resamples=20, random_state=1)
    b = tcga.resampled_ari(km, X, y_random, n_resamples=20, random_state=1)
    assert abs(a.estimate) < 0.1 and a.low <= a.high
    np.testing.assert_array_equal(a.scores, b.scores)


def test_resampled_ari_checks_its_input() -> None:
    X, y = blobs()
    km = KMeans(3, n_init=2, random_state=0)
    with pytest.raises(ValueError, match="labels"):
        tcga.resampled_ari(km, X, y[:-1])
    with pytest.raises(ValueError, match="fraction"):
        tcga.resampled_ari(km, X, y, fraction=0)
    with pytest.raises(TypeError, match="fit_predict"):
        tcga.resampled_ari(StandardScaler(), X, y, n_resamples=1)


# ---------------------------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------------------------
def test_two_sample_power_matches_the_textbook_value() -> None:
    # Cohen (1988): d = 0.5, 64 per group, alpha 0.05 two-sided -> power 0.80.
    assert tcga.two_sample_power(0.5, 64, 64) == pytest.approx(0.8015, abs=5e-4)
    assert tcga.two_sample_power(0.0, 64, 64) == pytest.approx(0.05, abs=1e-6)
    assert tcga.two_sample_power(0.5, 64, 64, alpha=0.001) < 0.8


def test_power_grows_with_effect_and_sample_size() -> None:
    assert tcga.two_sample_power(0.8, 20, 20) > tcga.two_sample_power(0.5, 20, 20)
    assert tcga.two_sample_power(0.5, 40, 40) > tcga.two_sample_power(0.5, 20, 20)
    # A negative effect is as detectable as a positive one (two-sided test).
    assert tcga.two_sample_power(-0.5, 30, 40) == pytest.approx(tcga.two_sample_power(0.5, 30, 40))


def test_detectable_effect_inverts_power() -> None:
    d = tcga.detectable_effect(36, 56, alpha=1e-5, power=0.8)
    assert tcga.two_sample_power(d, 36, 56, alpha=1e-5) == pytest.approx(0.8, abs=1e-6)
    assert tcga.detectable_effect(64, 64) == pytest.approx(0.4981, abs=1e-3)
    with pytest.raises(ValueError, match="power"):
        tcga.detectable_effect(10, 10, power=0.01)
    with pytest.raises(ValueError, match="at least 2"):
        tcga.two_sample_power(0.5, 1, 10)


# ---------------------------------------------------------------------------------------------
# selection_frequency
# ---------------------------------------------------------------------------------------------
def coefficients(fitted) -> pd.DataFrame:
    model = fitted[-1]
    coef = np.atleast_2d(model.coef_)
    names = ["pos"] if coef.shape[0] == 1 else list(model.classes_)
    return pd.DataFrame(coef.T, index=[f"f{i}" for i in range(coef.shape[1])], columns=names)


def test_selection_frequency_finds_the_stable_feature() -> None:
    rng = np.random.default_rng(0)
    n = 80
    y = np.repeat(np.array(["a", "b"], dtype=object), n // 2)
    X = rng.normal(size=(n, 30))
    X[:, 7] += np.where(y == "b", 3.0, 0.0)  # the one informative feature
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0))
    freq = tcga.selection_frequency(pipe, X, y, coefficients, top=1, n_resamples=15)
    assert freq.loc["f7", "pos"] == pytest.approx(1.0)
    assert freq.index.tolist() == ["f7"], "no other feature is ever in the top 1"
    assert set(freq.columns) == {"pos"}


class Recorder(BaseEstimator):
    """Remembers the rows it was fitted on (column 0 holds the row number)."""

    def fit(self, X, y):
        self.rows_ = np.asarray(X)[:, 0].astype(int)
        return self


def test_selection_frequency_resamples_whole_groups() -> None:
    n = 40
    X = np.column_stack([np.arange(n), np.zeros(n)])
    y = np.repeat(np.array(["a", "b"], dtype=object), n // 2)
    groups = np.arange(n) // 2  # pairs of samples form a group
    fitted_rows = []

    def importance(fitted) -> pd.DataFrame:
        fitted_rows.append(fitted.rows_)
        return pd.DataFrame({"x": [1.0, 0.0]}, index=["f0", "f1"])

    freq = tcga.selection_frequency(
        Recorder(), X, y, importance, top=1, n_resamples=5, groups=groups
    )
    assert len(fitted_rows) == 5
    for rows in fitted_rows:
        counts = np.bincount(rows, minlength=n)
        # Both members of a pair are drawn together, as often as each other.
        assert np.array_equal(counts[0::2], counts[1::2])
        assert len(rows) == n  # as many groups drawn as there are groups
    assert freq.loc["f0", "x"] == 1.0 and "f1" not in freq.index


# ---------------------------------------------------------------------------------------------
# type_classifier, selected_coefficients, grouped_permutation_importance
# ---------------------------------------------------------------------------------------------
def synthetic_counts(n_per: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Counts of 30 genes for 3 classes; gene 5 marks class 'b', gene 9 marks class 'c'."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["a", "b", "c"], dtype=object), n_per)
    rate = np.full((len(y), 30), 200.0)
    rate[y == "b", 5] = 5000.0
    rate[y == "c", 9] = 5000.0
    rate[:, 29] = 0.01  # never expressed: the filter drops it
    return rng.poisson(rate).astype(float), y


def test_type_classifier_ignores_library_size() -> None:
    X, y = synthetic_counts()
    model = tcga.type_classifier(k=5).fit(X, y)
    deeper = X * 10  # the same tumours, sequenced ten times deeper
    np.testing.assert_allclose(model.predict_proba(deeper), model.predict_proba(X), atol=1e-3)
    assert (model.predict(X) == y).mean() == 1.0


def test_selected_coefficients_follow_the_filter_and_the_selection() -> None:
    X, y = synthetic_counts()
    names = [f"g{i}" for i in range(X.shape[1])]
    model = tcga.type_classifier(k=5).fit(X, y)
    coef = tcga.selected_coefficients(model, names)
    assert coef.shape == (5, 3) and list(coef.columns) == ["a", "b", "c"]
    assert "g29" not in coef.index  # filtered out as not expressed
    # The marker genes must carry their own class's largest coefficient.
    assert coef["b"].idxmax() == "g5" and coef["c"].idxmax() == "g9"


def test_selected_coefficients_binary_and_errors() -> None:
    X, y = synthetic_counts()
    two = y != "c"
    names = [f"g{i}" for i in range(X.shape[1])]
    model = tcga.type_classifier(k=3).fit(X[two], y[two])
    coef = tcga.selected_coefficients(model, names)
    assert list(coef.columns) == ["b"] and coef["b"].idxmax() == "g5"
    with pytest.raises(ValueError, match="one name per input column|columns"):
        tcga.selected_coefficients(model, names[:-1])
    from sklearn.decomposition import PCA

    pca_model = make_pipeline(PCA(3), LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="get_support"):
        tcga.selected_coefficients(pca_model, names)


def test_grouped_permutation_sees_what_single_permutation_misses() -> None:
    rng = np.random.default_rng(0)
    n = 200
    y = np.repeat(np.array(["a", "b"], dtype=object), n // 2)
    signal = np.where(y == "b", 1.0, -1.0)
    copies = signal[:, None] + rng.normal(scale=1.0, size=(n, 20))  # one programme, 20 genes
    X = np.column_stack([copies, rng.normal(size=n)])
    model = LogisticRegression().fit(X, y)
    table = tcga.grouped_permutation_importance(
        model,
        X,
        y,
        {"one gene": [0], "the programme": list(range(20)), "noise": [20]},
        n_repeats=5,
    )
    assert table.loc["the programme", "drop_mean"] > 0.3
    assert table.loc["one gene", "drop_mean"] < 0.05  # the other 19 genes stand in
    assert abs(table.loc["noise", "drop_mean"]) < 0.05
    assert table.loc["noise", "baseline"] == table.loc["the programme", "baseline"]
    assert table.loc["the programme", "features"] == 20
    with pytest.raises(ValueError, match="outside"):
        tcga.grouped_permutation_importance(model, X, y, {"bad": [21]})


class SameColumns(BaseEstimator):
    """Predicts 'a' where columns 0 and 1 agree, 'b' where they differ."""

    _estimator_type = "classifier"

    def fit(self, X, y):
        self.classes_ = np.array(["a", "b"], dtype=object)
        return self

    def predict(self, X):
        X = np.asarray(X)
        return np.where(X[:, 0] == X[:, 1], "a", "b").astype(object)


def test_grouped_permutation_moves_the_columns_of_a_set_together() -> None:
    values = np.arange(50, dtype=float)
    X = np.column_stack([values, values, values])
    y = np.full(50, "a", dtype=object)
    model = SameColumns().fit(X, y)
    table = tcga.grouped_permutation_importance(
        model, X, y, {"together": [0, 1], "alone": [0]}, scoring="accuracy", n_repeats=3
    )
    assert table.loc["together", "drop_mean"] == 0.0  # one shuffle for both columns
    assert table.loc["alone", "drop_mean"] > 0.5


def test_gene_symbols_are_unique_and_readable() -> None:
    info = pd.DataFrame(
        {"gene_name": ["TP53", "PINX1", "PINX1", "ALB"]},
        index=pd.Index(["E1", "E2", "E3", "E4"], name="gene_id"),
    )
    labels = tcga.gene_symbols(["E4", "E2", "E3", "E9", "E1"], info)
    assert labels.tolist() == ["ALB", "PINX1 (E2)", "PINX1 (E3)", "E9", "TP53"]
    with pytest.raises(ValueError, match="twice"):
        tcga.gene_symbols(["E1", "E1"], info)


def test_logcpm_matches_its_formula_sample_by_sample() -> None:
    counts = np.array([[10.0, 0.0, 90.0], [1.0, 1.0, 2.0]])
    expected = np.log2(counts / counts.sum(axis=1, keepdims=True) * 1e6 + 1.0)
    np.testing.assert_allclose(LogCPM().fit_transform(counts), expected)
    # Each sample alone: adding a sample does not change the others.
    np.testing.assert_allclose(LogCPM().fit_transform(counts[:1]), expected[:1])
    assert counts[0, 0] == 10.0  # the input is not modified in place
    with pytest.raises(ValueError, match="non-negative"):
        LogCPM().fit_transform(-counts)


def test_logcpm_and_filter_keep_float32() -> None:
    counts = np.random.default_rng(0).poisson(100, size=(5, 40)).astype(np.float32)
    single = LogCPM().fit_transform(counts)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, LogCPM().fit_transform(counts.astype(np.float64)), rtol=1e-5)
    assert ExpressionFilter().fit_transform(single).dtype == np.float32
    assert LogCPM().fit_transform(counts.astype(np.int32)).dtype == np.float64
