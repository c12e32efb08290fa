"""Honest evaluation of a scikit-learn model in one call: leakage-safe, with baselines and CIs.

The whole book evaluates models the same way:

* the **whole** modelling recipe (scaling, imputation, feature selection, the model) is one
  :class:`~sklearn.pipeline.Pipeline`, refitted inside every cross-validation split, so that no
  information from a test fold reaches training;
* related samples (same patient, same lesion, same hospital) stay on one side of every split
  (``groups``);
* the point estimate is the score of the **pooled out-of-fold predictions** (every sample
  predicted once, by the model that did not see it), and its interval is a bootstrap of that
  same score (whole groups resampled when there are groups);
* every score comes with a **baseline**: a :class:`~sklearn.dummy.DummyClassifier` on the same
  folds, and the same pipeline refitted on permuted labels.

Public functions
----------------
:func:`make_cv`
    The book's default splitter for a task: stratified, grouped when groups are given, seeded.
:func:`evaluate`
    Everything above in one tidy table, one row per metric.
:func:`oof_predictions`
    The pooled out-of-fold outputs that :func:`evaluate` scores.
:func:`permute_labels`, :func:`permutation_baseline`
    Labels permuted so that the class balance and the group structure survive, and the scores
    of the pipeline refitted on them (with the permutation p-value).
:func:`bootstrap_ci`, :func:`paired_bootstrap`
    Percentile bootstrap interval of a metric, and of the difference between two models scored
    on the same resamples (optionally resampling whole groups).
:func:`learning_curve_table`
    Validation (and training) score against training-set size, on stratified subsets.
:func:`repeated_cv`
    Repeated cross-validation with the corrected resampled-t interval of Nadeau & Bengio (2003).

All of them share one internal preparation (labels encoded, scorers and folds built once), so
that :func:`evaluate`, :func:`oof_predictions`, :func:`permutation_baseline` and
:func:`mlbio.compare.compare_models` score exactly the same folds for the same arguments.

References
----------
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*. Cambridge
University Press (section 3.8, resampling clustered data).

Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data. *Journal of the Royal
Statistical Society B*, 69(3), 369-390.

Nadeau, C. & Bengio, Y. (2003). Inference for the generalization error. *Machine Learning*,
52(3), 239-281.

Ojala, M. & Garriga, G. C. (2010). Permutation tests for studying classifier performance.
*Journal of Machine Learning Research*, 11, 1833-1863.

Bates, S., Hastie, T. & Tibshirani, R. (2024). Cross-validation: what does it estimate and how
well does it do it? *Journal of the American Statistical Association*.

"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from scipy import stats
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
)
from sklearn.utils.metaestimators import available_if

from mlbio import SEED

Scoring = str | Sequence[str] | Mapping[str, Callable[..., float]] | None
Scheme = Literal["auto", "samples", "groups-by-size", "within-groups"]
Method = Literal["auto", "predict", "predict_proba", "decision_function"]

#: The permutation schemes of :func:`permute_labels` (besides ``"auto"``).
SCHEMES: tuple[str, ...] = ("samples", "groups-by-size", "within-groups")
_METHODS: tuple[str, ...] = ("predict", "predict_proba", "decision_function")

__all__ = [
    "SCHEMES",
    "BootstrapResult",
    "PairedBootstrapResult",
    "PermutationResult",
    "bootstrap_ci",
    "evaluate",
    "learning_curve_table",
    "make_cv",
    "oof_predictions",
    "paired_bootstrap",
    "permutation_baseline",
    "permute_labels",
    "repeated_cv",
]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _as_labels(values: ArrayLike | None) -> np.ndarray | None:
    """Labels or groups as a plain NumPy array (pandas 3 string columns are Arrow-backed)."""
    if values is None:
        return None
    if isinstance(values, pd.Series | pd.Index):
        arr = values.to_numpy()
        return arr.astype(object) if arr.dtype.kind not in "biuf" else arr
    return np.asarray(values)


def _n_rows(X: Any) -> int:
    """Count the samples of ``X`` (a DataFrame, an array or a list of rows)."""
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _take(X: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of ``X`` (a DataFrame, or anything NumPy can index)."""
    return X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]


def _encode_binary(y: np.ndarray, classification: bool, pos_label: Any) -> tuple[np.ndarray, Any]:
    """Recode two-class labels as 0/1 with ``pos_label`` as 1, so that every scorer agrees.

    scikit-learn's scorers take the second class in sorted order as positive, and some (average
    precision) insist on ``pos_label=1`` unless told otherwise; with labels such as
    ``"mel"``/``"nv"`` the positive class must be stated.  Other targets pass through.
    """
    if not classification:
        if pos_label is not None:
            raise ValueError("pos_label is only meaningful for a classifier.")
        return y, None
    classes = np.unique(y)
    if len(classes) != 2:
        if pos_label is not None:
            raise ValueError(
                f"pos_label is only meaningful for two classes; y has {len(classes)}: "
                f"{classes.tolist()[:10]}."
            )
        return y, None
    if pos_label is None:
        pos_label = classes.tolist()[1]  # a Python scalar, not a NumPy one
    elif pos_label not in set(classes.tolist()):
        raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes.tolist()}.")
    return (y == pos_label).astype(int), pos_label


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95; got {confidence!r}.")


def _p_value(real: float, permuted: np.ndarray) -> float:
    """``(1 + #{permuted >= real}) / (1 + k)``: never 0, exact under exchangeability."""
    permuted = np.asarray(permuted, dtype=float)
    if not np.isfinite(real) or len(permuted) == 0:
        return np.nan
    return float((np.sum(permuted >= real) + 1) / (len(permuted) + 1))


class _AttrFrame(pd.DataFrame):
    """A DataFrame stored in another table's ``attrs``.

    ``pd.concat`` compares the ``attrs`` of its inputs with ``==``; two DataFrames compared
    that way give a DataFrame whose truth value is ambiguous, and the concatenation fails.
    Two frames of this class compare equal only if they are the same object (the concatenated
    table then drops the differing attrs, as pandas does); everything else is a DataFrame.
    """

    @property
    def _constructor(self) -> type[_AttrFrame]:
        return _AttrFrame

    def __eq__(self, other: object) -> Any:
        if isinstance(other, _AttrFrame):
            return self is other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


class _AttrDict(dict):
    """A dict of arrays stored in ``attrs``, compared by identity (see :class:`_AttrFrame`)."""

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# Splitters
# --------------------------------------------------------------------------------------------
def make_cv(
    y: ArrayLike,
    groups: ArrayLike | None = None,
    *,
    n_splits: int = 5,
    classification: bool = True,
    random_state: int | None = SEED,
) -> KFold | StratifiedKFold | GroupKFold | StratifiedGroupKFold:
    """Return the book's default cross-validation splitter for a task.

    ============== ===================== =========================
    task           without ``groups``    with ``groups``
    ============== ===================== =========================
    classification ``StratifiedKFold``   ``StratifiedGroupKFold``
    regression     ``KFold``             ``GroupKFold``
    ============== ===================== =========================

    All of them shuffle with ``random_state``, so that reruns give the same folds.

    Parameters
    ----------
    y
        Targets; for classification, every class needs at least ``n_splits`` samples.
    groups
        One label per sample (patient, lesion, hospital...): samples that share a label are
        always kept in the same fold.
    n_splits
        Number of folds.
    classification
        Stratify on ``y`` (keep class proportions similar across folds).
    random_state
        Seed of the shuffling.

    Returns
    -------
    sklearn.model_selection.BaseCrossValidator
        A splitter to pass as ``cv`` (with ``groups`` to its ``split``).

    Raises
    ------
    ValueError
        If a class has fewer than ``n_splits`` samples, or there are fewer groups than folds.

    Examples
    --------
    >>> make_cv([0, 1] * 10, n_splits=4)
    StratifiedKFold(n_splits=4, random_state=20260101, shuffle=True)

    """
    y_arr = _as_labels(y)
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2, got {n_splits}.")
    if classification:
        classes, counts = np.unique(y_arr, return_counts=True)
        if counts.min() < n_splits:
            rare = classes[np.argmin(counts)]
            raise ValueError(
                f"The rarest class ({rare!r}) has {counts.min()} samples, fewer than "
                f"n_splits={n_splits}; use fewer folds or merge rare classes."
            )
    if groups is None:
        kind = StratifiedKFold if classification else KFold
        return kind(n_splits=n_splits, shuffle=True, random_state=random_state)
    grp = _as_labels(groups)
    if len(grp) != len(y_arr):
        raise ValueError(f"groups has {len(grp)} labels but y has {len(y_arr)}: one per sample.")
    n_groups = len(np.unique(grp))
    if n_groups < n_splits:
        raise ValueError(f"Only {n_groups} groups for n_splits={n_splits}; use fewer folds.")
    if classification:
        return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return GroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)


def _default_scoring(y: np.ndarray, classification: bool) -> list[str]:
    """Metrics that suit the task (and imbalance): see :func:`evaluate`."""
    if not classification:
        return ["r2", "neg_mean_absolute_error"]
    if len(np.unique(y)) == 2:
        return ["balanced_accuracy", "roc_auc", "average_precision"]
    return ["balanced_accuracy", "roc_auc_ovr"]


def _scorers(scoring: Scoring, y: np.ndarray, classification: bool) -> dict[str, Callable]:
    """Normalise ``scoring`` to an ordered ``{name: scorer}`` dict."""
    if scoring is None:
        scoring = _default_scoring(y, classification)
    if isinstance(scoring, str):
        scoring = [scoring]
    if isinstance(scoring, Mapping):
        return {name: check_scoring(None, scoring=s) for name, s in scoring.items()}
    if callable(scoring):
        return {getattr(scoring, "__name__", "score"): scoring}
    return {name: get_scorer(name) for name in scoring}


def _resolve_cv(
    cv: Any,
    y: np.ndarray,
    groups: np.ndarray | None,
    classification: bool,
    random_state: int | None,
) -> Any:
    """``None`` or an int -> :func:`make_cv`; anything else -> scikit-learn's ``check_cv``."""
    if cv is None or isinstance(cv, int | np.integer):
        n_splits = 5 if cv is None else int(cv)
        return make_cv(
            y, groups, n_splits=n_splits, classification=classification, random_state=random_state
        )
    return check_cv(cv, y, classifier=classification)


# --------------------------------------------------------------------------------------------
# The task: everything the functions of this module prepare in the same way, once
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Task:
    """A prepared evaluation problem: encoded labels, scorers and the folds, built once."""

    estimator: BaseEstimator
    X: Any
    y: np.ndarray  # encoded: 0/1 for two classes (1 = pos_label), else as given
    groups: np.ndarray | None
    classification: bool
    classes: np.ndarray | None  # the (encoded) classes, sorted
    labels: np.ndarray | None  # the original label of each encoded class
    pos_label: Any
    scorers: dict[str, Callable]
    builtin: frozenset[str]  # names of scorers given by their scikit-learn name
    splitter: Any
    splits: list[tuple[np.ndarray, np.ndarray]]  # materialised once, reused by every refit
    n_jobs: int | None


def _materialise(splitter: Any, X: Any, y: np.ndarray, groups: np.ndarray | None) -> list:
    return [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y, groups)]


def _prepare(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None,
    cv: Any,
    scoring: Scoring,
    pos_label: Any,
    random_state: int | None,
    n_jobs: int | None,
) -> _Task:
    """Validate the inputs and build the task shared by every function of this module."""
    y_arr = _as_labels(y)
    if y_arr is None or y_arr.ndim != 1:
        raise ValueError("y must be one-dimensional: one label or value per sample.")
    n = _n_rows(X)
    if len(y_arr) != n:
        raise ValueError(f"X has {n} samples but y has {len(y_arr)}.")
    grp = _as_labels(groups)
    if grp is not None and len(grp) != n:
        raise ValueError(
            f"groups has a different length ({len(grp)}) than y ({n}): give one group label "
            "per sample."
        )
    if grp is not None and pd.isna(pd.Series(grp)).any():
        raise ValueError("groups contains missing values; give every sample a group label.")
    classification = is_classifier(estimator)
    original = y_arr
    y_arr, positive = _encode_binary(y_arr, classification, pos_label)
    classes = labels = None
    if classification:
        classes = np.unique(y_arr)
        if len(classes) < 2:
            raise ValueError(f"y has a single class ({classes.tolist()}); nothing to predict.")
        if positive is not None:
            labels = np.array([original[y_arr == 0][0], positive], dtype=object)
        else:
            labels = classes
    splitter = _resolve_cv(cv, y_arr, grp, classification, random_state)
    splits = _materialise(splitter, X, y_arr, grp)
    if scoring is None or isinstance(scoring, str):
        builtin = frozenset(
            _default_scoring(y_arr, classification) if scoring is None else [scoring]
        )
    elif isinstance(scoring, Mapping):
        builtin = frozenset(k for k, v in scoring.items() if isinstance(v, str) and k == v)
    elif callable(scoring):
        builtin = frozenset()
    else:
        builtin = frozenset(scoring)
    return _Task(
        estimator=estimator,
        X=X,
        y=y_arr,
        groups=grp,
        classification=classification,
        classes=classes,
        labels=labels,
        pos_label=positive,
        scorers=_scorers(scoring, y_arr, classification),
        builtin=builtin,
        splitter=splitter,
        splits=splits,
        n_jobs=n_jobs,
    )


def _tested(splits: list, n: int) -> np.ndarray:
    """Return the samples predicted once; refuse folds whose test sets overlap."""
    seen = np.zeros(n, dtype=int)
    for _, test in splits:
        seen[test] += 1
    if seen.max() > 1:
        raise ValueError(
            "Some samples are in several test folds (repeated or shuffle-split CV), so there "
            "is no single out-of-fold prediction to pool. Use a k-fold splitter here, and "
            "repeated_cv for repeated cross-validation."
        )
    return np.flatnonzero(seen == 1)


# --------------------------------------------------------------------------------------------
# Out-of-fold outputs, computed once per refit
# --------------------------------------------------------------------------------------------
def _wanted_methods(scorers: Mapping[str, Callable]) -> list[tuple[str, ...]]:
    """For each scorer, the prediction methods it may call, in scikit-learn's order of choice."""
    wanted = []
    for scorer in scorers.values():
        method = getattr(scorer, "_response_method", None)
        if method is None:  # a plain callable: give it everything the model has
            wanted.extend((m,) for m in _METHODS)
        elif isinstance(method, str):
            wanted.append((method,))
        else:
            wanted.append(tuple(method))
    return wanted


def _fit_fold(
    estimator: BaseEstimator,
    X: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    wanted: list[tuple[str, ...]],
    classes: np.ndarray | None,
    fold: int,
) -> dict[str, np.ndarray]:
    """Fit a clone on ``train`` and return the outputs the scorers need on ``test``."""
    model = clone(estimator).fit(_take(X, train), y[train])
    if classes is not None:
        fitted = np.asarray(getattr(model, "classes_", classes))
        if len(fitted) != len(classes) or np.any(fitted != classes):
            missing = sorted(set(classes.tolist()) - set(fitted.tolist()))
            raise ValueError(
                f"The training part of fold {fold} has no sample of class(es) {missing}, so its "
                "outputs cannot be pooled with the other folds'. Use a stratified splitter "
                "(the default) or fewer folds."
            )
    methods = []
    for options in wanted:
        available = [m for m in options if hasattr(model, m)]
        if available and available[0] not in methods:
            methods.append(available[0])
    X_test = _take(X, test)
    return {m: np.asarray(getattr(model, m)(X_test)) for m in methods}


def _oof_outputs(
    task: _Task,
    y: np.ndarray,
    splits: list,
    *,
    estimator: BaseEstimator | None = None,
    wanted: list[tuple[str, ...]] | None = None,
) -> _Replay:
    """Fit ``estimator`` (default: the task's) once per split; pool the test-fold outputs."""
    estimator = task.estimator if estimator is None else estimator
    wanted = _wanted_methods(task.scorers) if wanted is None else wanted
    n = len(y)
    jobs = (
        delayed(_fit_fold)(estimator, task.X, y, train, test, wanted, task.classes, i + 1)
        for i, (train, test) in enumerate(splits)
    )
    if task.n_jobs in (None, 1):
        parts = [fn(*args, **kwargs) for fn, args, kwargs in jobs]
    else:
        parts = Parallel(n_jobs=task.n_jobs)(jobs)
    common = [m for m in _METHODS if all(m in part for part in parts)]
    outputs: dict[str, np.ndarray] = {}
    for method in common:
        first = parts[0][method]
        if first.dtype.kind in "fc":
            out = np.full((n, *first.shape[1:]), np.nan, dtype=first.dtype)
        else:
            out = np.zeros((n, *first.shape[1:]), dtype=first.dtype)
        for part, (_, test) in zip(parts, splits, strict=True):
            out[test] = part[method]
        outputs[method] = out
    kind = _ClassifierReplay if task.classification else _RegressorReplay
    return kind(outputs, task.classes)


class _Replay(BaseEstimator):
    """Stands in for the cross-validated model: returns stored out-of-fold outputs.

    ``X`` given to its methods is an array of sample indices.  This lets scikit-learn's own
    scorers (with their choice of ``predict_proba`` or ``decision_function`` and of the
    positive class) score the pooled out-of-fold predictions, single folds and bootstrap
    resamples.
    """

    def __init__(self, outputs: dict[str, np.ndarray], classes: np.ndarray | None) -> None:
        self.outputs = outputs
        self.classes = classes
        if classes is not None:
            self.classes_ = classes

    def fit(self, X: Any, y: Any = None) -> _Replay:
        return self

    @available_if(lambda self: "predict" in self.outputs)
    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.outputs["predict"][np.asarray(X)]

    @available_if(lambda self: "predict_proba" in self.outputs)
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.outputs["predict_proba"][np.asarray(X)]

    @available_if(lambda self: "decision_function" in self.outputs)
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.outputs["decision_function"][np.asarray(X)]


class _ClassifierReplay(ClassifierMixin, _Replay):
    pass


class _RegressorReplay(RegressorMixin, _Replay):
    pass


# --------------------------------------------------------------------------------------------
# Fast versions of common metrics, for the many evaluations of a bootstrap
# --------------------------------------------------------------------------------------------
def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """Binary AUROC as the Mann-Whitney statistic with midranks (ties count one half)."""
    positive = y == 1
    m = int(positive.sum())
    n = len(y) - m
    if m == 0 or n == 0:
        return np.nan
    ranks = stats.rankdata(score)
    return float((ranks[positive].sum() - m * (m + 1) / 2) / (m * n))


def _average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision as scikit-learn computes it (step-wise, one step per threshold)."""
    order = np.argsort(-score, kind="mergesort")
    y_sorted, s_sorted = y[order] == 1, score[order]
    total = int(y_sorted.sum())
    if total == 0:
        return np.nan
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]  # end of each tie block
    tps = np.cumsum(y_sorted)[last]
    precision = tps / (last + 1)
    recall_steps = np.diff(np.r_[0, tps]) / total
    return float(np.sum(recall_steps * precision))


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y``."""
    classes, codes = np.unique(y, return_inverse=True)
    hits = np.bincount(codes, weights=(pred == y), minlength=len(classes))
    return float(np.mean(hits / np.bincount(codes, minlength=len(classes))))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    residual = float(np.sum((y - pred) ** 2))
    if total == 0:
        return 1.0 if residual == 0 else 0.0  # scikit-learn's force_finite convention
    return 1 - residual / total


_FAST_METRICS: dict[str, tuple[tuple[str, ...], Callable[[np.ndarray, np.ndarray], float]]] = {
    "roc_auc": (("decision_function", "predict_proba"), _auc),
    "average_precision": (("decision_function", "predict_proba"), _average_precision),
    "accuracy": (("predict",), lambda y, p: float(np.mean(y == p))),
    "balanced_accuracy": (("predict",), _balanced_accuracy),
    "r2": (("predict",), _r2),
    "neg_mean_absolute_error": (("predict",), lambda y, p: -float(np.mean(np.abs(y - p)))),
    "neg_mean_squared_error": (("predict",), lambda y, p: -float(np.mean((y - p) ** 2))),
}


def _statistic(
    task: _Task, name: str, replay: _Replay, y: np.ndarray, tested: np.ndarray
) -> Callable[[np.ndarray], float]:
    """``statistic(idx)``: the metric ``name`` on the samples ``tested[idx]``.

    Metrics requested by their scikit-learn name are computed by the fast versions above
    (equal to scikit-learn's up to rounding; see the tests), others by the scorer itself.
    """
    fast = _FAST_METRICS.get(name) if name in task.builtin else None
    if fast is not None:
        methods, metric = fast
        method = next((m for m in methods if m in replay.outputs), None)
        binary = task.pos_label is not None
        if method is not None and (binary or methods == ("predict",)):
            out = replay.outputs[method][tested]
            if method == "predict_proba":
                out = out[:, 1]
            y_t = y[tested]
            return lambda idx: metric(y_t[idx], out[idx])
    scorer = task.scorers[name]
    return lambda idx: scorer(replay, tested[idx], y[tested[idx]])


def _score(task: _Task, name: str, replay: _Replay, y: np.ndarray, idx: np.ndarray) -> float:
    """Score the metric ``name`` on the samples ``idx``; NaN where it is undefined."""
    try:
        return float(_statistic(task, name, replay, y, idx)(np.arange(len(idx))))
    except ValueError:  # e.g. AUROC of a test fold with one class
        return np.nan


def _scores(task: _Task, replay: _Replay, y: np.ndarray, idx: np.ndarray) -> dict[str, float]:
    """Every metric of the task on the samples ``idx``."""
    return {name: _score(task, name, replay, y, idx) for name in task.scorers}


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapResult:
    """A point estimate with its percentile bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        The metric on the full sample.
    low, high : float
        Bounds of the interval.
    confidence : float
        Nominal coverage, e.g. 0.95.
    n_valid : int
        Resamples on which the metric was defined (e.g. AUROC needs both classes).

    """

    estimate: float
    low: float
    high: float
    confidence: float
    n_valid: int


@dataclass(frozen=True)
class PairedBootstrapResult:
    """Two models scored on the same bootstrap resamples, and their difference.

    Attributes
    ----------
    estimate_a, estimate_b : float
        The metric of each model on the full sample.
    difference : float
        ``estimate_a - estimate_b``.
    low, high : float
        Percentile bootstrap interval of the difference.
    p_value : float
        Two-sided bootstrap p-value of "no difference" (see :func:`paired_bootstrap`).
    confidence : float
        Nominal coverage of the interval.
    n_valid : int
        Resamples on which both metrics were defined.

    """

    estimate_a: float
    estimate_b: float
    difference: float
    low: float
    high: float
    p_value: float
    confidence: float
    n_valid: int


def _group_members(groups: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Integer codes of ``groups`` and, per group, the indices of its samples."""
    _, codes = np.unique(groups, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return codes, np.split(order, bounds)


def _resamples(
    n: int, groups: np.ndarray | None, n_bootstrap: int, random_state: Any
) -> Iterator[np.ndarray]:
    """Bootstrap index arrays: ``n`` samples with replacement, or whole groups (clusters).

    The cluster bootstrap draws as many groups as there are, with replacement, and takes every
    sample of each drawn group (Davison & Hinkley, 1997, section 3.8; Field & Welsh, 2007):
    it keeps the dependence between the samples of one patient or lesion inside each resample.
    """
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be positive, got {n_bootstrap!r}.")
    rng = np.random.default_rng(random_state)
    if groups is None:
        for _ in range(n_bootstrap):
            yield rng.integers(0, n, size=n)
        return
    _, members = _group_members(groups)
    sizes = np.array([len(m) for m in members])
    order = np.concatenate(members)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for _ in range(n_bootstrap):
        chosen = rng.integers(0, len(members), size=len(members))
        lengths = sizes[chosen]
        offsets = np.cumsum(lengths) - lengths
        within = np.arange(lengths.sum()) - np.repeat(offsets, lengths)
        yield order[np.repeat(starts[chosen], lengths) + within]


def _bootstrap_values(
    statistics: Mapping[str, Callable[[np.ndarray], float]],
    n: int,
    groups: np.ndarray | None,
    n_bootstrap: int,
    random_state: Any,
) -> dict[str, np.ndarray]:
    """Every statistic on the same resamples; NaN where it is undefined."""
    values = {name: np.full(n_bootstrap, np.nan) for name in statistics}
    # The inputs were validated once; skipping scikit-learn's per-call parameter checks makes
    # each of the many metric evaluations faster without changing its result.
    with warnings.catch_warnings(), config_context(skip_parameter_validation=True):
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for b, idx in enumerate(_resamples(n, groups, n_bootstrap, random_state)):
            for name, statistic in statistics.items():
                try:
                    values[name][b] = float(statistic(idx))
                except ValueError:  # e.g. only one class in the resample
                    continue
    return values


def _percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float, int]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return np.nan, np.nan, 0
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high), len(finite)


def _check_pair(y_true: ArrayLike, y_pred: ArrayLike, groups: ArrayLike | None) -> tuple:
    y_true_arr = _as_labels(y_true)
    y_pred_arr = np.asarray(y_pred)
    if len(y_true_arr) != len(y_pred_arr):
        raise ValueError(
            f"y_true and y_pred have different lengths ({len(y_true_arr)} and {len(y_pred_arr)})."
        )
    grp = _as_labels(groups)
    if grp is not None and len(grp) != len(y_true_arr):
        raise ValueError(
            f"groups has a different length ({len(grp)}) than y_true ({len(y_true_arr)})."
        )
    return y_true_arr, y_pred_arr, grp


def bootstrap_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    metric: Callable[[np.ndarray, np.ndarray], float],
    *,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int | None = SEED,
) -> BootstrapResult:
    """Percentile bootstrap confidence interval of ``metric(y_true, y_pred)``.

    Resample the test samples with replacement ``n_bootstrap`` times and take the quantiles
    of the metric.  With ``groups``, whole groups are resampled (a cluster bootstrap; Davison
    & Hinkley, 1997; Field & Welsh, 2007), since samples of one patient or lesion are not
    independent: resampling them one by one would make the interval too narrow.

    The interval reflects sampling variation of the **test set only**, for the fitted
    model(s) that produced ``y_pred``; it does not include the variation due to refitting
    on another training set (see :func:`repeated_cv`).

    Parameters
    ----------
    y_true
        True labels or values.
    y_pred
        Predictions, scores or probabilities, as ``metric`` expects them (same first axis).
    metric
        A function ``metric(y_true, y_pred) -> float``, e.g.
        :func:`sklearn.metrics.roc_auc_score`.
    groups
        Optional group labels; resample groups instead of samples.
    n_bootstrap
        Number of resamples; 1000 gives stable 95 % bounds for most uses.
    confidence
        Nominal coverage of the interval.
    random_state
        Seed of the resampling.

    Returns
    -------
    BootstrapResult
        ``estimate`` on the full sample, ``low``, ``high``, ``confidence`` and ``n_valid``
        (resamples where the metric was defined, e.g. that contained both classes).

    Examples
    --------
    >>> from sklearn.metrics import accuracy_score
    >>> r = bootstrap_ci([0, 1, 1, 0, 1, 0], [0, 1, 0, 0, 1, 1], accuracy_score)
    >>> round(r.estimate, 3)
    0.667
    >>> r.low <= r.estimate <= r.high
    True

    """
    _check_confidence(confidence)
    y_true_arr, y_pred_arr, grp = _check_pair(y_true, y_pred, groups)
    estimate = float(metric(y_true_arr, y_pred_arr))
    values = _bootstrap_values(
        {"m": lambda idx: metric(y_true_arr[idx], y_pred_arr[idx])},
        len(y_true_arr),
        grp,
        n_bootstrap,
        random_state,
    )["m"]
    low, high, n_valid = _percentile_interval(values, confidence)
    return BootstrapResult(estimate, low, high, confidence, n_valid)


def _paired_summary(
    a: np.ndarray, b: np.ndarray, confidence: float
) -> tuple[float, float, float, int]:
    """Percentile interval and two-sided p-value of ``a - b`` over resamples valid for both."""
    diff = a - b
    diff = diff[np.isfinite(diff)]
    if len(diff) == 0:
        return np.nan, np.nan, np.nan, 0
    low, high, n_valid = _percentile_interval(diff, confidence)
    below = (np.sum(diff <= 0) + 1) / (n_valid + 1)
    above = (np.sum(diff >= 0) + 1) / (n_valid + 1)
    return low, high, float(min(1.0, 2 * min(below, above))), n_valid


def paired_bootstrap(
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    metric: Callable[[np.ndarray, np.ndarray], float],
    *,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    random_state: int | None = SEED,
) -> PairedBootstrapResult:
    """Paired bootstrap of the difference ``metric(a) - metric(b)`` between two models.

    Both models' predictions of the **same** samples are scored on the **same** resamples, so
    the interval is that of the difference itself.  Two separate intervals that overlap say
    nothing about the difference: the two scores are strongly correlated (same samples, same
    hard cases), and the interval of the difference is usually much narrower than either.
    With ``groups``, whole groups are resampled (a cluster bootstrap, see :func:`bootstrap_ci`).

    The p-value inverts the percentile interval: it is twice the smaller of the shares of
    resampled differences at or below zero and at or above zero (each counted as
    ``(1 + count) / (1 + n_valid)``, capped at 1), so it falls below ``1 - confidence`` when
    the interval excludes zero.  Two identical models get a difference of 0 and p = 1.

    Parameters
    ----------
    y_true
        True labels or values.
    pred_a, pred_b
        Predictions (or scores, probabilities) of models A and B for the same samples, e.g.
        out-of-fold outputs from :func:`oof_predictions` on the same folds.
    metric
        ``metric(y_true, pred) -> float``, e.g. :func:`sklearn.metrics.roc_auc_score`.
    groups
        Optional group labels; resample whole groups.
    n_bootstrap
        Number of resamples.
    confidence
        Nominal coverage of the interval of the difference.
    random_state
        Seed of the resampling.

    Returns
    -------
    PairedBootstrapResult
        ``estimate_a``, ``estimate_b``, ``difference``, ``low``, ``high``, ``p_value``,
        ``confidence``, ``n_valid``.

    Examples
    --------
    >>> from sklearn.metrics import roc_auc_score
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1]
    >>> a = [0.1, 0.2, 0.8, 0.7, 0.3, 0.9, 0.4, 0.6]
    >>> r = paired_bootstrap(y, a, a, roc_auc_score, n_bootstrap=200)
    >>> r.difference, r.p_value
    (0.0, 1.0)

    """
    _check_confidence(confidence)
    y_arr, a_arr, grp = _check_pair(y_true, pred_a, groups)
    _, b_arr, _ = _check_pair(y_true, pred_b, None)
    est_a = float(metric(y_arr, a_arr))
    est_b = float(metric(y_arr, b_arr))
    values = _bootstrap_values(
        {
            "a": lambda idx: metric(y_arr[idx], a_arr[idx]),
            "b": lambda idx: metric(y_arr[idx], b_arr[idx]),
        },
        len(y_arr),
        grp,
        n_bootstrap,
        random_state,
    )
    low, high, p_value, n_valid = _paired_summary(values["a"], values["b"], confidence)
    return PairedBootstrapResult(
        est_a, est_b, est_a - est_b, low, high, p_value, confidence, n_valid
    )


# --------------------------------------------------------------------------------------------
# Permutations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PermutationResult:
    """Scores of a model on the real labels and on permuted labels.

    Attributes
    ----------
    score : dict of str to float
        Pooled out-of-fold score on the real labels, per metric.
    permuted : pandas.DataFrame
        One row per permutation, one column per metric (pooled out-of-fold scores).
    p_value : dict of str to float
        ``(1 + #{permuted >= real}) / (1 + n_permutations)`` per metric: the chance of a score
        at least this good if the labels carried no information.
    scheme : str
        How the labels were permuted: ``"samples"``, ``"groups-by-size"`` or
        ``"within-groups"`` (see :func:`permute_labels`).

    """

    score: dict[str, float]
    permuted: pd.DataFrame
    p_value: dict[str, float]
    scheme: str


def _resolve_scheme(y: np.ndarray, groups: np.ndarray | None, scheme: str) -> str:
    """Resolve ``"auto"`` and check that the scheme can change the labels."""
    if scheme not in ("auto", *SCHEMES):
        raise ValueError(f"Unknown permutation scheme {scheme!r}; use 'auto' or one of {SCHEMES}.")
    if len(np.unique(y)) < 2:
        raise ValueError("y holds a single value: no permutation can change it.")
    if groups is None:
        if scheme in ("groups-by-size", "within-groups"):
            raise ValueError(f"The permutation scheme {scheme!r} needs groups.")
        return "samples"
    codes, members = _group_members(groups)
    constant = np.array([np.all(y[m] == y[m[0]]) for m in members])
    if scheme == "auto":
        scheme = "groups-by-size" if constant.all() else "within-groups"
    if scheme == "within-groups" and constant.all():
        raise ValueError(
            "The labels are constant within every group, so shuffling them within groups "
            "changes nothing (the trap of scikit-learn's permutation_test_score with groups). "
            "Use 'groups-by-size'."
        )
    if scheme == "groups-by-size":
        signature = [(len(m), tuple(sorted(np.asarray(y[m]).tolist()))) for m in members]
        by_size: dict[int, set] = {}
        for size, labels in signature:
            by_size.setdefault(size, set()).add(labels)
        if all(len(kinds) < 2 for kinds in by_size.values()):
            raise ValueError(
                "No two groups of the same size have different labels, so permuting labels "
                "among groups of equal size cannot change them. Use scheme='samples' (which "
                "breaks the group structure) if that is the question."
            )
    return scheme


def _warn_if_few_move(y: np.ndarray, groups: np.ndarray | None, scheme: str) -> None:
    """Warn when shuffling within groups can move only a minority of the labels."""
    if scheme != "within-groups":
        return
    _, members = _group_members(groups)
    movable = sum(len(m) for m in members if np.any(y[m] != y[m[0]]))
    if movable < len(y) / 2:
        warnings.warn(
            f"Labels vary within groups holding only {movable} of {len(y)} samples, so the "
            "within-groups permutation leaves most labels in place and the permuted scores "
            "stay close to the real one. To test for any association between features and "
            "labels, use permutation='groups-by-size'.",
            UserWarning,
            stacklevel=3,
        )


def _permute(
    y: np.ndarray, groups: np.ndarray | None, scheme: str, rng: np.random.Generator
) -> np.ndarray:
    """One permuted copy of ``y`` under a resolved, feasible ``scheme``."""
    if scheme == "samples":
        return y[rng.permutation(len(y))]
    _, members = _group_members(groups)
    out = y.copy()
    if scheme == "within-groups":
        for m in members:
            if len(m) > 1:
                out[m] = y[m[rng.permutation(len(m))]]
        return out
    # groups-by-size: every group receives the labels of a random group of the same size
    sizes = np.array([len(m) for m in members])
    for size in np.unique(sizes):
        same = np.flatnonzero(sizes == size)
        donors = same[rng.permutation(len(same))]
        for receiver, donor in zip(same, donors, strict=True):
            labels = y[members[donor]]
            out[members[receiver]] = labels[rng.permutation(size)] if size > 1 else labels
    return out


def permute_labels(
    y: ArrayLike,
    groups: ArrayLike | None = None,
    *,
    scheme: Scheme = "auto",
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Return a permuted copy of the labels that keeps the class balance and the groups.

    A permutation test (Ojala & Garriga, 2010) compares a score with the scores of the same
    analysis on labels that carry no information.  For its p-value to be valid, the permuted
    data must be what the real data could have been under "no association": same number of
    samples of each class, same group structure.  The schemes:

    ``"samples"``
        Shuffle the labels across all samples (the default without groups).
    ``"groups-by-size"``
        Every group receives the labels of another group **of the same size** (chosen by a
        random permutation within each size).  With one label per group (one diagnosis per
        lesion or patient), whole groups swap their label, the groups stay homogeneous, and
        the number of samples of each class stays **exactly** the same.  Shuffling group
        labels among groups of unequal size would not: if melanomas have more images per
        lesion than naevi, the melanoma share of images would drop under permutation, and
        permuted accuracy or average precision would measure that shift, not chance.
        If labels vary within groups, a group receives the whole label mix of a group of
        the same size (in random order), and the class counts are still kept exactly.
        Because labels move only among groups of equal size, a link between a group's size
        and its label survives the permutation: the null hypothesis is "the features say
        nothing about the label beyond what the group's size says".  When size predicts the
        label (in HAM10000, melanomas were photographed more often than naevi) and the
        features can tell sizes apart (e.g. through the clinic that took the photographs),
        the permuted scores lie well above the textbook chance level; the real score must be
        compared with them.
    ``"within-groups"``
        Shuffle the labels inside each group: every group keeps its own label mix, hence the
        prevalence is kept in every group.  This is what scikit-learn's
        :func:`~sklearn.model_selection.permutation_test_score` does with ``groups``.  It
        tests whether the features tell apart the samples **within** a group (e.g. the
        visits of a patient that ended differently); the association between a group and
        its labels survives the permutation, so the permuted scores keep whatever the model
        gets from recognising groups, and the test says nothing about that part.  With one
        label per group it changes nothing and is refused.
    ``"auto"``
        No groups: ``"samples"``.  Labels constant within every group: ``"groups-by-size"``.
        Otherwise: ``"within-groups"`` (the only scheme that keeps each group's label mix);
        ask for ``"groups-by-size"`` explicitly to test for any association.

    Parameters
    ----------
    y
        Labels (or values), one per sample.
    groups
        Group labels, one per sample, or ``None``.
    scheme
        ``"auto"``, ``"samples"``, ``"groups-by-size"`` or ``"within-groups"``.
    random_state
        Seed or generator of the permutation.

    Returns
    -------
    numpy.ndarray
        The permuted labels, in the order of ``y``.

    Raises
    ------
    ValueError
        For an unknown scheme, a group scheme without groups, or a scheme that cannot change
        the labels (e.g. ``"within-groups"`` with one label per group, or ``"groups-by-size"``
        when no two groups of equal size have different labels).

    Examples
    --------
    >>> y = ["mel", "mel", "mel", "mel", "nv", "nv", "nv", "nv"]
    >>> lesion = [1, 1, 1, 2, 3, 4, 5, 5]  # lesion 1 photographed three times, 5 twice
    >>> permuted = permute_labels(y, lesion, random_state=0)
    >>> sorted(permuted.tolist()) == sorted(y)  # the class counts are kept exactly
    True
    >>> permuted[:3].tolist()  # no other lesion has three images: its label stays
    ['mel', 'mel', 'mel']

    """
    y_arr = _as_labels(y)
    grp = _as_labels(groups)
    if grp is not None and len(grp) != len(y_arr):
        raise ValueError(
            f"groups has a different length ({len(grp)}) than y ({len(y_arr)}): give one group "
            "label per sample."
        )
    resolved = _resolve_scheme(y_arr, grp, scheme)
    return _permute(y_arr, grp, resolved, np.random.default_rng(random_state))


def _permuted_scores(
    task: _Task, n_permutations: int, scheme: str, random_state: Any
) -> pd.DataFrame:
    """Pooled out-of-fold scores of the task's pipeline refitted on permuted labels.

    Every permuted copy is scored on the folds of the real analysis, like the dummy.
    scikit-learn's ``permutation_test_score`` re-splits each copy instead; with a stratified
    splitter that re-stratifies the folds on the permuted labels, and a stratified grouped
    split of a few thousand samples costs as much as a model fit.
    """
    rng = np.random.default_rng(random_state)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for _ in range(n_permutations):
            y_perm = _permute(task.y, task.groups, scheme, rng)
            replay = _oof_outputs(task, y_perm, task.splits)
            rows.append(_scores(task, replay, y_perm, _tested(task.splits, len(y_perm))))
    return pd.DataFrame(rows, columns=list(task.scorers), dtype=float)


def permutation_baseline(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,
    scoring: Scoring = None,
    n_permutations: int = 30,
    pos_label: Any = None,
    permutation: Scheme = "auto",
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> PermutationResult:
    """Refit the whole pipeline on permuted labels: the score a model gets from no signal.

    The test of Ojala & Garriga (2010), as in
    :func:`sklearn.model_selection.permutation_test_score`, with three differences that matter
    for biomedical data:

    * the statistic is the pooled out-of-fold score, the point estimate of :func:`evaluate`,
      and several metrics are scored from the same refits;
    * with ``groups``, labels are permuted so that the class counts and the groups survive
      (:func:`permute_labels`): between groups of equal size when each group has one label,
      within groups otherwise.  scikit-learn always shuffles within groups, which leaves
      one-label-per-group data unchanged and makes the "permuted" score equal to the real one;
    * every permuted copy is scored on the folds of the real analysis (grouped folds stay
      grouped), where scikit-learn re-splits each copy.

    Parameters
    ----------
    estimator
        The full modelling recipe, ideally a :class:`~sklearn.pipeline.Pipeline`.
    X, y
        Features and labels.
    groups
        Group labels (kept together by grouped splitters, and used for the permutation).
    cv
        ``None`` or an int for :func:`make_cv`, or any scikit-learn splitter whose test folds
        do not overlap.
    scoring
        A scorer name, a list of names or a ``{name: scorer}`` dict; ``None`` picks metrics
        that suit the task (see :func:`evaluate`).
    n_permutations
        Number of permutations.  The smallest attainable p-value is ``1 / (n + 1)``: 30 gives
        about 0.03; when no permutation matched the real score, say so rather than "p < 0.05".
    pos_label
        For two classes, the positive class (see :func:`evaluate`).
    permutation
        The scheme of :func:`permute_labels` (default ``"auto"``).
    random_state
        Seed of the splits (if ``cv`` is built here) and of the permutations.
    n_jobs
        Folds fitted in parallel (joblib).

    Returns
    -------
    PermutationResult
        ``score`` (real pooled out-of-fold scores), ``permuted`` (one row per permutation),
        ``p_value`` and ``scheme``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> result = permutation_baseline(
    ...     LogisticRegression(), X, y, scoring="roc_auc", n_permutations=9
    ... )
    >>> result.scheme, result.p_value["roc_auc"]  # no permutation matched: 1 / (9 + 1)
    ('samples', 0.1)

    """
    task = _prepare(
        estimator,
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
    scheme = _resolve_scheme(task.y, task.groups, permutation)
    _warn_if_few_move(task.y, task.groups, scheme)
    real = _scores(task, _oof_outputs(task, task.y, task.splits), task.y, tested)
    table = _permuted_scores(task, n_permutations, scheme, random_state)
    p_value = {name: _p_value(real[name], table[name].to_numpy()) for name in task.scorers}
    return PermutationResult(real, table, p_value, scheme)


# --------------------------------------------------------------------------------------------
# Out-of-fold predictions and the one-call evaluation
# --------------------------------------------------------------------------------------------
def oof_predictions(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,
    method: Method = "auto",
    pos_label: Any = None,
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Out-of-fold outputs of the pipeline, on exactly the folds :func:`evaluate` uses.

    Each sample is predicted once, by the pipeline fitted on the folds that do not contain it.
    These are the predictions whose score :func:`evaluate` reports; pass them to
    :func:`paired_bootstrap`, :func:`mlbio.compare.delong_test` or a calibration plot.

    Parameters
    ----------
    estimator
        The full pipeline.
    X, y
        Features and labels (or values).
    groups
        Group labels, kept on one side of every split.
    cv
        ``None`` or an int for :func:`make_cv`, or any splitter whose test folds do not
        overlap.  Samples in no test fold get NaN.
    method
        ``"auto"``: for two classes the probability of ``pos_label`` (or the decision
        function, if the model has no ``predict_proba``), shape ``(n,)``; for more classes the
        ``(n, k)`` probabilities (columns in sorted class order); for a regressor the
        predictions.  Or ``"predict"``, ``"predict_proba"``, ``"decision_function"`` for that
        method's raw output (``"predict"`` returns the original labels).
    pos_label
        For two classes, the positive class (default: the second in sorted order).
    random_state
        Seed of the default splitter.
    n_jobs
        Folds fitted in parallel (joblib).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)`` or ``(n, k)``, in the order of the samples.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=50, random_state=0)
    >>> oof_predictions(LogisticRegression(), X, y).shape
    (50,)

    """
    if method not in ("auto", *_METHODS):
        raise ValueError(f"Unknown method {method!r}; use 'auto' or one of {_METHODS}.")
    task = _prepare(
        estimator,
        X,
        y,
        groups=groups,
        cv=cv,
        scoring=None,
        pos_label=pos_label,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return _oof_array(task, method)


def _oof_array(task: _Task, method: str) -> np.ndarray:
    """Return the OOF outputs of ``task`` for ``method`` (see :func:`oof_predictions`)."""
    tested = _tested(task.splits, len(task.y))
    if method == "auto":
        wanted = [("predict_proba", "decision_function", "predict")]
        if not task.classification:
            wanted = [("predict",)]
    else:
        wanted = [(method,)]
    replay = _oof_outputs(task, task.y, task.splits, wanted=wanted)
    if not replay.outputs:
        raise ValueError(f"The estimator has no method {method!r}.")
    name = next(iter(replay.outputs))
    out = replay.outputs[name]
    if method == "auto" and task.pos_label is not None and out.ndim == 2:
        out = out[:, 1]
    if name == "predict" and task.labels is not None:
        out = task.labels[out] if task.pos_label is not None else out
    if len(tested) < len(task.y):
        out = out.astype(float if out.dtype.kind in "biuf" else object)
        untested = np.setdiff1d(np.arange(len(task.y)), tested)
        out[untested] = np.nan
    return out


def evaluate(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,
    scoring: Scoring = None,
    n_permutations: int = 30,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    dummy_strategy: str | None = None,
    pos_label: Any = None,
    permutation: Scheme = "auto",
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Cross-validate a pipeline with its baselines and its interval, in one tidy table.

    Every number comes from refitting the **whole** ``estimator`` inside each split, so that
    preprocessing and feature selection never see the test fold.  Each sample is predicted
    once, by the model that did not see it, and the **pooled out-of-fold predictions** are
    scored: that score is the point estimate, and the interval is a percentile bootstrap of
    that same score (whole groups resampled when ``groups`` are given).  The dummy baseline
    and the permuted-label refits are scored in the same way, on the same folds.

    Parameters
    ----------
    estimator
        The full modelling recipe: a :class:`~sklearn.pipeline.Pipeline` that holds every
        step that learns from data (scaling, imputation, selection, the model).
    X
        Features (array or DataFrame), samples in rows.
    y
        Labels (classification, if ``estimator`` is a classifier) or values.
    groups
        One label per sample (patient, lesion, hospital...).  The default splitter then keeps
        each group on one side of every split, the bootstrap resamples whole groups and the
        permutation keeps the groups (see :func:`permute_labels`).
    cv
        ``None`` (5 folds from :func:`make_cv`), an int (that many folds), or any scikit-learn
        splitter whose test folds do not overlap (for repeated CV use :func:`repeated_cv`).
    scoring
        A scorer name, a list of names, or a ``{name: scorer}`` dict.  ``None`` picks metrics
        that are honest under class imbalance: balanced accuracy, AUROC and average precision
        (AUPRC) for two classes; balanced accuracy and one-vs-rest AUROC for more; R² and
        negated mean absolute error for regression.
    n_permutations
        Refits on permuted labels (0 to skip).  Each costs as much as the cross-validation.
    n_bootstrap
        Bootstrap resamples of the out-of-fold predictions (0 to skip the interval).
    confidence
        Coverage of the bootstrap interval.
    dummy_strategy
        Strategy of the :class:`~sklearn.dummy.DummyClassifier` (default ``"prior"``: always
        the majority class, class frequencies as probabilities) or
        :class:`~sklearn.dummy.DummyRegressor` (default ``"mean"``).
    pos_label
        For two classes, the class that counts as positive (e.g. ``"mel"``); by default the
        second in sorted order, as in scikit-learn.  Labels are recoded 1 (positive) and 0.
    permutation
        The permutation scheme of :func:`permute_labels` (default ``"auto"``).
    random_state
        Seed of the default splitter, the permutations and the bootstrap.
    n_jobs
        Folds fitted in parallel (joblib).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``, with columns

        ``score``
            The pooled out-of-fold score: **the** point estimate.
        ``ci_low``, ``ci_high``
            Percentile bootstrap interval of ``score`` (cluster bootstrap with groups).
        ``fold_std``
            Standard deviation of the per-fold scores: a diagnostic of instability across
            training sets, not an interval.
        ``dummy``
            Pooled out-of-fold score of the dummy baseline on the same folds.
        ``permuted_mean``, ``permuted_std``
            Mean and spread of the pooled out-of-fold score of the pipeline refitted on
            permuted labels.
        ``p_value``
            ``(1 + #{permuted >= score}) / (1 + n_permutations)``.

        ``DataFrame.attrs`` records ``n_splits``, ``n_permutations``, ``n_bootstrap``,
        ``confidence``, ``permutation`` (the scheme used, ``"none"`` without permutations),
        ``pos_label``, ``n_samples``, ``n_groups``, plus ``splitter`` (its class name) and
        ``n_valid`` (bootstrap resamples where each metric was defined).

    Notes
    -----
    The bootstrap interval treats the fitted fold models as fixed and resamples the test
    samples: it leaves out the variation due to refitting on another training set, and pools
    the predictions of several models.  It therefore covers the expected performance of the
    procedure less often than its nominal level (Bates, Hastie & Tibshirani, 2024 study why
    cross-validation intervals under-cover).  In the simulation of this module's tests (n = 60,
    two Gaussian classes, a nearest-centroid rule, accuracy), nominal 95 % intervals covered
    in about 90 % of simulated studies; the corrected resampled-t interval of
    :func:`repeated_cv` (Nadeau & Bengio, 2003), the alternative, in about 94 %.  ``fold_std``
    is not a standard error either: folds share training samples.

    Pooled out-of-fold scores of a model with no signal fall slightly **below** chance:
    each training fold's class balance is the mirror image of its test fold's, so the fold
    models lean towards the class their test fold lacks.  The ``dummy`` and the permuted
    scores share that bias, which is why they, not the textbook chance level, are the
    baselines.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> table = evaluate(LogisticRegression(), X, y, n_permutations=5, n_bootstrap=100)
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['score', 'ci_low', 'ci_high', 'fold_std', 'dummy', 'permuted_mean',
     'permuted_std', 'p_value']
    >>> table.attrs["permutation"], round(float(table.loc["roc_auc", "p_value"]), 3)
    ('samples', 0.167)

    """
    _check_confidence(confidence)
    if n_permutations < 0 or n_bootstrap < 0:
        raise ValueError("n_permutations and n_bootstrap must be zero or positive.")
    task = _prepare(
        estimator,
        X,
        y,
        groups=groups,
        cv=cv,
        scoring=scoring,
        pos_label=pos_label,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    y_arr, splits = task.y, task.splits
    tested = _tested(splits, len(y_arr))
    scheme = _resolve_scheme(y_arr, task.groups, permutation) if n_permutations else "none"
    _warn_if_few_move(y_arr, task.groups, scheme)

    replay = _oof_outputs(task, y_arr, splits)
    score = _scores(task, replay, y_arr, tested)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        folds = [_scores(task, replay, y_arr, test) for _, test in splits]
    if task.classification:
        dummy: BaseEstimator = DummyClassifier(strategy=dummy_strategy or "prior")
    else:
        dummy = DummyRegressor(strategy=dummy_strategy or "mean")
    dummy_replay = _oof_outputs(task, y_arr, splits, estimator=dummy)
    dummy_score = _scores(task, dummy_replay, y_arr, tested)

    grp = None if task.groups is None else task.groups[tested]
    intervals: dict[str, tuple[float, float, int]] = {}
    if n_bootstrap > 0:
        statistics = {name: _statistic(task, name, replay, y_arr, tested) for name in task.scorers}
        values = _bootstrap_values(statistics, len(tested), grp, n_bootstrap, random_state)
        intervals = {name: _percentile_interval(v, confidence) for name, v in values.items()}
    permuted = (
        _permuted_scores(task, n_permutations, scheme, random_state)
        if n_permutations
        else pd.DataFrame(columns=list(task.scorers), dtype=float)
    )

    rows = []
    for name in task.scorers:
        per_fold = np.array([f[name] for f in folds], dtype=float)
        perm = permuted[name].to_numpy(dtype=float)
        low, high, _ = intervals.get(name, (np.nan, np.nan, 0))
        rows.append(
            {
                "metric": name,
                "score": score[name],
                "ci_low": low,
                "ci_high": high,
                "fold_std": float(np.nanstd(per_fold, ddof=1)) if len(per_fold) > 1 else np.nan,
                "dummy": dummy_score[name],
                "permuted_mean": float(perm.mean()) if len(perm) else np.nan,
                "permuted_std": float(perm.std(ddof=1)) if len(perm) > 1 else np.nan,
                "p_value": _p_value(score[name], perm),
            }
        )
    table = pd.DataFrame(rows).set_index("metric")
    table.attrs.update(
        n_splits=len(splits),
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        permutation=scheme,
        pos_label=task.pos_label,
        n_samples=len(tested),
        n_groups=None if grp is None else len(np.unique(grp)),
        splitter=type(task.splitter).__name__,
        n_valid={name: intervals.get(name, (0, 0, 0))[2] for name in task.scorers},
    )
    return table


# --------------------------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------------------------
def _units(
    train: np.ndarray, y: np.ndarray, groups: np.ndarray | None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the sampling units of a training fold (samples or groups) and their classes.

    A group's class is its most frequent label (its only label when groups are homogeneous).
    """
    if groups is None:
        return [np.array([i]) for i in train], y[train]
    _, members = _group_members(groups[train])
    units = [train[m] for m in members]
    unit_class = []
    for u in units:
        values, counts = np.unique(y[u], return_counts=True)
        unit_class.append(values[np.argmax(counts)])
    return units, np.asarray(unit_class, dtype=y.dtype)


def _quotas(counts: np.ndarray, size: int, minimum: int) -> np.ndarray:
    """Share ``size`` samples among classes in proportion to ``counts``, ``minimum`` at least."""
    target = size * counts / counts.sum()
    quota = np.minimum(np.maximum(np.floor(target).astype(int), minimum), counts)
    while quota.sum() < size:
        room = np.where(quota < counts, target - quota, -np.inf)
        quota[np.argmax(room)] += 1
    while quota.sum() > size:
        excess = np.where(quota > minimum, quota - target, -np.inf)
        quota[np.argmax(excess)] -= 1
    return quota


def _stratified_subset(
    train: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    size: int,
    min_per_class: int,
    classification: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """About ``size`` samples of ``train``: stratified by class, whole groups if grouped."""
    if size >= len(train):
        return train
    units, unit_class = _units(train, y, groups)
    order = rng.permutation(len(units))
    strata: list[tuple[np.ndarray, int]] = [(order, size)]
    if classification:
        classes = np.unique(unit_class)
        sizes = np.array([len(u) for u in units])
        counts = np.array([sizes[unit_class == c].sum() for c in classes])
        quotas = _quotas(counts, size, min_per_class)
        strata = [
            (order[unit_class[order] == c], int(q)) for c, q in zip(classes, quotas, strict=True)
        ]
    chosen = []
    for members, target in strata:
        taken = 0
        for k, i in enumerate(members):
            n_i = len(units[i])
            must = classification and k < min_per_class
            if must or abs(taken + n_i - target) < abs(taken - target):
                chosen.append(units[i])
                taken += n_i
            if taken >= target and not must:
                break
    return np.sort(np.concatenate(chosen))


def _absolute_sizes(train_sizes: ArrayLike, n_train: int) -> np.ndarray:
    sizes = np.asarray(train_sizes)
    if sizes.ndim != 1 or len(sizes) == 0:
        raise ValueError("train_sizes must be a non-empty list of fractions or counts.")
    if np.issubdtype(sizes.dtype, np.floating) and np.all((sizes > 0) & (sizes <= 1)):
        return np.maximum(1, np.floor(sizes * n_train).astype(int))
    if np.all(sizes == np.round(sizes)) and np.all(sizes >= 1):
        if sizes.max() > n_train:
            raise ValueError(
                f"train_sizes asks for {int(sizes.max())} samples, but a training fold holds "
                f"only {n_train}."
            )
        return sizes.astype(int)
    raise ValueError(
        "train_sizes must be fractions in (0, 1] of the training fold or sample counts >= 1; "
        f"got {sizes.tolist()}."
    )


def _fit_curve_point(
    task: _Task, scorer: Callable, train: np.ndarray, test: np.ndarray
) -> tuple[float, float, int]:
    model = clone(task.estimator).fit(_take(task.X, train), task.y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        train_score = float(scorer(model, _take(task.X, train), task.y[train]))
        test_score = float(scorer(model, _take(task.X, test), task.y[test]))
    return train_score, test_score, len(train)


def learning_curve_table(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,
    train_sizes: ArrayLike = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0),
    scoring: str = "balanced_accuracy",
    min_per_class: int = 2,
    pos_label: Any = None,
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Training and validation score against the number of training samples.

    For every split and every size, the pipeline is fitted on a random **stratified** subset
    of the training fold and scored on the whole test fold.  Stratification matters at small
    sizes: a plain random subset of a few samples often misses a class altogether, and the
    curve's first points then measure missing classes rather than the amount of data.  Here
    every class keeps its share of the training fold, with at least ``min_per_class`` samples
    (with ``groups``: at least ``min_per_class`` groups, whole groups being sampled).  A curve
    still rising at the right end says that more data of the same kind would help; a large,
    persistent gap between training and validation says the model overfits.

    Parameters
    ----------
    estimator
        The full pipeline.
    X, y
        Features and labels (or values; a regression target is subsampled without strata).
    groups
        Group labels: kept on one side of every split, and subsampled as whole groups.
    cv
        ``None`` or an int for :func:`make_cv`, or any scikit-learn splitter.
    train_sizes
        Fractions (floats in (0, 1]) of each training fold, or absolute numbers of samples.
    scoring
        One scorer name (or scorer).
    min_per_class
        Smallest number of samples (groups, with ``groups``) of each class in every subset.
    pos_label
        For two classes, the positive class (see :func:`evaluate`).
    random_state
        Seed of the splitter and of the subsampling.
    n_jobs
        Fits run in parallel (joblib).

    Returns
    -------
    pandas.DataFrame
        One row per training size: ``n_train`` (mean number of training samples over the
        folds), ``train_mean``, ``train_std``, ``validation_mean``, ``validation_std``
        (mean and standard deviation over folds).

    Raises
    ------
    ValueError
        If the smallest size cannot hold ``min_per_class`` samples of every class; the
        message names the smallest feasible size.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> table = learning_curve_table(LogisticRegression(), X, y, train_sizes=[0.1, 1.0])
    >>> table["n_train"].tolist()
    [8, 80]

    """
    if min_per_class < 1:
        raise ValueError(f"min_per_class must be at least 1, got {min_per_class}.")
    task = _prepare(
        estimator,
        X,
        y,
        groups=groups,
        cv=cv,
        scoring=scoring,
        pos_label=pos_label,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    if len(task.scorers) != 1:
        raise ValueError("learning_curve_table takes a single metric in scoring.")
    scorer = next(iter(task.scorers.values()))
    plan = []
    for i, (train, test) in enumerate(task.splits):
        sizes = _absolute_sizes(train_sizes, len(train))
        if task.classification:
            units, unit_class = _units(train, task.y, task.groups)
            classes, n_units = np.unique(unit_class, return_counts=True)
            unit = "groups" if task.groups is not None else "samples"
            if len(classes) < len(task.classes) or n_units.min() < min_per_class:
                have = dict(zip(classes.tolist(), n_units.tolist(), strict=True))
                raise ValueError(
                    f"The training part of fold {i + 1} has {have} {unit} per class; "
                    f"min_per_class={min_per_class} needs that many of every class "
                    f"{task.classes.tolist()}. Lower min_per_class or use fewer folds."
                )
            smallest = len(task.classes) * min_per_class
            if sizes.min() < smallest:
                raise ValueError(
                    f"The smallest training size ({sizes.min()} samples of {len(train)} in fold "
                    f"{i + 1}) cannot hold min_per_class={min_per_class} {unit} of each of "
                    f"{len(task.classes)} classes; the smallest feasible size is {smallest} "
                    f"samples (a fraction of {smallest / len(train):.3f})."
                )
        seed = None if random_state is None else [int(random_state), i]
        rng = np.random.default_rng(seed)
        for j, size in enumerate(sizes):
            subset = _stratified_subset(
                train, task.y, task.groups, int(size), min_per_class, task.classification, rng
            )
            plan.append((j, subset, test))
    jobs = (delayed(_fit_curve_point)(task, scorer, train, test) for _, train, test in plan)
    if n_jobs in (None, 1):
        results = [fn(*args, **kwargs) for fn, args, kwargs in jobs]
    else:
        results = Parallel(n_jobs=n_jobs)(jobs)
    frame = pd.DataFrame(results, columns=["train", "validation", "n"])
    frame["size"] = [j for j, _, _ in plan]
    table = frame.groupby("size").agg(
        n_train=("n", "mean"),
        train_mean=("train", "mean"),
        train_std=("train", "std"),
        validation_mean=("validation", "mean"),
        validation_std=("validation", "std"),
    )
    table["n_train"] = table["n_train"].round().astype(int)
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Repeated cross-validation with the corrected resampled-t interval
# --------------------------------------------------------------------------------------------
def _corrected_t(
    values: np.ndarray, ratio: float, confidence: float
) -> tuple[float, float, float, float, float, float, int]:
    """Corrected resampled t of Nadeau & Bengio (2003) for the mean of ``values``.

    The variance of the mean of ``J`` resampled scores is ``(1 / J + n_test / n_train) s²``
    instead of ``s² / J``: the scores share training samples and are positively correlated.
    Returns ``(mean, se, t, p_value, low, high, df)``; the test is of "mean = 0".
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    j = len(values)
    if j < 2:
        raise ValueError("The corrected resampled t needs at least two fold scores.")
    mean = float(values.mean())
    se = float(np.sqrt((1 / j + ratio) * values.var(ddof=1)))
    df = j - 1
    if se == 0:
        t = 0.0 if mean == 0 else np.copysign(np.inf, mean)
        p_value = 1.0 if mean == 0 else 0.0
    else:
        t = mean / se
        p_value = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return mean, se, t, p_value, mean - half, mean + half, df


def repeated_cv(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    n_splits: int = 5,
    n_repeats: int = 10,
    scoring: Scoring = None,
    confidence: float = 0.95,
    pos_label: Any = None,
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Repeated k-fold cross-validation with the corrected resampled-t interval.

    The k-fold split (:func:`make_cv`, grouped when ``groups`` are given) is repeated
    ``n_repeats`` times with different seeds; every fold is scored on its own test set.  The
    interval around the mean of the ``J = n_splits × n_repeats`` fold scores is the corrected
    resampled t of Nadeau & Bengio (2003): variance ``(1/J + n_test/n_train) s²`` and ``J - 1``
    degrees of freedom, where ``s²`` is the variance of the fold scores.  The naive ``s²/J``
    ignores that the folds share training samples and gives intervals far too narrow.

    This interval is about the **procedure** (the pipeline refitted on a training set of this
    size): it includes the variation due to the training set, which the bootstrap of pooled
    out-of-fold predictions in :func:`evaluate` leaves out.  That bootstrap treats the fitted
    fold models as fixed and under-covers (Bates, Hastie & Tibshirani, 2024 explain why
    cross-validation intervals do).  In the simulation of this module's tests (n = 60, two
    Gaussian classes, a nearest-centroid rule, accuracy, 1,000 simulated studies), nominal
    95 % intervals covered the procedure's expected accuracy in about 94 % of the studies
    with this correction, 90 % for the pooled out-of-fold bootstrap and 57 % for the
    uncorrected t-interval over the same fold scores.  The correction is a heuristic, neither
    exact nor always conservative: do not read its bounds to the last digit.

    Parameters
    ----------
    estimator
        The full pipeline.
    X, y
        Features and labels (or values).
    groups
        Group labels, kept on one side of every split.
    n_splits
        Folds per repetition.
    n_repeats
        Repetitions with different fold assignments.
    scoring
        A scorer name, list or dict; ``None`` as in :func:`evaluate`.
    confidence
        Coverage of the interval.
    pos_label
        For two classes, the positive class (see :func:`evaluate`).
    random_state
        Seed from which each repetition's splitter seed is drawn.
    n_jobs
        Folds fitted in parallel (joblib).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``: ``mean`` (of the fold scores), ``ci_low``, ``ci_high``
        (corrected resampled-t interval), ``std`` (of the fold scores), ``n_folds``.
        ``attrs["fold_scores"]`` holds every fold's scores (columns ``repeat``, ``fold``,
        ``n_train``, ``n_test`` and one per metric), for
        :func:`mlbio.compare.corrected_resampled_ttest`; ``attrs`` also records
        ``n_splits``, ``n_repeats``, ``confidence`` and ``test_train_ratio``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=80, random_state=0)
    >>> table = repeated_cv(LogisticRegression(), X, y, scoring="roc_auc", n_repeats=3)
    >>> int(table.loc["roc_auc", "n_folds"]), len(table.attrs["fold_scores"])
    (15, 15)

    """
    _check_confidence(confidence)
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}.")
    seeds: list[int | None]
    if random_state is None:
        seeds = [None] * n_repeats
    else:
        seeds = np.random.default_rng(random_state).integers(0, 2**31 - 1, n_repeats).tolist()
    task = _prepare(
        estimator,
        X,
        y,
        groups=groups,
        cv=n_splits,
        scoring=scoring,
        pos_label=pos_label,
        random_state=seeds[0],
        n_jobs=n_jobs,
    )
    rows = []
    for r, seed in enumerate(seeds):
        splitter = make_cv(
            task.y,
            task.groups,
            n_splits=n_splits,
            classification=task.classification,
            random_state=seed,
        )
        splits = task.splits if r == 0 else _materialise(splitter, task.X, task.y, task.groups)
        replay = _oof_outputs(task, task.y, splits)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            for f, (train, test) in enumerate(splits):
                rows.append(
                    {
                        "repeat": r,
                        "fold": f,
                        "n_train": len(train),
                        "n_test": len(test),
                        **_scores(task, replay, task.y, test),
                    }
                )
    folds = _AttrFrame(rows)
    ratio = float(folds["n_test"].mean() / folds["n_train"].mean())
    out = []
    for name in task.scorers:
        mean, _, _, _, low, high, _ = _corrected_t(folds[name].to_numpy(), ratio, confidence)
        out.append(
            {
                "metric": name,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "std": float(folds[name].std(ddof=1)),
                "n_folds": int(folds[name].notna().sum()),
            }
        )
    table = pd.DataFrame(out).set_index("metric")
    table.attrs.update(
        fold_scores=folds,
        n_splits=n_splits,
        n_repeats=n_repeats,
        confidence=confidence,
        test_train_ratio=ratio,
    )
    return table
