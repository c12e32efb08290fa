"""Performance by subgroup and by site, with intervals that say how little a small group shows.

A model evaluated on everyone can fail a subgroup (women, older patients, one hospital) and the
overall score will not show it.  Small subgroups need intervals before any conclusion: a
difference of 0.05 in AUROC between a group of 40 and a group of 4,000 is usually noise.

:func:`subgroup_metrics`
    A metric per subgroup, with percentile bootstrap intervals (whole clusters resampled when
    ``groups`` are given), and the same for everyone.
:func:`held_out_groups`
    Leave-one-site-out evaluation: for each site, fit on all the other sites and score on it;
    a direct measure of how the model transports to a site it has never seen.
:func:`forest_plot`
    The tables above as a forest plot (estimate and interval per row, ``n`` in the labels).

The intervals come from :func:`mlbio.evaluation.bootstrap_ci`: they describe the sampling
variation of the *evaluated* samples for the predictions at hand, not the variation from
refitting the model on other training data.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, get_scorer
from sklearn.utils.metaestimators import available_if

from mlbio.calibration import (
    EPS,
    _as_array,
    _auroc,
    _binary_outcome,
    _brier,
    _citl,
    _probabilities,
    _scaled_brier,
    _slope,
)
from mlbio.evaluation import bootstrap_ci
from mlbio.plotting import OKABE_ITO, SEED

__all__ = ["METRICS", "forest_plot", "held_out_groups", "subgroup_metrics"]

Metric = Callable[[np.ndarray, np.ndarray], float]


def _auroc_or_raise(y: np.ndarray, s: np.ndarray) -> float:
    value = _auroc(y, s)
    if np.isnan(value):
        raise ValueError("AUROC needs both classes")
    return value


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    if y.sum() == 0:
        raise ValueError("average precision needs at least one event")
    return float(average_precision_score(y, s))


#: Metrics known by name: ``metric(y01, score) -> float``; ``probability``: needs [0, 1] scores.
METRICS: dict[str, tuple[Metric, bool]] = {
    "auroc": (_auroc_or_raise, False),
    "average_precision": (_average_precision, False),
    "brier": (_brier, True),
    "scaled_brier": (_scaled_brier, True),
    "observed_rate": (lambda y, p: float(np.mean(y)), False),
    "mean_predicted": (lambda y, p: float(np.mean(p)), False),
    "oe_ratio": (lambda y, p: float(np.sum(y) / np.sum(p)), True),
    "citl": (lambda y, p: _citl(y, p, EPS), True),
    "slope": (lambda y, p: _slope(y, p, EPS), True),
}

_NEEDS_BOTH = {"auroc", "average_precision", "scaled_brier", "citl", "slope"}


def _resolve_metrics(
    metrics: str | Sequence[str | Metric] | Mapping[str, Metric] | None,
    is_probability: bool,
) -> dict[str, tuple[Metric, bool]]:
    """Normalise ``metrics`` to ``{name: (function, needs_probabilities)}``."""
    if metrics is None:
        metrics = ["auroc", "brier"] if is_probability else ["auroc"]
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out: dict[str, tuple[Metric, bool]] = {}
    items = metrics.items() if isinstance(metrics, Mapping) else [(None, m) for m in metrics]
    for name, m in items:
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"Unknown metric {m!r}; known metrics: {', '.join(METRICS)}.")
            out[name or m] = METRICS[m]
        elif callable(m):
            out[name or getattr(m, "__name__", "metric")] = (m, False)
        else:
            raise TypeError(f"A metric must be a name or a function(y_true, y_score), got {m!r}.")
    return out


def _subgroup_levels(values: ArrayLike) -> tuple[np.ndarray, list]:
    """Subgroup labels (missing values as ``"(missing)"``) and their display order."""
    ordered = None
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        ordered = [c for c in values.cat.categories if (values == c).any()]
    arr = _as_array(values)
    arr = np.array(["(missing)" if pd.isna(v) else v for v in arr], dtype=object)
    if ordered is None:
        uniques = list(pd.unique(arr))
        try:
            ordered = sorted(uniques)
        except TypeError:
            ordered = uniques
    elif (arr == "(missing)").any():
        ordered.append("(missing)")
    return arr, ordered


def subgroup_metrics(
    y_true: ArrayLike,
    y_score: ArrayLike,
    subgroup: ArrayLike,
    *,
    metrics: str | Sequence[str | Metric] | Mapping[str, Metric] | None = None,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    min_size: int = 1,
    random_state: int | None = SEED,
    pos_label: Any = None,
) -> pd.DataFrame:
    """Metrics of one set of predictions within each subgroup, with bootstrap intervals.

    Parameters
    ----------
    y_true
        Binary outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    y_score
        Predicted probabilities (or scores) of the event, e.g. out-of-fold predictions.
    subgroup
        One label per sample (sex, age band, hospital...).  Missing labels form the subgroup
        ``"(missing)"``; an ordered categorical keeps its order.
    metrics
        Metric names from :data:`METRICS` (``"auroc"``, ``"average_precision"``, ``"brier"``,
        ``"scaled_brier"``, ``"observed_rate"``, ``"mean_predicted"``, ``"oe_ratio"``,
        ``"citl"``, ``"slope"``), functions ``f(y_true01, y_score) -> float``, or a
        ``{name: function}`` mapping.  Default: AUROC and Brier score if ``y_score`` lies in
        [0, 1], else AUROC.
    groups
        Cluster labels (patient, lesion...): within every subgroup the bootstrap resamples
        whole clusters, since samples of one cluster are not independent.
    n_bootstrap
        Bootstrap resamples per (subgroup, metric); 0 for no intervals.
    confidence
        Coverage of the intervals.
    min_size
        Subgroups with fewer samples get no estimate (NaN) and a note.
    random_state
        Seed of the bootstrap.
    pos_label
        The label of the event, if ``y_true`` is not 0/1.

    Returns
    -------
    pandas.DataFrame
        One row per (subgroup, metric), subgroups in sorted (or categorical) order, then the
        rows of everyone (``subgroup == "all"``).  Columns ``subgroup``, ``metric``, ``n``,
        ``events``, ``estimate``, ``ci_low``, ``ci_high``, ``note`` (why an entry is NaN, or
        how many resamples were usable), ``n_valid`` (usable resamples) and, with ``groups``,
        ``n_groups`` (clusters in the subgroup).  A subgroup with one class only gets NaN
        intervals: the bootstrap cannot show the uncertainty about events it never saw.

    Examples
    --------
    >>> y = [0, 1, 0, 1, 0, 1, 1, 0]
    >>> p = [0.2, 0.8, 0.3, 0.6, 0.4, 0.7, 0.45, 0.5]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> t = subgroup_metrics(y, p, sex, metrics="auroc", n_bootstrap=0)
    >>> t[["subgroup", "n", "estimate"]].to_numpy().tolist()
    [['F', 4, 1.0], ['M', 4, 0.75], ['all', 8, 0.9375]]

    """
    y = _binary_outcome(y_true, pos_label)
    score = np.asarray(y_score, dtype=float)
    if score.ndim != 1 or len(score) != len(y):
        raise ValueError(
            f"y_score must be one score per sample (shape ({len(y)},)), got shape {score.shape}."
        )
    if not np.all(np.isfinite(score)):
        raise ValueError("y_score contains NaN or infinite values.")
    labels, levels = _subgroup_levels(subgroup)
    if len(labels) != len(y):
        raise ValueError(f"subgroup has {len(labels)} values but y_true has {len(y)}.")
    grp = None if groups is None else _as_array(groups)
    if grp is not None and len(grp) != len(y):
        raise ValueError(f"groups has {len(grp)} values but y_true has {len(y)}.")
    is_probability = bool(np.all((score >= 0) & (score <= 1)))
    chosen = _resolve_metrics(metrics, is_probability)
    for name, (_, needs_probability) in chosen.items():
        if needs_probability:
            _probabilities(score, len(y), name=f"y_score (for {name!r})")
    if "all" in levels:
        raise ValueError('A subgroup is called "all", the name of the overall row: rename it.')

    rows = []
    for level in [*levels, "all"]:
        mask = np.ones(len(y), bool) if level == "all" else labels == level
        rows.extend(
            _rows_for(
                level,
                y[mask],
                score[mask],
                None if grp is None else grp[mask],
                chosen,
                n_bootstrap,
                confidence,
                min_size,
                random_state,
            )
        )
    columns = ["subgroup", "metric", "n", "events", "estimate", "ci_low", "ci_high", "note"]
    columns += ["n_valid"] + (["n_groups"] if grp is not None else [])
    table = pd.DataFrame(rows, columns=columns)
    table.attrs.update(
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        clustered=grp is not None,
        variable=getattr(subgroup, "name", None),
    )
    return table


def _rows_for(
    level: Any,
    y: np.ndarray,
    score: np.ndarray,
    grp: np.ndarray | None,
    chosen: dict[str, tuple[Metric, bool]],
    n_bootstrap: int,
    confidence: float,
    min_size: int,
    random_state: int | None,
) -> list[dict[str, Any]]:
    """Build the rows of one subgroup."""
    n, events = len(y), int(y.sum())
    one_class = events in (0, n)
    rows = []
    for name, (metric, _) in chosen.items():
        needs_both = name in _NEEDS_BOTH and metric is METRICS[name][0]
        row: dict[str, Any] = {
            "subgroup": level,
            "metric": name,
            "n": n,
            "events": events,
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "note": "",
            "n_valid": 0,
        }
        if grp is not None:
            row["n_groups"] = len(pd.unique(grp))
        rows.append(row)
        if n < min_size:
            row["note"] = f"n = {n} < min_size = {min_size}: not estimated"
            continue
        try:
            row["estimate"] = float(metric(y, score))
        except (ValueError, ZeroDivisionError, RuntimeError):
            row["estimate"] = np.nan
        if one_class:
            what = "no events" if events == 0 else "events only"
            undefined = "; metric undefined" if np.isnan(row["estimate"]) else ""
            row["note"] = f"one class only ({what}){undefined}: no interval"
            continue
        if np.isnan(row["estimate"]):
            row["note"] = "metric undefined for these data"
            continue
        if n_bootstrap > 0:
            ci = bootstrap_ci(
                y,
                score,
                _nan_on_error(metric, needs_both),
                groups=grp,
                n_bootstrap=n_bootstrap,
                confidence=confidence,
                random_state=random_state,
            )
            row.update(ci_low=ci.low, ci_high=ci.high, n_valid=ci.n_valid)
            if ci.n_valid < n_bootstrap:
                row["note"] = f"interval from {ci.n_valid} of {n_bootstrap} resamples"
    return rows


def _nan_on_error(metric: Metric, needs_both: bool) -> Metric:
    """Wrap a metric to return NaN (dropped by the bootstrap) where it is undefined."""

    def wrapped(y: np.ndarray, s: np.ndarray) -> float:
        if needs_both and len(np.unique(y)) < 2:
            return np.nan  # e.g. AUROC of a resample with one class
        try:
            return float(metric(y, s))
        except (ValueError, ZeroDivisionError, RuntimeError):
            return np.nan

    return wrapped


# --------------------------------------------------------------------------------------------
# Leave-one-site-out
# --------------------------------------------------------------------------------------------
class _Replay(BaseEstimator):
    """Returns stored outputs for sample indices, so that scikit-learn's scorers can score them."""

    def __init__(self, outputs: dict[str, np.ndarray], classes: np.ndarray | None) -> None:
        self.outputs = outputs
        self.classes = classes
        if classes is not None:
            self.classes_ = classes

    def fit(self, X: Any, y: Any = None) -> _Replay:
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


def _take(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]


def held_out_groups(
    estimator: BaseEstimator,
    X: Any,
    y: ArrayLike,
    site: ArrayLike,
    *,
    scoring: str | Callable[..., float] = "roc_auc",
    n_bootstrap: int = 1000,
    min_size: int = 10,
    pos_label: Any = None,
    random_state: int | None = SEED,
    groups: ArrayLike | None = None,
    confidence: float = 0.95,
    min_sites_for_site_bootstrap: int = 20,
) -> pd.DataFrame:
    """Leave-one-site-out evaluation: fit on all other sites, score on the held-out one.

    Cross-validation that mixes sites measures how a model does on *new patients of known
    sites*.  Holding out whole sites measures what matters for deployment elsewhere: how it
    does at *a site it has never seen* (an internal-external validation).  Every site is held
    out once; its rows are never in the training data of the model that predicts them.

    Parameters
    ----------
    estimator
        The whole modelling recipe (a :class:`~sklearn.pipeline.Pipeline`); cloned and refitted
        once per site.
    X, y
        Features (array or DataFrame) and labels.  For two classes, labels are recoded 1 for
        ``pos_label`` (default: the second in sorted order, as in
        :func:`mlbio.evaluation.evaluate`) and 0 otherwise.
    site
        One site label per sample (hospital, clinic, centre).
    scoring
        A scikit-learn scorer name (``"roc_auc"``, ``"balanced_accuracy"``,
        ``"neg_brier_score"``...) or a scorer ``f(estimator, X, y)``.
    n_bootstrap
        Bootstrap resamples for each interval (0 for none).
    min_size
        Sites with fewer samples are still held out and predicted (their predictions enter the
        pooled row) but get no score of their own.
    pos_label
        For two classes, the class that counts as positive.
    random_state
        Seed of the bootstrap.
    groups
        Cluster labels within sites (patients, lesions): per-site intervals resample them.
    confidence
        Coverage of the intervals.
    min_sites_for_site_bootstrap
        The pooled row's interval resamples whole sites when there are at least this many
        (it then includes the variation between sites); with fewer sites a cluster bootstrap
        is too coarse to trust, and it resamples ``groups`` (or samples) instead, as its
        ``note`` says.

    Returns
    -------
    pandas.DataFrame
        One row per site, then ``"pooled"``: ``site``, ``n``, ``n_train`` (missing for the
        pooled row), ``events`` (positives; NaN unless binary), ``score``, ``ci_low``, ``ci_high``,
        ``note``.  The pooled row scores all held-out predictions together, each made by a
        model that did not see its site.  ``attrs["oof"]`` holds the held-out outputs
        (binary: probability or decision value of the positive class, shape ``(n,)``; several
        classes: ``(n, k)`` probabilities; regression: predictions); ``attrs`` also records
        ``scoring``, ``pos_label``, ``n_bootstrap`` and ``confidence``.
        pandas compares the ``attrs`` of tables it concatenates and cannot compare arrays:
        ``attrs.pop("oof")`` from such tables before :func:`pandas.concat`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 2))
    >>> y = (X[:, 0] + rng.normal(size=90) > 0).astype(int)
    >>> site = np.repeat(["A", "B", "C"], 30)
    >>> t = held_out_groups(LogisticRegression(), X, y, site, n_bootstrap=0)
    >>> t["site"].tolist(), t["n_train"].tolist()[:3]
    (['A', 'B', 'C', 'pooled'], [60, 60, 60])

    """
    y_arr = _as_array(y)
    sites, levels = _subgroup_levels(site)
    n = len(y_arr)
    if len(sites) != n:
        raise ValueError(f"site has {len(sites)} values but y has {n}.")
    if len(levels) < 2:
        raise ValueError("held_out_groups needs at least two sites.")
    if "pooled" in levels:
        raise ValueError('A site is called "pooled", the name of the pooled row: rename it.')
    grp = None if groups is None else _as_array(groups)
    if grp is not None and len(grp) != n:
        raise ValueError(f"groups has {len(grp)} values but y has {n}.")
    classification = is_classifier(estimator)
    classes = np.unique(y_arr) if classification else None
    positive = None
    if classification and len(classes) == 2:
        positive = classes[1] if pos_label is None else pos_label
        if positive not in set(classes.tolist()):
            raise ValueError(f"pos_label={pos_label!r} is not one of {classes.tolist()}.")
        y_arr = (y_arr == positive).astype(int)
        classes = np.array([0, 1])
    elif pos_label is not None:
        raise ValueError("pos_label is only meaningful for two classes.")
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring

    outputs: dict[str, np.ndarray] = {}
    n_train = {}
    trained = np.zeros(n, bool)
    skipped: dict[Any, str] = {}
    for level in levels:
        test = np.flatnonzero(sites == level)
        train = np.flatnonzero(sites != level)
        n_train[level] = len(train)
        if classification and len(np.unique(y_arr[train])) < len(classes):
            skipped[level] = "the other sites lack a class: not evaluated"
            continue
        model = clone(estimator).fit(_take(X, train), y_arr[train])
        methods = ["predict", "predict_proba", "decision_function"] if classification else []
        for method in methods or ["predict"]:
            if not hasattr(model, method):
                continue
            part = np.asarray(getattr(model, method)(_take(X, test)))
            if method not in outputs:
                kind = part.dtype if method == "predict" and part.dtype.kind not in "fc" else float
                outputs[method] = np.zeros((n, *part.shape[1:]), dtype=kind)
                if outputs[method].dtype.kind == "f":
                    outputs[method][:] = np.nan
            outputs[method][test] = part
        trained[test] = True
    kind = _ClassifierReplay if classification else _RegressorReplay
    replay = kind(outputs, classes)

    ranked = None
    if scoring == "roc_auc" and positive is not None:
        # the default, made fast: the Mann-Whitney AUROC of the output that scikit-learn's
        # scorer would use (decision_function first, else the probability of the positive class)
        if "decision_function" in outputs:
            ranked = outputs["decision_function"]
        elif "predict_proba" in outputs:
            ranked = outputs["predict_proba"][:, 1]

    def score(idx: np.ndarray) -> float:
        if ranked is not None:
            return _auroc(y_arr[idx], ranked[idx])
        return float(scorer(replay, idx, y_arr[idx]))

    rows = []
    for level in levels:
        idx = np.flatnonzero(sites == level)
        rows.append(
            _site_row(
                level,
                idx,
                n_train[level],
                y_arr,
                score,
                None if grp is None else grp[idx],
                skipped.get(level),
                min_size,
                n_bootstrap,
                confidence,
                random_state,
                positive is not None,
            )
        )
    pooled = np.flatnonzero(trained)
    by_site = len(np.unique(sites[pooled])) >= min_sites_for_site_bootstrap
    if by_site:
        clusters, resampled = sites[pooled], "sites"
    else:
        clusters = None if grp is None else grp[pooled]
        resampled = "samples" if grp is None else "groups"
    rows.append(
        _site_row(
            "pooled",
            pooled,
            np.nan,
            y_arr,
            score,
            clusters,
            None if len(pooled) else "no site could be evaluated",
            1,
            n_bootstrap,
            confidence,
            random_state,
            positive is not None,
        )
    )
    if n_bootstrap > 0 and len(pooled) and not rows[-1]["note"]:
        rows[-1]["note"] = f"interval resamples {resampled}"
        if not by_site:
            rows[-1]["note"] += f" (fewer than {min_sites_for_site_bootstrap} sites)"
    table = pd.DataFrame(rows)
    table["n_train"] = table["n_train"].astype("Int64")  # missing for the pooled row
    if positive is not None:
        oof = outputs["predict_proba"][:, 1] if "predict_proba" in outputs else None
        if oof is None:
            oof = outputs["decision_function"]
    elif classification and "predict_proba" in outputs:
        oof = outputs["predict_proba"]
    else:
        oof = outputs.get("predict")
    table.attrs.update(
        oof=oof,
        scoring=scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "custom"),
        pos_label=positive,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
    )
    return table


def _site_row(
    level: Any,
    idx: np.ndarray,
    n_train: float,
    y: np.ndarray,
    score: Callable[[np.ndarray], float],
    clusters: np.ndarray | None,
    skipped: str | None,
    min_size: int,
    n_bootstrap: int,
    confidence: float,
    random_state: int | None,
    binary: bool,
) -> dict[str, Any]:
    """Score (and interval) of one held-out site, or of the pooled predictions."""
    row: dict[str, Any] = {
        "site": level,
        "n": len(idx),
        "n_train": n_train,
        "events": int(y[idx].sum()) if binary else np.nan,
        "score": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "note": "",
    }
    if skipped:
        row["note"] = skipped
        return row
    if len(idx) < min_size:
        row["note"] = f"n = {len(idx)} < min_size = {min_size}: no score of its own"
        return row
    one_class = binary and row["events"] in (0, len(idx))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            warnings.simplefilter("ignore", UserWarning)
            value = score(idx)
    except ValueError as err:
        value, why = np.nan, f"score undefined ({err})"
    else:
        why = "score undefined"
    if not np.isfinite(value):
        row["note"] = "one class only: score undefined" if one_class else why
        return row
    row["score"] = value
    if one_class:
        row["note"] = "one class only: no interval"
        return row
    if n_bootstrap > 0:
        ci = bootstrap_ci(
            y[idx],
            idx,
            lambda _, sample: score(sample),
            groups=clusters,
            n_bootstrap=n_bootstrap,
            confidence=confidence,
            random_state=random_state,
        )
        row.update(ci_low=ci.low, ci_high=ci.high)
        if ci.n_valid < n_bootstrap:
            row["note"] = f"interval from {ci.n_valid} of {n_bootstrap} resamples"
    return row


# --------------------------------------------------------------------------------------------
# Forest plot
# --------------------------------------------------------------------------------------------
def forest_plot(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    reference: float | Mapping[str, float] | None = None,
    metric: str | None = None,
) -> Axes | np.ndarray:
    """Forest plot of a :func:`subgroup_metrics` (or :func:`held_out_groups`) table.

    One row per subgroup (site): the estimate as a dot and its interval as a line, ``n`` in the
    row's label.  The overall row (``"all"`` or ``"pooled"``) is drawn last as a black diamond,
    with a dashed vertical line through it; rows without an estimate say why.

    Parameters
    ----------
    table
        Output of :func:`subgroup_metrics` (columns ``subgroup``, ``metric``, ``estimate``...)
        or of :func:`held_out_groups` (columns ``site``, ``score``...).
    ax
        Axes to draw on (one metric only); default: a new figure.
    reference
        Optional reference value drawn as a dotted line (e.g. 0.5, the AUROC of chance), or a
        ``{metric: value}`` mapping when several metrics are drawn.
    metric
        Which metric to draw when the table holds several; default: all of them, one panel
        each (then ``ax`` must be ``None``).

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray
        The axes (an array of axes when several metrics are drawn).

    Examples
    --------
    >>> t = pd.DataFrame({"subgroup": ["F", "M", "all"], "metric": "auroc", "n": [40, 60, 100],
    ...                   "estimate": [0.7, 0.8, 0.76], "ci_low": [0.55, 0.7, 0.67],
    ...                   "ci_high": [0.85, 0.9, 0.85]})
    >>> ax = forest_plot(t, reference=0.5)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['F (n = 40)', 'M (n = 60)', 'all (n = 100)']
    >>> plt.close(ax.figure)

    """
    confidence = table.attrs.get("confidence", 0.95)
    scoring = table.attrs.get("scoring")
    table = table.copy()
    table.attrs = {}  # attrs may hold arrays ("oof"): pandas cannot compare them in concat
    if "subgroup" in table.columns:
        label_col, value_col, overall, ylabel = "subgroup", "estimate", "all", "Subgroup"
    elif "site" in table.columns:
        label_col, value_col, overall, ylabel = "site", "score", "pooled", "Held-out site"
    else:
        raise ValueError(
            "table must come from subgroup_metrics (a 'subgroup' column) or held_out_groups "
            "(a 'site' column)."
        )
    missing = [c for c in (value_col, "ci_low", "ci_high") if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the column(s) {missing}.")
    if "metric" in table.columns:
        names = list(pd.unique(table["metric"]))
        if metric is not None:
            if metric not in names:
                raise ValueError(f"metric {metric!r} is not in the table (it has {names}).")
            names = [metric]
    else:
        names = [metric or scoring or value_col]
    if len(names) > 1:
        if ax is not None:
            raise ValueError(
                f"The table holds {len(names)} metrics ({names}): pass metric=... to draw one "
                "on the given ax, or ax=None to draw one panel per metric."
            )
        height = 0.9 + 0.35 * len(pd.unique(table[label_col]))
        fig, axes = plt.subplots(
            1, len(names), sharey=True, figsize=(3.6 * len(names) + 1.2, height), squeeze=False
        )
        for a, name in zip(axes[0], names, strict=True):
            ref = _ref(reference, name)
            _draw_forest(a, table, name, label_col, value_col, overall, ref, confidence)
        axes[0, 0].set_ylabel(ylabel)
        fig.tight_layout()
        return axes[0]
    name = names[0]
    if ax is None:
        rows = len(table) if "metric" not in table.columns else (table["metric"] == name).sum()
        _, ax = plt.subplots(figsize=(6.4, 0.9 + 0.35 * rows))
    _draw_forest(ax, table, name, label_col, value_col, overall, _ref(reference, name), confidence)
    ax.set_ylabel(ylabel)
    return ax


def _ref(reference: float | Mapping[str, float] | None, name: str) -> float | None:
    """Pick the reference value of one metric."""
    if isinstance(reference, Mapping):
        return reference.get(name)
    return reference


def _draw_forest(
    ax: Axes,
    table: pd.DataFrame,
    name: str,
    label_col: str,
    value_col: str,
    overall: str,
    reference: float | None,
    confidence: float,
) -> None:
    part = table[table["metric"] == name] if "metric" in table.columns else table
    part = pd.concat([part[part[label_col] != overall], part[part[label_col] == overall]])
    k = len(part)
    ypos = np.arange(k)[::-1].astype(float)  # first row at the top
    est = part[value_col].to_numpy(dtype=float)
    low = part["ci_low"].to_numpy(dtype=float)
    high = part["ci_high"].to_numpy(dtype=float)
    is_overall = (part[label_col] == overall).to_numpy()
    has_ci = np.isfinite(low) & np.isfinite(high)
    for rows, colour, marker, size in (
        (~is_overall, OKABE_ITO[0], "o", 6),
        (is_overall, OKABE_ITO[7], "D", 7),
    ):
        ci = rows & has_ci
        ax.hlines(ypos[ci], low[ci], high[ci], color=colour, linewidth=2)
        ax.plot(est[rows], ypos[rows], linestyle="none", marker=marker, color=colour, ms=size)
    if is_overall.any() and np.isfinite(est[is_overall][0]):
        ax.axvline(est[is_overall][0], color="0.45", linestyle="--", linewidth=1)
    if reference is not None:
        ax.axvline(reference, color=OKABE_ITO[5], linestyle=":", linewidth=1.5)
    blended = blended_transform_factory(ax.transAxes, ax.transData)
    for y_, value in zip(ypos, est, strict=True):
        if not np.isfinite(value):
            ax.text(0.02, y_, "not estimable", transform=blended, va="center", fontsize=9)
    ns = part["n"].tolist() if "n" in part.columns else [None] * k
    labels = [
        f"{lab} (n = {n})" if n is not None else f"{lab}"
        for lab, n in zip(part[label_col].tolist(), ns, strict=True)
    ]
    ax.set_yticks(ypos, labels)
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_xlabel(f"{name} ({confidence:.0%} interval)")
    ax.grid(axis="y", visible=False)
