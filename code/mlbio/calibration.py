"""Calibration of predicted probabilities: whether the stated risks match what happens.

A model can rank patients well (high AUROC) and still state the wrong risks: 30 % where 10 %
of such patients have the event.  Decisions taken on a threshold of risk then go wrong.  This
module measures calibration the way clinical prediction research does (Van Calster et al.,
2019; Steyerberg, 2019) and turns risks into decisions:

:func:`calibration_summary`
    Calibration-in-the-large, calibration slope, observed/expected ratio, Brier score, scaled
    Brier score and AUROC in one table, with (cluster) bootstrap intervals if asked.
:func:`reliability_table`
    Observed event rate against mean predicted risk in bins, with Wilson intervals: the data
    of a reliability (calibration) curve.
:func:`net_benefit`
    Decision curves (Vickers & Elkin, 2006): net benefit of acting on the model at each risk
    threshold, against acting on everyone or no one.
:func:`prevalence_shift`
    Bayes' rule on the odds: probabilities learnt on a balanced or case-control sample,
    re-weighted to the prevalence of the population the model will serve (Elkan, 2001;
    Saerens et al., 2002).

Every function takes binary outcomes as 0/1 (or booleans), or any two labels with
``pos_label`` naming the event; pandas Series with Arrow-backed strings are accepted.

Notes
-----
The logistic recalibration models are fitted by unpenalised maximum likelihood
(:func:`scipy.optimize.minimize`, trust-region Newton with the exact gradient and Hessian); a fit
that does not converge raises an error instead of returning a number.  Probabilities are clipped
to ``[eps, 1 - eps]`` (default ``eps = 1e-6``) **only** before taking their logit, because a
probability of exactly 0 or 1 has an infinite logit; the Brier score, the observed/expected
ratio and the reliability table use the unclipped values.

"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import expit, logit
from scipy.stats import binomtest, rankdata

from mlbio.evaluation import bootstrap_ci
from mlbio.plotting import SEED

__all__ = [
    "CalibrationWarning",
    "calibration_intercept",
    "calibration_slope",
    "calibration_summary",
    "net_benefit",
    "prevalence_shift",
    "reliability_table",
]

#: Default clipping of probabilities before their logit (see the module notes).
EPS = 1e-6


class CalibrationWarning(RuntimeWarning):
    """A calibration measure is undefined for these data (and was returned as NaN)."""


# --------------------------------------------------------------------------------------------
# Input checks shared with mlbio.subgroups
# --------------------------------------------------------------------------------------------
def _as_array(values: ArrayLike) -> np.ndarray:
    """Convert to a plain NumPy array (pandas 3 string columns are Arrow-backed: objects)."""
    if isinstance(values, pd.Series | pd.Index):
        arr = values.to_numpy()
        return arr if arr.dtype.kind in "biuf" else arr.astype(object)
    return np.asarray(values)


def _binary_outcome(y_true: ArrayLike, pos_label: Any = None, name: str = "y_true") -> np.ndarray:
    """Binary outcome as an int array of 0/1 (1 = the event).

    Without ``pos_label`` the values must already be 0/1 or booleans: with labels such as
    ``"mel"``/``"nv"`` or 1/2 the event must be named, since calibration of the wrong class
    is a silent, serious error.
    """
    y = _as_array(y_true)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {y.shape}.")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{name} contains NaN: drop or impute missing outcomes first.")
    if pos_label is not None:
        values = pd.unique(y)
        if len(values) > 2:
            raise ValueError(
                f"{name} has {len(values)} distinct values; these functions need two classes."
            )
        if pos_label not in set(values.tolist()):
            raise ValueError(f"pos_label={pos_label!r} does not occur in {name}.")
        return (y == pos_label).astype(int)
    if y.dtype.kind == "b":
        return y.astype(int)
    values = set(pd.unique(y).tolist())
    numeric = all(isinstance(v, bool | int | float | np.number | np.bool_) for v in values)
    if numeric and values <= {0, 1}:
        return y.astype(int)
    shown = sorted(map(str, values))[:5]
    raise ValueError(
        f"{name} must hold 0/1 (or booleans), got the values {shown}. "
        "Pass pos_label=<the event's label> to say which class is the event."
    )


def _probabilities(prob: ArrayLike, n: int | None = None, name: str = "prob") -> np.ndarray:
    """Predicted probabilities of the event as a float array, checked to lie in [0, 1]."""
    p = np.asarray(prob, dtype=float)
    if p.ndim == 2 and p.shape[1] == 2:
        raise ValueError(
            f"{name} has two columns (the output of predict_proba?): pass the probability of "
            "the event only, e.g. model.predict_proba(X)[:, 1]."
        )
    if p.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {p.shape}.")
    if n is not None and len(p) != n:
        raise ValueError(f"y_true has {n} values but {name} has {len(p)}: they must match.")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} value(s) of {name} lie outside [0, 1] (range {p.min():.3g} to "
            f"{p.max():.3g}): these are not probabilities. Scores such as decision_function "
            "outputs must be calibrated (e.g. CalibratedClassifierCV) before this check."
        )
    return p


def _check_both_classes(y: np.ndarray, what: str) -> None:
    events = int(y.sum())
    if events == 0 or events == len(y):
        only = "no event" if events == 0 else "only events"
        raise ValueError(
            f"y_true has {only} ({events} of {len(y)}): {what} needs both outcomes. "
            "Evaluate on a sample that contains events and non-events."
        )


# --------------------------------------------------------------------------------------------
# Logistic recalibration models
# --------------------------------------------------------------------------------------------
def _logit(p: np.ndarray, eps: float) -> np.ndarray:
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps!r}.")
    return logit(np.clip(p, eps, 1 - eps))


def _fit_logistic(design: np.ndarray, y: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Unpenalised maximum-likelihood logistic regression of ``y`` on ``design`` + offset."""

    def loss_grad(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = design @ beta + offset
        loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        return loss, design.T @ (expit(eta) - y)

    def hessian(beta: np.ndarray) -> np.ndarray:
        mu = expit(design @ beta + offset)
        return (design * (mu * (1 - mu))[:, None]).T @ design

    start = np.zeros(design.shape[1])
    if design.shape[1] == 2:
        start[1] = 1.0  # a calibrated model has slope 1: start there
    res = minimize(loss_grad, start, jac=True, hess=hessian, method="trust-exact")
    grad = np.abs(res.jac).max() if res.jac is not None else np.inf
    if not res.success or not np.isfinite(res.x).all() or grad > 1e-4 * max(1, len(y)):
        raise RuntimeError(
            f"The logistic recalibration model did not converge ({res.message}); the "
            "calibration measure cannot be trusted for these data."
        )
    return res.x


def _citl(y: np.ndarray, p: np.ndarray, eps: float) -> float:
    """Intercept of ``logit P(y=1) = a + logit(p)`` (slope fixed at 1); NaN if undefined."""
    events = y.sum()
    if events == 0 or events == len(y):
        return np.nan
    lp = _logit(p, eps)
    return float(_fit_logistic(np.ones((len(y), 1)), y, lp)[0])


def _slope(y: np.ndarray, p: np.ndarray, eps: float) -> float:
    """Coefficient ``b`` of ``logit P(y=1) = a + b logit(p)``; NaN if the MLE does not exist."""
    events = y.sum()
    if events == 0 or events == len(y):
        return np.nan
    lp = _logit(p, eps)
    lo1, hi1 = lp[y == 1].min(), lp[y == 1].max()
    lo0, hi0 = lp[y == 0].min(), lp[y == 0].max()
    if hi0 <= lo1 or hi1 <= lo0 or np.ptp(lp) == 0:
        # (quasi-)complete separation, or constant predictions: no finite slope
        return np.nan
    design = np.column_stack([np.ones_like(lp), lp])
    return float(_fit_logistic(design, y, np.zeros_like(lp))[1])


def _warn_slope(p: np.ndarray, stacklevel: int) -> None:
    why = (
        "the predictions are constant"
        if np.ptp(p) == 0
        else "the predictions separate the outcomes perfectly"
    )
    warnings.warn(
        f"The calibration slope is undefined ({why}): it is reported as NaN.",
        CalibrationWarning,
        stacklevel=stacklevel,
    )


def calibration_intercept(
    y_true: ArrayLike, prob: ArrayLike, *, pos_label: Any = None, eps: float = EPS
) -> float:
    """Calibration-in-the-large: the intercept ``a`` of ``logit P(y=1) = a + logit(p)``.

    The model's log-odds enter as an offset (slope fixed at 1), so ``a`` is the shift of the
    log-odds that makes the mean predicted risk agree with the observed rate: ``a < 0`` means
    the model over-estimates risk on average, ``a > 0`` that it under-estimates it.

    Parameters
    ----------
    y_true
        Outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    prob
        Predicted probabilities of the event.
    pos_label
        The label of the event, if ``y_true`` is not 0/1.
    eps
        Probabilities are clipped to ``[eps, 1 - eps]`` before the logit.

    Returns
    -------
    float
        The intercept (0 for a model calibrated in the large).

    Examples
    --------
    >>> round(calibration_intercept([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5]), 6)
    0.0

    """
    y = _binary_outcome(y_true, pos_label)
    p = _probabilities(prob, len(y))
    _check_both_classes(y, "calibration-in-the-large")
    return _citl(y, p, eps)


def calibration_slope(
    y_true: ArrayLike, prob: ArrayLike, *, pos_label: Any = None, eps: float = EPS
) -> float:
    """Calibration slope: the coefficient ``b`` of ``logit P(y=1) = a + b logit(p)``.

    ``b = 1`` for a calibrated model; ``b < 1`` means predictions too extreme (typical of an
    overfitted model: low risks too low, high risks too high); ``b > 1`` means predictions too
    modest.

    Parameters
    ----------
    y_true
        Outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    prob
        Predicted probabilities of the event.
    pos_label
        The label of the event, if ``y_true`` is not 0/1.
    eps
        Probabilities are clipped to ``[eps, 1 - eps]`` before the logit.

    Returns
    -------
    float
        The slope; NaN (with a :class:`CalibrationWarning`) if the predictions separate the
        outcomes perfectly or are constant, because no finite slope fits them.

    Examples
    --------
    >>> y = [0, 0, 1, 0, 1, 1]
    >>> round(calibration_slope(y, [0.2, 0.4, 0.3, 0.6, 0.7, 0.8]), 2)
    1.14

    """
    y = _binary_outcome(y_true, pos_label)
    p = _probabilities(prob, len(y))
    _check_both_classes(y, "the calibration slope")
    value = _slope(y, p, eps)
    if np.isnan(value):
        _warn_slope(p, stacklevel=3)
    return value


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------
def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def _scaled_brier(y: np.ndarray, p: np.ndarray) -> float:
    rate = y.mean()
    reference = rate * (1 - rate)  # Brier score of always predicting the observed rate
    return float(1 - _brier(y, p) / reference) if reference > 0 else np.nan


def _auroc(y: np.ndarray, p: np.ndarray) -> float:
    """AUROC as the Mann-Whitney statistic (ties count one half); NaN with one class.

    Equal to :func:`sklearn.metrics.roc_auc_score`, and several times faster inside a bootstrap.
    """
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return np.nan
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _statistics(eps: float) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    """Name -> statistic(y, p), in the order of the summary table."""
    return {
        "n": lambda y, p: float(len(y)),
        "events": lambda y, p: float(y.sum()),
        "observed_rate": lambda y, p: float(y.mean()),
        "mean_predicted": lambda y, p: float(p.mean()),
        "oe_ratio": lambda y, p: float(y.sum() / p.sum()) if p.sum() > 0 else np.nan,
        "citl": lambda y, p: _citl(y, p, eps),
        "slope": lambda y, p: _slope(y, p, eps),
        "brier": _brier,
        "scaled_brier": _scaled_brier,
        "auroc": _auroc,
    }


def calibration_summary(
    y_true: ArrayLike,
    prob: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    random_state: int | None = SEED,
    pos_label: Any = None,
    eps: float = EPS,
) -> pd.Series | pd.DataFrame:
    """Calibration and discrimination of predicted probabilities, in one table.

    Parameters
    ----------
    y_true
        Outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    prob
        Predicted probabilities of the event (e.g. out-of-fold, from
        :func:`mlbio.evaluation.oof_predictions`), one per sample.
    groups
        Cluster labels (patient, hospital...): the bootstrap then resamples whole clusters.
    n_bootstrap
        0 (default) for point estimates only; otherwise the number of bootstrap resamples
        for percentile intervals (:func:`mlbio.evaluation.bootstrap_ci`; 1000 is typical).
    confidence
        Coverage of the intervals.
    random_state
        Seed of the bootstrap.
    pos_label
        The label of the event, if ``y_true`` is not 0/1.
    eps
        Probabilities are clipped to ``[eps, 1 - eps]`` before their logit (``citl`` and
        ``slope`` only).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Indexed by measure:

        ``n``, ``events``
            Samples and events.
        ``observed_rate``, ``mean_predicted``
            Event rate and mean predicted probability.
        ``oe_ratio``
            Observed / expected events (``events / sum(prob)``): 1 if calibrated in the large,
            above 1 if the model under-predicts.
        ``citl``
            Calibration-in-the-large: intercept of the logistic recalibration with
            ``logit(prob)`` as an offset (0 if calibrated; negative if risks are too high).
        ``slope``
            Calibration slope: coefficient of ``logit(prob)`` in a logistic regression of the
            outcome (1 if calibrated; below 1 if predictions are too extreme).
        ``brier``, ``scaled_brier``
            Mean squared error of the probabilities, and ``1 - brier / brier_ref`` where the
            reference predicts the observed rate for everyone (Steyerberg et al., 2010): 0 is
            no better than the prevalence, 1 is perfect, negative is worse than the prevalence.
        ``auroc``
            Area under the ROC curve (discrimination, for comparison).

        A Series (``name="estimate"``) if ``n_bootstrap == 0``; else a DataFrame with columns
        ``estimate``, ``ci_low``, ``ci_high`` (the counts ``n`` and ``events`` get no
        interval).  ``attrs`` records ``n_bootstrap``, ``confidence`` and ``n_groups``.

    Raises
    ------
    ValueError
        If probabilities lie outside [0, 1], lengths differ or only one outcome occurs.

    Warns
    -----
    CalibrationWarning
        If the slope is undefined (perfect separation or constant predictions).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 2000)
    >>> y = rng.uniform(size=2000) < p  # outcomes drawn with exactly these risks
    >>> s = calibration_summary(y, p)
    >>> bool(abs(s["slope"] - 1) < 0.15 and abs(s["citl"]) < 0.15)
    True

    """
    y = _binary_outcome(y_true, pos_label)
    p = _probabilities(prob, len(y))
    _check_both_classes(y, "calibration_summary")
    grp = None if groups is None else _as_array(groups)
    if grp is not None and len(grp) != len(y):
        raise ValueError(f"groups has {len(grp)} values but y_true has {len(y)}.")
    stats = _statistics(eps)
    estimate = {name: f(y, p) for name, f in stats.items()}
    if np.isnan(estimate["slope"]):
        _warn_slope(p, stacklevel=3)
    n_groups = None if grp is None else len(pd.unique(grp))
    attrs = {"n_bootstrap": n_bootstrap, "confidence": confidence, "n_groups": n_groups}
    if n_bootstrap == 0:
        out = pd.Series(estimate, name="estimate", dtype=float)
        out.attrs.update(attrs)
        return out
    rows = []
    for name, f in stats.items():
        if name in ("n", "events"):
            rows.append((estimate[name], np.nan, np.nan))
            continue
        ci = bootstrap_ci(
            y,
            p,
            _nan_on_error(f),
            groups=grp,
            n_bootstrap=n_bootstrap,
            confidence=confidence,
            random_state=random_state,
        )
        rows.append((estimate[name], ci.low, ci.high))
    table = pd.DataFrame(rows, index=list(stats), columns=["estimate", "ci_low", "ci_high"])
    table.index.name = "measure"
    table.attrs.update(attrs)
    return table


def _nan_on_error(
    f: Callable[[np.ndarray, np.ndarray], float],
) -> Callable[[np.ndarray, np.ndarray], float]:
    """Wrap a statistic to return NaN (dropped by the bootstrap) where it is undefined."""

    def wrapped(y: np.ndarray, p: np.ndarray) -> float:
        try:
            return f(y, p)
        except (RuntimeError, ValueError, ZeroDivisionError):
            return np.nan

    return wrapped


# --------------------------------------------------------------------------------------------
# Reliability table
# --------------------------------------------------------------------------------------------
def reliability_table(
    y_true: ArrayLike,
    prob: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    confidence: float = 0.95,
    pos_label: Any = None,
) -> pd.DataFrame:
    """Observed event rate against mean predicted probability, bin by bin.

    The data of a reliability diagram: a calibrated model's points lie on the diagonal.  Each
    bin's observed rate comes with a Wilson score interval (:func:`scipy.stats.binomtest`),
    which behaves well for small bins and rates near 0 or 1.

    Parameters
    ----------
    y_true
        Outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    prob
        Predicted probabilities of the event.
    n_bins
        Number of bins.
    strategy
        ``"quantile"``: bins of (nearly) equal size, edges at quantiles of ``prob`` (tied
        edges are merged, so there may be fewer bins); ``"uniform"``: equal-width bins on
        [0, 1] (empty bins are dropped).
    confidence
        Coverage of the Wilson intervals.
    pos_label
        The label of the event, if ``y_true`` is not 0/1.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin`` (0, 1, ...), ``n``, ``mean_predicted``,
        ``observed`` (event rate), ``ci_low``, ``ci_high``, then ``events`` and the bin edges
        ``lower`` and ``upper``.

    Examples
    --------
    >>> t = reliability_table([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], n_bins=2)
    >>> t[["n", "events", "observed"]].to_numpy().tolist()
    [[3.0, 1.0, 0.3333333333333333], [3.0, 2.0, 0.6666666666666666]]

    """
    y = _binary_outcome(y_true, pos_label)
    p = _probabilities(prob, len(y))
    if not (isinstance(n_bins, int | np.integer) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
        if len(edges) == 1:  # every prediction equal: one bin
            edges = np.array([edges[0], edges[0]])
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}.")
    # bin i holds edges[i] <= p < edges[i + 1]; the last bin also holds its upper edge
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        mask = which == b
        n = int(mask.sum())
        if n == 0:
            continue
        events = int(y[mask].sum())
        ci = binomtest(events, n).proportion_ci(confidence_level=confidence, method="wilson")
        rows.append(
            {
                "n": n,
                "mean_predicted": float(p[mask].mean()),
                "observed": events / n,
                "ci_low": float(ci.low),
                "ci_high": float(ci.high),
                "events": events,
                "lower": edges[b],
                "upper": edges[b + 1],
            }
        )
    table = pd.DataFrame(rows).astype(float)
    table.insert(0, "bin", np.arange(len(table)))
    return table


# --------------------------------------------------------------------------------------------
# Decision curves
# --------------------------------------------------------------------------------------------
def net_benefit(
    y_true: ArrayLike,
    prob: ArrayLike,
    thresholds: ArrayLike,
    *,
    pos_label: Any = None,
) -> pd.DataFrame:
    """Net benefit of deciding with the model, for every risk threshold (decision curves).

    At a threshold probability ``t`` a clinician treats (biopsies, refers...) when the risk is
    at least ``t``; choosing ``t`` says how many unnecessary treatments one accepts to treat
    one patient who needs it: ``(1 - t) / t``.  The net benefit (Vickers & Elkin, 2006) counts
    true positives and charges false positives at that exchange rate:

    ``NB(t) = TP / n - FP / n * t / (1 - t)``.

    A model is useful at ``t`` only if its net benefit beats both "treat all" and "treat none"
    (net benefit 0).

    Parameters
    ----------
    y_true
        Outcomes: 0/1 or booleans, or two labels with ``pos_label``.
    prob
        Predicted probabilities of the event.
    thresholds
        Threshold probabilities in [0, 1).
    pos_label
        The label of the event, if ``y_true`` is not 0/1.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``model`` (treat when ``prob >= threshold``), ``treat_all``,
        ``treat_none`` (always 0).

    Examples
    --------
    >>> t = net_benefit([0, 1, 1, 0], [0.2, 0.8, 0.6, 0.4], [0.0, 0.5])
    >>> t["model"].round(3).tolist(), t["treat_all"].round(3).tolist()
    ([0.5, 0.5], [0.5, 0.0])

    """
    y = _binary_outcome(y_true, pos_label)
    p = _probabilities(prob, len(y))
    t = np.atleast_1d(np.asarray(thresholds, dtype=float))
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any((t < 0) | (t >= 1)):
        raise ValueError("thresholds must be probabilities in [0, 1) (at 1 no one is treated).")
    n = len(y)
    prevalence = y.mean()
    odds = t / (1 - t)
    treated = p[None, :] >= t[:, None]
    tp = (treated & (y[None, :] == 1)).sum(axis=1)
    fp = (treated & (y[None, :] == 0)).sum(axis=1)
    return pd.DataFrame(
        {
            "threshold": t,
            "model": tp / n - fp / n * odds,
            "treat_all": prevalence - (1 - prevalence) * odds,
            "treat_none": np.zeros_like(t),
        }
    )


# --------------------------------------------------------------------------------------------
# Prevalence shift
# --------------------------------------------------------------------------------------------
def prevalence_shift(
    prob: ArrayLike,
    from_prevalence: float | Sequence[float],
    to_prevalence: float | Sequence[float],
) -> np.ndarray:
    """Re-weight predicted probabilities from one class prevalence to another (Bayes' rule).

    A model trained on a balanced or case-control sample learns ``P(event | x)`` at the
    sample's prevalence.  If only the prevalence differs in the target population (the
    class-conditional distributions ``P(x | class)`` are the same: "prior shift"), Bayes' rule
    gives the probabilities at the target prevalence by scaling the odds by the ratio of the
    prior odds (Elkan, 2001; Saerens et al., 2002):

    ``odds_new = odds * [to / (1 - to)] / [from / (1 - from)]``.

    Ranking (hence AUROC) is unchanged; calibration at the target prevalence is what changes.
    The assumption matters: if the balanced sample was selected in other ways too (e.g. easy
    cases), no re-weighting fixes that.

    Parameters
    ----------
    prob
        Probabilities of the event, shape ``(n,)``; or, for several classes, an ``(n, k)``
        array of class probabilities (each row summing to 1).
    from_prevalence
        Prevalence of the event in the sample the model learnt from (for ``(n, k)``
        probabilities: the ``k`` class proportions).
    to_prevalence
        Prevalence in the target population (same shape as ``from_prevalence``).

    Returns
    -------
    numpy.ndarray
        The re-weighted probabilities, same shape as ``prob``.

    Examples
    --------
    A probability of 0.5 learnt on a balanced sample is the prevalence itself in a population
    where 10 % have the event:

    >>> prevalence_shift([0.5, 0.9], 0.5, 0.1).round(4).tolist()
    [0.1, 0.5]

    """
    p = np.asarray(prob, dtype=float)
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("prob must hold probabilities in [0, 1].")
    if p.ndim == 2:
        source = np.asarray(from_prevalence, dtype=float)
        target = np.asarray(to_prevalence, dtype=float)
        k = p.shape[1]
        for name, v in (("from_prevalence", source), ("to_prevalence", target)):
            if v.shape != (k,) or np.any(v <= 0) or abs(v.sum() - 1) > 1e-6:
                raise ValueError(
                    f"{name} must hold {k} positive class proportions summing to 1 "
                    f"(one per column of prob), got {v.tolist()}."
                )
        weighted = p * (target / source)[None, :]
        total = weighted.sum(axis=1, keepdims=True)
        if np.any(total == 0):
            raise ValueError("A row of prob is all zeros: it is not a probability vector.")
        return weighted / total
    if p.ndim > 2:
        raise ValueError(f"prob must have one or two dimensions, got shape {p.shape}.")
    for name, v in (("from_prevalence", from_prevalence), ("to_prevalence", to_prevalence)):
        if np.ndim(v) != 0 or not 0 < float(v) < 1:
            raise ValueError(f"{name} must be a prevalence strictly between 0 and 1, got {v!r}.")
    source, target = float(from_prevalence), float(to_prevalence)
    ratio = (target / (1 - target)) / (source / (1 - source))
    # p * r / (p * r + 1 - p) is the odds rule written so that p = 0 and p = 1 stay exact
    return p * ratio / (p * ratio + (1 - p))
