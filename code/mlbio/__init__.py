"""Helpers for the book *Machine learning for biomedical research, with a cautious mind-set*.

The package holds what several chapters share, so that each notebook calls tested code instead
of copying it: verified data loading (:mod:`mlbio.datasets`), honest evaluation
(:mod:`mlbio.evaluation`), paired model comparison (:mod:`mlbio.compare`), the geometry and
statistics of few samples in many dimensions (:mod:`mlbio.highdim`), plotting defaults
(:mod:`mlbio.plotting`) and the book's altair renderer (:mod:`mlbio.altair`).

:data:`SEED` is the seed every chapter and every helper starts from, so that reruns give the
same numbers.

>>> import mlbio
>>> mlbio.SEED
20260101
"""

__version__ = "0.1.0"

#: The seed every chapter and every helper of :mod:`mlbio` starts from.
SEED = 20_260_101
