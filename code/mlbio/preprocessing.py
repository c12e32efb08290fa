"""Leakage-safe preprocessing of count data, as scikit-learn transformers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data


class LogCPM(TransformerMixin, BaseEstimator):
    """Log counts per million: ``log2(count / library size * 1e6 + prior)``, sample by sample.

    Each sample is scaled by its own library size, so the transform learns nothing from other
    samples: it is safe to apply before or inside cross-validation.  It still belongs in the
    :class:`~sklearn.pipeline.Pipeline`, next to the steps that do learn from data.

    Parameters
    ----------
    prior : float, default=1.0
        Pseudo-count added before the logarithm, so that zero counts stay finite.

    """

    def __init__(self, prior: float = 1.0) -> None:
        self.prior = prior

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> LogCPM:
        """Check ``X`` (non-negative counts); nothing is learnt."""
        X = validate_data(self, X, dtype=np.float64)
        if np.any(X < 0):
            raise ValueError("LogCPM expects non-negative counts; found negative values.")
        if self.prior <= 0:
            raise ValueError(f"prior must be positive, got {self.prior!r}.")
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return log2 counts per million of ``X`` (samples × genes)."""
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if np.any(X < 0):
            raise ValueError("LogCPM expects non-negative counts; found negative values.")
        library = X.sum(axis=1, keepdims=True)
        if np.any(library == 0):
            raise ValueError("A sample has no counts at all (library size 0); remove it first.")
        return np.log2(X / library * 1e6 + self.prior)

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


__all__ = ["LogCPM"]
