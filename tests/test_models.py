"""Unit tests of mlbio.models.TopScoringPairs on data with known discriminating pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio.models import TopScoringPairs
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_estimator


def planted(
    n: int = 120, p: int = 300, seed: int = 0, reference: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Log-normal "expression"; gene 42 is below gene 7 in class 0 and above it in class 1.

    Both genes move in opposite directions (a "switch"); with ``reference=True`` only gene 42
    moves and gene 7 is a stable reference, invisible to a one-gene-at-a-time filter.
    """
    rng = np.random.default_rng(seed)
    X = rng.lognormal(mean=3, sigma=1, size=(n, p))
    y = np.repeat([0, 1], n // 2)
    rng.shuffle(y)
    base = X[:, 7].copy()
    up, down = np.where(y == 1, 2.0, 0.5), np.where(y == 1, 0.5, 2.0)
    X[:, 42] = base * (up if reference else np.sqrt(up)) * rng.lognormal(0, 0.2, n)
    if not reference:
        X[:, 7] = base * np.sqrt(down)
    X *= rng.uniform(0.2, 5, size=(n, 1))  # library sizes differ between samples
    return X, y


def test_recovers_the_planted_pair_and_orients_it():
    X, y = planted()
    model = TopScoringPairs().fit(X, y)
    assert model.pairs_ == [(7, 42)]  # x_7 < x_42 votes for class 1
    row = model.pairs_table_.iloc[0]
    assert row["class"] == 1 and row["score"] > 0.8
    X_new, y_new = planted(seed=1)
    assert (model.predict(X_new) == y_new).mean() > 0.9


def test_without_prefilter_a_pair_with_a_stable_reference_gene_is_found():
    """The pre-filter ranks genes one at a time: gene 7 alone does not differ between classes."""
    X, y = planted(reference=True)
    folds = np.arange(len(y)) % 3
    for k in range(3):
        train = folds != k
        model = TopScoringPairs(max_features=None).fit(X[train], y[train])
        assert model.pairs_ == [(7, 42)]


def test_pairs_carry_feature_names_from_a_dataframe():
    X, y = planted()
    genes = [f"ENSG{i:05d}" for i in range(X.shape[1])]
    model = TopScoringPairs(n_pairs=3).fit(pd.DataFrame(X, columns=genes), pd.Series(y))
    assert model.pairs_[0] == ("ENSG00007", "ENSG00042")
    assert len(model.pairs_) == 3
    features = [f for pair in model.pairs_ for f in pair]
    assert len(set(features)) == 6  # disjoint pairs
    assert list(model.pairs_table_["index_a"])[0] == 7


def test_table_probabilities_are_the_observed_frequencies():
    rng = np.random.default_rng(2)
    X = rng.poisson(1.0, size=(80, 40)).astype(float)  # many ties, zeros included
    y = rng.integers(0, 2, 80)
    X[y == 1, 3] += 2
    model = TopScoringPairs(n_pairs=3, max_features=10).fit(X, y)
    for row in model.pairs_table_.itertuples():
        less = X[:, row.index_a] < X[:, row.index_b]
        assert row.p_class == pytest.approx(less[y == 1].mean())
        assert row.p_rest == pytest.approx(less[y == 0].mean())
        assert row.score == pytest.approx(row.p_class - row.p_rest)
    # the best pair maximises the score among all pairs of the 10 pre-selected features
    assert model.pairs_table_["score"].iloc[0] == model.pairs_table_["score"].max()


@pytest.mark.parametrize(
    "transform",
    [
        np.log1p,
        np.sqrt,
        lambda X: X / X.sum(axis=1, keepdims=True) * 1e6,  # counts per million
        lambda X: X * np.random.default_rng(3).uniform(0.1, 10, size=(len(X), 1)),
    ],
    ids=["log1p", "sqrt", "cpm", "library-size"],
)
def test_invariant_to_monotone_transforms_within_samples(transform):
    X, y = planted(p=200)
    X_test, _ = planted(seed=4, p=200)
    X, X_test = np.round(X), np.round(X_test)  # counts: ties as in real data
    raw = TopScoringPairs(n_pairs=3, max_features=50).fit(X, y)
    moved = TopScoringPairs(n_pairs=3, max_features=50).fit(transform(X), y)
    assert moved.pairs_ == raw.pairs_
    np.testing.assert_array_equal(moved.predict_proba(transform(X_test)), raw.predict_proba(X_test))
    # a model fitted on raw data predicts transformed samples identically
    np.testing.assert_array_equal(raw.predict(transform(X_test)), raw.predict(X_test))


def test_a_gene_wise_transform_can_change_the_predictions():
    X, y = planted()
    model = TopScoringPairs().fit(X, y)
    X_new, _ = planted(seed=5)
    scaled = X_new.copy()
    scaled[:, 42] *= 100  # e.g. a per-gene scaling or batch correction across samples
    assert (model.predict(scaled) != model.predict(X_new)).mean() > 0.3


def test_multiclass_one_vs_rest():
    rng = np.random.default_rng(6)
    n, p = 150, 100
    X = rng.lognormal(3, 1, size=(n, p))
    y = np.repeat(["ACC", "KICH", "UVM"], n // 3)
    for k, (a, b) in enumerate([(1, 2), (10, 20), (30, 40)]):
        cls = y == ["ACC", "KICH", "UVM"][k]
        X[:, b] = X[:, a] * np.where(cls, 3.0, 0.3)
    idx = rng.permutation(n)
    train, test = idx[:100], idx[100:]
    model = TopScoringPairs(n_pairs=1).fit(X[train], y[train])
    assert list(model.classes_) == ["ACC", "KICH", "UVM"]
    assert model.pairs_ == [(1, 2), (10, 20), (30, 40)]
    assert list(model.pairs_table_["class"]) == ["ACC", "KICH", "UVM"]
    assert (model.predict(X[test]) == y[test]).mean() > 0.9
    proba = model.predict_proba(X[test])
    assert proba.shape == (50, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.classes_[proba.argmax(1)], model.predict(X[test]))
    assert model.decision_function(X[test]).shape == (50, 3)


def test_binary_decision_function_and_probabilities_agree_with_predict():
    X, y = planted()
    model = TopScoringPairs(n_pairs=4).fit(X, y)  # even: ties broken by the best pair
    decision = model.decision_function(X)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, model.classes_[(decision > 0).astype(int)])
    np.testing.assert_array_equal(pred, model.classes_[proba.argmax(1)])
    assert set(np.round(proba[:, 1], 2)) <= {0.0, 0.25, 0.5, 0.75, 1.0}


def test_prefilter_is_refitted_inside_cross_validation():
    """On pure noise, cross-validated accuracy must be at chance (no selection on test folds)."""
    rng = np.random.default_rng(7)
    X = rng.lognormal(size=(60, 2000))
    y = np.repeat([0, 1], 30)
    scores = cross_val_score(TopScoringPairs(n_pairs=3, max_features=20), X, y, cv=5)
    assert 0.3 < scores.mean() < 0.7
    # ...while the same pairs, chosen on all the data, look good on it (the leak we avoid)
    assert TopScoringPairs(n_pairs=3, max_features=20).fit(X, y).score(X, y) > 0.75


def test_works_in_a_pipeline_and_clones():
    X, y = planted()
    pipe = make_pipeline(FunctionTransformer(np.log1p), TopScoringPairs())
    assert cross_val_score(pipe, X, y, cv=3, scoring="roc_auc").mean() > 0.85
    model = clone(TopScoringPairs(n_pairs=5, max_features=30))
    assert model.get_params() == {"n_pairs": 5, "max_features": 30}


@pytest.mark.parametrize(
    ("params", "X", "y", "match"),
    [
        ({"n_pairs": 0}, np.ones((4, 3)), [0, 1, 0, 1], "n_pairs"),
        ({"max_features": 1}, np.ones((4, 3)), [0, 1, 0, 1], "max_features"),
        ({"n_pairs": 2}, np.ones((4, 3)), [0, 1, 0, 1], "need 4 features"),
        ({}, np.ones((4, 1)), [0, 1, 0, 1], r"1 feature\(s\)"),
        ({}, np.ones((4, 3)), [1, 1, 1, 1], "1 class"),
    ],
)
def test_bad_input_gets_a_clear_error(params, X, y, match):
    with pytest.raises(ValueError, match=match):
        TopScoringPairs(**params).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_scikit_learn_estimator_checks():
    # poor_score is declared (a single pair cannot classify 2-feature toy blobs well);
    # every other generic check applies
    check_estimator(TopScoringPairs())
    check_estimator(TopScoringPairs(n_pairs=1, max_features=None))
