"""Unit tests of mlbio.samplesize against a published worked example and the definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mlbio import samplesize as ss
from scipy.special import expit
from sklearn.linear_model import LogisticRegression


def test_reproduces_the_published_binary_example():
    # Riley et al. (Stat Med 2019, part II), also the binary example of pmsampsize: 24
    # candidate parameters, outcome proportion 0.174, anticipated Cox-Snell R² 0.288.
    # Published: n = 623 (shrinkage), 662 (optimism), 221 (overall risk); at least 4.8 events
    # per parameter.
    table = ss.riley_binary(24, 0.174, 0.288)
    assert table["n"].tolist() == [623, 662, 221, 662]
    assert table.loc["minimum", "events_per_parameter"] == pytest.approx(4.8, abs=0.005)
    assert table.attrs["max_r2_cs"] == pytest.approx(0.603, abs=0.0005)
    assert table.attrs["nagelkerke_r2"] == pytest.approx(0.288 / 0.6032, abs=0.001)


def test_more_parameters_need_proportionally_more_patients():
    # Criteria (i) and (ii) scale linearly with P (pmsampsize: 934 and 992 for P = 36).
    table = ss.riley_binary(36, 0.174, 0.288)
    assert table["n"].tolist()[:2] == [934, 992]
    assert table.loc["(iii) overall risk", "n"] == 221  # does not depend on P


def test_overall_risk_criterion_is_the_binomial_margin():
    phi = 0.3
    n = ss.riley_binary(5, phi, 0.2).loc["(iii) overall risk", "n"]
    # the 95 % margin of error of a proportion at this n is at most 0.05, and not at n - 1
    assert 1.96 * math.sqrt(phi * (1 - phi) / n) <= 0.05
    assert 1.96 * math.sqrt(phi * (1 - phi) / (n - 1)) > 0.05


def test_expected_shrinkage_inverts_criterion_one():
    for p, r2 in [(24, 0.288), (60, 0.05), (10, 0.4)]:
        n = p / ((0.9 - 1) * math.log(1 - r2 / 0.9))  # the formula, not rounded up
        assert ss.expected_shrinkage(n, p, r2) == pytest.approx(0.9, abs=1e-9)
    # more data, less shrinkage needed; more parameters, more
    assert ss.expected_shrinkage(5000, 24, 0.1) > ss.expected_shrinkage(500, 24, 0.1)
    assert ss.expected_shrinkage(500, 48, 0.1) < ss.expected_shrinkage(500, 24, 0.1)


def test_expected_shrinkage_is_reported_per_criterion():
    table = ss.riley_binary(24, 0.174, 0.288)
    assert table.loc["(i) shrinkage", "shrinkage"] == pytest.approx(0.9, abs=0.001)
    assert table.loc["(iii) overall risk", "shrinkage"] < 0.8  # 221 patients overfit


def test_max_cox_snell_r2_is_reached_by_perfect_predictions():
    y = np.r_[np.zeros(80), np.ones(20)].astype(int)
    assert ss.max_cox_snell_r2(0.5) == pytest.approx(0.75)
    assert ss.cox_snell_r2(y, y.astype(float)) == pytest.approx(ss.max_cox_snell_r2(0.2), abs=1e-6)
    assert ss.cox_snell_r2(y, np.full(100, 0.2)) == pytest.approx(0.0, abs=1e-12)


def test_cox_snell_r2_matches_the_likelihood_ratio_of_a_fitted_logistic_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    y = (rng.uniform(size=2000) < expit(-1.5 + x @ [1.0, -0.5])).astype(int)
    fit = LogisticRegression(C=np.inf).fit(x, y)
    p = fit.predict_proba(x)[:, 1]
    log_model = np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    phi = y.mean()
    log_null = len(y) * (phi * np.log(phi) + (1 - phi) * np.log(1 - phi))
    expected = 1 - np.exp(-2 * (log_model - log_null) / len(y))
    assert ss.cox_snell_r2(y, p) == pytest.approx(expected, rel=1e-9)
    # predictions worse than the observed proportion give a negative R²
    assert ss.cox_snell_r2(y, 1 - p) < 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parameters": 10, "prevalence": 1.2, "r2_cs": 0.1}, "prevalence"),
        ({"parameters": 0, "prevalence": 0.2, "r2_cs": 0.1}, "parameters"),
        ({"parameters": 10, "prevalence": 0.05, "r2_cs": 0.4}, "impossible"),
        ({"parameters": 10, "prevalence": 0.5, "r2_cs": 0.7, "shrinkage": 0.6}, "shrinkage"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ss.riley_binary(**kwargs)


def test_cox_snell_r2_refuses_non_binary_outcomes():
    with pytest.raises(ValueError, match="0/1"):
        ss.cox_snell_r2([0, 1, 2], [0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="probabilities"):
        ss.cox_snell_r2([0, 1, 1], [0.1, 1.5, 0.9])
