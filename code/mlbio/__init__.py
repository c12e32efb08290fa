"""Helpers for the book *Machine learning for biomedical research, with a cautious mind-set*.

The package holds what several chapters share, so that each notebook calls tested code instead
of copying it: verified data loading (:mod:`mlbio.datasets`), honest evaluation
(:mod:`mlbio.evaluation`), plotting defaults (:mod:`mlbio.plotting`) and the book's altair
renderer (:mod:`mlbio.altair`).
"""

__version__ = "0.1.0"
