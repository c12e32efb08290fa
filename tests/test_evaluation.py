"""Unit tests of mlbio.evaluation on small seeded simulations where the truth is known.

Each test names the defect it guards; each was checked to fail on that defect.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from mlbio import SEED
from mlbio import evaluation as ev
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    PredefinedSplit,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_val_predict,
    cross_validate,
    permutation_test_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

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


class Centroid(ClassifierMixin, BaseEstimator):
    """A nearest-centroid rule with no input validation: cheap enough for simulations."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.w_ = X[y == self.classes_[1]].mean(0) - X[y == self.classes_[0]].mean(0)
        self.c_ = (X[y == self.classes_[1]].mean(0) + X[y == self.classes_[0]].mean(0)) / 2
        return self

    def decision_function(self, X):
        return (np.asarray(X) - self.c_) @ self.w_

    def predict(self, X):
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


class Spy(Centroid):
    """Records the labels and first feature (a sample id) of every training set it sees."""

    seen: list = []

    def fit(self, X, y):
        type(self).seen.append((np.asarray(X)[:, 0].copy(), np.asarray(y).copy()))
        return super().fit(np.asarray(X)[:, 1:], y)

    def decision_function(self, X):
        return super().decision_function(np.asarray(X)[:, 1:])


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread: on a shared two-core machine, more threads only wait."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def noise() -> tuple[np.ndarray, np.ndarray]:
    """Pure noise: 50 samples, 1,000 features, balanced labels unrelated to the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1000))
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


def unequal_lesions(seed: int, n_pos: int = 15, n_neg: int = 15, signal: float = 0.0) -> tuple:
    """Lesions of UNEQUAL size: positives have 1-4 images, negatives mostly one (as in HAM10000).

    Images of a lesion share its centre; with ``signal`` > 0 the centre's first coordinate is
    shifted for positive lesions (a group-level signal), otherwise the features carry nothing.
    """
    rng = np.random.default_rng(seed)
    sizes = np.r_[rng.integers(1, 5, n_pos), rng.choice([1, 1, 1, 2], n_neg)]
    labels = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    groups = np.repeat(np.arange(len(sizes)), sizes)
    centres = rng.normal(size=(len(sizes), 2))
    centres[:, 0] += signal * labels
    X = centres[groups] + 0.3 * rng.normal(size=(len(groups), 2))
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
    with pytest.raises(ValueError, match="has 3 samples, fewer than n_splits=5"):
        ev.make_cv(np.array([0] * 20 + [1] * 3))
    with pytest.raises(ValueError, match="Only 3 groups"):
        ev.make_cv(np.repeat([0, 1], 6), np.repeat([0, 1, 2], 4))


# ----------------------------------------------------------------------------------------------
# evaluate: one estimator (pooled out-of-fold), its interval, its baselines
# ----------------------------------------------------------------------------------------------
def test_score_is_the_pooled_oof_score_and_the_interval_is_around_it(signal: tuple) -> None:
    """Issue 10 item 8: the point estimate and the interval must belong to ONE estimator."""
    X, y = signal
    model = make_pipeline(StandardScaler(), LogisticRegression())
    table = ev.evaluate(model, X, y, n_permutations=3, n_bootstrap=300)
    assert list(table.columns) == COLUMNS
    assert list(table.index) == ["balanced_accuracy", "roc_auc", "average_precision"]
    cv = ev.make_cv(y)
    scores = cross_val_predict(model, X, y, cv=cv, method="decision_function")
    labels = cross_val_predict(model, X, y, cv=cv)
    assert table.loc["roc_auc", "score"] == pytest.approx(roc_auc_score(y, scores))
    assert table.loc["average_precision", "score"] == pytest.approx(
        average_precision_score(y, scores)
    )
    assert table.loc["balanced_accuracy", "score"] == pytest.approx(
        balanced_accuracy_score(y, labels)
    )
    # the interval is the bootstrap of that same pooled score, on the same resamples
    same = ev.bootstrap_ci(y, scores, roc_auc_score, n_bootstrap=300)
    assert (table.loc["roc_auc", "ci_low"], table.loc["roc_auc", "ci_high"]) == pytest.approx(
        (same.low, same.high)
    )
    folds = cross_validate(model, X, y, cv=cv, scoring="roc_auc")["test_score"]
    assert table.loc["roc_auc", "fold_std"] == pytest.approx(np.std(folds, ddof=1))
    for metric, row in table.iterrows():
        assert row["ci_low"] <= row["score"] <= row["ci_high"], metric
        assert row["score"] > row["dummy"] + 0.2, metric
        assert row["p_value"] == pytest.approx(1 / 4), metric
    assert table.attrs == {
        "n_splits": 5,
        "n_permutations": 3,
        "n_bootstrap": 300,
        "confidence": 0.95,
        "permutation": "samples",
        "pos_label": 1,
        "n_samples": 240,
        "n_groups": None,
        "splitter": "StratifiedKFold",
        "n_valid": {"balanced_accuracy": 300, "roc_auc": 300, "average_precision": 300},
    }


def test_dummy_is_pooled_oof_on_the_same_folds(signal: tuple) -> None:
    """The dummy is scored like the model: pooled out-of-fold, same folds."""
    X, y = signal
    table = ev.evaluate(LogisticRegression(), X, y, n_permutations=0, n_bootstrap=0)
    prior = cross_val_predict(DummyClassifier(), X, y, cv=ev.make_cv(y), method="predict_proba")
    assert table.loc["roc_auc", "dummy"] == pytest.approx(roc_auc_score(y, prior[:, 1]))
    assert table.loc["balanced_accuracy", "dummy"] == pytest.approx(0.5)
    assert table.loc["average_precision", "dummy"] == pytest.approx(np.mean(y), abs=0.03)


def test_cluster_bootstrap_in_evaluate_widens_the_interval_for_duplicates() -> None:
    """With groups, evaluate's interval resamples whole groups: four copies of each sample
    must not make the interval twice as narrow as it really is."""
    rng = np.random.default_rng(3)
    X1 = rng.normal(size=(80, 3))
    y1 = (X1[:, 0] + rng.normal(size=80) > 0).astype(int)
    X, y, g = np.repeat(X1, 4, axis=0), np.repeat(y1, 4), np.repeat(np.arange(80), 4)
    folds = list(GroupKFold(4, shuffle=True, random_state=0).split(X, y, g))  # same folds
    kw = {"cv": folds, "scoring": "roc_auc", "n_permutations": 0, "n_bootstrap": 400}
    naive = ev.evaluate(LogisticRegression(), X, y, **kw).loc["roc_auc"]
    cluster = ev.evaluate(LogisticRegression(), X, y, groups=g, **kw).loc["roc_auc"]
    assert cluster["score"] == naive["score"]
    width = cluster["ci_high"] - cluster["ci_low"]
    assert width > 1.6 * (naive["ci_high"] - naive["ci_low"])  # about sqrt(4) = 2


def test_resamples_draw_whole_groups() -> None:
    g = np.repeat(np.arange(10), np.arange(1, 11))  # group k has k + 1 samples
    for idx in ev._resamples(len(g), g, 50, 0):
        drawn, counts = np.unique(g[idx], return_counts=True)
        _, members = np.unique(idx, return_counts=True)
        assert len(idx) >= 10 - 1
        assert np.all(counts % (drawn + 1) == 0)  # every sample of a drawn group, equally often
        assert set(np.unique(idx)) == set(np.flatnonzero(np.isin(g, drawn)))


def test_selection_outside_cv_is_inflated_inside_is_not(noise: tuple) -> None:
    X, y = noise
    leaky_X = SelectKBest(f_classif, k=20).fit_transform(X, y)  # selection saw every label
    kw = {"scoring": "balanced_accuracy", "n_bootstrap": 200}
    leaky = ev.evaluate(LogisticRegression(), leaky_X, y, n_permutations=19, **kw)
    honest = ev.evaluate(
        make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression()),
        X,
        y,
        n_permutations=19,
        **kw,
    )
    leaky_row, honest_row = leaky.loc["balanced_accuracy"], honest.loc["balanced_accuracy"]
    assert leaky_row["score"] > 0.75, leaky_row
    assert leaky_row["ci_low"] > 0.6
    # permuting after the leaky selection cannot see the leak: chance scores, smallest p
    assert leaky_row["permuted_mean"] < 0.65
    assert leaky_row["p_value"] == pytest.approx(1 / 20)
    # the honest pipeline, selection refitted on every permutation, is indistinguishable
    assert honest_row["score"] < 0.65
    assert honest_row["ci_low"] < 0.5
    assert honest_row["p_value"] > 0.2
    assert honest_row["permuted_std"] > 0.01  # the labels did move: p > 0.2 alone passes if not


def test_random_split_of_grouped_data_is_inflated_grouped_is_not() -> None:
    X, y, g = lesions()
    model = KNeighborsClassifier(n_neighbors=1)
    kw = {"scoring": "balanced_accuracy", "n_bootstrap": 0}
    random_split = ev.evaluate(model, X, y, n_permutations=0, **kw)
    grouped = ev.evaluate(model, X, y, groups=g, n_permutations=19, **kw)
    assert random_split.loc["balanced_accuracy", "score"] > 0.95
    assert grouped.loc["balanced_accuracy", "score"] < 0.7
    assert grouped.attrs["permutation"] == "groups-by-size"
    assert grouped.attrs["n_groups"] == 60
    assert grouped.loc["balanced_accuracy", "p_value"] > 0.2
    assert grouped.loc["balanced_accuracy", "permuted_std"] > 0.01  # labels did move


def test_evaluate_is_reproducible(signal: tuple) -> None:
    X, y = signal
    kw = {"n_permutations": 2, "n_bootstrap": 100}
    first = ev.evaluate(LogisticRegression(), X, y, **kw)
    second = ev.evaluate(LogisticRegression(), X, y, **kw)
    pd.testing.assert_frame_equal(first, second)
    other = ev.evaluate(LogisticRegression(), X, y, random_state=7, **kw)
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
    assert table.attrs["n_groups"] == 30
    oof = ev.oof_predictions(LogisticRegression(), frame, labels, groups=groups, pos_label="mel")
    assert table.loc["roc_auc", "score"] == pytest.approx(roc_auc_score(y, oof))


def test_pos_label_decides_the_positive_class() -> None:
    rng = np.random.default_rng(5)
    y = np.array(["nv"] * 80 + ["mel"] * 20)
    X = rng.normal(size=(100, 3)) + (y == "mel")[:, None]
    kw = {"n_permutations": 0, "n_bootstrap": 0}
    default = ev.evaluate(LogisticRegression(), X, y, **kw)
    mel = ev.evaluate(LogisticRegression(), X, y, pos_label="mel", **kw)
    assert default.attrs["pos_label"] == "nv"
    assert default.loc["average_precision", "score"] > 0.85
    assert mel.loc["average_precision", "score"] < 0.7
    assert mel.loc["roc_auc", "score"] == pytest.approx(default.loc["roc_auc", "score"])
    with pytest.raises(ValueError, match="not one of the classes"):
        ev.evaluate(LogisticRegression(), X, y, pos_label="bcc")


def test_overlapping_test_folds_are_refused_single_holdout_is_scored(signal: tuple) -> None:
    X, y = signal
    kw = {"n_permutations": 0, "n_bootstrap": 50}
    with pytest.raises(ValueError, match="repeated_cv"):
        ev.evaluate(LogisticRegression(), X, y, cv=ShuffleSplit(4, random_state=0), **kw)
    holdout = ShuffleSplit(1, test_size=0.25, random_state=0)
    table = ev.evaluate(LogisticRegression(), X, y, cv=holdout, **kw)
    assert table.attrs["n_samples"] == 60
    oof = ev.oof_predictions(LogisticRegression(), X, y, cv=holdout)
    tested = np.isfinite(oof)
    assert tested.sum() == 60
    assert table.loc["roc_auc", "score"] == pytest.approx(roc_auc_score(y[tested], oof[tested]))


def test_evaluate_multiclass_and_regression() -> None:
    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, n_clusters_per_class=1, random_state=3
    )
    multi = ev.evaluate(LogisticRegression(), X, y, n_permutations=0, n_bootstrap=50)
    assert list(multi.index) == ["balanced_accuracy", "roc_auc_ovr"]
    assert multi.loc["balanced_accuracy", "dummy"] == pytest.approx(1 / 3, abs=0.05)
    proba = cross_val_predict(LogisticRegression(), X, y, cv=ev.make_cv(y), method="predict_proba")
    assert multi.loc["roc_auc_ovr", "score"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr")
    )
    np.testing.assert_allclose(ev.oof_predictions(LogisticRegression(), X, y), proba)

    Xr, yr = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=4)
    reg = ev.evaluate(Ridge(), Xr, yr, n_permutations=2, n_bootstrap=50)
    assert list(reg.index) == ["r2", "neg_mean_absolute_error"]
    pred = cross_val_predict(Ridge(), Xr, yr, cv=ev.make_cv(yr, classification=False))
    assert reg.loc["r2", "score"] == pytest.approx(r2_score(yr, pred))
    assert reg.loc["r2", "dummy"] <= 0.0
    assert reg.loc["r2", "ci_low"] <= reg.loc["r2", "score"] <= reg.loc["r2", "ci_high"]


def test_evaluate_validates_inputs(signal: tuple) -> None:
    X, y = signal
    model = LogisticRegression()
    with pytest.raises(ValueError, match="groups has a different length"):
        ev.evaluate(model, X, y, groups=np.arange(3))
    with pytest.raises(ValueError, match="confidence"):
        ev.evaluate(model, X, y, n_permutations=0, confidence=1.5)
    with pytest.raises(ValueError, match="X has 240 samples but y has 10"):
        ev.evaluate(model, X, y[:10])
    with pytest.raises(ValueError, match="rarest class"):
        ev.evaluate(model, X[:30], np.r_[np.zeros(27), np.ones(3)], n_bootstrap=0)
    with pytest.raises(ValueError, match="Unknown permutation scheme"):
        ev.evaluate(model, X, y, permutation="lesions")
    with pytest.raises(ValueError, match="needs groups"):
        ev.evaluate(model, X, y, permutation="within-groups")


def test_training_fold_without_a_class_is_refused() -> None:
    X = np.arange(12, dtype=float)[:, None]
    y = np.repeat([0, 1, 2], 4)
    folds = PredefinedSplit(np.r_[0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1])  # fold 1 has no 2
    with pytest.raises(ValueError, match="no sample of class"):
        ev.evaluate(LogisticRegression(), X, y, cv=folds, n_permutations=0, n_bootstrap=0)


def test_fast_metrics_equal_scikit_learn() -> None:
    """The bootstrap uses fast versions of common metrics; they must equal scikit-learn's."""
    rng = np.random.default_rng(8)
    for _ in range(30):
        n = int(rng.integers(5, 60))
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            continue
        score = np.round(rng.normal(size=n), 1)  # many ties
        pred = rng.integers(0, 3, n)
        assert ev._auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
        assert ev._average_precision(y, score) == pytest.approx(
            average_precision_score(y, score), abs=1e-12
        )
        y3 = rng.integers(0, 3, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
            expected = balanced_accuracy_score(y3, pred)
        assert ev._balanced_accuracy(y3, pred) == pytest.approx(expected, abs=1e-12)
        values = rng.normal(size=n)
        assert ev._r2(values, score) == pytest.approx(r2_score(values, score), abs=1e-12)


# ----------------------------------------------------------------------------------------------
# oof_predictions
# ----------------------------------------------------------------------------------------------
def test_oof_predictions_are_the_folds_evaluate_scores() -> None:
    X, y, g = unequal_lesions(0, n_pos=25, n_neg=25, signal=1.5)
    model = LogisticRegression()
    oof = ev.oof_predictions(model, X, y, groups=g)
    expected = cross_val_predict(
        model, X, y, groups=g, cv=ev.make_cv(y, g), method="predict_proba"
    )[:, 1]
    np.testing.assert_allclose(oof, expected)
    table = ev.evaluate(model, X, y, groups=g, n_permutations=0, n_bootstrap=0)
    assert table.loc["roc_auc", "score"] == pytest.approx(roc_auc_score(y, oof))
    words = np.where(y == 1, "mel", "nv")
    labels = ev.oof_predictions(model, X, words, groups=g, method="predict", pos_label="mel")
    assert set(labels) <= {"mel", "nv"}
    with pytest.raises(ValueError, match="Unknown method"):
        ev.oof_predictions(model, X, y, method="predict_log")


# ----------------------------------------------------------------------------------------------
# permute_labels: the class balance and the group structure survive
# ----------------------------------------------------------------------------------------------
def test_groups_by_size_keeps_the_sample_level_class_counts_exactly() -> None:
    """Issue 10 item 4: shuffling labels between lesions of UNEQUAL size changed the share of
    melanoma images; permuting among lesions of equal size keeps it exactly."""
    _, y, g = unequal_lesions(1)
    sizes = np.bincount(g)
    moved = 0
    for seed in range(20):
        permuted = ev.permute_labels(y, g, random_state=seed)
        assert np.bincount(permuted).tolist() == np.bincount(y).tolist()
        for group in np.unique(g):
            assert len(set(permuted[g == group])) == 1  # groups stay homogeneous
        for size in np.unique(sizes):  # labels only move between lesions of the same size
            same = np.isin(g, np.flatnonzero(sizes == size))
            assert (
                np.bincount(permuted[same], minlength=2).tolist()
                == np.bincount(y[same], minlength=2).tolist()
            )
        moved += np.sum(permuted != y)
    assert moved > 0


def test_within_groups_keeps_every_groups_label_mix() -> None:
    _, y, g = lesions(n_groups=20)
    y = y.copy()
    y[g == 0] = [0, 1, 0, 1]  # labels now vary within some groups
    y[g == 1] = [1, 1, 0, 0]
    permuted = ev.permute_labels(y, g, random_state=0)
    for group in np.unique(g):
        assert sorted(permuted[g == group]) == sorted(y[g == group])
    assert not np.array_equal(permuted, y)
    explicit = ev.permute_labels(y, g, scheme="groups-by-size", random_state=0)
    assert np.bincount(explicit).tolist() == np.bincount(y).tolist()
    X = np.random.default_rng(0).normal(size=(len(y), 2))
    with pytest.warns(UserWarning, match="only 8 of 80 samples"):
        ev.permutation_baseline(Centroid(), X, y, groups=g, cv=GroupKFold(3), n_permutations=1)


def test_permute_labels_refuses_impossible_schemes() -> None:
    _, y, g = lesions(n_groups=10)
    with pytest.raises(ValueError, match="constant within every group"):
        ev.permute_labels(y, g, scheme="within-groups")
    with pytest.raises(ValueError, match="No two groups of the same size"):
        ev.permute_labels([1, 1, 0, 0, 0], [1, 1, 2, 2, 2])
    with pytest.raises(ValueError, match="needs groups"):
        ev.permute_labels(y, scheme="groups-by-size")
    with pytest.raises(ValueError, match="groups has a different length"):
        ev.permute_labels(y, g[:-1])
    with pytest.raises(ValueError, match="single value"):
        ev.permute_labels(np.ones(5))
    assert sorted(ev.permute_labels(y, g, scheme="samples", random_state=0)) == sorted(y)


def test_permutation_p_values_are_uniform_under_the_null() -> None:
    """Issue 10 item 4: 60 null data sets with unequal lesion sizes (positives larger), 9
    permutations each: P(p <= 0.1) and P(p <= 0.5) must be 0.1 and 0.5. Shuffling lesions
    regardless of size lowers the permuted AUPRC (fewer positive images), so almost every p
    falls at or below 0.5 (checked: 98 %)."""
    p_values = []
    for seed in range(60):
        X, y, g = unequal_lesions(seed)
        result = ev.permutation_baseline(
            Centroid(),
            X,
            y,
            groups=g,
            cv=GroupKFold(3, shuffle=True, random_state=seed),
            scoring="average_precision",
            n_permutations=9,
            random_state=seed,
        )
        assert result.scheme == "groups-by-size"
        p_values.append(result.p_value["average_precision"])
    p_values = np.array(p_values)
    for level in (0.1, 0.5):
        hits = int(np.sum(p_values <= level + 1e-9))
        assert stats.binomtest(hits, len(p_values), level).pvalue > 0.01, (level, hits)


def test_permutation_detects_group_level_signal_and_keeps_the_baseline() -> None:
    """A lesion-level signal with unequal lesion sizes: the real score beats every
    permutation, and the permuted AUPRC does not fall below the dummy's (the image-level
    prevalence is kept). Shuffling lesions regardless of size gave 0.49 against a dummy of
    0.69. (It lies above the dummy: lesion size predicts the label here, and a permutation
    among lesions of equal size keeps that link.)"""
    X, y, g = unequal_lesions(4, n_pos=30, n_neg=30, signal=2.0)
    table = ev.evaluate(
        LogisticRegression(),
        X,
        y,
        groups=g,
        scoring=["average_precision", "roc_auc"],
        n_permutations=19,
        n_bootstrap=0,
    )
    assert table.attrs["permutation"] == "groups-by-size"
    ap = table.loc["average_precision"]
    assert ap["score"] > ap["dummy"] + 0.2
    np.testing.assert_allclose(table["p_value"], 1 / 20)
    assert ap["dummy"] - 0.03 < ap["permuted_mean"] < ap["score"] - 0.1
    # scikit-learn shuffles within groups: with one label per lesion, nothing moves
    real, within, _ = permutation_test_score(
        LogisticRegression(), X, y, groups=g, cv=ev.make_cv(y, g), n_permutations=2
    )
    np.testing.assert_allclose(within, real)  # the trap that "groups-by-size" avoids


class CountingSplitter(StratifiedGroupKFold):
    """A stratified grouped splitter that counts how often it is asked to split."""

    calls = 0

    def split(self, X, y=None, groups=None):
        type(self).calls += 1
        return super().split(X, y, groups)


def test_permuted_copies_are_scored_on_the_real_grouped_folds() -> None:
    """The dummy and every permuted refit use the folds of the real analysis: split once."""
    X, y, g = unequal_lesions(2, n_pos=20, n_neg=20, signal=1.0)
    CountingSplitter.calls = 0
    cv = CountingSplitter(3, shuffle=True, random_state=0)
    ev.evaluate(Centroid(), X, y, groups=g, cv=cv, n_permutations=3, n_bootstrap=0)
    assert CountingSplitter.calls == 1


# ----------------------------------------------------------------------------------------------
# bootstrap_ci and paired_bootstrap
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


def test_paired_bootstrap_of_identical_models_is_exactly_zero() -> None:
    rng = np.random.default_rng(13)
    y = rng.integers(0, 2, 80)
    score = y + rng.normal(size=80)
    res = ev.paired_bootstrap(y, score, score.copy(), roc_auc_score, n_bootstrap=300)
    assert (res.difference, res.low, res.high, res.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert res.estimate_a == res.estimate_b == pytest.approx(roc_auc_score(y, score))


def test_paired_bootstrap_sees_a_difference_that_overlapping_intervals_hide() -> None:
    """Issue 10 item 7: two correlated models whose separate intervals overlap, but whose
    paired difference is clearly positive."""
    rng = np.random.default_rng(14)
    n = 300
    y = rng.integers(0, 2, n)
    shared = y + rng.normal(size=n)  # both models see the same signal and the same noise
    a = shared + 0.25 * y
    b = shared + 0.1 * rng.normal(size=n)
    ci_a = ev.bootstrap_ci(y, a, roc_auc_score, n_bootstrap=300)
    ci_b = ev.bootstrap_ci(y, b, roc_auc_score, n_bootstrap=300)
    assert ci_a.low < ci_b.high  # the two intervals overlap...
    paired = ev.paired_bootstrap(y, a, b, roc_auc_score, n_bootstrap=300)
    assert paired.low > 0  # ...but the paired interval of the difference excludes zero
    assert paired.p_value < 0.01
    assert paired.difference == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b))


def test_paired_bootstrap_resamples_groups() -> None:
    rng = np.random.default_rng(15)
    y = rng.integers(0, 2, 100)
    a = y + rng.normal(size=100)
    b = y + rng.normal(size=100)
    rep = (np.repeat(y, 4), np.repeat(a, 4), np.repeat(b, 4))
    g = np.repeat(np.arange(100), 4)
    naive = ev.paired_bootstrap(*rep, roc_auc_score, n_bootstrap=200)
    cluster = ev.paired_bootstrap(*rep, roc_auc_score, groups=g, n_bootstrap=200)
    assert (cluster.high - cluster.low) > 1.6 * (naive.high - naive.low)


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


def test_learning_curve_subsets_hold_every_class_at_the_smallest_size() -> None:
    """Issue 10 item 5: at 12 of 300 training samples, random subsets of six classes miss
    some; stratified subsets hold at least min_per_class of every class."""
    rng = np.random.default_rng(16)
    y = np.repeat(np.arange(6), [100, 80, 60, 60, 50, 25])
    X = np.column_stack([np.arange(len(y)), rng.normal(size=(len(y), 3)) + y[:, None]])
    Spy.seen = []
    table = ev.learning_curve_table(
        make_pipeline(Spy()), X, y, cv=3, train_sizes=[12, 125], scoring="accuracy"
    )
    assert table["n_train"].iloc[0] == 12
    for _, labels in Spy.seen:
        assert np.bincount(labels, minlength=6).min() >= 2
    small = [labels for _, labels in Spy.seen if len(labels) == 12]
    assert len(small) == 3
    # larger subsets keep the training fold's class shares
    half = [labels for _, labels in Spy.seen if len(labels) > 12]
    for labels in half:
        np.testing.assert_allclose(
            np.bincount(labels) / len(labels), np.bincount(y) / 375, atol=0.02
        )


def test_learning_curve_subsamples_whole_groups() -> None:
    X, y, g = unequal_lesions(5, n_pos=40, n_neg=40, signal=1.0)
    Xid = np.column_stack([np.arange(len(y)), X])
    Spy.seen = []
    ev.learning_curve_table(Spy(), Xid, y, groups=g, train_sizes=[0.3, 1.0], min_per_class=3)
    for ids, labels in Spy.seen:
        chosen = g[ids.astype(int)]
        assert np.isin(np.flatnonzero(np.isin(g, chosen)), ids.astype(int)).all()  # whole
        assert min(len(set(chosen[labels == c])) for c in (0, 1)) >= 3  # groups per class


def test_learning_curve_names_the_smallest_feasible_size() -> None:
    y = np.repeat(np.arange(6), 20)
    X = np.random.default_rng(0).normal(size=(120, 2))
    with pytest.raises(ValueError, match="smallest feasible size is 12 samples"):
        ev.learning_curve_table(LogisticRegression(), X, y, train_sizes=[0.05, 1.0])


def test_learning_curve_grouped_has_no_memorisation_gain() -> None:
    X, y, g = lesions()
    model = KNeighborsClassifier(n_neighbors=1)
    grouped = ev.learning_curve_table(model, X, y, groups=g, train_sizes=[0.5, 1.0])
    ungrouped = ev.learning_curve_table(model, X, y, train_sizes=[0.5, 1.0])
    assert (ungrouped["validation_mean"] > 0.8).all()
    assert (grouped["validation_mean"] < 0.7).all()


# ----------------------------------------------------------------------------------------------
# repeated_cv
# ----------------------------------------------------------------------------------------------
def test_repeated_cv_uses_the_corrected_resampled_t(signal: tuple) -> None:
    X, y = signal
    table = ev.repeated_cv(LogisticRegression(), X, y, scoring="roc_auc", n_repeats=4)
    folds = table.attrs["fold_scores"]
    assert len(folds) == 20 and table.loc["roc_auc", "n_folds"] == 20
    scores = folds["roc_auc"].to_numpy()
    assert table.loc["roc_auc", "mean"] == pytest.approx(scores.mean())
    ratio = 48 / 192
    half = stats.t.ppf(0.975, 19) * np.sqrt((1 / 20 + ratio) * scores.var(ddof=1))
    assert table.loc["roc_auc", "ci_low"] == pytest.approx(scores.mean() - half)
    assert table.loc["roc_auc", "ci_high"] == pytest.approx(scores.mean() + half)
    # every repetition is a k-fold partition with its own seed, and fold scores are sklearn's
    first = folds[folds["repeat"] == 0]["roc_auc"].to_numpy()
    seed = np.random.default_rng(SEED)
    cv = ev.make_cv(y, random_state=int(seed.integers(0, 2**31 - 1, 4)[0]))
    expected = cross_validate(LogisticRegression(), X, y, cv=cv, scoring="roc_auc")["test_score"]
    np.testing.assert_allclose(first, expected)
    assert folds.groupby("repeat")["roc_auc"].mean().nunique() > 1
    # the tables can be concatenated although their attrs hold DataFrames
    assert len(pd.concat({"a": table, "b": table.copy()})) == 2


def test_interval_coverage_on_simulated_studies() -> None:
    """The coverage that repeated_cv's and evaluate's docstrings state (n = 60, two Gaussian
    classes, nearest-centroid rule, accuracy), re-checked on 200 simulated studies. Target:
    the procedure's expected accuracy at the training size of a fold, computed exactly.
    Nominal 95 %: the corrected repeated-CV interval covers it in about 94 % of studies, the
    pooled out-of-fold bootstrap in about 90 %, the uncorrected t-interval in about 57 %
    (1,000 studies). Dropping the Nadeau-Bengio correction fails this test."""
    rng = np.random.default_rng(0)
    delta, n = np.array([0.8, 0.0, 0.0]), 60
    k = int(n * 0.8) // 2  # training samples per class in a fold
    m1 = delta + rng.normal(size=(200_000, 3)) / np.sqrt(k)
    m0 = rng.normal(size=(200_000, 3)) / np.sqrt(k)
    w, c = m1 - m0, (m1 + m0) / 2
    norm = np.linalg.norm(w, axis=1)
    truth = np.mean(
        stats.norm.cdf(np.sum(w * (delta - c), axis=1) / norm) / 2
        + stats.norm.cdf(np.sum(w * c, axis=1) / norm) / 2
    )
    hits = {"corrected": 0, "naive": 0, "bootstrap": 0}
    for r in range(200):
        y = np.repeat([0, 1], n // 2)
        X = rng.normal(size=(n, 3)) + y[:, None] * delta
        table = ev.repeated_cv(Centroid(), X, y, scoring="accuracy", n_repeats=5, random_state=r)
        low, high = table.loc["accuracy", ["ci_low", "ci_high"]]
        hits["corrected"] += low <= truth <= high
        folds = table.attrs["fold_scores"]["accuracy"].to_numpy()
        half = stats.t.ppf(0.975, len(folds) - 1) * folds.std(ddof=1) / np.sqrt(len(folds))
        hits["naive"] += folds.mean() - half <= truth <= folds.mean() + half
        pooled = ev.evaluate(
            Centroid(),
            X,
            y,
            scoring="accuracy",
            n_permutations=0,
            n_bootstrap=300,
            random_state=r,
        ).loc["accuracy"]
        hits["bootstrap"] += pooled["ci_low"] <= truth <= pooled["ci_high"]
    coverage = {key: value / 200 for key, value in hits.items()}
    assert coverage["corrected"] >= 0.9, coverage
    assert coverage["bootstrap"] < 0.93, coverage  # under-covers
    assert coverage["corrected"] > coverage["bootstrap"], coverage
    assert coverage["naive"] < 0.7, coverage
