"""Harmonisation of data from many sources, as leakage-safe scikit-learn transformers.

Everything that learns from the data (a reference sample, a dispersion trend, batch means and
variances, per-hospital statistics) is learnt in :meth:`fit`, on the training samples only, and
applied unchanged by :meth:`transform`; so each transformer can sit inside a
:class:`~sklearn.pipeline.Pipeline` and be refitted in every training fold.

Count normalisation (samples × genes, raw counts in, log-scale values out):

:class:`MedianOfRatios`
    DESeq's size factors (Anders & Huber, 2010): each sample against the geometric mean of
    every gene over the training samples.
:class:`TMM`
    edgeR's trimmed mean of M-values (Robinson & Oshlack, 2010), each sample against a
    reference sample chosen among the training samples; returns log counts per million of the
    effective library sizes.
:class:`VarianceStabilising`
    DESeq2's parametric variance-stabilising transformation (Anders & Huber, 2010; Love et al.,
    2014), with a dispersion trend fitted on the training samples.

Batch and site correction (a :class:`pandas.DataFrame` in, whose batch or site is one of its
columns; see :class:`ComBat` for why):

:class:`ComBat`
    Location/scale batch adjustment with empirical-Bayes shrinkage (Johnson, Li & Rabinovic,
    2007), following the reference implementation ``sva::ComBat``.
:class:`GroupStandardScaler`
    Standardisation of each variable within each site (hospital, clinic), with the site's
    statistics learnt on the training samples.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import gammaln
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "TMM",
    "ComBat",
    "GroupStandardScaler",
    "MedianOfRatios",
    "VarianceStabilising",
    "simulate_batches",
]


# --------------------------------------------------------------------------------------------
# Count normalisation
# --------------------------------------------------------------------------------------------
def _check_counts(X: np.ndarray, name: str) -> None:
    if not np.isfinite(X).all():
        raise ValueError(f"{name} expects finite counts; found NaN or infinite values.")
    if np.any(X < 0):
        raise ValueError(f"{name} expects non-negative counts; found negative values.")
    empty = np.flatnonzero(X.sum(axis=1) == 0)
    if len(empty):
        raise ValueError(
            f"{name}: {len(empty)} sample(s) have no counts at all (rows {empty[:5].tolist()}); "
            "remove them first."
        )


class _CountTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared checks of the count normalisers (samples × genes, non-negative counts)."""

    def _validate(self, X: ArrayLike, *, reset: bool) -> np.ndarray:
        X = validate_data(self, X, dtype=np.float64, reset=reset)
        _check_counts(X, type(self).__name__)
        return X


class MedianOfRatios(_CountTransformer):
    """DESeq's median-of-ratios normalisation, learnt on the training samples.

    ``fit`` stores the geometric mean of every gene over the training samples (the
    "pseudo-reference sample"). ``transform`` gives each sample a size factor, the median over
    genes of its ratio to that reference (genes with a zero in the reference or in the sample
    are left out), and divides its counts by it (Anders & Huber, 2010). On the training samples
    this is exactly DESeq2's ``estimateSizeFactors``; a new sample is scaled against the same
    reference, so its value does not depend on which other samples are transformed with it.

    Parameters
    ----------
    log : bool, default=True
        Return ``log2(count / size factor + prior)`` instead of the normalised counts.
    prior : float, default=1.0
        Pseudo-count added before the logarithm.

    Attributes
    ----------
    log_geometric_means_ : numpy.ndarray
        Natural log of each gene's geometric mean over the training samples (``-inf`` for a gene
        with a zero count in any training sample).
    size_factors_ : numpy.ndarray
        Size factors of the training samples.

    """

    def __init__(self, log: bool = True, prior: float = 1.0) -> None:
        self.log = log
        self.prior = prior

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> MedianOfRatios:
        """Learn the pseudo-reference sample from the training counts ``X`` (samples × genes)."""
        X = self._validate(X, reset=True)
        if self.prior <= 0:
            raise ValueError(f"prior must be positive, got {self.prior!r}.")
        with np.errstate(divide="ignore"):
            self.log_geometric_means_ = np.log(X).mean(axis=0)
        if not np.isfinite(self.log_geometric_means_).any():
            raise ValueError(
                "Every gene has a zero count in some training sample, so the geometric means "
                "are all zero and no size factor can be computed. Filter out rarely expressed "
                "genes first, or use TMM."
            )
        self.size_factors_ = self._size_factors(X)
        return self

    def _size_factors(self, X: np.ndarray) -> np.ndarray:
        usable = np.isfinite(self.log_geometric_means_)
        counts = X[:, usable]
        with np.errstate(divide="ignore"):
            ratios = np.log(counts) - self.log_geometric_means_[usable]
        valid = counts > 0
        n_valid = valid.sum(axis=1)
        if (n_valid == 0).any():
            raise ValueError(
                "A sample has zero counts for every gene of the reference; its size factor "
                "cannot be computed."
            )
        # Median of each row's valid ratios: sort with the invalid ones pushed to the end.
        ordered = np.sort(np.where(valid, ratios, np.inf), axis=1)
        rows = np.arange(len(X))
        median = (ordered[rows, (n_valid - 1) // 2] + ordered[rows, n_valid // 2]) / 2
        return np.exp(median)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Divide each sample by its size factor (and take ``log2(· + prior)`` if ``log``)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        normalised = X / self._size_factors(X)[:, None]
        return np.log2(normalised + self.prior) if self.log else normalised


def _upper_quartile_reference(X: np.ndarray) -> int:
    """Return edgeR's reference: the sample whose upper quartile is closest to the mean."""
    quartile = np.quantile(X / X.sum(axis=1, keepdims=True), 0.75, axis=1)
    return int(np.argmin(np.abs(quartile - quartile.mean())))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks within each row, from 1, ties averaged (R's ``rank``); NaN stays NaN.

    ``values`` is 1-D or 2-D (one ranking per row); NaN values are left out of the ranking.
    """
    values = np.asarray(values, dtype=np.float64)
    matrix = np.atleast_2d(values)
    rows, cols = matrix.shape
    missing = np.isnan(matrix)
    order = np.argsort(np.where(missing, np.inf, matrix), axis=1)  # missing values sort last
    ordered = np.take_along_axis(matrix, order, axis=1)
    starts = np.ones_like(ordered, dtype=bool)  # the first position of each run of ties
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    flat_starts = np.flatnonzero(starts.ravel())
    run = np.cumsum(starts.ravel()) - 1
    first = flat_starts[run] % cols
    next_start = np.r_[flat_starts[1:], rows * cols][run]
    row_end = (np.arange(rows * cols) // cols + 1) * cols
    last = np.minimum(next_start, row_end) - np.arange(rows)[:, None].repeat(cols, 1).ravel() * cols
    ranks = np.empty_like(matrix)
    np.put_along_axis(ranks, order, ((first + last + 1) / 2).reshape(rows, cols), axis=1)
    ranks[missing] = np.nan
    return ranks.reshape(values.shape)


def _tmm_factors(
    X: np.ndarray, ref: np.ndarray, log_ratio_trim: float, sum_trim: float, chunk: int = 32
) -> np.ndarray:
    """Compute edgeR's ``.calcFactorTMM`` for every row of ``X`` (weighted, no A cut-off).

    Rows are processed ``chunk`` at a time, which bounds the memory of the temporary arrays.
    """
    if len(X) > chunk:
        return np.concatenate(
            [
                _tmm_factors(X[i : i + chunk], ref, log_ratio_trim, sum_trim, chunk)
                for i in range(0, len(X), chunk)
            ]
        )
    n_obs = X.sum(axis=1, keepdims=True)
    n_ref = ref.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_obs, log_ref = np.log2(X / n_obs), np.log2(ref / n_ref)
        m = log_obs - log_ref
        a = (log_obs + log_ref) / 2
        v = (n_obs - X) / n_obs / X + (n_ref - ref) / n_ref / ref
    finite = np.isfinite(m) & np.isfinite(a)
    m[~finite], a[~finite] = np.nan, np.nan
    n = finite.sum(axis=1, keepdims=True)
    lo_m = np.floor(n * log_ratio_trim) + 1
    lo_a = np.floor(n * sum_trim) + 1
    rank_m, rank_a = _average_ranks(m), _average_ranks(a)
    with np.errstate(invalid="ignore"):
        keep = (rank_m >= lo_m) & (rank_m <= n + 1 - lo_m)
        keep &= (rank_a >= lo_a) & (rank_a <= n + 1 - lo_a)
    weight = np.where(keep, 1 / np.where(keep, v, 1.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_factor = np.sum(weight * np.where(keep, m, 0.0), axis=1) / weight.sum(axis=1)
    # No usable gene, or a sample identical to the reference: factor 1, as in edgeR.
    same = np.nanmax(np.where(finite, np.abs(np.nan_to_num(m)), 0.0), axis=1) < 1e-6
    log_factor[~np.isfinite(log_factor) | same] = 0.0
    return 2**log_factor


class TMM(_CountTransformer):
    """Trimmed mean of M-values (TMM) normalisation, learnt on the training samples.

    ``fit`` picks a reference among the training samples as edgeR's ``calcNormFactors`` does
    (the sample whose upper quartile of counts per million is closest to the average) and keeps
    its counts. ``transform`` computes each sample's TMM factor against that reference: the
    precision-weighted mean of the gene-wise log ratios after trimming 30 % of the log ratios
    and 5 % of the average log expression at each end (Robinson & Oshlack, 2010). Factors are
    scaled by the geometric mean of the training samples' factors, as in edgeR, and the result
    is ``log2`` counts per million of the effective library size (library size × factor) plus
    ``prior``.

    Parameters
    ----------
    log_ratio_trim : float, default=0.3
        Fraction of the log ratios (M-values) trimmed at each end.
    sum_trim : float, default=0.05
        Fraction of the average log expressions (A-values) trimmed at each end.
    prior : float, default=1.0
        Added to the counts per million before the logarithm.

    Attributes
    ----------
    reference_ : numpy.ndarray
        Counts of the reference sample.
    reference_index_ : int
        Its row in the training data.
    norm_factors_ : numpy.ndarray
        TMM factors of the training samples (their geometric mean is 1).

    """

    def __init__(
        self, log_ratio_trim: float = 0.3, sum_trim: float = 0.05, prior: float = 1.0
    ) -> None:
        self.log_ratio_trim = log_ratio_trim
        self.sum_trim = sum_trim
        self.prior = prior

    def _raw_factors(self, X: np.ndarray) -> np.ndarray:
        return _tmm_factors(X, self.reference_, self.log_ratio_trim, self.sum_trim)

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> TMM:
        """Choose the reference sample among the training counts ``X`` (samples × genes)."""
        X = self._validate(X, reset=True)
        if not (0 <= self.log_ratio_trim < 0.5 and 0 <= self.sum_trim < 0.5):
            raise ValueError("log_ratio_trim and sum_trim must lie in [0, 0.5).")
        if self.prior <= 0:
            raise ValueError(f"prior must be positive, got {self.prior!r}.")
        self.reference_index_ = _upper_quartile_reference(X)
        self.reference_ = X[self.reference_index_].copy()
        raw = self._raw_factors(X)
        self._scale = float(np.exp(np.mean(np.log(raw))))
        self.norm_factors_ = raw / self._scale
        return self

    def norm_factors(self, X: ArrayLike) -> np.ndarray:
        """TMM factors of the samples ``X`` against the training reference."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self._raw_factors(X) / self._scale

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return ``log2`` counts per million of the effective library sizes, plus ``prior``."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        effective = X.sum(axis=1) * (self._raw_factors(X) / self._scale)
        return np.log2(X / effective[:, None] * 1e6 + self.prior)


def _gamma_identity_fit(means: np.ndarray, dispersions: np.ndarray) -> tuple[float, float]:
    """DESeq2's ``parametricDispersionFit``: dispersion = asymptotic + extra / mean.

    A gamma-family GLM with identity link (iteratively reweighted least squares), refitted
    after dropping genes whose residual ratio lies outside (1e-4, 15), until the coefficients
    settle.
    """
    coefs = np.array([0.1, 1.0])
    for _ in range(10):
        fitted = coefs[0] + coefs[1] / means
        ratio = dispersions / fitted
        good = (ratio > 1e-4) & (ratio < 15)
        design = np.column_stack([np.ones(good.sum()), 1 / means[good]])
        target = dispersions[good]
        new = coefs.copy()
        for _ in range(100):  # IRLS of the gamma GLM: weights 1 / fitted^2
            w = 1 / np.maximum(design @ new, 1e-12) ** 2
            step = np.linalg.solve(design.T @ (design * w[:, None]), design.T @ (w * target))
            if np.allclose(step, new, rtol=1e-10, atol=1e-12):
                new = step
                break
            new = step
        if not np.all(new > 0):
            raise ValueError(
                "The parametric dispersion trend has a non-positive coefficient; the counts "
                "may not be overdispersed. Use log counts per million instead."
            )
        converged = np.sum(np.log(new / coefs) ** 2) < 1e-6
        coefs = new
        if converged:
            break
    return float(coefs[0]), float(coefs[1])


def _nb_dispersion_mle(counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cox-Reid adjusted maximum-likelihood dispersion of each gene (intercept-only model).

    The mean of gene ``g`` in sample ``j`` is ``sizes[j] * mean normalised count of g``, as in
    an intercept-only negative-binomial GLM; the log dispersion is found on a grid and refined
    by golden-section search, which is robust where Newton steps are not (flat likelihoods of
    weakly expressed genes).
    """
    mu = sizes[:, None] * (counts / sizes[:, None]).mean(axis=0)[None]
    const = -gammaln(counts + 1)

    def loglik(log_alpha: np.ndarray) -> np.ndarray:
        alpha = np.exp(log_alpha)[None]
        r = 1 / alpha
        ll = gammaln(counts + r) - gammaln(r) + const
        ll += r * np.log(r / (r + mu)) + counts * np.log(mu / (r + mu))
        weights = mu / (1 + alpha * mu)  # Cox-Reid adjustment: -1/2 log det(X'WX)
        return ll.sum(axis=0) - 0.5 * np.log(weights.sum(axis=0))

    grid = np.linspace(np.log(1e-4), np.log(50.0), 12)
    values = np.vstack([loglik(np.full(counts.shape[1], g)) for g in grid])
    best = values.argmax(axis=0)
    step = grid[1] - grid[0]
    lo, hi = grid[best] - step, grid[best] + step
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(10):  # golden-section search in [lo, hi]: 0.618**10 of its width left
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left_better = loglik(a) > loglik(b)
        hi = np.where(left_better, b, hi)
        lo = np.where(left_better, lo, a)
    return np.exp((lo + hi) / 2)


class VarianceStabilising(_CountTransformer):
    """DESeq2's parametric variance-stabilising transformation (VST), learnt on training data.

    On raw counts the variance grows with the mean; after ``log2(x + 1)`` it is largest for the
    weakly expressed genes. The VST is the function ``f`` for which the variance of ``f(count)``
    no longer depends on the mean, given a negative-binomial dispersion trend
    ``dispersion(mean) = asymptotic + extra / mean`` (Anders & Huber, 2010; Love et al., 2014).
    ``fit`` computes median-of-ratios size factors, the Cox-Reid adjusted maximum-likelihood
    dispersion of each gene (intercept-only model, as ``vst(blind=TRUE)``), and fits the trend
    as DESeq2's ``parametricDispersionFit`` does; ``transform`` applies DESeq2's closed-form VST
    to the normalised counts. Unlike DESeq2, the trend is fitted on at most ``max_genes`` genes
    spread evenly over the range of expression (two coefficients need no more), and the mean of
    each gene is its mean normalised count rather than a GLM fit.

    Parameters
    ----------
    min_mean : float, default=1.0
        Genes with a lower mean normalised count do not enter the trend.
    max_genes : int, default=1000
        At most this many genes enter the trend.

    Attributes
    ----------
    size_factor_model_ : MedianOfRatios
        The fitted size-factor model (``log=False``).
    asymptotic_dispersion_, extra_poisson_ : float
        Coefficients of the fitted dispersion trend.

    """

    def __init__(self, min_mean: float = 1.0, max_genes: int = 1000) -> None:
        self.min_mean = min_mean
        self.max_genes = max_genes

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> VarianceStabilising:
        """Fit size factors and the dispersion trend on the training counts ``X``."""
        X = self._validate(X, reset=True)
        if len(X) < 3:
            raise ValueError("VarianceStabilising needs at least 3 training samples.")
        self.size_factor_model_ = MedianOfRatios(log=False).fit(X)
        sizes = self.size_factor_model_.size_factors_
        means = (X / sizes[:, None]).mean(axis=0)
        expressed = np.flatnonzero(means >= self.min_mean)
        if len(expressed) < 10:
            raise ValueError(
                f"Fewer than 10 genes have a mean normalised count >= {self.min_mean}; the "
                "dispersion trend cannot be fitted."
            )
        if len(expressed) > self.max_genes:  # evenly spaced in the order of the means
            order = expressed[np.argsort(means[expressed])]
            expressed = order[np.linspace(0, len(order) - 1, self.max_genes).astype(int)]
        dispersions = _nb_dispersion_mle(X[:, expressed], sizes)
        usable = dispersions > 1e-6  # as DESeq2: 100 times its minimum dispersion
        self.asymptotic_dispersion_, self.extra_poisson_ = _gamma_identity_fit(
            means[expressed][usable], dispersions[usable]
        )
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the VST (about ``log2`` of the normalised counts for well-expressed genes)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        q = self.size_factor_model_.transform(X)
        a, e = self.asymptotic_dispersion_, self.extra_poisson_
        inner = 1 + e + 2 * a * q + 2 * np.sqrt(a * q * (1 + e + a * q))
        return np.log2(inner / (4 * a))


# --------------------------------------------------------------------------------------------
# Batch and site correction on a DataFrame with the batch as a column
# --------------------------------------------------------------------------------------------
def _split_frame(
    estimator: BaseEstimator,
    X: Any,
    column: str,
    role: str,
    extra: Sequence[str] = (),
    required_extra: bool = True,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, list[str]]:
    """Split ``X`` into its numeric features, the ``column`` labels and the ``extra`` columns."""
    name = type(estimator).__name__
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} needs the {role} of every sample as a column of X: pass a pandas DataFrame "
            f"with a column named {column!r} (got {type(X).__name__}). See the class docstring."
        )
    missing = [c for c in [column, *(extra if required_extra else [])] if c not in X.columns]
    if missing:
        raise ValueError(
            f"{name}: X has no column {missing[0]!r}. Add the {role} labels as a column, or set "
            f"the parameter that names it (columns seen: {list(X.columns[:5])}...)."
        )
    labels = X[column]
    if labels.isna().any():
        raise ValueError(
            f"{name}: the column {column!r} has {int(labels.isna().sum())} missing "
            f"{role} label(s); every sample needs one."
        )
    drop = [column, *[c for c in extra if c in X.columns]]
    features = X.drop(columns=drop)
    non_numeric = list(features.select_dtypes(exclude="number").columns)
    if non_numeric:
        raise ValueError(
            f"{name}: the feature column(s) {non_numeric[:5]} are not numeric. Encode them, or "
            f"list them as covariates."
        )
    extras = X[[c for c in extra if c in X.columns]]
    return (
        features.to_numpy(dtype=np.float64),
        labels.to_numpy(dtype=object),
        extras,
        [str(c) for c in features.columns],
    )


def _covariate_design(
    frame: pd.DataFrame, levels: dict[str, Any] | None
) -> tuple[np.ndarray, dict]:
    """Numeric columns as they are, other columns one-hot (first level dropped)."""
    if levels is None:
        levels = {}
        for col in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[col]):
                levels[col] = None
            else:
                levels[col] = sorted(frame[col].astype(str).unique())
    parts = []
    for col, lev in levels.items():
        if lev is None:
            values = frame[col].to_numpy(dtype=np.float64)
            if not np.isfinite(values).all():
                raise ValueError(f"ComBat: the covariate {col!r} has missing values.")
            parts.append(values[:, None])
        else:
            values = frame[col].astype(str).to_numpy(dtype=object)
            unknown = set(values) - set(lev)
            if unknown:
                raise ValueError(
                    f"ComBat: the covariate {col!r} has level(s) {sorted(unknown)[:3]} not seen "
                    "in fit."
                )
            parts.append(
                np.column_stack([values == v for v in lev[1:]]).astype(float)
                if len(lev) > 1
                else np.zeros((len(values), 0))
            )
    if not parts:
        return np.zeros((len(frame), 0)), levels
    return np.hstack(parts), levels


def _aprior(delta: np.ndarray) -> float:
    m, s2 = delta.mean(), delta.var(ddof=1)
    return (2 * s2 + m**2) / s2


def _bprior(delta: np.ndarray) -> float:
    m, s2 = delta.mean(), delta.var(ddof=1)
    return (m * s2 + m**3) / s2


def _eb_batch(
    z: np.ndarray, mean_only: bool, empirical_bayes: bool, tol: float = 1e-4, max_iter: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Location and scale of one batch (rows: its samples, standardised): ``gamma*, delta*``.

    The parametric empirical-Bayes solution of Johnson, Li & Rabinovic (2007), as in
    ``sva::ComBat``: normal prior on the gene-wise means, inverse-gamma prior on the variances,
    hyperparameters estimated from all genes of the batch by the method of moments.
    """
    n = len(z)
    gamma_hat = z.mean(axis=0)
    scale = not mean_only and n > 1
    delta_hat = z.var(axis=0, ddof=1) if scale else np.ones(z.shape[1])
    if not empirical_bayes:
        return gamma_hat, delta_hat
    gamma_bar, tau2 = gamma_hat.mean(), gamma_hat.var(ddof=1)
    if tau2 <= 0:
        return gamma_hat, delta_hat
    if not scale:
        gamma_star = (tau2 * n * gamma_hat + delta_hat * gamma_bar) / (tau2 * n + delta_hat)
        return gamma_star, delta_hat
    a, b = _aprior(delta_hat), _bprior(delta_hat)
    g_old, d_old = gamma_hat, delta_hat
    for _ in range(max_iter):
        g_new = (tau2 * n * gamma_hat + d_old * gamma_bar) / (tau2 * n + d_old)
        sum2 = ((z - g_new) ** 2).sum(axis=0)
        d_new = (0.5 * sum2 + b) / (n / 2 + a - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = max(
                np.nanmax(np.abs(g_new - g_old) / np.abs(g_old)),
                np.nanmax(np.abs(d_new - d_old) / d_old),
            )
        g_old, d_old = g_new, d_new
        if change < tol:
            break
    return g_old, d_old


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat batch correction (Johnson, Li & Rabinovic, 2007) as a scikit-learn transformer.

    Each feature (gene) is modelled as ``overall mean + covariate effects + batch shift``, with a
    batch-specific scale of its noise; the batch shifts and scales are shrunk towards their
    average over all features (parametric empirical Bayes), which keeps them stable in small
    batches. ``fit`` estimates everything on the training samples; ``transform`` standardises
    new samples with the training mean, covariate effects and pooled variance, removes the
    shift and scale of their batch, and puts them back on the original scale. On the training
    samples the result equals ``sva::ComBat`` (parametric, no reference batch).

    **The batch is a column of X.** ``X`` must be a :class:`pandas.DataFrame` with a column
    named ``batch`` (and the ``covariates`` columns, if any). The batch labels then travel with
    the rows through every splitter, cross-validation and grid search, and a new sample carries
    its batch at prediction time. The output holds the other columns, corrected.

    Parameters
    ----------
    batch : str, default="batch"
        Name of the column of ``X`` that holds the batch labels.
    covariates : sequence of str, default=()
        Columns of ``X`` whose effects are protected (estimated together with the batch
        effects and added back): numeric columns enter as they are, others are one-hot coded.
        They are needed at ``transform`` too, unless ``mean_only=True``.
    label_covariate : bool, default=False
        Protect the class labels ``y`` given to ``fit`` (the training labels only) as a
        categorical covariate. Requires ``mean_only=True``: a shift-only correction can then be
        applied to new samples without knowing their class.
    mean_only : bool, default=False
        Correct only the batch means, not the batch scales.
    empirical_bayes : bool, default=True
        Shrink the batch parameters (else: plain per-batch location/scale estimates).
    unseen_batch : {"error", "estimate", "ignore"}, default="error"
        What ``transform`` does with a batch absent from the training data. ``"estimate"``
        estimates that batch's shift and scale from the samples being transformed (at least two
        of the batch; no labels are used) against the frozen training reference; ``"ignore"``
        leaves them uncorrected (standardised with the training parameters only).

    Attributes
    ----------
    batches_ : numpy.ndarray
        The training batch labels, sorted.
    gamma_star_, delta_star_ : numpy.ndarray
        Shrunk batch shifts and scales (batches × features), on the standardised scale.
    grand_mean_, var_pooled_ : numpy.ndarray
        Overall mean and pooled within-batch variance of each feature.
    skipped_features_ : numpy.ndarray
        Boolean mask of features constant within some training batch (left unchanged, as in
        ``sva::ComBat``).

    """

    def __init__(
        self,
        batch: str = "batch",
        covariates: Sequence[str] = (),
        label_covariate: bool = False,
        mean_only: bool = False,
        empirical_bayes: bool = True,
        unseen_batch: str = "error",
    ) -> None:
        self.batch = batch
        self.covariates = covariates
        self.label_covariate = label_covariate
        self.mean_only = mean_only
        self.empirical_bayes = empirical_bayes
        self.unseen_batch = unseen_batch

    def fit(self, X: pd.DataFrame, y: ArrayLike | None = None) -> ComBat:
        """Estimate the batch effects on the training samples ``X`` (and ``y``, if protected)."""
        if self.unseen_batch not in ("error", "estimate", "ignore"):
            raise ValueError(
                f"unseen_batch must be 'error', 'estimate' or 'ignore', got {self.unseen_batch!r}."
            )
        if self.label_covariate and not self.mean_only:
            raise ValueError(
                "label_covariate=True needs mean_only=True: a scale correction would need the "
                "class of every new sample, which is unknown at prediction time."
            )
        if self.label_covariate and y is None:
            raise ValueError("label_covariate=True needs the class labels y in fit.")
        covariates = list(self.covariates)
        values, batches, extras, names = _split_frame(self, X, self.batch, "batch", covariates)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        if not np.isfinite(values).all():
            raise ValueError("ComBat: the features contain NaN or infinite values; impute first.")
        levels, codes, sizes = np.unique(batches, return_inverse=True, return_counts=True)
        if len(levels) < 2:
            raise ValueError(f"ComBat needs at least two batches; found {len(levels)}.")
        n = len(values)
        batch_design = np.eye(len(levels))[codes]
        cov_design, self._cov_levels = _covariate_design(extras, None)
        if self.label_covariate:
            y_frame = pd.DataFrame({"__label__": np.asarray(y, dtype=object).astype(str)})
            label_design, self._label_levels = _covariate_design(y_frame, None)
            cov_design = np.hstack([cov_design, label_design])
        design = np.hstack([batch_design, cov_design])
        if np.linalg.matrix_rank(design) < design.shape[1]:
            raise ValueError(
                "ComBat: the covariates are confounded with the batches (the design matrix is "
                "rank-deficient), so batch and covariate effects cannot be told apart. This "
                "happens when every batch holds a single class: no correction can separate the "
                "two (Nygaard et al., 2016)."
            )
        # Features constant within a batch of 2+ samples cannot be scaled: leave them unchanged.
        skipped = np.zeros(values.shape[1], dtype=bool)
        for i in np.flatnonzero(sizes > 1):
            skipped |= values[codes == i].var(axis=0) == 0
        self.skipped_features_ = skipped
        coef = np.linalg.solve(design.T @ design, design.T @ values)  # least squares
        k = len(levels)
        self.grand_mean_ = (sizes / n) @ coef[:k]
        self._beta = coef[k:]
        residual = values - design @ coef
        self.var_pooled_ = (residual**2).mean(axis=0)
        self.var_pooled_[skipped | (self.var_pooled_ == 0)] = 1.0
        z = self._standardise(values, cov_design)
        gamma, delta = [], []
        for i in range(k):
            g, d = _eb_batch(z[codes == i][:, ~skipped], self.mean_only, self.empirical_bayes)
            gamma.append(g)
            delta.append(d)
        self.batches_ = levels
        self.gamma_star_ = self._full(np.vstack(gamma), 0.0)
        self.delta_star_ = self._full(np.vstack(delta), 1.0)
        return self

    def _full(self, values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((values.shape[0], len(self.skipped_features_)), fill)
        out[:, ~self.skipped_features_] = values
        return out

    def _standardise(self, values: np.ndarray, cov_design: np.ndarray | None) -> np.ndarray:
        mean = self.grand_mean_ + (0 if cov_design is None else cov_design @ self._beta)
        return (values - mean) / np.sqrt(self.var_pooled_)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Remove the batch effects from ``X`` (whose batch column names each sample's batch)."""
        check_is_fitted(self)
        need_covariates = not self.mean_only
        values, batches, extras, names = _split_frame(
            self, X, self.batch, "batch", list(self.covariates), required_extra=need_covariates
        )
        if names != list(self.feature_names_out_):
            raise ValueError("ComBat: X has other feature columns than in fit.")
        if not np.isfinite(values).all():
            raise ValueError("ComBat: the features contain NaN or infinite values; impute first.")
        if need_covariates:
            cov_design, _ = _covariate_design(extras, self._cov_levels)
            if self.label_covariate:  # pragma: no cover - excluded in fit
                raise AssertionError
        else:
            cov_design = None  # a shift-only correction needs no covariate
        z = self._standardise(values, cov_design)
        out = np.empty_like(z)
        known = {b: i for i, b in enumerate(self.batches_)}
        for label in pd.unique(batches):
            rows = batches == label
            if label in known:
                g, d = self.gamma_star_[known[label]], self.delta_star_[known[label]]
            elif self.unseen_batch == "error":
                raise ValueError(
                    f"ComBat: batch {label!r} was not in the training data, so its effect is "
                    "unknown. Set unseen_batch='estimate' to estimate it from its own samples, "
                    "or 'ignore' to leave it uncorrected."
                )
            elif self.unseen_batch == "ignore":
                g, d = np.zeros(z.shape[1]), np.ones(z.shape[1])
            else:
                if rows.sum() < 2:
                    raise ValueError(
                        f"ComBat: the new batch {label!r} has a single sample; its effect cannot "
                        "be told apart from the sample's own biology. Transform at least two "
                        "samples of a new batch together, or use unseen_batch='ignore'."
                    )
                g_part, d_part = _eb_batch(
                    z[rows][:, ~self.skipped_features_], self.mean_only, self.empirical_bayes
                )
                g, d = self._full(g_part[None], 0.0)[0], self._full(d_part[None], 1.0)[0]
            out[rows] = (z[rows] - g) / np.sqrt(d)
        mean = self.grand_mean_ + (0 if cov_design is None else cov_design @ self._beta)
        return out * np.sqrt(self.var_pooled_) + mean

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Return the feature columns of ``X`` (without the batch and covariate columns)."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()


class GroupStandardScaler(TransformerMixin, BaseEstimator):
    """Standardise every variable within each group (site, hospital), learnt on training data.

    ``fit`` stores the mean and standard deviation of every numeric column within each group
    of the training samples (missing values are ignored and stay missing). ``transform``
    standardises each sample with the statistics of its group. A group absent from the training
    data gets the pooled training statistics (``unseen_group="pooled"``) or raises an error.
    As in :class:`ComBat`, the group is a column of the DataFrame ``X``.

    Standardising within sites removes differences of *units and calibration* between sites,
    and with them every real difference of case mix: a hospital whose patients are older or
    sicker looks average afterwards.

    Parameters
    ----------
    group : str, default="site"
        Name of the column of ``X`` holding the group labels.
    unseen_group : {"pooled", "error"}, default="pooled"
    min_size : int, default=2
        Groups with fewer training samples (non-missing values) than this, or with zero
        spread, use the pooled statistics for that variable.

    """

    def __init__(
        self, group: str = "site", unseen_group: str = "pooled", min_size: int = 2
    ) -> None:
        self.group = group
        self.unseen_group = unseen_group
        self.min_size = min_size

    def fit(self, X: pd.DataFrame, y: ArrayLike | None = None) -> GroupStandardScaler:
        """Learn the per-group and pooled means and standard deviations."""
        if self.unseen_group not in ("pooled", "error"):
            raise ValueError(
                f"unseen_group must be 'pooled' or 'error', got {self.unseen_group!r}."
            )
        values, groups, _, names = _split_frame(self, X, self.group, "group")
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        if self.min_size < 1:
            raise ValueError(f"min_size must be at least 1, got {self.min_size!r}.")
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns give NaN
            self.pooled_mean_ = np.nanmean(values, axis=0)
            self.pooled_std_ = np.nanstd(values, axis=0)
            self.pooled_std_[~(self.pooled_std_ > 0)] = 1.0
            levels = np.unique(groups)
            means = np.empty((len(levels), values.shape[1]))
            stds = np.empty_like(means)
            for i, level in enumerate(levels):
                part = values[groups == level]
                count = np.sum(~np.isnan(part), axis=0)
                mean, std = np.nanmean(part, axis=0), np.nanstd(part, axis=0)
                small = (count < self.min_size) | ~(std > 0)
                means[i] = np.where(small, self.pooled_mean_, mean)
                stds[i] = np.where(small, self.pooled_std_, std)
        self.means_, self.stds_ = means, stds
        self.groups_ = levels
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Standardise each sample with its group's training statistics."""
        check_is_fitted(self)
        values, groups, _, names = _split_frame(self, X, self.group, "group")
        if names != list(self.feature_names_out_):
            raise ValueError("GroupStandardScaler: X has other columns than in fit.")
        known = pd.Index(self.groups_)
        position = known.get_indexer(groups)
        if (position < 0).any() and self.unseen_group == "error":
            unseen = sorted({str(g) for g in groups[position < 0]})
            raise ValueError(
                f"GroupStandardScaler: group(s) {unseen[:3]} were not in the training data. Set "
                "unseen_group='pooled' to use the pooled statistics."
            )
        unseen = (position < 0)[:, None]
        means = np.where(unseen, self.pooled_mean_, self.means_[np.maximum(position, 0)])
        stds = np.where(unseen, self.pooled_std_, self.stds_[np.maximum(position, 0)])
        return (values - means) / stds

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Return the numeric columns of ``X`` (without the group column)."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()


# --------------------------------------------------------------------------------------------
# Simulation with a known batch effect
# --------------------------------------------------------------------------------------------
def simulate_batches(
    n_per_cell: ArrayLike,
    n_features: int = 200,
    *,
    n_informative: int = 20,
    class_effect: float = 1.0,
    batch_shift: float = 1.0,
    batch_scale: float = 0.5,
    random_state: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Gaussian data with a known class signal and a known batch effect.

    Parameters
    ----------
    n_per_cell
        Array of shape ``(n_batches, 2)``: how many samples of class 0 and of class 1 each
        batch holds. A balanced design (same class mix in every batch) is one where batch and
        class are independent; ``[[20, 0], [0, 20]]`` confounds them completely.
    n_features
        Number of features.
    n_informative
        How many of them (the first ones) carry the class signal.
    class_effect
        Shift of class 1 on the informative features, in units of the noise's SD.
    batch_shift
        SD of the batch shifts, drawn per batch and feature.
    batch_scale
        SD of the log of the batch scale factors, drawn per batch and feature. A batch scales
        each of its features (signal and noise alike) by its factor, then shifts it.
    random_state
        Seed.

    Returns
    -------
    observed : pandas.DataFrame
        The features with the batch effect, plus a column ``"batch"`` (labels ``"b0"``, ...).
    y : numpy.ndarray
        Class labels (0/1).
    truth : pandas.DataFrame
        The same features without any batch effect (ground truth for a correction).

    """
    cells = np.asarray(n_per_cell, dtype=int)
    if cells.ndim != 2 or cells.shape[1] != 2 or (cells < 0).any():
        raise ValueError("n_per_cell must be a (n_batches, 2) array of non-negative counts.")
    if not 0 <= n_informative <= n_features:
        raise ValueError("n_informative must lie between 0 and n_features.")
    rng = np.random.default_rng(random_state)
    batch = np.concatenate([np.full(c.sum(), i) for i, c in enumerate(cells)])
    y = np.concatenate([np.repeat([0, 1], c) for c in cells])
    n = len(y)
    signal = np.zeros((n, n_features))
    signal[:, :n_informative] = class_effect * y[:, None]
    noise = rng.normal(size=(n, n_features))
    shift = rng.normal(0, batch_shift, size=(len(cells), n_features))
    scale = np.exp(rng.normal(0, batch_scale, size=(len(cells), n_features)))
    truth = signal + noise
    observed = truth * scale[batch] + shift[batch]
    columns = [f"f{j}" for j in range(n_features)]
    obs = pd.DataFrame(observed, columns=columns)
    obs["batch"] = pd.Series([f"b{b}" for b in batch], dtype=object)
    return obs, y, pd.DataFrame(truth, columns=columns)
