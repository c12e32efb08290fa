"""Unit tests of mlbio.compare: paired comparisons checked against references and simulations."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from mlbio import compare
from mlbio import evaluation as ev
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread: on a shared two-core machine, more threads only wait."""
    with threadpool_limits(1):
        yield


def grouped_signal(seed: int = 0, n_groups: int = 60) -> tuple:
    """Patients with 1-3 samples each; the label depends on the first feature."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    centre = rng.normal(size=(n_groups, 4))
    X = centre[groups] + 0.5 * rng.normal(size=(len(groups), 4))
    y = (centre[groups, 0] + 0.7 * rng.normal(size=len(groups)) > 0).astype(int)
    return X, y, groups


def naive_delong(y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """DeLong et al. (1988) by definition: pairwise comparisons, O(m n)."""
    pos, neg = score[y == 1], score[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)  # AUC, V10, V01


# ----------------------------------------------------------------------------------------------
# compare_models
# ----------------------------------------------------------------------------------------------
def test_compare_models_uses_the_same_folds_and_resamples_as_evaluate() -> None:
    X, y, g = grouped_signal()
    models = {"logistic": LogisticRegression(), "knn": KNeighborsClassifier(15)}
    kw = {"groups": g, "n_bootstrap": 300}
    table = compare.compare_models(models, X, y, **kw)
    assert list(table.columns) == ["kind", "score", "ci_low", "ci_high", "p_value"]
    assert list(table.index) == ["logistic", "knn", "logistic − knn"]
    assert table["kind"].tolist() == ["model", "model", "difference"]
    for name, model in models.items():
        alone = ev.evaluate(model, X, y, scoring="roc_auc", n_permutations=0, **kw)
        row = table.loc[name]
        assert (row["score"], row["ci_low"], row["ci_high"]) == pytest.approx(
            tuple(alone.loc["roc_auc", ["score", "ci_low", "ci_high"]])
        )
        np.testing.assert_allclose(
            table.attrs["oof"][name], ev.oof_predictions(model, X, y, groups=g)
        )
    diff = table.loc["logistic − knn"]
    assert diff["score"] == pytest.approx(
        table.loc["logistic", "score"] - table.loc["knn", "score"]
    )
    paired = ev.paired_bootstrap(
        y, *table.attrs["oof"].values(), roc_auc_score, groups=g, n_bootstrap=300
    )
    assert (diff["ci_low"], diff["ci_high"], diff["p_value"]) == pytest.approx(
        (paired.low, paired.high, paired.p_value)
    )
    assert table.attrs["pairs"] == {"logistic − knn": ("logistic", "knn")}
    assert table.attrs["n_groups"] == 60
    assert len(pd.concat([table, table.copy()])) == 6  # attrs holding arrays do not break concat


def test_compare_models_identical_models_differ_by_exactly_zero() -> None:
    X, y, _ = grouped_signal(1)
    table = compare.compare_models(
        {"a": LogisticRegression(), "b": LogisticRegression(), "prior": DummyClassifier()},
        X,
        y,
        n_bootstrap=200,
    )
    same = table.loc["a − b"]
    assert (same["score"], same["ci_low"], same["ci_high"], same["p_value"]) == (0, 0, 0, 1)
    assert table.loc["a − prior", "ci_low"] > 0
    assert table.loc["a − prior", "p_value"] < 0.01


def test_compare_models_validates_inputs() -> None:
    X, y, _ = grouped_signal(2)
    with pytest.raises(ValueError, match="at least two models"):
        compare.compare_models({"a": LogisticRegression()}, X, y)
    with pytest.raises(ValueError, match="one kind"):
        compare.compare_models({"a": LogisticRegression(), "b": Ridge()}, X, y)
    with pytest.raises(ValueError, match="one metric"):
        compare.compare_models(
            {"a": LogisticRegression(), "b": DummyClassifier()}, X, y, scoring=["roc_auc"]
        )


# ----------------------------------------------------------------------------------------------
# corrected_resampled_ttest
# ----------------------------------------------------------------------------------------------
def test_corrected_resampled_ttest_follows_nadeau_bengio() -> None:
    rng = np.random.default_rng(3)
    a = 0.80 + 0.03 * rng.normal(size=50)
    b = a - 0.01 + 0.01 * rng.normal(size=50)
    res = compare.corrected_resampled_ttest(a, b, n_train=80, n_test=20)
    d = a - b
    se = np.sqrt((1 / 50 + 20 / 80) * d.var(ddof=1))
    assert res.mean_difference == pytest.approx(d.mean())
    assert res.t == pytest.approx(d.mean() / se)
    assert res.df == 49
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(d.mean() / se), 49))
    half = stats.t.ppf(0.975, 49) * se
    assert (res.low, res.high) == pytest.approx((d.mean() - half, d.mean() + half))
    # the uncorrected paired t-test is far more confident on the same numbers
    naive = stats.ttest_rel(a, b)
    assert naive.pvalue < res.p_value / 10
    same = compare.corrected_resampled_ttest(a, a, n_train=80, n_test=20)
    assert (same.mean_difference, same.t, same.p_value) == (0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="one score per fold"):
        compare.corrected_resampled_ttest(a, b[:10], n_train=80, n_test=20)


# ----------------------------------------------------------------------------------------------
# DeLong
# ----------------------------------------------------------------------------------------------
def test_delong_equals_the_definition_with_ties() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 70)
    a = np.round(y + rng.normal(size=70), 1)  # ties within and between classes
    b = np.round(0.5 * y + rng.normal(size=70), 1)
    auc_a, v10_a, v01_a = naive_delong(y, a)
    auc_b, v10_b, v01_b = naive_delong(y, b)
    m, n = (y == 1).sum(), (y == 0).sum()
    s10 = np.cov(np.vstack([v10_a, v10_b]))
    s01 = np.cov(np.vstack([v01_a, v01_b]))
    cov = s10 / m + s01 / n
    res = compare.delong_test(y, a, b)
    assert res.auc_a == pytest.approx(auc_a) == pytest.approx(roc_auc_score(y, a))
    assert res.auc_b == pytest.approx(auc_b)
    assert res.se == pytest.approx(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    one = compare.delong_ci(y, a)
    assert one.se == pytest.approx(np.sqrt(cov[0, 0]))
    assert one.low == pytest.approx(auc_a - stats.norm.ppf(0.975) * one.se)


def test_delong_variance_matches_a_large_bootstrap() -> None:
    rng = np.random.default_rng(5)
    n = 300
    y = rng.integers(0, 2, n)
    a = y + rng.normal(size=n)
    b = a + 0.8 * rng.normal(size=n)  # correlated with a, weaker
    res = compare.delong_test(y, a, b)
    boot_a, boot_d = [], []
    for _ in range(3000):
        idx = rng.integers(0, n, n)
        auc_a, auc_b = ev._auc(y[idx], a[idx]), ev._auc(y[idx], b[idx])
        boot_a.append(auc_a)
        boot_d.append(auc_a - auc_b)
    assert compare.delong_ci(y, a).se == pytest.approx(np.std(boot_a), rel=0.1)
    assert res.se == pytest.approx(np.std(boot_d), rel=0.1)


def test_delong_known_properties() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 100)
    a = y + rng.normal(size=100)
    b = y + 2 * rng.normal(size=100)
    same = compare.delong_test(y, a, a.copy())
    assert (same.difference, same.se, same.p_value, same.low, same.high) == (0, 0, 1, 0, 0)
    monotone = compare.delong_test(y, a, np.exp(a))  # same ranking, same AUROC
    assert monotone.difference == 0 and monotone.p_value == 1
    ab, ba = compare.delong_test(y, a, b), compare.delong_test(y, b, a)
    assert ab.difference == pytest.approx(-ba.difference)
    assert ab.p_value == pytest.approx(ba.p_value)
    words = np.where(y == 1, "mel", "nv")
    flipped = compare.delong_ci(words, -a, pos_label="nv")
    assert flipped.estimate == pytest.approx(compare.delong_ci(y, a).estimate)
    with pytest.raises(ValueError, match="two classes"):
        compare.delong_ci(np.ones(10), a[:10])
    with pytest.raises(ValueError, match="one value per sample"):
        compare.delong_test(y, a, b[:50])
    with pytest.raises(ValueError, match="NaN"):
        compare.delong_ci(y, np.where(y == 1, np.nan, a))


def test_delong_p_values_are_uniform_for_equal_aurocs() -> None:
    """Two correlated scores with the same AUROC: P(p < 0.05) must be about 0.05."""
    rng = np.random.default_rng(7)
    p_values = []
    for _ in range(400):
        y = rng.integers(0, 2, 120)
        shared = rng.normal(size=120)
        a = y + shared + rng.normal(size=120)
        b = y + shared + rng.normal(size=120)
        p_values.append(compare.delong_test(y, a, b).p_value)
    hits = int(np.sum(np.array(p_values) < 0.05))
    assert stats.binomtest(hits, 400, 0.05).pvalue > 0.01, hits
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
