"""Geometry and statistics of few samples in many dimensions (n ≪ d).

The chapter on the curse of dimensionality measures three things that this module computes:

* **distance concentration**: as the number of features grows, the nearest and the farthest
  neighbour of a point end up at almost the same distance (Beyer et al. 1999), so that
  "nearest" stops meaning much (:func:`distance_contrast`, :func:`scaled_distances`);
* **separability of random labels**: Cover's (1965) function-counting theorem gives the exact
  probability that a random labelling of ``n`` points in general position can be separated by
  a hyperplane in ``d`` dimensions (:func:`cover_probability`), which a linear programme checks
  for any given data set (:func:`is_linearly_separable`, :func:`separability_frequency`);
* **multiple testing**: the power to find the truly different features among ``d`` tested ones
  at a fixed false discovery rate (Benjamini & Hochberg 1995) falls as ``d`` grows
  (:func:`simulate_discoveries`).

Everything heavy is delegated to SciPy (:func:`scipy.stats.binom`, :func:`scipy.optimize.linprog`,
:func:`scipy.stats.ttest_ind`, :func:`scipy.stats.false_discovery_control`) and scikit-learn
(:func:`sklearn.metrics.pairwise_distances`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, stats
from sklearn.metrics import pairwise_distances

from mlbio import SEED

__all__ = [
    "cover_probability",
    "distance_contrast",
    "is_linearly_separable",
    "scaled_distances",
    "separability_frequency",
    "simulate_discoveries",
]


def _as_2d(X: ArrayLike, name: str = "X") -> np.ndarray:
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples × features), got shape {arr.shape}.")
    if arr.shape[0] < 2:
        raise ValueError(
            f"{name} needs at least 2 samples to compare distances, got {arr.shape[0]}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; impute or drop them first.")
    return arr


# --------------------------------------------------------------------------------------------
# Distance concentration
# --------------------------------------------------------------------------------------------
def distance_contrast(X: ArrayLike, *, metric: str = "euclidean") -> pd.DataFrame:
    """Nearest and farthest neighbour distance of every sample, and how much they differ.

    For each sample (taken in turn as the query point), the distances to all *other* samples
    are computed; their minimum and maximum give

    * ``ratio`` = farthest / nearest, which tends to 1 as the dimension grows for many data
      distributions (Beyer et al. 1999);
    * ``relative_contrast`` = (farthest − nearest) / nearest, which tends to 0 (Aggarwal,
      Hinneburg & Keim 2001 call it the relative contrast).

    Parameters
    ----------
    X
        Samples × features.
    metric
        Any metric accepted by :func:`sklearn.metrics.pairwise_distances`.

    Returns
    -------
    pandas.DataFrame
        One row per sample: ``nearest``, ``farthest``, ``ratio``, ``relative_contrast``.
        A sample with an exact duplicate has ``nearest`` 0 and an infinite ratio: summarise
        with the median, or remove duplicates first.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has fewer than 2 samples or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(size=(50, 1000))
    >>> table = distance_contrast(X)
    >>> bool(table["ratio"].median() < 1.5)
    True

    """
    arr = _as_2d(X)
    dist = pairwise_distances(arr, metric=metric)
    np.fill_diagonal(dist, np.nan)
    nearest = np.nanmin(dist, axis=1)
    farthest = np.nanmax(dist, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = farthest / nearest
        contrast = (farthest - nearest) / nearest
    return pd.DataFrame(
        {
            "nearest": nearest,
            "farthest": farthest,
            "ratio": ratio,
            "relative_contrast": contrast,
        }
    )


def scaled_distances(X: ArrayLike, *, metric: str = "euclidean") -> np.ndarray:
    """All pairwise distances between samples, divided by their mean.

    Dividing by the mean puts data sets of any dimension on one scale: the distribution of the
    scaled distances is centred on 1, and its spread measures how different "near" and "far"
    still are. When distances concentrate, the distribution collapses onto 1.

    Parameters
    ----------
    X
        Samples × features.
    metric
        Any metric accepted by :func:`sklearn.metrics.pairwise_distances`.

    Returns
    -------
    numpy.ndarray
        The ``n (n - 1) / 2`` distances between distinct samples (upper triangle), scaled so
        that their mean is 1.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has fewer than 2 samples or non-finite values, or if all samples
        are identical (every distance is 0).

    """
    arr = _as_2d(X)
    dist = pairwise_distances(arr, metric=metric)
    values = dist[np.triu_indices(len(arr), k=1)]
    mean = values.mean()
    if mean == 0:
        raise ValueError("All samples are identical: every distance is 0, nothing to scale.")
    return values / mean


# --------------------------------------------------------------------------------------------
# Cover's function-counting theorem
# --------------------------------------------------------------------------------------------
def cover_probability(
    n: ArrayLike,
    d: ArrayLike,
    *,
    intercept: bool = True,
) -> float | np.ndarray:
    r"""Probability that a random labelling of ``n`` points in ``d`` dimensions is separable.

    Cover (1965) counted the labellings (dichotomies) of ``n`` points in general position in
    :math:`\mathbb{R}^D` that a hyperplane through the origin separates:
    :math:`C(n, D) = 2 \sum_{k=0}^{D-1} \binom{n-1}{k}`. If each of the :math:`2^n`
    labellings is equally likely (independent fair coin flips), the probability that the drawn
    one is separable is :math:`C(n, D) / 2^n`, which is the probability that a
    Binomial(:math:`n - 1`, 1/2) variable is at most :math:`D - 1`. It is 1 for
    :math:`n \le D`, exactly 1/2 at :math:`n = 2D` and falls steeply beyond: a linear rule
    with :math:`D` free weights can fit about :math:`2D` random labels.

    A hyperplane with an intercept in ``d`` dimensions is a hyperplane through the origin in
    :math:`D = d + 1` dimensions (append a constant feature), hence the ``intercept`` switch.

    Parameters
    ----------
    n
        Number of points (an integer ≥ 1, or an array of them).
    d
        Number of features (an integer ≥ 1 or ≥ 0 with ``intercept``, or an array).
    intercept
        Whether the separating hyperplane may miss the origin (as in logistic regression or a
        linear SVM with a bias term): the number of free weights is then ``d + 1``.

    Returns
    -------
    float or numpy.ndarray
        The probability, broadcast over ``n`` and ``d``.

    Raises
    ------
    ValueError
        If ``n < 1`` or the number of weights ``d + intercept`` is below 1.

    Examples
    --------
    >>> cover_probability(10, 9)  # n <= d + 1: every labelling is separable
    1.0
    >>> cover_probability(20, 9)  # n = 2 (d + 1): a coin flip
    0.5

    """
    n_arr = np.asarray(n)
    weights = np.asarray(d) + int(intercept)
    if np.any(n_arr < 1):
        raise ValueError(f"n must be at least 1, got {n!r}.")
    if np.any(weights < 1):
        raise ValueError(
            f"The hyperplane needs at least one weight: d + intercept = {weights!r}; "
            "use d >= 1, or intercept=True."
        )
    prob = stats.binom.cdf(weights - 1, n_arr - 1, 0.5)
    return float(prob) if np.ndim(prob) == 0 else prob


def is_linearly_separable(X: ArrayLike, y: ArrayLike, *, intercept: bool = True) -> bool:
    r"""Check exactly whether a hyperplane separates the two classes of ``y``.

    Solves the linear feasibility problem "find :math:`w, b` with
    :math:`y_i (w \cdot x_i + b) \ge 1` for every sample" with SciPy's HiGHS solver. Any
    strictly separating hyperplane can be rescaled to satisfy it, so the problem is feasible
    exactly when the classes are linearly separable.

    Parameters
    ----------
    X
        Samples × features.
    y
        Two-class labels (any two values); a single class counts as separable.
    intercept
        Allow a bias term :math:`b` (else the hyperplane passes through the origin).

    Returns
    -------
    bool
        True if the classes are linearly separable.

    Raises
    ------
    ValueError
        If ``y`` has more than two classes or a length different from ``X``, or if the solver
        fails for a reason other than infeasibility.

    """
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples × features), got shape {arr.shape}.")
    labels = np.asarray(y)
    if len(labels) != len(arr):
        raise ValueError(f"X has {len(arr)} samples but y has {len(labels)} labels.")
    classes = np.unique(labels)
    if len(classes) > 2:
        raise ValueError(f"y must have two classes, got {len(classes)}: {classes[:5].tolist()}.")
    if len(classes) < 2:
        return True
    sign = np.where(labels == classes[1], 1.0, -1.0)
    design = np.hstack([arr, np.ones((len(arr), 1))]) if intercept else arr
    # y_i (w . x_i + b) >= 1  <=>  -y_i [x_i, 1] . [w, b] <= -1
    result = optimize.linprog(
        c=np.zeros(design.shape[1]),
        A_ub=-sign[:, None] * design,
        b_ub=-np.ones(len(arr)),
        bounds=(None, None),
        method="highs",
    )
    if result.status == 0:
        return True
    if result.status == 2:
        return False
    raise ValueError(f"The linear programme did not finish: {result.message}")


def separability_frequency(
    n_samples: Sequence[int],
    n_features: int,
    *,
    n_repeats: int = 100,
    intercept: bool = True,
    random_state: int | None = SEED,
) -> pd.DataFrame:
    """Simulate Cover's theorem: how often random labels of Gaussian points are separable.

    For each ``n`` in ``n_samples``, draw ``n_repeats`` data sets of ``n`` standard normal
    points in ``n_features`` dimensions (in general position with probability 1), give each
    point a label by a fair coin flip, and check separability with
    :func:`is_linearly_separable`.

    Parameters
    ----------
    n_samples
        The numbers of points to try.
    n_features
        The dimension ``d``.
    n_repeats
        Data sets per ``n``.
    intercept
        Allow a bias term, as in :func:`cover_probability`.
    random_state
        Seed of the simulation.

    Returns
    -------
    pandas.DataFrame
        One row per ``n``: ``n``, ``d``, ``separable`` (fraction of separable data sets),
        ``repeats`` and ``cover`` (the exact probability of :func:`cover_probability`).

    Raises
    ------
    ValueError
        If ``n_repeats`` or ``n_features`` is below 1.

    """
    if n_repeats < 1 or n_features < 1:
        raise ValueError(
            f"n_repeats and n_features must be at least 1, got {n_repeats} and {n_features}."
        )
    rng = np.random.default_rng(random_state)
    rows = []
    for n in n_samples:
        hits = 0
        for _ in range(n_repeats):
            X = rng.normal(size=(int(n), n_features))
            y = rng.integers(0, 2, size=int(n))
            hits += is_linearly_separable(X, y, intercept=intercept)
        rows.append(
            {
                "n": int(n),
                "d": n_features,
                "separable": hits / n_repeats,
                "repeats": n_repeats,
                "cover": cover_probability(int(n), n_features, intercept=intercept),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------------
def simulate_discoveries(
    n_per_group: int,
    n_features: int,
    n_signal: int,
    effect_size: float,
    *,
    fdr: float = 0.05,
    n_repeats: int = 20,
    random_state: int | None = SEED,
) -> pd.DataFrame:
    """Simulate per-feature tests between two groups and count true and false discoveries.

    Each repeat is a study of two groups of ``n_per_group`` samples with ``n_features``
    independent normal features of unit variance; the first ``n_signal`` features are shifted
    by ``effect_size`` (Cohen's d: the difference of means in units of the standard deviation)
    in the second group. Every feature is tested with a two-sample t-test; the p-values are
    adjusted with the Benjamini-Hochberg procedure (:func:`scipy.stats.false_discovery_control`)
    and features with an adjusted p-value at most ``fdr`` are "discoveries".

    The t statistics are drawn directly from their exact distributions, Student's t with
    ``2 n - 2`` degrees of freedom for the null features and the noncentral t with
    noncentrality ``effect_size * sqrt(n / 2)`` for the shifted ones. This is the same as
    simulating the samples and testing them, at a cost that does not grow with ``n``.

    Parameters
    ----------
    n_per_group
        Samples in each of the two groups (≥ 2).
    n_features
        Number of features tested, ``d``.
    n_signal
        Number of truly different features (0 ≤ ``n_signal`` ≤ ``n_features``).
    effect_size
        Shift of the signal features, in standard deviations.
    fdr
        Target false discovery rate of the Benjamini-Hochberg procedure.
    n_repeats
        Number of simulated studies.
    random_state
        Seed of the simulation.

    Returns
    -------
    pandas.DataFrame
        One row per simulated study: ``true_discoveries``, ``false_discoveries``,
        ``power`` (true discoveries / ``n_signal``, NaN without signal), ``fdp`` (false
        discovery proportion, 0 when nothing is discovered) and ``raw_false_positives``
        (null features with an unadjusted p-value below ``fdr``).

    Raises
    ------
    ValueError
        For impossible sizes or an ``fdr`` outside (0, 1).

    """
    if n_per_group < 2:
        raise ValueError(f"n_per_group must be at least 2 for a t-test, got {n_per_group}.")
    if not 0 <= n_signal <= n_features:
        raise ValueError(f"n_signal must be between 0 and n_features={n_features}, got {n_signal}.")
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be in (0, 1), got {fdr!r}.")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}.")
    rng = np.random.default_rng(random_state)
    df = 2 * n_per_group - 2
    noncentrality = effect_size * np.sqrt(n_per_group / 2)
    rows = []
    for _ in range(n_repeats):
        t_values = np.concatenate(
            [
                stats.nct.rvs(df, noncentrality, size=n_signal, random_state=rng)
                if n_signal
                else np.empty(0),
                rng.standard_t(df, size=n_features - n_signal),
            ]
        )
        pvalues = 2 * stats.t.sf(np.abs(t_values), df)
        found = stats.false_discovery_control(pvalues, method="bh") <= fdr
        true_hits = int(found[:n_signal].sum())
        false_hits = int(found[n_signal:].sum())
        rows.append(
            {
                "true_discoveries": true_hits,
                "false_discoveries": false_hits,
                "power": true_hits / n_signal if n_signal else np.nan,
                "fdp": false_hits / max(true_hits + false_hits, 1),
                "raw_false_positives": int((pvalues[n_signal:] < fdr).sum()),
            }
        )
    return pd.DataFrame(rows)
