"""Honest evaluation of a scikit-learn model in one call: leakage-safe, with baselines and CIs.

The whole book evaluates models the same way:

* the **whole** modelling recipe (scaling, imputation, feature selection, the model) is one
  :class:`~sklearn.pipeline.Pipeline`, refitted inside every cross-validation split, so that no
  information from a test fold reaches training;
* related samples (same patient, same lesion, same hospital) stay on one side of every split
  (``groups``);
* every score comes with a **baseline** (a :class:`~sklearn.dummy.DummyClassifier` and the same
  pipeline refitted on permuted labels) and an **uncertainty** (spread over folds and a
  bootstrap confidence interval of the out-of-fold predictions).

Public functions
----------------
:func:`make_cv`
    The book's default splitter for a task: stratified, grouped when groups are given, seeded.
:func:`evaluate`
    Everything above in one tidy table, one row per metric.
:func:`permutation_baseline`
    Scores of the same pipeline refitted on permuted labels, and the permutation p-value.
:func:`bootstrap_ci`
    Percentile bootstrap confidence interval of any metric, optionally resampling whole groups.
:func:`learning_curve_table`
    Validation (and training) score against training-set size, as a table.

Everything heavy is delegated to scikit-learn (:func:`~sklearn.model_selection.cross_validate`,
:func:`~sklearn.model_selection.learning_curve`, its splitters, scorers and dummy estimators).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
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
    cross_validate,
    learning_curve,
)
from sklearn.utils.metaestimators import available_if

from mlbio.plotting import SEED

Scoring = str | Sequence[str] | Mapping[str, Callable[..., float]] | None

__all__ = [
    "BootstrapResult",
    "PermutationResult",
    "bootstrap_ci",
    "evaluate",
    "learning_curve_table",
    "make_cv",
    "permutation_baseline",
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
    arr = np.asarray(values)
    return arr


def _encode_binary(
    y: np.ndarray,
    classification: bool,
    pos_label: Any,  # noqa: ANN401
) -> tuple[np.ndarray, Any]:  # noqa: ANN401
    """Recode two-class labels as 0/1 with ``pos_label`` as 1, so that every scorer agrees.

    scikit-learn's scorers take the second class in sorted order as positive, and some (average
    precision) insist on ``pos_label=1`` unless told otherwise; with labels such as
    ``"mel"``/``"nv"`` the positive class must be stated.  Other targets pass through.
    """
    if not classification:
        return y, None
    classes = np.unique(y)
    if len(classes) != 2:
        if pos_label is not None:
            raise ValueError("pos_label is only meaningful for two classes.")
        return y, None
    if pos_label is None:
        pos_label = classes[1]
    elif pos_label not in set(classes.tolist()):
        raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes.tolist()}.")
    return (y == pos_label).astype(int), pos_label


def _take(X: Any, idx: np.ndarray) -> Any:  # noqa: ANN401 - DataFrame or array
    """Rows ``idx`` of ``X`` (a DataFrame, or anything NumPy can index)."""
    return X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]


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
        If a class has fewer than ``n_splits`` samples (or groups).

    """
    y_arr = _as_labels(y)
    if classification:
        _, counts = np.unique(y_arr, return_counts=True)
        if counts.min() < n_splits:
            raise ValueError(
                f"The rarest class has {counts.min()} samples, fewer than n_splits={n_splits}; "
                "use fewer folds or merge rare classes."
            )
    if groups is None:
        kind = StratifiedKFold if classification else KFold
        return kind(n_splits=n_splits, shuffle=True, random_state=random_state)
    n_groups = len(np.unique(_as_labels(groups)))
    if n_groups < n_splits:
        raise ValueError(f"Only {n_groups} groups for n_splits={n_splits}.")
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
    return {name: get_scorer(name) for name in scoring}


def _resolve_cv(
    cv: Any,  # noqa: ANN401 - int, splitter or iterable, as in scikit-learn
    y: np.ndarray,
    groups: np.ndarray | None,
    classification: bool,
    random_state: int | None,
) -> Any:  # noqa: ANN401
    """``None`` or an int -> :func:`make_cv`; anything else -> scikit-learn's ``check_cv``."""
    if cv is None or isinstance(cv, int | np.integer):
        n_splits = 5 if cv is None else int(cv)
        return make_cv(
            y,
            groups,
            n_splits=n_splits,
            classification=classification,
            random_state=random_state,
        )
    return check_cv(cv, y, classifier=classification)


def _cv_splits(cv: Any, X: Any, y: np.ndarray, groups: np.ndarray | None) -> list:  # noqa: ANN401
    """Materialise the splits once, so that every refit (real, dummy, permuted) uses the same."""
    return list(cv.split(X, y, groups))


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


def _bootstrap(
    statistic: Callable[[np.ndarray], float],
    n: int,
    groups: np.ndarray | None,
    n_bootstrap: int,
    confidence: float,
    random_state: int | None,
) -> BootstrapResult:
    """Percentile bootstrap of ``statistic(indices)``, resampling samples or whole groups."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be positive, got {n_bootstrap!r}.")
    rng = np.random.default_rng(random_state)
    estimate = float(statistic(np.arange(n)))
    if groups is not None:
        _, members = _group_members(groups)
    values = []
    # The inputs were validated once; skipping scikit-learn's per-call parameter checks makes
    # each of the many metric evaluations faster without changing its result.
    with warnings.catch_warnings(), config_context(skip_parameter_validation=True):
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(n_bootstrap):
            if groups is None:
                idx = rng.integers(0, n, size=n)
            else:
                chosen = rng.integers(0, len(members), size=len(members))
                idx = np.concatenate([members[g] for g in chosen])
            try:
                value = float(statistic(idx))
            except ValueError:  # e.g. only one class in the resample
                continue
            if np.isfinite(value):
                values.append(value)
    if not values:
        return BootstrapResult(estimate, np.nan, np.nan, confidence, 0)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return BootstrapResult(estimate, float(low), float(high), confidence, len(values))


def _group_members(groups: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Integer codes of ``groups`` and, per group, the indices of its samples."""
    _, codes = np.unique(groups, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return codes, np.split(order, bounds)


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
    of the metric.  With ``groups``, whole groups are resampled (a cluster bootstrap), since
    samples of one patient or lesion are not independent.

    The interval reflects sampling variation of the **test set only**, for the fitted
    model(s) that produced ``y_pred``; it does not include the variation due to refitting
    on another training set.

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

    """
    y_true_arr = _as_labels(y_true)
    y_pred_arr = np.asarray(y_pred)
    if len(y_true_arr) != len(y_pred_arr):
        raise ValueError("y_true and y_pred have different lengths.")
    grp = _as_labels(groups)
    if grp is not None and len(grp) != len(y_true_arr):
        raise ValueError("groups has a different length than y_true.")
    return _bootstrap(
        lambda idx: metric(y_true_arr[idx], y_pred_arr[idx]),
        len(y_true_arr),
        grp,
        n_bootstrap,
        confidence,
        random_state,
    )


class _Replay(BaseEstimator):
    """Stands in for the cross-validated model: returns stored out-of-fold outputs.

    ``X`` given to its methods is an array of sample indices.  This lets scikit-learn's own
    scorers (with their choice of ``predict_proba`` or ``decision_function`` and of the
    positive class) score the pooled out-of-fold predictions and their bootstrap resamples.
    """

    def __init__(self, outputs: dict[str, np.ndarray], classes: np.ndarray | None) -> None:
        self.outputs = outputs
        self.classes = classes
        if classes is not None:
            self.classes_ = classes

    def fit(self, X: Any, y: Any = None) -> _Replay:  # noqa: ANN401
        return self

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


def _out_of_fold(
    fitted: list,
    splits: list,
    X: Any,  # noqa: ANN401
    n: int,
    classification: bool,
) -> _Replay | None:
    """Collect out-of-fold outputs of the fitted fold models; ``None`` if not a partition."""
    seen = np.zeros(n, dtype=int)
    for _, test in splits:
        seen[test] += 1
    if not np.all(seen == 1):
        return None
    outputs: dict[str, np.ndarray] = {}
    methods = ["predict", "predict_proba", "decision_function"] if classification else ["predict"]
    classes = getattr(fitted[0], "classes_", None) if classification else None
    for method in methods:
        if not all(hasattr(est, method) for est in fitted):
            continue
        if classification and any(
            not np.array_equal(getattr(est, "classes_", classes), classes) for est in fitted
        ):
            return None  # a class missing from some training fold: outputs are not comparable
        pairs = zip(fitted, splits, strict=True)
        parts = [getattr(est, method)(_take(X, test)) for est, (_, test) in pairs]
        first = np.asarray(parts[0])
        out = np.empty((n, *first.shape[1:]), dtype=first.dtype)
        for part, (_, test) in zip(parts, splits, strict=True):
            out[test] = part
        outputs[method] = out
    kind = _ClassifierReplay if classification else _RegressorReplay
    return kind(outputs, classes)


# --------------------------------------------------------------------------------------------
# Permutation baseline
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PermutationResult:
    """Scores of a model on the real labels and on permuted labels.

    Attributes
    ----------
    score : dict of str to float
        Mean cross-validated score on the real labels, per metric.
    permutation_scores : pandas.DataFrame
        One row per permutation, one column per metric (mean over folds).
    pvalue : dict of str to float
        ``(1 + #{permuted >= real}) / (1 + n_permutations)`` per metric: the chance of a score
        at least this good if the labels carried no information.
    level : str
        ``"sample"`` (labels shuffled across samples) or ``"group"`` (whole groups' labels
        shuffled between groups).

    """

    score: dict[str, float]
    permutation_scores: pd.DataFrame
    pvalue: dict[str, float]
    level: str


def _permute(
    y: np.ndarray, groups: np.ndarray | None, rng: np.random.RandomState
) -> tuple[np.ndarray, str]:
    """Permuted copy of ``y``: between groups if ``y`` is constant within each group."""
    if groups is not None:
        codes, members = _group_members(groups)
        first = np.array([m[0] for m in members])
        constant = all(np.all(y[m] == y[m[0]]) for m in members)
        if constant:
            shuffled = y[first][rng.permutation(len(members))]
            return shuffled[codes], "group"
    return y[rng.permutation(len(y))], "sample"


def _permutation_scores(
    estimator: BaseEstimator,
    X: Any,  # noqa: ANN401
    y: np.ndarray,
    groups: np.ndarray | None,
    cv: Any,  # noqa: ANN401
    splits: list,
    scorers: dict[str, Callable],
    n_permutations: int,
    random_state: int | None,
    n_jobs: int | None,
) -> tuple[pd.DataFrame, str]:
    """Fold-mean scores on ``n_permutations`` permuted copies of ``y``.

    Without groups, as in scikit-learn, the splitter re-splits each permuted copy (a stratified
    splitter then stratifies on the permuted labels) and the permutations come from a
    ``RandomState``.  With groups, every permutation reuses ``splits``, the folds of the real
    analysis: a stratified grouped split is slow to recompute, and with whole groups permuted
    the folds of the real analysis are as good a partition as any.
    """
    rng = np.random.RandomState(random_state)
    rows, level = [], "sample"
    folds = cv if groups is None else splits
    for _ in range(n_permutations):
        y_perm, level = _permute(y, groups, rng)
        res = cross_validate(
            clone(estimator), X, y_perm, groups=groups, cv=folds, scoring=scorers, n_jobs=n_jobs
        )
        rows.append({name: float(np.mean(res[f"test_{name}"])) for name in scorers})
    return pd.DataFrame(rows, columns=list(scorers)), level


def _pvalue(real: float, permuted: np.ndarray) -> float:
    return float((np.sum(permuted >= real) + 1) / (len(permuted) + 1))


def permutation_baseline(
    estimator: BaseEstimator,
    X: Any,  # noqa: ANN401
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,  # noqa: ANN401
    scoring: Scoring = None,
    n_permutations: int = 30,
    pos_label: Any = None,  # noqa: ANN401
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> PermutationResult:
    """Refit the whole pipeline on permuted labels: the score a model gets from no signal.

    This is the test of :func:`sklearn.model_selection.permutation_test_score`
    (Ojala & Garriga, 2010), with two differences that matter for biomedical data:

    * several metrics are scored from the same refits;
    * with ``groups`` whose label is constant within each group (one diagnosis per lesion or
      patient), labels are shuffled **between groups**.  scikit-learn's function shuffles
      *within* groups, which leaves such labels unchanged and makes the "permuted" score equal
      to the real one.  If labels vary within groups, they are shuffled across all samples.

    Without groups, the permutations are drawn exactly as scikit-learn draws them, so the
    results equal ``permutation_test_score`` for the same ``random_state`` and splits.  With
    groups, every permutation reuses the folds of the real analysis.

    Parameters
    ----------
    estimator
        The full modelling recipe, ideally a :class:`~sklearn.pipeline.Pipeline`.
    X, y
        Features and labels.
    groups
        Group labels (kept together by grouped splitters, and used for the shuffle).
    cv
        ``None`` or an int for :func:`make_cv`, or any scikit-learn splitter.
    scoring
        A scorer name, a list of names or a ``{name: scorer}`` dict; ``None`` picks metrics
        that suit the task (see :func:`evaluate`).
    n_permutations
        Number of permutations.  The smallest attainable p-value is ``1 / (n + 1)``: 30 gives
        about 0.03, which is enough to tell "clearly above chance" from "not".
    pos_label
        For two classes, the positive class (see :func:`evaluate`).
    random_state
        Seed of the splits (if ``cv`` is built here) and of the permutations.
    n_jobs
        Passed to :func:`~sklearn.model_selection.cross_validate`.

    Returns
    -------
    PermutationResult
        Real scores, the table of permuted scores, p-values and the level of the shuffle.

    """
    y_arr = _as_labels(y)
    grp = _as_labels(groups)
    classification = is_classifier(estimator)
    y_arr, _ = _encode_binary(y_arr, classification, pos_label)
    scorers = _scorers(scoring, y_arr, classification)
    splitter = _resolve_cv(cv, y_arr, grp, classification, random_state)
    splits = _cv_splits(splitter, X, y_arr, grp)
    real = cross_validate(clone(estimator), X, y_arr, cv=splits, scoring=scorers, n_jobs=n_jobs)
    score = {name: float(np.mean(real[f"test_{name}"])) for name in scorers}
    table, level = _permutation_scores(
        estimator, X, y_arr, grp, splitter, splits, scorers, n_permutations, random_state, n_jobs
    )
    pvalue = {name: _pvalue(score[name], table[name].to_numpy()) for name in scorers}
    return PermutationResult(score, table, pvalue, level)


# --------------------------------------------------------------------------------------------
# The one-call evaluation
# --------------------------------------------------------------------------------------------
def evaluate(
    estimator: BaseEstimator,
    X: Any,  # noqa: ANN401
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,  # noqa: ANN401
    scoring: Scoring = None,
    n_permutations: int = 30,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    dummy_strategy: str | None = None,
    pos_label: Any = None,  # noqa: ANN401
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Cross-validate a pipeline with its baselines and uncertainties, in one tidy table.

    Every number comes from refitting the **whole** ``estimator`` inside each split, so that
    preprocessing and feature selection never see the test fold.  The model and the dummy
    baseline are scored on the same folds; see :func:`permutation_baseline` for the folds of
    the permutations.

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
        permutation shuffles labels between groups.
    cv
        ``None`` (5 folds from :func:`make_cv`), an int (that many folds), or any scikit-learn
        splitter.  If the test folds do not partition the samples (e.g. repeated CV), the
        bootstrap columns are ``NaN``.
    scoring
        A scorer name, a list of names, or a ``{name: scorer}`` dict.  ``None`` picks metrics
        that are honest under class imbalance: balanced accuracy, AUROC and average precision
        (AUPRC) for two classes; balanced accuracy and one-vs-rest AUROC for more; R² and
        negated mean absolute error for regression.
    n_permutations
        Refits on permuted labels (0 to skip).  Each costs as much as the cross-validation.
    n_bootstrap
        Bootstrap resamples of the out-of-fold predictions (0 to skip).
    confidence
        Coverage of the bootstrap interval.
    dummy_strategy
        Strategy of the :class:`~sklearn.dummy.DummyClassifier` (default ``"prior"``: always
        the majority class, class frequencies as probabilities) or
        :class:`~sklearn.dummy.DummyRegressor` (default ``"mean"``).
    pos_label
        For two classes, the class that counts as positive (e.g. ``"mel"``); by default the
        second in sorted order, as in scikit-learn.  Labels are recoded 1 (positive) and 0.
    random_state
        Seed of the default splitter, the permutations and the bootstrap.
    n_jobs
        Passed to :func:`~sklearn.model_selection.cross_validate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``, with columns

        ``cv_mean``, ``cv_std``
            Mean and standard deviation of the score over the test folds.
        ``oof``, ``ci_low``, ``ci_high``
            Score of the pooled out-of-fold predictions and its bootstrap interval.
        ``dummy``
            Mean score of the dummy baseline over the same folds.
        ``permuted_mean``, ``permuted_std``, ``p_value``
            Mean and spread of the fold-mean score on permuted labels, and the permutation
            p-value of ``cv_mean``.

        ``DataFrame.attrs`` records ``n_splits``, ``n_permutations``, ``n_bootstrap``,
        ``confidence``, ``permutation_level`` and ``pos_label``.

    Notes
    -----
    The bootstrap interval treats the fitted models as fixed and resamples the test samples;
    it is narrower than the uncertainty about a new model refitted on new data.  The fold
    spread (``cv_std``) says how much the score moves between training sets, but it is not a
    standard error either: folds share training samples (Bengio & Grandvalet, 2004).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> table = evaluate(LogisticRegression(), X, y, n_permutations=5, n_bootstrap=100)
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['cv_mean', 'cv_std', 'oof', 'ci_low', 'ci_high', 'dummy', 'permuted_mean',
     'permuted_std', 'p_value']

    """
    y_arr = _as_labels(y)
    grp = _as_labels(groups)
    if grp is not None and len(grp) != len(y_arr):
        raise ValueError("groups has a different length than y.")
    classification = is_classifier(estimator)
    y_arr, positive = _encode_binary(y_arr, classification, pos_label)
    scorers = _scorers(scoring, y_arr, classification)
    splitter = _resolve_cv(cv, y_arr, grp, classification, random_state)
    splits = _cv_splits(splitter, X, y_arr, grp)

    real = cross_validate(
        clone(estimator),
        X,
        y_arr,
        cv=splits,
        scoring=scorers,
        return_estimator=n_bootstrap > 0,
        n_jobs=n_jobs,
    )
    if classification:
        dummy: BaseEstimator = DummyClassifier(strategy=dummy_strategy or "prior")
    else:
        dummy = DummyRegressor(strategy=dummy_strategy or "mean")
    base = cross_validate(dummy, X, y_arr, cv=splits, scoring=scorers)

    replay = None
    if n_bootstrap > 0:
        replay = _out_of_fold(real["estimator"], splits, X, len(y_arr), classification)
        del real["estimator"]

    if n_permutations > 0:
        permuted, level = _permutation_scores(
            estimator,
            X,
            y_arr,
            grp,
            splitter,
            splits,
            scorers,
            n_permutations,
            random_state,
            n_jobs,
        )
    else:
        permuted, level = pd.DataFrame(columns=list(scorers), dtype=float), "none"

    rows = []
    for name, scorer in scorers.items():
        folds = np.asarray(real[f"test_{name}"], dtype=float)
        row: dict[str, Any] = {
            "metric": name,
            "cv_mean": folds.mean(),
            "cv_std": folds.std(ddof=1) if len(folds) > 1 else np.nan,
            "oof": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "dummy": float(np.mean(base[f"test_{name}"])),
            "permuted_mean": np.nan,
            "permuted_std": np.nan,
            "p_value": np.nan,
        }
        if replay is not None:
            ci = _bootstrap(
                lambda idx, s=scorer: s(replay, idx, y_arr[idx]),
                len(y_arr),
                grp,
                n_bootstrap,
                confidence,
                random_state,
            )
            row.update(oof=ci.estimate, ci_low=ci.low, ci_high=ci.high)
        if n_permutations > 0:
            perm = permuted[name].to_numpy(dtype=float)
            row.update(
                permuted_mean=perm.mean(),
                permuted_std=perm.std(ddof=1) if len(perm) > 1 else np.nan,
                p_value=_pvalue(row["cv_mean"], perm),
            )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("metric")
    table.attrs.update(
        n_splits=len(splits),
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        permutation_level=level,
        pos_label=positive,
    )
    return table


# --------------------------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------------------------
def learning_curve_table(
    estimator: BaseEstimator,
    X: Any,  # noqa: ANN401
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    cv: Any = None,  # noqa: ANN401
    train_sizes: ArrayLike = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0),
    scoring: str = "balanced_accuracy",
    pos_label: Any = None,  # noqa: ANN401
    random_state: int | None = SEED,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Training and validation score against the number of training samples.

    A thin wrapper of :func:`sklearn.model_selection.learning_curve` with the book's default
    splitter (grouped if ``groups`` are given) that returns a table ready to plot.  A curve
    still rising at the right end says that more data would help; a large, persistent gap
    between training and validation says the model overfits.

    Parameters
    ----------
    estimator
        The full pipeline.
    X, y
        Features and labels.
    groups
        Group labels, kept on one side of every split.
    cv
        ``None`` or an int for :func:`make_cv`, or any scikit-learn splitter.
    train_sizes
        Fractions (floats in (0, 1]) or absolute numbers of the training fold to use.
    scoring
        One scorer name.
    pos_label
        For two classes, the positive class (see :func:`evaluate`).
    random_state
        Seed of the splitter and of the subsampling of training folds.
    n_jobs
        Passed to :func:`~sklearn.model_selection.learning_curve`.

    Returns
    -------
    pandas.DataFrame
        One row per training size: ``n_train``, ``train_mean``, ``train_std``,
        ``validation_mean``, ``validation_std`` (over folds).

    """
    y_arr = _as_labels(y)
    grp = _as_labels(groups)
    classification = is_classifier(estimator)
    y_arr, _ = _encode_binary(y_arr, classification, pos_label)
    splits = _cv_splits(_resolve_cv(cv, y_arr, grp, classification, random_state), X, y_arr, grp)
    sizes, train, valid = learning_curve(
        clone(estimator),
        X,
        y_arr,
        cv=splits,
        train_sizes=np.asarray(train_sizes),
        scoring=scoring,
        shuffle=True,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return pd.DataFrame(
        {
            "n_train": sizes,
            "train_mean": train.mean(axis=1),
            "train_std": train.std(axis=1, ddof=1),
            "validation_mean": valid.mean(axis=1),
            "validation_std": valid.std(axis=1, ddof=1),
        }
    )
