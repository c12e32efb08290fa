"""Unit tests of mlbio.evaluation on small seeded simulations where the truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import evaluation as ev
from sklearn.datasets import make_classification, make_regression
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_val_predict,
    permutation_test_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

COLUMNS = [
    "cv_mean",
    "cv_std",
    "oof",
    "ci_low",
    "ci_high",
    "dummy",
    "permuted_mean",
    "permuted_std",
    "p_value",
]


@pytest.fixture(scope="module")
def noise() -> tuple[np.ndarray, np.ndarray]:
    """Pure noise: 50 samples, 2,000 features, balanced labels unrelated to the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2000))
    y = np.repeat([0, 1], 25)
    rng.shuffle(y)
    return X, y


@pytest.fixture(scope="module")
def signal() -> tuple[np.ndarray, np.ndarray]:
    """An easy, imbalanced binary problem with real signal."""
    return make_classification(
        n_samples=240,
        n_features=10,
        n_informative=4,
        weights=[0.75],
        class_sep=2.0,
        random_state=1,
    )


def lesions(n_groups: int = 60, per_group: int = 4, seed: int = 2) -> tuple:
    """Near-duplicate images of lesions whose label has nothing to do with their look.

    Each group (lesion) has one random centre; its samples are small jitters around it; its
    label is a coin flip. Memorising a group gives perfect predictions for its other samples,
    but nothing generalises to a new group.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, 20))
    groups = np.repeat(np.arange(n_groups), per_group)
    X = centres[groups] + 0.05 * rng.normal(size=(len(groups), 20))
    labels = rng.permutation(np.repeat([0, 1], n_groups // 2))
    return X, labels[groups], groups


# ----------------------------------------------------------------------------------------------
# make_cv
# ----------------------------------------------------------------------------------------------
def test_make_cv_picks_the_splitter_for_the_task() -> None:
    y = np.repeat([0, 1], 10)
    g = np.repeat(np.arange(10), 2)
    assert isinstance(ev.make_cv(y), StratifiedKFold)
    assert isinstance(ev.make_cv(y, g), StratifiedGroupKFold)
    assert isinstance(ev.make_cv(y.astype(float), classification=False), KFold)
    assert isinstance(ev.make_cv(y.astype(float), g, classification=False), GroupKFold)
    assert ev.make_cv(y, n_splits=3).get_n_splits() == 3


def test_make_cv_keeps_groups_together_and_is_seeded() -> None:
    X, y, g = lesions()
    cv = ev.make_cv(y, g)
    folds = [test for _, test in cv.split(X, y, g)]
    for train, test in cv.split(X, y, g):
        assert not set(g[train]) & set(g[test])
    again = [test for _, test in ev.make_cv(y, g).split(X, y, g)]
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))


def test_make_cv_refuses_too_rare_classes_and_too_few_groups() -> None:
    with pytest.raises(ValueError, match="rarest class has 3"):
        ev.make_cv(np.array([0] * 20 + [1] * 3))
    with pytest.raises(ValueError, match="Only 3 groups"):
        ev.make_cv(np.repeat([0, 1], 6), np.repeat([0, 1, 2], 4))


# ----------------------------------------------------------------------------------------------
# evaluate: leakage must be visible
# ----------------------------------------------------------------------------------------------
def test_selection_outside_cv_is_inflated_inside_is_chance(noise: tuple) -> None:
    X, y = noise
    leaky_X = SelectKBest(f_classif, k=20).fit_transform(X, y)  # selection saw every label
    leaky = ev.evaluate(LogisticRegression(), leaky_X, y, n_permutations=0, n_bootstrap=0).loc[
        "balanced_accuracy", "cv_mean"
    ]
    honest_table = ev.evaluate(
        make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression()),
        X,
        y,
        n_permutations=20,
        n_bootstrap=200,
    )
    honest = honest_table.loc["balanced_accuracy"]
    assert leaky > 0.85, f"selection on all data should look excellent on noise, got {leaky}"
    assert abs(honest["cv_mean"] - 0.5) < 0.15, f"honest pipeline should be at chance: {honest}"
    assert honest["p_value"] > 0.05
    assert honest["ci_low"] < 0.5 < honest["ci_high"]
    assert abs(honest_table.loc["roc_auc", "dummy"] - 0.5) < 1e-12


def test_leak_outside_the_pipeline_fools_the_permutation_test_too(noise: tuple) -> None:
    """Permuting labels after the leaky selection gives chance scores, so p looks tiny:
    the permutation must refit every step that saw the labels."""
    X, y = noise
    leaky_X = SelectKBest(f_classif, k=20).fit_transform(X, y)
    table = ev.evaluate(LogisticRegression(), leaky_X, y, n_permutations=20, n_bootstrap=0)
    row = table.loc["balanced_accuracy"]
    assert row["cv_mean"] > 0.85
    assert row["permuted_mean"] < 0.65
    assert row["p_value"] == pytest.approx(1 / 21)


def test_random_split_of_grouped_data_is_inflated_grouped_is_chance() -> None:
    X, y, g = lesions()
    model = KNeighborsClassifier(n_neighbors=1)
    random_split = ev.evaluate(model, X, y, n_permutations=0, n_bootstrap=0)
    grouped = ev.evaluate(model, X, y, groups=g, n_permutations=10, n_bootstrap=200)
    assert random_split.loc["balanced_accuracy", "cv_mean"] > 0.95
    assert abs(grouped.loc["balanced_accuracy", "cv_mean"] - 0.5) < 0.15
    assert grouped.attrs["permutation_level"] == "group"
    assert grouped.loc["balanced_accuracy", "p_value"] > 0.05


# ----------------------------------------------------------------------------------------------
# evaluate: the table itself
# ----------------------------------------------------------------------------------------------
def test_evaluate_table_matches_scikit_learn(signal: tuple) -> None:
    X, y = signal
    model = make_pipeline(StandardScaler(), LogisticRegression())
    table = ev.evaluate(model, X, y, n_permutations=5, n_bootstrap=300)
    assert list(table.columns) == COLUMNS
    assert list(table.index) == ["balanced_accuracy", "roc_auc", "average_precision"]
    assert table.attrs == {
        "n_splits": 5,
        "n_permutations": 5,
        "n_bootstrap": 300,
        "confidence": 0.95,
        "permutation_level": "sample",
        "pos_label": 1,
    }
    cv = ev.make_cv(y)
    scores = cross_val_predict(model, X, y, cv=cv, method="decision_function")
    labels = cross_val_predict(model, X, y, cv=cv)
    assert table.loc["roc_auc", "oof"] == pytest.approx(roc_auc_score(y, scores))
    assert table.loc["balanced_accuracy", "oof"] == pytest.approx(
        balanced_accuracy_score(y, labels)
    )
    for metric, row in table.iterrows():
        assert row["ci_low"] <= row["oof"] <= row["ci_high"], metric
        assert row["cv_mean"] > row["dummy"] + 0.2, metric
        assert row["p_value"] == pytest.approx(1 / 6), metric
    assert table.loc["balanced_accuracy", "dummy"] == pytest.approx(0.5)
    assert table.loc["average_precision", "dummy"] == pytest.approx(np.mean(y), abs=0.02)


def test_evaluate_is_reproducible(signal: tuple) -> None:
    X, y = signal
    first = ev.evaluate(LogisticRegression(), X, y, n_permutations=3, n_bootstrap=100)
    second = ev.evaluate(LogisticRegression(), X, y, n_permutations=3, n_bootstrap=100)
    pd.testing.assert_frame_equal(first, second)
    other = ev.evaluate(
        LogisticRegression(), X, y, n_permutations=3, n_bootstrap=100, random_state=7
    )
    assert not first.equals(other)


def test_evaluate_accepts_pandas_with_arrow_strings() -> None:
    X, y, g = lesions(n_groups=30)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = pd.Series(np.where(y == 1, "mel", "nv"), dtype="string[pyarrow]")
    groups = pd.Series([f"HAM_{i:04d}" for i in g], dtype="string[pyarrow]")
    table = ev.evaluate(
        LogisticRegression(),
        frame,
        labels,
        groups=groups,
        pos_label="mel",
        n_permutations=2,
        n_bootstrap=50,
    )
    assert table.notna().all().all()
    assert table.attrs["pos_label"] == "mel"
    assert table.loc["average_precision", "dummy"] == pytest.approx(np.mean(y), abs=0.05)


def test_pos_label_decides_the_positive_class() -> None:
    rng = np.random.default_rng(5)
    y = np.array(["nv"] * 80 + ["mel"] * 20)
    X = rng.normal(size=(100, 3)) + (y == "mel")[:, None]
    default = ev.evaluate(LogisticRegression(), X, y, n_permutations=0, n_bootstrap=0)
    mel = ev.evaluate(LogisticRegression(), X, y, pos_label="mel", n_permutations=0, n_bootstrap=0)
    assert default.attrs["pos_label"] == "nv"
    assert default.loc["average_precision", "dummy"] == pytest.approx(0.8)
    assert mel.loc["average_precision", "dummy"] == pytest.approx(0.2)
    assert mel.loc["roc_auc", "cv_mean"] == pytest.approx(default.loc["roc_auc", "cv_mean"])
    with pytest.raises(ValueError, match="not one of the classes"):
        ev.evaluate(LogisticRegression(), X, y, pos_label="bcc")


def test_non_partition_cv_leaves_bootstrap_empty(signal: tuple) -> None:
    X, y = signal
    cv = ShuffleSplit(n_splits=4, test_size=0.25, random_state=0)
    table = ev.evaluate(LogisticRegression(), X, y, cv=cv, n_permutations=0, n_bootstrap=100)
    assert table[["oof", "ci_low", "ci_high", "permuted_mean", "p_value"]].isna().all().all()
    assert table["cv_mean"].notna().all()
    assert table.attrs["n_splits"] == 4


def test_evaluate_multiclass_and_regression() -> None:
    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, n_clusters_per_class=1, random_state=3
    )
    multi = ev.evaluate(LogisticRegression(), X, y, n_permutations=0, n_bootstrap=50)
    assert list(multi.index) == ["balanced_accuracy", "roc_auc_ovr"]
    assert multi.loc["balanced_accuracy", "dummy"] == pytest.approx(1 / 3)
    assert multi.notna().loc[:, "oof":"dummy"].all().all()

    Xr, yr = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=4)
    reg = ev.evaluate(Ridge(), Xr, yr, n_permutations=2, n_bootstrap=50)
    assert list(reg.index) == ["r2", "neg_mean_absolute_error"]
    assert reg.loc["r2", "cv_mean"] > 0.9
    assert reg.loc["r2", "dummy"] <= 0.0
    assert reg.loc["r2", "ci_low"] <= reg.loc["r2", "oof"] <= reg.loc["r2", "ci_high"]


def test_evaluate_validates_inputs(signal: tuple) -> None:
    X, y = signal
    with pytest.raises(ValueError, match="groups has a different length"):
        ev.evaluate(LogisticRegression(), X, y, groups=np.arange(3))
    with pytest.raises(ValueError, match="confidence"):
        ev.evaluate(LogisticRegression(), X, y, n_permutations=0, confidence=1.5)


# ----------------------------------------------------------------------------------------------
# permutation_baseline
# ----------------------------------------------------------------------------------------------
def test_permutation_baseline_equals_scikit_learn_without_groups(signal: tuple) -> None:
    X, y = signal
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    score, perm, pvalue = permutation_test_score(
        LogisticRegression(), X, y, cv=cv, scoring="roc_auc", n_permutations=6, random_state=5
    )
    ours = ev.permutation_baseline(
        LogisticRegression(), X, y, cv=cv, scoring="roc_auc", n_permutations=6, random_state=5
    )
    assert ours.score["roc_auc"] == pytest.approx(score)
    np.testing.assert_allclose(ours.permutation_scores["roc_auc"], perm)
    assert ours.pvalue["roc_auc"] == pytest.approx(pvalue)
    assert ours.level == "sample"


def test_permutation_baseline_shuffles_between_groups() -> None:
    """scikit-learn permutes *within* groups: a no-op when each group has one label."""
    X, y, g = lesions(n_groups=40)
    model = LogisticRegression()
    cv = ev.make_cv(y, g)
    real, perm, _ = permutation_test_score(
        model, X, y, groups=g, cv=cv, n_permutations=3, random_state=0
    )
    np.testing.assert_allclose(perm, real)  # the trap this module avoids
    ours = ev.permutation_baseline(model, X, y, groups=g, cv=cv, n_permutations=3)
    assert ours.level == "group"
    assert not np.allclose(ours.permutation_scores["balanced_accuracy"], real)


class CountingGroupKFold(GroupKFold):
    """A grouped splitter that counts how often it is asked to split."""

    calls = 0

    def split(self, X, y=None, groups=None):
        type(self).calls += 1
        return super().split(X, y, groups)


class CountingKFold(StratifiedKFold):
    """A splitter that counts how often it is asked to split."""

    calls = 0

    def split(self, X, y=None, groups=None):
        type(self).calls += 1
        return super().split(X, y, groups)


def test_which_permutations_resplit(signal: tuple) -> None:
    """With groups the real folds are reused; without, each permutation is re-split (as sklearn)."""
    X, y = signal
    groups = np.arange(len(y)) // 2
    CountingGroupKFold.calls = 0
    ev.evaluate(
        LogisticRegression(), X, y, groups=groups, cv=CountingGroupKFold(4),
        n_permutations=3, n_bootstrap=0,
    )  # fmt: skip
    assert CountingGroupKFold.calls == 1
    CountingKFold.calls = 0
    ev.evaluate(
        LogisticRegression(), X, y, cv=CountingKFold(4, shuffle=True, random_state=0),
        n_permutations=3, n_bootstrap=0,
    )  # fmt: skip
    assert CountingKFold.calls == 4


def test_permute_keeps_group_structure() -> None:
    _, y, g = lesions(n_groups=40)
    rng = np.random.RandomState(0)
    permuted, level = ev._permute(y, g, rng)
    assert level == "group"
    assert not np.array_equal(permuted, y)
    assert np.bincount(permuted).tolist() == np.bincount(y).tolist()
    for group in np.unique(g):
        assert len(set(permuted[g == group])) == 1
    varying = y.copy()
    varying[0] = 1 - varying[0]
    _, level = ev._permute(varying, g, rng)
    assert level == "sample"


# ----------------------------------------------------------------------------------------------
# bootstrap_ci
# ----------------------------------------------------------------------------------------------
def test_bootstrap_ci_width_matches_binomial_theory() -> None:
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 400)
    correct = rng.random(400) < 0.7
    pred = np.where(correct, y, 1 - y)
    res = ev.bootstrap_ci(y, pred, accuracy_score, n_bootstrap=2000)
    expected_half = 1.96 * np.sqrt(0.7 * 0.3 / 400)
    assert res.estimate == pytest.approx(accuracy_score(y, pred))
    assert res.low < res.estimate < res.high
    assert (res.high - res.low) / 2 == pytest.approx(expected_half, rel=0.2)
    assert res.n_valid == 2000
    assert res == ev.bootstrap_ci(y, pred, accuracy_score, n_bootstrap=2000)


def test_cluster_bootstrap_is_wider_for_duplicated_samples() -> None:
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, 100)
    pred = np.where(rng.random(100) < 0.7, y, 1 - y)
    y5, pred5, g5 = np.repeat(y, 5), np.repeat(pred, 5), np.repeat(np.arange(100), 5)
    naive = ev.bootstrap_ci(y5, pred5, accuracy_score, n_bootstrap=1000)
    cluster = ev.bootstrap_ci(y5, pred5, accuracy_score, groups=g5, n_bootstrap=1000)
    assert (cluster.high - cluster.low) > 1.8 * (naive.high - naive.low)


def test_bootstrap_ci_skips_undefined_resamples_and_validates() -> None:
    y = np.array([0] * 9 + [1])
    score = np.linspace(0, 1, 10)
    res = ev.bootstrap_ci(y, score, roc_auc_score, n_bootstrap=200)
    assert res.estimate == 1.0
    assert 0 < res.n_valid < 200  # resamples without the positive sample are skipped
    with pytest.raises(ValueError, match="different lengths"):
        ev.bootstrap_ci(y, score[:5], roc_auc_score)
    with pytest.raises(ValueError, match="n_bootstrap"):
        ev.bootstrap_ci(y, score, roc_auc_score, n_bootstrap=0)


# ----------------------------------------------------------------------------------------------
# learning_curve_table
# ----------------------------------------------------------------------------------------------
def test_learning_curve_table(signal: tuple) -> None:
    X, y = signal
    table = ev.learning_curve_table(LogisticRegression(), X, y, train_sizes=[0.2, 0.5, 1.0])
    assert list(table.columns) == [
        "n_train",
        "train_mean",
        "train_std",
        "validation_mean",
        "validation_std",
    ]
    assert table["n_train"].tolist() == [38, 96, 192]
    assert table["validation_mean"].iloc[-1] > 0.7
    assert (table["train_mean"] >= table["validation_mean"] - 0.05).all()


def test_learning_curve_table_grouped_has_no_memorisation_gain() -> None:
    X, y, g = lesions()
    model = KNeighborsClassifier(n_neighbors=1)
    grouped = ev.learning_curve_table(model, X, y, groups=g, train_sizes=[0.5, 1.0])
    ungrouped = ev.learning_curve_table(model, X, y, train_sizes=[0.5, 1.0])
    assert (ungrouped["validation_mean"] > 0.9).all()
    assert (grouped["validation_mean"] < 0.7).all()
