"""Unit tests of mlbio.highdim: closed forms checked against brute force and small simulations."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from mlbio import highdim
from scipy import stats


# --------------------------------------------------------------------------------------------
# Cover's function-counting theorem
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2, 5, 20])
def test_cover_is_one_up_to_d_plus_one_points_and_a_half_at_twice_the_weights(d: int) -> None:
    for n in range(1, d + 2):
        assert highdim.cover_probability(n, d) == pytest.approx(1.0)
    assert highdim.cover_probability(d + 2, d) < 1.0
    # d weights plus the intercept: capacity 2 (d + 1)
    assert highdim.cover_probability(2 * (d + 1), d) == pytest.approx(0.5)
    # through the origin: 1 up to n = d, 0.5 at n = 2d
    assert highdim.cover_probability(d, d, intercept=False) == pytest.approx(1.0)
    assert highdim.cover_probability(d + 1, d, intercept=False) < 1.0
    assert highdim.cover_probability(2 * d, d, intercept=False) == pytest.approx(0.5)


def test_cover_equals_the_counting_formula() -> None:
    """C(n, D) = 2 * sum_{k<D} binom(n-1, k) separable labellings among 2^n."""
    for n in range(1, 30):
        for weights in range(1, 12):
            count = 2 * sum(comb(n - 1, k) for k in range(weights))
            expected = min(count, 2**n) / 2**n
            got = highdim.cover_probability(n, weights, intercept=False)
            assert got == pytest.approx(expected, abs=1e-12), (n, weights)
            assert highdim.cover_probability(n, weights - 1) == pytest.approx(expected)


def test_cover_falls_with_n_and_broadcasts() -> None:
    n = np.arange(1, 60)
    prob = highdim.cover_probability(n, 10)
    assert prob.shape == n.shape
    assert np.all(np.diff(prob) <= 1e-15)
    assert prob[-1] < 0.01
    # the threshold sharpens with d: at n = 1.5 D and 2.5 D
    small, large = 5, 200
    assert highdim.cover_probability(int(1.5 * (large + 1)), large) > highdim.cover_probability(
        int(1.5 * (small + 1)), small
    )
    assert highdim.cover_probability(int(2.5 * (large + 1)), large) < highdim.cover_probability(
        int(2.5 * (small + 1)), small
    )


def test_cover_rejects_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="n must be at least 1"):
        highdim.cover_probability(0, 3)
    with pytest.raises(ValueError, match="at least one weight"):
        highdim.cover_probability(5, 0, intercept=False)


def test_separability_check_knows_xor_and_the_intercept() -> None:
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert not highdim.is_linearly_separable(xor, [0, 0, 1, 1])
    assert highdim.is_linearly_separable(xor, [0, 1, 1, 1])
    # In one dimension, x=1 positive and x=2 negative: needs an intercept.
    line = np.array([[1.0], [2.0]])
    assert highdim.is_linearly_separable(line, ["+", "-"])
    assert not highdim.is_linearly_separable(line, ["+", "-"], intercept=False)
    assert highdim.is_linearly_separable(line, ["+", "+"])


def test_separability_check_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="two classes"):
        highdim.is_linearly_separable(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        highdim.is_linearly_separable(np.eye(3), [0, 1])


def test_simulated_separability_matches_cover() -> None:
    table = highdim.separability_frequency([3, 5, 8, 10, 14], 4, n_repeats=150, random_state=1)
    assert table["separable"].iloc[0] == 1.0  # n <= d + 1
    # 150 repeats: a binomial standard error of at most 0.041
    assert np.all(np.abs(table["separable"] - table["cover"]) < 0.12)
    assert table.loc[table["n"] == 10, "cover"].item() == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# Distance concentration
# --------------------------------------------------------------------------------------------
def test_relative_contrast_of_uniform_data_shrinks_with_dimension() -> None:
    rng = np.random.default_rng(0)
    medians = [
        highdim.distance_contrast(rng.uniform(size=(100, d)))["relative_contrast"].median()
        for d in [2, 20, 200, 2000]
    ]
    assert all(a > b for a, b in zip(medians, medians[1:], strict=False)), medians
    assert medians[0] > 10 and medians[-1] < 0.2


def test_distance_contrast_columns_and_self_exclusion() -> None:
    X = np.array([[0.0], [1.0], [3.0]])
    table = highdim.distance_contrast(X)
    np.testing.assert_allclose(table["nearest"], [1, 1, 2])
    np.testing.assert_allclose(table["farthest"], [3, 2, 3])
    np.testing.assert_allclose(table["ratio"], [3, 2, 1.5])
    np.testing.assert_allclose(table["relative_contrast"], [2, 1, 0.5])


def test_scaled_distances_have_mean_one_and_narrow_with_dimension() -> None:
    rng = np.random.default_rng(1)
    spreads = []
    for d in [2, 50, 5000]:
        values = highdim.scaled_distances(rng.normal(size=(60, d)))
        assert values.shape == (60 * 59 // 2,)
        assert values.mean() == pytest.approx(1.0)
        spreads.append(values.std())
    assert spreads[0] > spreads[1] > spreads[2]
    assert spreads[2] < 0.03


def test_distance_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        highdim.distance_contrast(np.zeros(5))
    with pytest.raises(ValueError, match="at least 2 samples"):
        highdim.scaled_distances(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="NaN"):
        highdim.distance_contrast(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="identical"):
        highdim.scaled_distances(np.ones((4, 3)))


# --------------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------------
def test_power_falls_with_the_number_of_tests_at_a_fixed_fdr() -> None:
    power = [
        highdim.simulate_discoveries(15, d, 10, 1.2, n_repeats=20, random_state=2)["power"].mean()
        for d in [20, 2_000, 50_000]
    ]
    assert power[0] > power[1] > power[2], power


def test_benjamini_hochberg_controls_false_discoveries_where_raw_p_values_do_not() -> None:
    table = highdim.simulate_discoveries(15, 2_000, 100, 2.0, n_repeats=100, random_state=3)
    # BH: expected FDP <= 0.05 * share of nulls (s.e. of the mean here ~0.003); unadjusted
    # p < 0.05 would give an FDP near 0.5.
    assert table["fdp"].mean() < 0.07
    assert table["power"].mean() > 0.5
    assert table["raw_false_positives"].mean() == pytest.approx(0.05 * 1_900, rel=0.1)
    null = highdim.simulate_discoveries(10, 2_000, 0, 0.0, n_repeats=30, random_state=4)
    assert null["power"].isna().all()
    # with no signal, any discovery is false: BH bounds the chance of one by the FDR
    assert (null["false_discoveries"] > 0).mean() <= 0.15


def test_power_of_a_single_test_matches_the_t_test_and_a_brute_force_simulation() -> None:
    """One feature: BH is the plain t-test, whose power is known (noncentral t)."""
    n, effect = 12, 1.0
    table = highdim.simulate_discoveries(n, 1, 1, effect, n_repeats=4000, random_state=5)
    df, nc = 2 * n - 2, effect * np.sqrt(n / 2)
    critical = stats.t.ppf(0.975, df)
    exact = stats.nct.sf(critical, df, nc) + stats.nct.cdf(-critical, df, nc)
    assert table["power"].mean() == pytest.approx(exact, abs=0.025)
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 4000, n))
    brute = (stats.ttest_ind(a, b + effect, axis=1).pvalue < 0.05).mean()
    assert table["power"].mean() == pytest.approx(brute, abs=0.035)


def test_simulate_discoveries_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="n_per_group"):
        highdim.simulate_discoveries(1, 10, 1, 1.0)
    with pytest.raises(ValueError, match="n_signal"):
        highdim.simulate_discoveries(5, 10, 11, 1.0)
    with pytest.raises(ValueError, match="fdr"):
        highdim.simulate_discoveries(5, 10, 1, 1.0, fdr=0)
