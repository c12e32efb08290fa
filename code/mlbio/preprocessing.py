"""Leakage-safe preprocessing of count data, as scikit-learn transformers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

#: Float types kept as they are; anything else (integer counts) becomes float64. Counts stored
#: as float32 halve the memory every fit touches, which matters inside cross-validation.
FLOATS = [np.float64, np.float32]


class LogCPM(TransformerMixin, BaseEstimator):
    """Log counts per million: ``log2(count / library size * 1e6 + prior)``, sample by sample.

    Each sample is scaled by its own library size, so the transform learns nothing from other
    samples: it is safe to apply before or inside cross-validation.  It still belongs in the
    :class:`~sklearn.pipeline.Pipeline`, next to the steps that do learn from data.

    Parameters
    ----------
    prior : float, default=1.0
        Pseudo-count added before the logarithm, so that zero counts stay finite.

    Notes
    -----
    Float32 input gives float32 output (half the memory, about seven significant digits);
    integer counts are converted to float64.

    """

    def __init__(self, prior: float = 1.0) -> None:
        self.prior = prior

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> LogCPM:
        """Check ``X`` (non-negative counts); nothing is learnt."""
        X = validate_data(self, X, dtype=FLOATS)
        if np.any(X < 0):
            raise ValueError("LogCPM expects non-negative counts; found negative values.")
        if self.prior <= 0:
            raise ValueError(f"prior must be positive, got {self.prior!r}.")
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return log2 counts per million of ``X`` (samples × genes)."""
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        if X.size and X.min() < 0:
            raise ValueError("LogCPM expects non-negative counts; found negative values.")
        library = X.sum(axis=1, keepdims=True)
        if np.any(library == 0):
            raise ValueError("A sample has no counts at all (library size 0); remove it first.")
        # One new array, updated in place: this runs in every fit of every fold.
        out = np.multiply(X, 1e6 / library)
        out += self.prior
        return np.log2(out, out=out)

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


class ExpressionFilter(TransformerMixin, BaseEstimator):
    """Keep the features that reach ``min_value`` in at least ``min_fraction`` of the samples.

    A filter of lowly expressed genes that uses no label. Fitted inside a cross-validation
    pipeline, it looks at the training samples only, so that not even the test samples'
    expression decides which genes the model sees. Put it after :class:`LogCPM` (values in
    log2 counts per million: ``min_value=1.0`` keeps genes with about 1 CPM or more).

    Parameters
    ----------
    min_value : float, default=1.0
        Threshold on the (transformed) values.
    min_fraction : float, default=0.1
        Share of the training samples, in (0, 1], that must reach the threshold.

    Attributes
    ----------
    support_ : numpy.ndarray
        Boolean mask of the kept features.

    """

    def __init__(self, min_value: float = 1.0, min_fraction: float = 0.1) -> None:
        self.min_value = min_value
        self.min_fraction = min_fraction

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> ExpressionFilter:
        """Find the features expressed in enough training samples."""
        X = validate_data(self, X, dtype=FLOATS)
        if not 0 < self.min_fraction <= 1:
            raise ValueError(f"min_fraction must be in (0, 1], got {self.min_fraction!r}.")
        self.support_ = (X >= self.min_value).mean(axis=0) >= self.min_fraction
        if not self.support_.any():
            raise ValueError(
                f"No feature reaches {self.min_value} in {self.min_fraction:.0%} of the samples; "
                "lower min_value or min_fraction."
            )
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the kept features of ``X``."""
        check_is_fitted(self, "support_")
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        return X[:, self.support_]

    def get_support(self) -> np.ndarray:
        """Return the boolean mask of the kept features (as scikit-learn's selectors do)."""
        check_is_fitted(self, "support_")
        return self.support_


__all__ = ["ExpressionFilter", "LogCPM"]
