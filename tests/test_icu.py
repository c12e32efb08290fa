"""Unit tests of mlbio.icu on a small synthetic eICU-like table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import icu
from sklearn.ensemble import RandomForestClassifier


def fake_eicu(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    died = rng.uniform(size=n) < 0.2
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "admissionweight": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.normal(80, 15, n)),
            "admissionheight": rng.normal(170, 10, n),
            "unitvisitnumber": rng.integers(1, 3, n),
            "hospitaladmitoffset": rng.integers(-5000, 100, n),
            "gender": rng.choice(["Male", "Female", None], n),
            "unittype": rng.choice(["MICU", "SICU", "Med-Surg ICU"], n),
            "unitadmitsource": rng.choice(["Floor", "Emergency Department"], n),
            "unitstaytype": rng.choice(["admit", "readmit"], n),
            "apacheadmissiondx": rng.choice(["Sepsis", "CHF", "Rare dx"], n, p=[0.5, 0.45, 0.05]),
            "hospitaladmitsource": rng.choice(["Floor", None], n),
            "apachescore": np.where(rng.uniform(size=n) < 0.05, -1, rng.integers(10, 150, n)),
            # recorded after admission: must never reach an admission model
            "dischargeweight": rng.normal(80, 15, n),
            "unitdischargeoffset": rng.integers(100, 5000, n),
            "unitdischargestatus": np.where(died, "Expired", "Alive"),
            "hospitaldischargeoffset": rng.integers(100, 9000, n),
            "hospitaldischargestatus": np.where(died, "Expired", "Alive"),
            "predictedhospitalmortality": rng.uniform(size=n),
            "died_in_hospital": died,
        }
    )


def test_admission_features_ignore_everything_recorded_later():
    stays = fake_eicu()
    before = icu.icu_features(stays)
    assert not set(before.columns) & set(icu.AFTER_ADMISSION)
    # scramble every after-admission column: the admission predictors must not move
    later = stays.copy()
    for column in icu.AFTER_ADMISSION:
        if column in later:
            later[column] = later[column].sample(frac=1, random_state=1).to_numpy()
    pd.testing.assert_frame_equal(before, icu.icu_features(later))


def test_24h_features_add_only_the_apache_score():
    stays = fake_eicu()
    day1 = icu.icu_features(stays, moment="24h")
    admission = icu.icu_features(stays)
    assert set(day1.columns) - set(admission.columns) == {"apachescore"}
    # -1 is APACHE's "not computable", not a low score
    assert day1["apachescore"].isna().sum() == (stays["apachescore"] == -1).sum()
    assert (day1["apachescore"].dropna() >= 0).all()


def test_hours_before_icu_and_missing_categories():
    stays = fake_eicu(n=3)
    stays["hospitaladmitoffset"] = [-120, 0, 30]
    stays["gender"] = ["Male", None, "Female"]
    features = icu.icu_features(stays)
    np.testing.assert_allclose(features["hours_before_icu"], [np.log1p(2.0), 0.0, 0.0])
    assert features["gender"].tolist() == ["Male", "missing", "Female"]


def test_missing_column_and_bad_moment_are_refused():
    stays = fake_eicu().drop(columns="unittype")
    with pytest.raises(ValueError, match="unittype"):
        icu.icu_features(stays)
    with pytest.raises(ValueError, match="moment"):
        icu.icu_features(fake_eicu(), moment="discharge")


def test_model_pools_rare_categories_and_handles_unseen_ones():
    stays = fake_eicu(n=200)
    X = icu.icu_features(stays)
    y = stays["died_in_hospital"].to_numpy()
    model = icu.icu_model(X, min_frequency=20).fit(X, y)
    encoder = model[0].named_transformers_["categorical"]
    dx = list(icu.ADMISSION_CATEGORICAL).index("apacheadmissiondx")
    # "Rare dx" (about 5 % of 200) is pooled; the frequent diagnoses keep their own column
    assert "Rare dx" in encoder.infrequent_categories_[dx]
    new = X.iloc[:5].copy()
    new["apacheadmissiondx"] = "never seen before"
    new["admissionweight"] = np.nan
    proba = model.predict_proba(new)[:, 1]
    assert proba.shape == (5,) and np.isfinite(proba).all()


def test_model_takes_another_classifier():
    X = icu.icu_features(fake_eicu())
    model = icu.icu_model(X, RandomForestClassifier(n_estimators=5, random_state=0))
    assert isinstance(model[-1], RandomForestClassifier)
    numeric = model[0].transformers[0][2]
    assert numeric == list(icu.ADMISSION_NUMERIC)
