"""Unit tests of mlbio.calibration on simulations whose calibration is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import calibration as cal
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score


def simulate(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes drawn with exactly the stated risks: a perfectly calibrated model."""
    rng = np.random.default_rng(seed)
    p = expit(rng.normal(-1.0, 1.2, n))
    y = (rng.uniform(size=n) < p).astype(int)
    return y, p


@pytest.fixture(scope="module")
def calibrated() -> tuple[np.ndarray, np.ndarray]:
    return simulate()


def test_perfect_calibration_gives_slope_one_and_citl_zero(calibrated):
    y, p = calibrated
    s = cal.calibration_summary(y, p)
    assert abs(s["slope"] - 1) < 0.1
    assert abs(s["citl"]) < 0.1
    assert abs(s["oe_ratio"] - 1) < 0.06
    assert abs(s["observed_rate"] - s["mean_predicted"]) < 0.02
    assert s["n"] == len(y) and s["events"] == y.sum()


def test_intervals_cover_the_truth_for_a_calibrated_model(calibrated):
    y, p = calibrated
    t = cal.calibration_summary(y, p, n_bootstrap=200)
    assert list(t.columns) == ["estimate", "ci_low", "ci_high"]
    assert t.loc["slope", "ci_low"] < 1 < t.loc["slope", "ci_high"]
    assert t.loc["citl", "ci_low"] < 0 < t.loc["citl", "ci_high"]
    assert t.loc["oe_ratio", "ci_low"] < 1 < t.loc["oe_ratio", "ci_high"]
    assert np.isnan(t.loc["n", "ci_low"])  # counts get no interval
    # the interval is around the same estimate as without the bootstrap
    s = cal.calibration_summary(y, p)
    np.testing.assert_allclose(t["estimate"].to_numpy(), s.to_numpy())


def test_overfit_predictions_give_slope_below_one(calibrated):
    y, p = calibrated
    extreme = expit(2 * logit(p))  # low risks lower, high risks higher
    modest = expit(0.5 * logit(p))
    assert cal.calibration_summary(y, extreme)["slope"] == pytest.approx(0.5, abs=0.06)
    assert cal.calibration_summary(y, modest)["slope"] == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize(("shift", "sign"), [(1.0, -1), (-1.0, 1)])
def test_shifted_predictions_give_citl_of_the_right_sign(calibrated, shift, sign):
    y, p = calibrated
    s = cal.calibration_summary(y, expit(logit(p) + shift))
    # risks too high (shift > 0) need a negative intercept to be brought down, and vice versa
    assert s["citl"] == pytest.approx(-shift, abs=0.1)
    assert np.sign(s["citl"]) == sign
    assert (s["oe_ratio"] < 1) == (shift > 0)
    # a pure shift on the logit scale leaves the slope at 1
    assert abs(s["slope"] - 1) < 0.1


def test_slope_and_citl_agree_with_independent_fits(calibrated):
    y, p = calibrated
    p = expit(1.5 * logit(p) + 0.3)
    lp = logit(p)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(lp[:, None], y)
    assert cal.calibration_slope(y, p) == pytest.approx(ref.coef_[0, 0], rel=1e-4)
    a = cal.calibration_intercept(y, p)
    # the maximum-likelihood intercept solves the score equation sum(y - expit(a + lp)) = 0
    assert abs(np.sum(y - expit(a + lp))) < 1e-4 * len(y)


def test_brier_scores_match_definitions(calibrated):
    y, p = calibrated
    s = cal.calibration_summary(y, p)
    assert s["brier"] == pytest.approx(brier_score_loss(y, p))
    assert s["auroc"] == pytest.approx(roc_auc_score(y, p))
    with pytest.warns(cal.CalibrationWarning, match="constant"):
        prevalence_only = cal.calibration_summary(y, np.full(len(y), y.mean()))
    assert np.isnan(prevalence_only["slope"])  # constant predictions: no slope
    assert prevalence_only["scaled_brier"] == pytest.approx(0, abs=1e-12)
    assert 0 < s["scaled_brier"] < 1


def test_probabilities_of_exactly_zero_and_one_are_clipped_before_the_logit():
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    p = np.array([0.0, 0.3, 1.0, 0.6, 0.5, 0.4, 0.7, 0.2])
    s = cal.calibration_summary(y, p)
    assert np.isfinite(s["slope"]) and np.isfinite(s["citl"])
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    assert s["slope"] == pytest.approx(cal.calibration_slope(y, clipped))
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2))  # unclipped


def test_perfect_separation_gives_nan_slope_with_a_warning():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    with pytest.warns(cal.CalibrationWarning, match="separate the outcomes"):
        s = cal.calibration_summary(y, p)
    assert np.isnan(s["slope"])
    assert np.isfinite(s["citl"])


def test_labels_with_pos_label_and_arrow_strings(calibrated):
    y, p = calibrated
    labels = pd.Series(np.where(y == 1, "mel", "nv"), dtype="string[pyarrow]")
    s = cal.calibration_summary(labels, p, pos_label="mel")
    pd.testing.assert_series_equal(s, cal.calibration_summary(y, p))
    with pytest.raises(ValueError, match="pos_label"):
        cal.calibration_summary(labels, p)
    with pytest.raises(ValueError, match="pos_label"):
        cal.calibration_summary(y + 1, p)  # 1/2 coding: which one is the event?
    assert cal.calibration_summary(y.astype(bool), p)["events"] == y.sum()


@pytest.mark.parametrize(
    ("y", "p", "match"),
    [
        ([0, 1, 1], [0.2, 1.3, 0.5], r"outside \[0, 1\]"),
        ([0, 1, 1], [0.2, -0.1, 0.5], r"outside \[0, 1\]"),
        ([0, 1, 1], [0.2, 0.5], "must match"),
        ([1, 1, 1], [0.2, 0.3, 0.5], "needs both outcomes"),
        ([0, 0, 0], [0.2, 0.3, 0.5], "needs both outcomes"),
        ([0, 1, 1], [0.2, np.nan, 0.5], "NaN"),
        ([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]], "predict_proba"),
    ],
)
def test_bad_input_gets_a_clear_error(y, p, match):
    with pytest.raises(ValueError, match=match):
        cal.calibration_summary(y, p)


def test_cluster_bootstrap_does_not_shrink_with_duplicated_samples():
    y, p = simulate(n=300, seed=3)
    copies = 4
    y5, p5 = np.repeat(y, copies), np.repeat(p, copies)
    ids = np.repeat(np.arange(len(y)), copies)

    def width(table: pd.DataFrame) -> float:
        return float(table.loc["brier", "ci_high"] - table.loc["brier", "ci_low"])

    base = width(cal.calibration_summary(y, p, n_bootstrap=200))
    naive = width(cal.calibration_summary(y5, p5, n_bootstrap=200))
    clustered = width(cal.calibration_summary(y5, p5, groups=ids, n_bootstrap=200))
    assert naive < 0.6 * base  # treating copies as independent fakes precision
    assert clustered > 0.8 * base


def test_reliability_table_bins_and_wilson_intervals(calibrated):
    y, p = calibrated
    t = cal.reliability_table(y, p, n_bins=10)
    assert list(t.columns) == [
        "bin",
        "n",
        "mean_predicted",
        "observed",
        "ci_low",
        "ci_high",
        "events",
        "lower",
        "upper",
    ]
    assert t["n"].sum() == len(y) and t["events"].sum() == y.sum()
    assert t["n"].min() >= len(y) // 10 - 1  # quantile bins are (nearly) equal in size
    # Wilson score interval, written out
    z = 1.959963984540054
    n, k = t["n"].to_numpy(), t["events"].to_numpy()
    phat = k / n
    centre = (phat + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2))
    np.testing.assert_allclose(t["ci_low"], centre - half, rtol=1e-6)
    np.testing.assert_allclose(t["ci_high"], centre + half, rtol=1e-6)
    # a calibrated model: the diagonal lies inside (nearly) every bin's interval
    inside = (t["ci_low"] <= t["mean_predicted"]) & (t["mean_predicted"] <= t["ci_high"])
    assert inside.sum() >= 8
    # an overfitted one: the extreme bins miss the diagonal
    over = cal.reliability_table(y, expit(2.5 * logit(p)), n_bins=10)
    assert over["mean_predicted"].iloc[0] < over["ci_low"].iloc[0]
    assert over["mean_predicted"].iloc[-1] > over["ci_high"].iloc[-1]


def test_reliability_table_uniform_strategy_drops_empty_bins():
    t = cal.reliability_table([0, 1, 0, 1], [0.05, 0.07, 0.91, 0.95], strategy="uniform")
    assert t["n"].tolist() == [2, 2]
    assert t["lower"].tolist() == pytest.approx([0.0, 0.9])
    with pytest.raises(ValueError, match="strategy"):
        cal.reliability_table([0, 1], [0.1, 0.9], strategy="kmeans")


def test_net_benefit_definitions(calibrated):
    y, p = calibrated
    prevalence = y.mean()
    t = cal.net_benefit(y, p, [0.0, 0.1, 0.3, 0.5])
    assert list(t.columns) == ["threshold", "model", "treat_all", "treat_none"]
    # at threshold 0 everyone is treated and no harm is charged: net benefit = prevalence
    assert t["treat_all"].iloc[0] == pytest.approx(prevalence)
    assert t["model"].iloc[0] == pytest.approx(prevalence)
    assert (t["treat_none"] == 0).all()
    # by hand at 0.3
    treat = p >= 0.3
    tp, fp = np.sum(treat & (y == 1)), np.sum(treat & (y == 0))
    expected = tp / len(y) - fp / len(y) * 0.3 / 0.7
    assert t["model"].iloc[2] == pytest.approx(expected)
    assert t["treat_all"].iloc[2] == pytest.approx(prevalence - (1 - prevalence) * 0.3 / 0.7)
    # a perfect model's net benefit is the prevalence at every threshold
    perfect = cal.net_benefit(y, y.astype(float), [0.0, 0.2, 0.6])
    np.testing.assert_allclose(perfect["model"], prevalence)
    with pytest.raises(ValueError, match="thresholds"):
        cal.net_benefit(y, p, [0.5, 1.0])


def test_prevalence_shift_round_trips_and_keeps_extremes():
    p = np.array([0.0, 0.01, 0.2, 0.5, 0.77, 0.999, 1.0])
    there = cal.prevalence_shift(p, 0.5, 0.03)
    np.testing.assert_allclose(cal.prevalence_shift(there, 0.03, 0.5), p, atol=1e-12)
    assert there[0] == 0 and there[-1] == 1
    assert np.all(np.diff(there) > 0)  # ranking unchanged
    np.testing.assert_allclose(cal.prevalence_shift(p, 0.2, 0.2), p)
    odds = there[1:-1] / (1 - there[1:-1])
    np.testing.assert_allclose(odds, p[1:-1] / (1 - p[1:-1]) * (0.03 / 0.97))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        cal.prevalence_shift(p, 0.5, 1.0)


def test_prevalence_shift_matches_a_case_control_simulation():
    """A model fitted on a balanced sample, re-weighted, is calibrated in the population."""
    rng = np.random.default_rng(7)
    prevalence = 0.08
    n = 40_000
    y_pop = (rng.uniform(size=n) < prevalence).astype(int)
    x_pop = rng.normal(loc=1.2 * y_pop, scale=1.0)[:, None]
    # balanced case-control sample: all cases of one half of the population, as many controls
    half = np.arange(n) < n // 2
    cases = np.flatnonzero(half & (y_pop == 1))
    controls = rng.choice(np.flatnonzero(half & (y_pop == 0)), size=len(cases), replace=False)
    train = np.concatenate([cases, controls])
    model = LogisticRegression().fit(x_pop[train], y_pop[train])
    test = ~half
    p_balanced = model.predict_proba(x_pop[test])[:, 1]
    p_shifted = cal.prevalence_shift(p_balanced, 0.5, prevalence)
    raw = cal.calibration_summary(y_pop[test], p_balanced)
    fixed = cal.calibration_summary(y_pop[test], p_shifted)
    assert raw["citl"] < -1.5  # the balanced model grossly over-predicts in the population
    assert abs(fixed["citl"]) < 0.15
    assert abs(fixed["slope"] - 1) < 0.15
    assert fixed["auroc"] == pytest.approx(raw["auroc"])
    # and it equals Bayes' rule with the true class-conditional densities (N(1.2, 1) vs N(0, 1))
    x = x_pop[test, 0]
    lr = np.exp(1.2 * x - 0.72)
    bayes = prevalence * lr / (prevalence * lr + 1 - prevalence)
    assert np.max(np.abs(p_shifted - bayes)) < 0.05


def test_prevalence_shift_for_several_classes():
    p = np.array([[0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    out = cal.prevalence_shift(p, [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1])
    np.testing.assert_allclose(out.sum(axis=1), 1)
    np.testing.assert_allclose(out[1], [0.6, 0.3, 0.1])
    # two columns reduce to the binary rule
    two = cal.prevalence_shift(np.column_stack([1 - p[:, 0], p[:, 0]]), [0.5, 0.5], [0.9, 0.1])
    np.testing.assert_allclose(two[:, 1], cal.prevalence_shift(p[:, 0], 0.5, 0.1))
    with pytest.raises(ValueError, match="summing to 1"):
        cal.prevalence_shift(p, [0.5, 0.5], [0.5, 0.5])
