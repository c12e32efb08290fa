"""Predictors of in-hospital death for the eICU demo, by the moment they are known.

A model is defined as much by *when* it predicts as by what it uses.  The eICU tables mix
information known when the patient reaches the intensive-care unit (age, where they come from,
the admission diagnosis) with information gathered later: the APACHE IV score, computed from the
worst physiological values of the **first 24 hours** (Zimmerman et al., 2006), and everything
recorded at discharge.  A model that uses the APACHE score is a 24-hour model, to be compared
with other 24-hour models (such as APACHE IVa's own predicted mortality), never with admission
models.  This module builds the two sets of predictors explicitly, so that no chapter mixes them
by accident, and the pipeline that the chapters fit on them.

:func:`icu_features`
    One row per ICU stay: the predictors known at ICU admission, or those plus the APACHE
    score (``moment="24h"``).  Nothing recorded later (discharge status, length of stay,
    discharge weight, APACHE's predictions) is ever returned.
:func:`icu_model`
    Imputation, scaling, one-hot encoding (rare categories pooled) and a classifier, all in one
    :class:`~sklearn.pipeline.Pipeline` so that cross-validation refits every step.

References
----------
Zimmerman, J. E., Kramer, A. A., McNair, D. S. & Malila, F. M. (2006). Acute Physiology and
Chronic Health Evaluation (APACHE) IV: hospital mortality assessment for today's critically ill
patients. *Critical Care Medicine*, 34(5), 1297-1310.

"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = [
    "ADMISSION_CATEGORICAL",
    "ADMISSION_NUMERIC",
    "AFTER_ADMISSION",
    "DAY_ONE_NUMERIC",
    "icu_features",
    "icu_model",
]

#: Numeric predictors known when the patient reaches the ICU (``hours_before_icu`` is derived
#: from ``hospitaladmitoffset``: the time spent in hospital before the ICU admission).
ADMISSION_NUMERIC: tuple[str, ...] = (
    "age",
    "admissionweight",
    "admissionheight",
    "unitvisitnumber",
    "hours_before_icu",
)
#: Categorical predictors known at ICU admission.  ``apacheadmissiondx`` is the reason for the
#: ICU admission as coded for APACHE; it is treated as known at admission.
ADMISSION_CATEGORICAL: tuple[str, ...] = (
    "gender",
    "unittype",
    "unitadmitsource",
    "unitstaytype",
    "apacheadmissiondx",
    "hospitaladmitsource",
)
#: Added by ``moment="24h"``: the APACHE IV score (worst values of the first 24 hours).
DAY_ONE_NUMERIC: tuple[str, ...] = ("apachescore",)
#: Columns of :func:`mlbio.datasets.load_eicu` recorded after the ICU admission (or the outcome
#: itself): never predictors of an admission model.
AFTER_ADMISSION: tuple[str, ...] = (
    "apachescore",
    "predictedhospitalmortality",
    "actualhospitalmortality",
    "dischargeweight",
    "unitdischargeoffset",
    "unitdischargetime24",
    "unitdischargelocation",
    "unitdischargestatus",
    "hospitaldischargeoffset",
    "hospitaldischargetime24",
    "hospitaldischargelocation",
    "hospitaldischargestatus",
    "hospitaldischargeyear",
    "died_in_hospital",
)

_SOURCE_COLUMNS = (
    *[c for c in ADMISSION_NUMERIC if c != "hours_before_icu"],
    "hospitaladmitoffset",
    *ADMISSION_CATEGORICAL,
)


def icu_features(
    eicu: pd.DataFrame, *, moment: Literal["admission", "24h"] = "admission"
) -> pd.DataFrame:
    """Predictors of one ICU stay per row, as known at ICU admission or after 24 hours.

    Parameters
    ----------
    eicu
        The table of :func:`mlbio.datasets.load_eicu` (or any subset of its rows).
    moment
        ``"admission"``: only what is known when the patient reaches the ICU (see
        :data:`ADMISSION_NUMERIC`, :data:`ADMISSION_CATEGORICAL`); ``"24h"``: the same plus the
        APACHE IV score, computed from the worst values of the first 24 hours.

    Returns
    -------
    pandas.DataFrame
        Same index as ``eicu``.  Numeric columns as floats (``hours_before_icu`` is
        ``log(1 + hours)`` of the time in hospital before the ICU, 0 when the offset is
        positive or zero; an APACHE score of -1, "not computable", becomes missing);
        categorical columns as Python strings, a missing value as the category ``"missing"``.

    Raises
    ------
    ValueError
        If ``moment`` is unknown or a needed column is absent.

    Examples
    --------
    >>> stays = pd.DataFrame({
    ...     "age": [70], "admissionweight": [80.0], "admissionheight": [175.0],
    ...     "unitvisitnumber": [1], "hospitaladmitoffset": [-120], "gender": ["Male"],
    ...     "unittype": ["MICU"], "unitadmitsource": ["Floor"], "unitstaytype": ["admit"],
    ...     "apacheadmissiondx": ["Sepsis, pulmonary"], "hospitaladmitsource": [None],
    ...     "apachescore": [-1],
    ... })
    >>> row = icu_features(stays).loc[0]
    >>> round(float(row["hours_before_icu"]), 4), row["hospitaladmitsource"]
    (1.0986, 'missing')
    >>> bool(icu_features(stays, moment="24h")["apachescore"].isna().all())
    True

    """
    if moment not in ("admission", "24h"):
        raise ValueError(f"moment must be 'admission' or '24h', got {moment!r}.")
    needed = [*_SOURCE_COLUMNS, *(DAY_ONE_NUMERIC if moment == "24h" else ())]
    missing = [c for c in needed if c not in eicu.columns]
    if missing:
        raise ValueError(
            f"The eICU table lacks the column(s) {missing}: pass the table returned by "
            "mlbio.datasets.load_eicu()."
        )
    out = pd.DataFrame(index=eicu.index)
    for column in ADMISSION_NUMERIC:
        if column == "hours_before_icu":
            minutes = -pd.to_numeric(eicu["hospitaladmitoffset"], errors="coerce").astype(float)
            out[column] = np.log1p(minutes.clip(lower=0) / 60)
        else:
            out[column] = pd.to_numeric(eicu[column], errors="coerce").astype(float)
    if moment == "24h":
        score = pd.to_numeric(eicu["apachescore"], errors="coerce").astype(float)
        out["apachescore"] = score.where(score >= 0)  # -1 means "not computable"
    for column in ADMISSION_CATEGORICAL:
        values = eicu[column].astype(object)
        out[column] = values.where(values.notna(), "missing").astype(str).astype(object)
    return out


def icu_model(
    features: pd.DataFrame,
    classifier: ClassifierMixin | None = None,
    *,
    min_frequency: int = 20,
) -> Pipeline:
    """Build the book's eICU pipeline for a table of :func:`icu_features`.

    Numeric columns: median imputation with missing-value indicators, then scaling.
    Categorical columns: one-hot encoding in which categories seen fewer than ``min_frequency``
    times in the training data are pooled into one "infrequent" column (unseen categories at
    prediction time go there too).  Every step learns from the training data only, because
    the whole recipe is one pipeline.

    Parameters
    ----------
    features
        A table from :func:`icu_features`; its columns decide which are numeric.
    classifier
        The final estimator (default: an L2-penalised logistic regression with ``C=1``).
    min_frequency
        Smallest count of a category to keep its own column.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted.

    Examples
    --------
    >>> stays = pd.DataFrame({"age": [60.0, 70.0], "gender": ["Male", "Female"]})
    >>> icu_model(stays).steps[-1][0]
    'logisticregression'

    """
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    if not numeric and not categorical:
        raise ValueError("features has no columns.")
    steps: list[tuple[str, BaseEstimator, list[str]]] = []
    if numeric:
        steps.append(
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                numeric,
            )
        )
    if categorical:
        steps.append(
            (
                "categorical",
                OneHotEncoder(
                    min_frequency=min_frequency,
                    handle_unknown="infrequent_if_exist",
                    sparse_output=False,
                ),
                categorical,
            )
        )
    if classifier is None:
        classifier = LogisticRegression(solver="newton-cholesky")
    return make_pipeline(ColumnTransformer(steps), classifier)
