"""Sample size to develop a prediction model for a binary outcome (Riley et al., 2020).

The rule of thumb "ten events per variable" ignores how strong the model is expected to be and
how common the outcome is.  Riley et al. (BMJ 2020) replace it by criteria computed from the
number of candidate predictor parameters ``P``, the outcome proportion ``phi`` and the model's
anticipated Cox-Snell R² (``R2``), the criteria that the R package ``pmsampsize`` implements:

:func:`riley_binary`
    The minimum sample size for (i) an expected shrinkage of the predictor effects of at most
    10 % (``S >= 0.9``), (ii) a difference of at most 0.05 between the apparent and the adjusted
    Nagelkerke R², and (iii) the overall risk estimated within ±0.05 (95 % confidence).
:func:`expected_shrinkage`
    The reverse of criterion (i): the shrinkage to expect for a given sample size.
:func:`max_cox_snell_r2`, :func:`cox_snell_r2`
    The largest Cox-Snell R² an outcome proportion allows, and the Cox-Snell R² of a set of
    predicted probabilities (for instance those of an existing model on new data, which Riley
    et al. suggest as the anticipated R²).

Formulas (natural logarithms; Riley et al., 2020, and for binary outcomes in detail Riley et
al., 2019):

* (i)  ``n = P / ((S - 1) ln(1 - R2 / S))`` with ``S = 0.9``;
* (ii) the same formula with ``S = R2 / (R2 + delta max(R2))``, ``delta = 0.05``, where
  ``max(R2) = 1 - (phi^phi (1 - phi)^(1 - phi))^2``;
* (iii) ``n = (z / margin)^2 phi (1 - phi)`` with ``z = 1.96`` and ``margin = 0.05``.

The BMJ paper adds, for binary outcomes, a criterion on the mean absolute prediction error;
it is not computed here.

References
----------
Riley, R. D., Ensor, J., Snell, K. I. E., Harrell, F. E., Martin, G. P., Reitsma, J. B.,
Moons, K. G. M., Collins, G. & van Smeden, M. (2020). Calculating the sample size required for
developing a clinical prediction model. *BMJ*, 368, m441.

Riley, R. D., Snell, K. I. E., Ensor, J., Burke, D. L., Harrell, F. E., Moons, K. G. M. &
Collins, G. S. (2019). Minimum sample size for developing a multivariable prediction model:
PART II - binary and time-to-event outcomes. *Statistics in Medicine*, 38(7), 1276-1296.

"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.stats import norm

__all__ = ["cox_snell_r2", "expected_shrinkage", "max_cox_snell_r2", "riley_binary"]


def _check_prevalence(prevalence: float) -> float:
    phi = float(prevalence)
    if not 0 < phi < 1:
        raise ValueError(
            "prevalence must be the outcome proportion, strictly between 0 and 1; "
            f"got {prevalence!r}."
        )
    return phi


def _check_parameters(parameters: float) -> float:
    p = float(parameters)
    if not (p > 0 and math.isfinite(p)):
        raise ValueError(
            f"parameters must be the (positive) number of candidate predictor parameters, "
            f"counting every dummy column and spline term; got {parameters!r}."
        )
    return p


def max_cox_snell_r2(prevalence: float) -> float:
    """Largest Cox-Snell R² that a binary outcome with this proportion allows.

    ``max(R2) = 1 - exp(2 lnL_null / n) = 1 - (phi^phi (1 - phi)^(1 - phi))^2``, the R² of
    a model that predicts every outcome perfectly.

    Parameters
    ----------
    prevalence
        Outcome proportion ``phi`` in (0, 1).

    Returns
    -------
    float
        The maximum, 0.75 at ``phi = 0.5`` and smaller for rarer outcomes.

    Examples
    --------
    >>> round(max_cox_snell_r2(0.5), 4), round(max_cox_snell_r2(0.174), 3)
    (0.75, 0.603)

    """
    phi = _check_prevalence(prevalence)
    log_null_per_sample = phi * math.log(phi) + (1 - phi) * math.log(1 - phi)
    return 1 - math.exp(2 * log_null_per_sample)


def cox_snell_r2(y_true: ArrayLike, prob: ArrayLike, *, eps: float = 1e-12) -> float:
    """Cox-Snell R² of predicted probabilities: ``1 - exp(-LR / n)``.

    ``LR = 2 (lnL_model - lnL_null)`` is the likelihood-ratio statistic of the predictions
    against predicting the observed proportion for everyone.  For an existing model scored on
    new data, this is the "apparent" R² that Riley et al. (2020) suggest as the anticipated R²
    of a new model in the same setting.  Predictions worse than the observed proportion give a
    negative value.

    Parameters
    ----------
    y_true
        Outcomes, 0/1 or booleans.
    prob
        Predicted probabilities of the outcome, one per sample.
    eps
        Probabilities are clipped to ``[eps, 1 - eps]`` before their logarithm.

    Returns
    -------
    float
        The Cox-Snell R²; at most :func:`max_cox_snell_r2` of the observed proportion.

    Examples
    --------
    >>> y = [0, 0, 0, 1]
    >>> cox_snell_r2(y, [0.25, 0.25, 0.25, 0.25])  # the observed proportion for everyone
    0.0

    """
    y = np.asarray(y_true)
    if y.dtype == bool:
        y = y.astype(int)
    p = np.asarray(prob, dtype=float)
    if y.ndim != 1 or p.shape != y.shape:
        raise ValueError(
            f"y_true and prob must be 1-D with one value per sample; got shapes {y.shape} and "
            f"{p.shape}."
        )
    if not np.isin(y, [0, 1]).all():
        raise ValueError("y_true must hold 0/1 outcomes (or booleans).")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("prob must hold probabilities in [0, 1].")
    n = len(y)
    phi = float(y.mean())
    _check_prevalence(phi)  # both outcomes must occur
    q = np.clip(p, eps, 1 - eps)
    log_model = float(np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))
    log_null = n * (phi * math.log(phi) + (1 - phi) * math.log(1 - phi))
    return float(1 - math.exp(2 * (log_null - log_model) / n))


def _n_for_shrinkage(parameters: float, r2: float, shrinkage: float) -> float:
    """Criterion (i)'s formula, ``P / ((S - 1) ln(1 - R2 / S))``, before rounding up."""
    return parameters / ((shrinkage - 1) * math.log(1 - r2 / shrinkage))


def riley_binary(
    parameters: float,
    prevalence: float,
    r2_cs: float,
    *,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    margin: float = 0.05,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Minimum sample size to develop a model for a binary outcome (Riley et al., 2020).

    Parameters
    ----------
    parameters
        Number of candidate predictor parameters ``P``: every coefficient the modelling may
        estimate (one per continuous predictor, one per dummy column of a categorical one, one
        per spline term or interaction), counted before any selection.
    prevalence
        Anticipated outcome proportion ``phi``.
    r2_cs
        Anticipated Cox-Snell R² of the new model (conservatively low: for example the
        adjusted R² of an earlier model, or :func:`cox_snell_r2` of an existing model's
        predictions on similar patients).
    shrinkage
        Target expected shrinkage ``S`` of criterion (i) (0.9: effects shrunk by at most 10 %).
    delta
        Largest acceptable difference between apparent and adjusted Nagelkerke R² (ii).
    margin
        Largest acceptable error of the estimated overall risk (iii).
    confidence
        Confidence of criterion (iii) (0.95 gives ``z = 1.96``).

    Returns
    -------
    pandas.DataFrame
        Index ``criterion`` (``"(i) shrinkage"``, ``"(ii) optimism in R²"``,
        ``"(iii) overall risk"``, ``"minimum"``), columns ``n`` (rounded up), ``events``
        (``n × phi``), ``events_per_parameter`` and ``shrinkage`` (the expected shrinkage at
        that ``n``).  ``attrs`` records ``parameters``, ``prevalence``, ``r2_cs``,
        ``max_r2_cs`` and ``nagelkerke_r2`` (``r2_cs / max_r2_cs``).

    Raises
    ------
    ValueError
        If an input is out of range, e.g. ``r2_cs`` not below ``shrinkage`` or above the
        largest R² the prevalence allows.

    Examples
    --------
    The binary-outcome example of Riley et al. (2019): 24 candidate parameters, an outcome
    proportion of 0.174 and an anticipated Cox-Snell R² of 0.288.

    >>> t = riley_binary(24, 0.174, 0.288)
    >>> t["n"].tolist()
    [623, 662, 221, 662]
    >>> round(float(t.loc["minimum", "events_per_parameter"]), 1)
    4.8

    """
    p = _check_parameters(parameters)
    phi = _check_prevalence(prevalence)
    r2 = float(r2_cs)
    for name, value in (("shrinkage", shrinkage), ("delta", delta), ("margin", margin)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    top = max_cox_snell_r2(phi)
    if not 0 < r2 < top:
        raise ValueError(
            f"r2_cs={r2_cs!r} is impossible for an outcome proportion of {phi:g}: the Cox-Snell "
            f"R² must lie strictly between 0 and {top:.3f} (max_cox_snell_r2). A Nagelkerke R² "
            "must be multiplied by that maximum first."
        )
    if r2 >= shrinkage:
        raise ValueError(
            f"r2_cs={r2:g} must be below the target shrinkage {shrinkage:g} (the logarithm of "
            "criterion (i) is undefined otherwise)."
        )
    s_optimism = r2 / (r2 + delta * top)
    z = float(norm.ppf(0.5 + confidence / 2))
    sizes = {
        "(i) shrinkage": math.ceil(_n_for_shrinkage(p, r2, shrinkage)),
        "(ii) optimism in R²": math.ceil(_n_for_shrinkage(p, r2, s_optimism)),
        "(iii) overall risk": math.ceil((z / margin) ** 2 * phi * (1 - phi)),
    }
    sizes["minimum"] = max(sizes.values())
    table = pd.DataFrame({"n": pd.Series(sizes, dtype=int)})
    table.index.name = "criterion"
    table["events"] = table["n"] * phi
    table["events_per_parameter"] = table["events"] / p
    table["shrinkage"] = [expected_shrinkage(n, p, r2) for n in table["n"]]
    table.attrs.update(
        parameters=parameters,
        prevalence=phi,
        r2_cs=r2,
        max_r2_cs=top,
        nagelkerke_r2=r2 / top,
    )
    return table


def expected_shrinkage(n: float, parameters: float, r2_cs: float) -> float:
    """Shrinkage of the predictor effects to expect at sample size ``n`` (criterion (i) reversed).

    Solves ``n = P / ((S - 1) ln(1 - R2 / S))`` for ``S`` in ``(R2, 1)``.  ``S`` estimates the
    calibration slope that the model, fitted by unpenalised maximum likelihood, would show on
    new patients: 1 means no overfitting, 0.8 that the predicted log-odds are 25 % too extreme.

    Parameters
    ----------
    n
        Number of samples (patients) used to fit the model.
    parameters
        Number of candidate predictor parameters ``P``.
    r2_cs
        Anticipated Cox-Snell R² (between 0 and 1).

    Returns
    -------
    float
        The expected shrinkage ``S``.

    Examples
    --------
    >>> round(expected_shrinkage(623, 24, 0.288), 3)
    0.9

    """
    p = _check_parameters(parameters)
    r2 = float(r2_cs)
    if not 0 < r2 < 1:
        raise ValueError(f"r2_cs must lie strictly between 0 and 1; got {r2_cs!r}.")
    if not (n > 0 and math.isfinite(n)):
        raise ValueError(f"n must be a positive sample size; got {n!r}.")

    def gap(s: float) -> float:
        return (s - 1) * math.log(1 - r2 / s) - p / n

    low = r2 * (1 + 1e-12) + 1e-15
    return float(brentq(gap, low, 1 - 1e-15, xtol=1e-12))
