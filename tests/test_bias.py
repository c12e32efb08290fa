"""Unit tests of mlbio.bias on small synthetic data whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import bias
from scipy.stats import binomtest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


# ------------------------------------------------------------------------------------------
# representation_table
# ------------------------------------------------------------------------------------------
def test_representation_shares_leave_out_unrecorded_people() -> None:
    values = ["A"] * 6 + ["B"] * 2 + ["unknown"] * 2 + [None]
    table = bias.representation_table(
        values, {"A": 50, "B": 30, "C": 20}, mapping={"A": "A", "B": "B", "unknown": None}
    )
    assert table.index.tolist() == ["A", "B", "C"]  # the reference's order, C present
    assert table["n"].tolist() == [6, 2, 0]
    assert table["share"].tolist() == pytest.approx([0.75, 0.25, 0.0])  # of 8, not of 11
    assert table["reference_share"].tolist() == pytest.approx([0.5, 0.3, 0.2])  # normalised
    assert table["ratio"].tolist() == pytest.approx([1.5, 0.25 / 0.3, 0.0])
    assert table.attrs["n_recorded"] == 8
    assert table.attrs["n_not_recorded"] == 3


def test_representation_interval_is_wilson() -> None:
    table = bias.representation_table(["A"] * 3 + ["B"] * 7, {"A": 1, "B": 1}, confidence=0.9)
    expected = binomtest(3, 10).proportion_ci(confidence_level=0.9, method="wilson")
    assert table.loc["A", "ci_low"] == pytest.approx(expected.low)
    assert table.loc["A", "ci_high"] == pytest.approx(expected.high)


def test_representation_accepts_arrow_strings_and_reference_populations() -> None:
    values = pd.Series(["White", "Asian", "White", None], dtype="string[pyarrow]")
    table = bias.representation_table(values, bias.US_CENSUS_2010)
    assert table.loc["White", "n"] == 2
    assert table["reference_share"].sum() == pytest.approx(1.0)
    assert table.attrs["source"].startswith("Humes")


def test_representation_names_unmapped_labels() -> None:
    with pytest.raises(ValueError, match=r"\['Martian'\].*mapping"):
        bias.representation_table(["A", "Martian"], {"A": 1}, mapping={"A": "A"})
    with pytest.raises(ValueError, match=r"\['Z'\] are not in the reference"):
        bias.representation_table(["A", "Z"], {"A": 1})


# ------------------------------------------------------------------------------------------
# disagreement
# ------------------------------------------------------------------------------------------
def test_disagreement_compares_only_corresponding_and_known_values() -> None:
    reported = ["White", "White", "Black", "Black", "Not Available", "Asian", "White"]
    inferred = ["EA", "AA", "AA", "AA", "EA", "EAA", None]
    result = bias.disagreement(reported, inferred, {"White": "EA", "Black": "AA"})
    assert result["n_compared"] == 4  # Not Available, Asian and the missing call are left out
    assert result["n_disagree"] == 1
    assert result["rate"] == pytest.approx(0.25)
    assert result["n_not_compared"] == 3
    assert result["ci_low"] < 0.25 < result["ci_high"]


def test_disagreement_refuses_nothing_to_compare() -> None:
    with pytest.raises(ValueError, match="No person"):
        bias.disagreement(["x"], ["y"], {"White": "EA"})


# ------------------------------------------------------------------------------------------
# observed_expected
# ------------------------------------------------------------------------------------------
def test_funnel_limits_are_exact_poisson_binomial_quantiles() -> None:
    # Two patients at 0.5: the count is 0, 1 or 2 with probabilities 1/4, 1/2, 1/4.
    table = bias.observed_expected([1, 1], [0.5, 0.5], ["h", "h"], confidence=0.4)
    row = table.loc["h"]
    assert row["expected"] == pytest.approx(1.0)
    assert row["oe_ratio"] == pytest.approx(2.0)
    # central 40 %: the 30 % and 70 % quantiles are both the count 1
    assert (row["lower"], row["upper"]) == (pytest.approx(1.0), pytest.approx(1.0))
    assert row["outside"]


def simulate_hospitals(shift: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(10, 60, size=300)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    prob = rng.beta(1, 8, size=len(groups))
    true = np.clip(prob * shift, 0, 1)
    y = rng.random(len(groups)) < true
    return bias.observed_expected(y, prob, groups)


def test_a_calibrated_model_leaves_few_hospitals_outside_the_funnel() -> None:
    table = simulate_hospitals(shift=1.0)
    # at most 5 % outside by construction (discreteness makes the limits conservative)
    assert table["outside"].mean() <= 0.05


def test_a_miscalibrated_model_leaves_many_hospitals_outside() -> None:
    table = simulate_hospitals(shift=2.0)  # every hospital has twice the predicted risk
    assert table["outside"].mean() > 0.3
    assert (table["oe_ratio"] > 1).mean() > 0.8


def test_observed_expected_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        bias.observed_expected([0, 1], [0.1], ["a", "a"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bias.observed_expected([0, 1], [0.1, 1.2], ["a", "a"])
    with pytest.raises(ValueError, match="missing"):
        bias.observed_expected([0, 1], [0.1, np.nan], ["a", "a"])


# ------------------------------------------------------------------------------------------
# reweighing
# ------------------------------------------------------------------------------------------
def test_reweighing_makes_group_and_label_independent() -> None:
    groups = np.array(["a"] * 80 + ["b"] * 20)
    y = np.array([1] * 10 + [0] * 70 + [1] * 15 + [0] * 5)  # a: 12.5 % positive, b: 75 %
    w = bias.reweighing_weights(groups, y)
    assert w.mean() == pytest.approx(1.0)
    frame = pd.DataFrame({"g": groups, "y": y, "w": w})
    weighted = frame.groupby("g").apply(lambda d: np.average(d["y"], weights=d["w"]))
    assert weighted.tolist() == pytest.approx([y.mean(), y.mean()])  # both at 25 %
    # group sizes are kept: the weights move mass between labels, not between groups
    assert frame.groupby("g")["w"].sum().tolist() == pytest.approx([80, 20])


class RecordWeights(ClassifierMixin, BaseEstimator):
    """A classifier that remembers the sample weights and feature count it was fitted with."""

    def fit(self, X, y, sample_weight=None):
        self.weights_, self.n_features_in_ = sample_weight, X.shape[1]
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        assert X.shape[1] == self.n_features_in_
        return np.tile([0.5, 0.5], (len(X), 1))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_reweighed_classifier_uses_training_groups_only() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(6, 2))
    groups = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    y = np.array([1, 0, 0, 1, 1, 0])
    X = np.column_stack([features.astype(object), groups])
    fitted = bias.ReweighedClassifier(RecordWeights()).fit(X, y)
    assert fitted.estimator_.n_features_in_ == 2  # the group column is not a feature
    assert fitted.estimator_.weights_ == pytest.approx(bias.reweighing_weights(groups, y))
    # on a subset (a training fold) the weights come from that subset alone
    sub = bias.ReweighedClassifier(RecordWeights()).fit(X[:4], y[:4])
    assert sub.estimator_.weights_ == pytest.approx(bias.reweighing_weights(groups[:4], y[:4]))
    assert fitted.predict_proba(X).shape == (6, 2)


def test_reweighed_pipeline_cross_validates() -> None:
    rng = np.random.default_rng(2)
    n = 120
    groups = rng.choice(["a", "b"], size=n)
    y = (rng.random(n) < np.where(groups == "a", 0.2, 0.7)).astype(int)
    features = rng.normal(size=(n, 3)) + y[:, None]
    X = np.column_stack([features.astype(object), groups])
    model = bias.ReweighedClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()), weight_step="logisticregression"
    )
    scores = cross_val_score(model, X, y, cv=3, scoring="roc_auc")
    assert scores.mean() > 0.7


def test_reweighed_classifier_needs_a_group_column() -> None:
    with pytest.raises(ValueError, match="last column"):
        bias.ReweighedClassifier(RecordWeights()).fit(np.ones((4, 1)), [0, 1, 0, 1])


# ------------------------------------------------------------------------------------------
# auroc and subgroup_difference
# ------------------------------------------------------------------------------------------
def test_fast_auroc_equals_sklearn_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=200)
    score = rng.integers(0, 5, size=200) + y  # many ties
    assert bias.auroc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert np.isnan(bias.auroc([1, 1, 1], [0.1, 0.2, 0.3]))


def test_subgroup_difference_finds_a_real_gap_and_not_a_false_one() -> None:
    rng = np.random.default_rng(4)
    n = 400
    y = rng.integers(0, 2, size=n)
    good = y + rng.normal(scale=0.3, size=n)  # AUROC near 1
    noise = rng.normal(size=n)  # AUROC near 0.5
    sub = np.repeat(["A", "B"], n // 2)
    score = np.where(sub == "A", good, noise)
    gap = bias.subgroup_difference(y, score, sub, "A", "B", n_bootstrap=300)
    assert gap["difference"] == pytest.approx(gap["first"] - gap["second"])
    assert gap["ci_low"] > 0.3
    same = bias.subgroup_difference(y, good, sub, "A", "B", n_bootstrap=300)
    assert same["ci_low"] < 0 < same["ci_high"]


def test_subgroup_difference_resamples_whole_clusters() -> None:
    # Two hospitals: in h1 the score ranks subgroup A perfectly, in h2 it ranks A backwards;
    # subgroup B is ranked perfectly in both. With two clusters, the difference is very
    # uncertain; treating the 400 stays as independent hides that.
    y = np.tile([0, 1], 200)
    hospital = np.repeat(["h1", "h2"], 200)
    sub = np.tile(np.repeat(["A", "B"], 2), 100)
    score = y.astype(float).copy()
    flip = (hospital == "h2") & (sub == "A")
    score[flip] = 1 - score[flip]
    score = score + np.linspace(0, 0.01, len(y))  # break ties
    naive = bias.subgroup_difference(y, score, sub, "A", "B", n_bootstrap=300)
    clustered = bias.subgroup_difference(y, score, sub, "A", "B", groups=hospital, n_bootstrap=300)
    assert naive["ci_high"] < -0.3  # falsely precise
    assert clustered["ci_low"] <= -0.9 and clustered["ci_high"] >= -0.1


def test_subgroup_difference_names_a_missing_subgroup() -> None:
    with pytest.raises(ValueError, match="'C' has no sample"):
        bias.subgroup_difference([0, 1], [0.1, 0.9], ["A", "B"], "A", "C")


def test_poisson_funnel_is_smooth_and_matches_the_quantiles() -> None:
    from scipy.stats import poisson

    grid = np.linspace(0.5, 20, 400)
    low, high = bias.poisson_funnel(grid)
    assert np.all(low <= 1) and np.all(high >= 1)
    # smooth: no jump larger than a small step between neighbouring points
    assert np.abs(np.diff(high * grid)).max() < 0.2
    # where the Poisson cdf hits the quantile exactly, the limit is that count
    e = 4.0
    q = poisson.cdf(7, e)
    _, up = bias.poisson_funnel([e], confidence=2 * q - 1)
    assert up[0] * e == pytest.approx(7.0)
    # narrower with more expected events
    assert high[-1] - low[-1] < high[0] - low[0]
    with pytest.raises(ValueError, match="positive"):
        bias.poisson_funnel([0.0, 1.0])


# ------------------------------------------------------------------------------------------
# subgroup_explorer
# ------------------------------------------------------------------------------------------
def explorer_table() -> pd.DataFrame:
    rows = []
    for model in ["A", "B"]:
        for variable, levels in [("age", ["young", "old", "all"]), ("sex", ["F", "M", "all"])]:
            for level in levels:
                for metric in ["auroc", "brier", "slope"]:
                    rows.append(
                        {
                            "model": model,
                            "variable": variable,
                            "subgroup": level,
                            "metric": metric,
                            "n": 10,
                            "events": 3,
                            "estimate": 0.81234,
                            "ci_low": 0.7,
                            "ci_high": 0.9,
                        }
                    )
    return pd.DataFrame(rows)


def test_subgroup_explorer_binds_groupings_and_metrics() -> None:
    chart = bias.subgroup_explorer(
        explorer_table(), metric_names={"auroc": "AUROC", "brier": "Brier"}, event_name="deaths"
    )
    spec = chart.to_dict()
    options = {p["name"]: p["bind"]["options"] for p in spec["params"] if "bind" in p}
    assert sorted(options.values()) == [["AUROC", "Brier"], ["age", "sex"]]
    data = next(iter(spec["datasets"].values()))
    assert {row["metric"] for row in data} == {"AUROC", "Brier"}  # "slope" dropped, renamed
    assert [row["order"] for row in data] == sorted(row["order"] for row in data)
    assert data[0]["estimate"] == 0.812  # rounded: the page stays light
    assert "deaths" in spec["description"] and "age, sex" in spec["description"]


def test_subgroup_explorer_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="ci_high"):
        bias.subgroup_explorer(explorer_table().drop(columns="ci_high"))
