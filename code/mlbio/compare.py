"""Paired comparison of models: is model A better than model B on these data.

Two models evaluated on the same samples make correlated errors: the same hard cases trip
both.  Their difference must therefore be estimated **paired** (same folds, same resamples,
same samples), never read off two intervals that overlap or not.  Overlapping 95 % intervals
are compatible with a clear difference, and the interval of the difference is usually much
narrower than either interval.

Public functions
----------------
:func:`compare_models`
    Several pipelines on the same folds: each one's pooled out-of-fold score with its
    interval, and every pairwise difference with its paired (cluster) bootstrap interval and
    p-value.
:func:`corrected_resampled_ttest`
    Paired comparison of per-fold scores from repeated cross-validation, with the variance
    correction of Nadeau & Bengio (2003) (see :func:`mlbio.evaluation.repeated_cv`).
:func:`delong_test`, :func:`delong_ci`
    DeLong's test of two correlated AUROCs and the DeLong interval of one AUROC (DeLong,
    DeLong & Clarke-Pearson, 1988), with the fast algorithm of Sun & Xu (2014).

References
----------
DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas under two or
more correlated receiver operating characteristic curves: a nonparametric approach.
*Biometrics*, 44(3), 837-845.

Nadeau, C. & Bengio, Y. (2003). Inference for the generalization error. *Machine Learning*,
52(3), 239-281.

Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing the areas
under correlated receiver operating characteristic curves. *IEEE Signal Processing Letters*,
21(11), 1389-1393.

"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import BaseEstimator, is_classifier

from mlbio import SEED
from mlbio.evaluation import (
    _as_labels,
    _AttrDict,
    _bootstrap_values,
    _check_confidence,
    _corrected_t,
    _oof_outputs,
    _paired_summary,
    _percentile_interval,
    _prepare,
    _score,
    _statistic,
    _tested,
    _wanted_methods,
)

__all__ = [
    "DeLongInterval",
    "DeLongResult",
    "TTestResult",
    "compare_models",
    "corrected_resampled_ttest",
    "delong_ci",
    "delong_test",
]

#: The minus sign in the names of difference rows of :func:`compare_models` ("A − B").
MINUS = " \N{MINUS SIGN} "


# --------------------------------------------------------------------------------------------
# Several pipelines on the same folds
# --------------------------------------------------------------------------------------------
def compare_models(
    models: Mapping[str, BaseEstimator],
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,
    scoring: str | Callable = "roc_auc",
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    pos_label: Any = None,
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Compare pipelines on the same folds, with paired intervals of their differences.

    Every model is cross-validated on the **same** folds (those of
    :func:`mlbio.evaluation.evaluate` for the same arguments) and scored on its pooled
    out-of-fold predictions.  All models are then scored on the **same** bootstrap resamples
    (whole groups when ``groups`` are given), which gives each model's percentile interval
    and, for every pair, the interval of the difference: a paired bootstrap, as in
    :func:`mlbio.evaluation.paired_bootstrap`.

    Parameters
    ----------
    models
        ``{name: pipeline}``; all classifiers or all regressors.  The order of the mapping
        sets the direction of the differences: for names A before B, the row "A − B".
    X, y
        Features and labels (or values).
    groups
        Group labels: grouped folds and a cluster bootstrap.
    cv
        ``None`` or an int for :func:`mlbio.evaluation.make_cv`, or a splitter whose test
        folds do not overlap.
    scoring
        One scorer name (default AUROC) or scorer.
    n_bootstrap
        Bootstrap resamples (0 to skip intervals and p-values).
    confidence
        Coverage of the intervals.
    pos_label
        For two classes, the positive class.
    random_state
        Seed of the default splitter and of the bootstrap.
    n_jobs
        Folds fitted in parallel (joblib).

    Returns
    -------
    pandas.DataFrame
        One row per model, then one per pair, indexed by name (``"A − B"`` for a pair, with a
        Unicode minus sign, :data:`MINUS`).  Columns: ``kind`` (``"model"`` or
        ``"difference"``), ``score`` (pooled out-of-fold score, or the difference of two),
        ``ci_low``, ``ci_high`` (percentile bootstrap; for a difference, of the paired
        differences) and ``p_value`` (two-sided paired-bootstrap p-value of "no difference";
        NaN for a model).  ``attrs["oof"]`` maps each model's name to its out-of-fold
        outputs (as :func:`mlbio.evaluation.oof_predictions` returns them), ``attrs["pairs"]``
        each difference row to its ``(A, B)``; ``attrs`` also records ``scoring``,
        ``n_splits``, ``n_bootstrap``, ``confidence``, ``pos_label``, ``n_samples`` and
        ``n_groups``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=120, random_state=0)
    >>> table = compare_models(
    ...     {"logistic": LogisticRegression(), "dummy": DummyClassifier()}, X, y,
    ...     n_bootstrap=200,
    ... )
    >>> table["kind"].tolist()
    ['model', 'model', 'difference']
    >>> table.index[2]
    'logistic − dummy'

    """
    if len(models) < 2:
        raise ValueError("compare_models needs at least two models, as a {name: model} dict.")
    _check_confidence(confidence)
    names = list(models)
    kinds = {is_classifier(m) for m in models.values()}
    if len(kinds) > 1:
        raise ValueError("Mix of classifiers and regressors: compare models of one kind.")
    if not isinstance(scoring, str) and not callable(scoring):
        raise ValueError("compare_models takes one metric: a scorer name or a scorer.")
    task = _prepare(
        models[names[0]],
        X,
        y,
        groups=groups,
        cv=cv,
        scoring=scoring,
        pos_label=pos_label,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    tested = _tested(task.splits, len(task.y))
    wanted = _wanted_methods(task.scorers)
    wanted.append(("predict_proba", "decision_function", "predict") if kinds == {True} else ())
    replays = {
        name: _oof_outputs(task, task.y, task.splits, estimator=model, wanted=wanted)
        for name, model in models.items()
    }
    metric = next(iter(task.scorers))
    scores = {name: _score(task, metric, r, task.y, tested) for name, r in replays.items()}
    grp = None if task.groups is None else task.groups[tested]
    values: dict[str, np.ndarray] = {}
    if n_bootstrap > 0:
        statistics = {
            name: _statistic(task, metric, replay, task.y, tested)
            for name, replay in replays.items()
        }
        values = _bootstrap_values(statistics, len(tested), grp, n_bootstrap, random_state)

    rows, pairs = [], {}
    for name in names:
        low, high, _ = (
            _percentile_interval(values[name], confidence) if values else (np.nan, np.nan, 0)
        )
        rows.append(
            {"name": name, "kind": "model", "score": scores[name], "ci_low": low, "ci_high": high}
        )
    for a, b in combinations(names, 2):
        label = f"{a}{MINUS}{b}"
        pairs[label] = (a, b)
        low = high = p_value = np.nan
        if values:
            low, high, p_value, _ = _paired_summary(values[a], values[b], confidence)
        rows.append(
            {
                "name": label,
                "kind": "difference",
                "score": scores[a] - scores[b],
                "ci_low": low,
                "ci_high": high,
                "p_value": p_value,
            }
        )
    table = pd.DataFrame(rows, columns=["name", "kind", "score", "ci_low", "ci_high", "p_value"])
    table = table.set_index("name")
    oof = _AttrDict()
    for name, replay in replays.items():
        oof[name] = _main_output(replay.outputs, task.pos_label is not None)
    table.attrs.update(
        oof=oof,
        pairs=pairs,
        scoring=scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score"),
        n_splits=len(task.splits),
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        pos_label=task.pos_label,
        n_samples=len(tested),
        n_groups=None if grp is None else len(np.unique(grp)),
    )
    return table


def _main_output(outputs: Mapping[str, np.ndarray], binary: bool) -> np.ndarray:
    """Probabilities (positive class for two classes), else decision values, else predictions."""
    for method in ("predict_proba", "decision_function", "predict"):
        if method in outputs:
            out = outputs[method]
            return out[:, 1] if binary and method == "predict_proba" else out
    raise ValueError("The model produced no outputs.")


# --------------------------------------------------------------------------------------------
# Corrected resampled t-test
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TTestResult:
    """The corrected resampled t-test of a mean difference between two models.

    Attributes
    ----------
    mean_difference : float
        Mean of ``scores_a - scores_b`` over the folds.
    low, high : float
        Interval of the mean difference (corrected standard error, t quantile).
    t : float
        Test statistic of "no difference".
    df : int
        Degrees of freedom (number of folds - 1).
    p_value : float
        Two-sided p-value.

    """

    mean_difference: float
    low: float
    high: float
    t: float
    df: int
    p_value: float


def corrected_resampled_ttest(
    scores_a: ArrayLike,
    scores_b: ArrayLike,
    *,
    n_train: float | ArrayLike,
    n_test: float | ArrayLike,
    confidence: float = 0.95,
) -> TTestResult:
    """Compare two models' per-fold scores from repeated cross-validation (Nadeau & Bengio).

    The ``J`` fold scores of repeated cross-validation are not independent: the folds share
    training samples (and, across repetitions, test samples).  The ordinary paired t-test
    divides the variance of the differences by ``J`` and rejects far too often.  Nadeau &
    Bengio (2003) correct the variance to ``(1/J + n_test/n_train) s²``, with ``s²`` the
    variance of the per-fold differences, and keep ``J - 1`` degrees of freedom.  The two
    models must have been scored on the same folds, e.g. with the same ``random_state`` in
    :func:`mlbio.evaluation.repeated_cv` (``attrs["fold_scores"]`` holds the scores and sizes).

    Parameters
    ----------
    scores_a, scores_b
        Per-fold scores of models A and B, fold by fold on the same folds.
    n_train, n_test
        Training and test sizes of the folds (numbers, or one per fold: their means are used).
    confidence
        Coverage of the interval of the mean difference.

    Returns
    -------
    TTestResult
        ``mean_difference``, ``low``, ``high``, ``t``, ``df``, ``p_value``.

    Examples
    --------
    >>> a = [0.80, 0.82, 0.78, 0.85, 0.81, 0.79, 0.83, 0.80, 0.84, 0.82]
    >>> b = [0.78, 0.80, 0.79, 0.82, 0.80, 0.78, 0.80, 0.79, 0.81, 0.80]
    >>> r = corrected_resampled_ttest(a, b, n_train=80, n_test=20)
    >>> round(r.mean_difference, 3), r.df
    (0.017, 9)

    """
    _check_confidence(confidence)
    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"scores_a and scores_b must be 1-D with one score per fold, in the same order; "
            f"got shapes {a.shape} and {b.shape}."
        )
    n_train_mean = float(np.mean(n_train))
    n_test_mean = float(np.mean(n_test))
    if n_train_mean <= 0 or n_test_mean <= 0:
        raise ValueError("n_train and n_test must be positive sample counts.")
    mean, _, t, p_value, low, high, df = _corrected_t(a - b, n_test_mean / n_train_mean, confidence)
    return TTestResult(mean, low, high, float(t), int(df), p_value)


# --------------------------------------------------------------------------------------------
# DeLong
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeLongResult:
    """DeLong's test of two correlated AUROCs (same samples, two scores).

    Attributes
    ----------
    auc_a, auc_b : float
        AUROC of each score.
    difference : float
        ``auc_a - auc_b``.
    se : float
        DeLong standard error of the difference.
    low, high : float
        Normal-approximation interval of the difference.
    z : float
        ``difference / se``.
    p_value : float
        Two-sided p-value of "equal AUROCs" (1 when the scores rank the samples identically).

    """

    auc_a: float
    auc_b: float
    difference: float
    se: float
    low: float
    high: float
    z: float
    p_value: float


@dataclass(frozen=True)
class DeLongInterval:
    """An AUROC with its DeLong interval (the fields of a bootstrap result, plus ``se``).

    Attributes
    ----------
    estimate : float
        The AUROC.
    low, high : float
        Normal-approximation interval, clipped to [0, 1].
    confidence : float
        Nominal coverage.
    se : float
        DeLong standard error of the AUROC.

    """

    estimate: float
    low: float
    high: float
    confidence: float
    se: float


def _binary(y_true: ArrayLike, pos_label: Any) -> np.ndarray:
    """``y_true`` as a boolean "is positive" array, with clear errors."""
    y = _as_labels(y_true)
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(
            f"The AUROC needs exactly two classes in y_true; found {len(classes)}: "
            f"{classes.tolist()[:10]}."
        )
    if pos_label is None:
        pos_label = classes[1]
    elif pos_label not in set(classes.tolist()):
        raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes.tolist()}.")
    return y == pos_label


def _delong(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROCs and their DeLong covariance matrix, by midranks (Sun & Xu, 2014).

    ``scores`` has one row per model.  The placement value of a positive is the share of
    negatives it outranks (ties count one half), that of a negative the share of positives
    that outrank it; each AUROC is the mean placement, and its covariance is
    ``S10 / m + S01 / n`` (DeLong et al., 1988), from the covariances of the placements.
    Sun & Xu compute the placements from three midrankings in O(N log N).
    """
    pos, neg = scores[:, positive], scores[:, ~positive]
    m, n = pos.shape[1], neg.shape[1]
    tx = stats.rankdata(pos, axis=1)
    ty = stats.rankdata(neg, axis=1)
    tz = stats.rankdata(np.hstack([pos, neg]), axis=1)
    auc = (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:, :m] - tx) / n  # positives: share of negatives below
    v01 = 1 - (tz[:, m:] - ty) / m  # negatives: share of positives above
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return auc, cov


def _check_scores(positive: np.ndarray, *scores: ArrayLike) -> np.ndarray:
    arrays = [np.asarray(s, dtype=float) for s in scores]
    for s in arrays:
        if s.ndim != 1 or len(s) != len(positive):
            raise ValueError(
                f"Each score must be 1-D with one value per sample ({len(positive)}); "
                f"got shape {s.shape}."
            )
        if not np.all(np.isfinite(s)):
            raise ValueError("Scores contain NaN or infinite values.")
    if min(positive.sum(), (~positive).sum()) < 2:
        raise ValueError("DeLong's variance needs at least two samples of each class.")
    return np.vstack(arrays)


def delong_test(
    y_true: ArrayLike,
    score_a: ArrayLike,
    score_b: ArrayLike,
    *,
    confidence: float = 0.95,
    pos_label: Any = None,
) -> DeLongResult:
    """Compare two correlated AUROCs on the same samples (DeLong et al., 1988).

    The two scores (e.g. out-of-fold probabilities of two pipelines on the same folds, or a
    model and an existing clinical score) rank the same samples; DeLong's nonparametric
    covariance of the two AUROCs gives the standard error of their difference, a z-test and a
    normal-approximation interval.  Computed with the midrank algorithm of Sun & Xu (2014).
    The samples are taken as independent: with several samples per patient, use the cluster
    bootstrap of :func:`mlbio.evaluation.paired_bootstrap` instead.

    Parameters
    ----------
    y_true
        Two-class labels.
    score_a, score_b
        Scores of the two models (higher = more likely positive), one per sample.
    confidence
        Coverage of the interval of the difference.
    pos_label
        The positive class (default: the second in sorted order).

    Returns
    -------
    DeLongResult
        ``auc_a``, ``auc_b``, ``difference``, ``se``, ``low``, ``high``, ``z``, ``p_value``.

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1, 0, 1]
    >>> a = [0.1, 0.3, 0.2, 0.8, 0.7, 0.4, 0.6, 0.9]
    >>> r = delong_test(y, a, a)
    >>> r.difference, r.p_value
    (0.0, 1.0)

    """
    _check_confidence(confidence)
    positive = _binary(y_true, pos_label)
    auc, cov = _delong(positive, _check_scores(positive, score_a, score_b))
    difference = float(auc[0] - auc[1])
    variance = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(variance, 0.0)))
    if se <= 1e-12 * max(1.0, abs(difference)):
        z = 0.0 if difference == 0 else float(np.copysign(np.inf, difference))
        p_value = 1.0 if difference == 0 else 0.0
        se = 0.0
    else:
        z = difference / se
        p_value = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    return DeLongResult(
        float(auc[0]), float(auc[1]), difference, se, difference - half, difference + half, z,
        p_value,
    )  # fmt: skip


def delong_ci(
    y_true: ArrayLike,
    score: ArrayLike,
    *,
    confidence: float = 0.95,
    pos_label: Any = None,
) -> DeLongInterval:
    """AUROC with its DeLong confidence interval (DeLong et al., 1988; Sun & Xu, 2014).

    The standard error is DeLong's nonparametric one (the variance of the Mann-Whitney
    statistic from its placement values); the interval is ``AUROC ± z × se``, clipped to
    [0, 1].  Samples are taken as independent (see :func:`delong_test`).

    Parameters
    ----------
    y_true
        Two-class labels.
    score
        Scores (higher = more likely positive), one per sample.
    confidence
        Coverage of the interval.
    pos_label
        The positive class (default: the second in sorted order).

    Returns
    -------
    DeLongInterval
        ``estimate``, ``low``, ``high``, ``confidence``, ``se``.

    Examples
    --------
    >>> r = delong_ci([0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.5, 0.7])
    >>> round(r.estimate, 4), r.low <= r.estimate <= r.high
    (0.875, True)

    """
    _check_confidence(confidence)
    positive = _binary(y_true, pos_label)
    auc, cov = _delong(positive, _check_scores(positive, score))
    se = float(np.sqrt(max(cov[0, 0], 0.0)))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    estimate = float(auc[0])
    return DeLongInterval(
        estimate, max(0.0, estimate - half), min(1.0, estimate + half), confidence, se
    )
