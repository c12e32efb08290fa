"""Unit tests of mlbio.subgroups: intervals, clusters, one-class subgroups, held-out sites."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from mlbio import subgroups as sg
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def risks(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and calibrated, informative probabilities."""
    p = 1 / (1 + np.exp(-rng.normal(0, 1.5, n)))
    return (rng.uniform(size=n) < p).astype(int), p


@pytest.fixture(scope="module")
def big_and_small() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y, p = risks(2100, rng)
    sub = np.where(np.arange(2100) < 2000, "big", "small")
    return y, p, sub


def width(table: pd.DataFrame, subgroup: str, metric: str) -> float:
    row = table[(table["subgroup"] == subgroup) & (table["metric"] == metric)].iloc[0]
    return float(row["ci_high"] - row["ci_low"])


def test_estimates_are_the_metric_on_each_subgroup(big_and_small):
    y, p, sub = big_and_small
    t = sg.subgroup_metrics(y, p, sub, n_bootstrap=0)
    assert list(t.columns[:8]) == [
        "subgroup",
        "metric",
        "n",
        "events",
        "estimate",
        "ci_low",
        "ci_high",
        "note",
    ]
    assert t["subgroup"].tolist() == ["big", "big", "small", "small", "all", "all"]
    assert t["metric"].tolist() == ["auroc", "brier"] * 3
    small = sub == "small"
    got = t.set_index(["subgroup", "metric"])["estimate"]
    assert got["small", "auroc"] == pytest.approx(roc_auc_score(y[small], p[small]))
    assert got["small", "brier"] == pytest.approx(brier_score_loss(y[small], p[small]))
    assert got["all", "auroc"] == pytest.approx(roc_auc_score(y, p))
    assert t.loc[t["subgroup"] == "small", "n"].iloc[0] == 100
    assert t.loc[t["subgroup"] == "small", "events"].iloc[0] == y[small].sum()


def test_intervals_widen_for_small_subgroups(big_and_small):
    y, p, sub = big_and_small
    t = sg.subgroup_metrics(y, p, sub, n_bootstrap=200)
    for metric in ("auroc", "brier"):
        assert width(t, "small", metric) > 2.5 * width(t, "big", metric)
    row = t.set_index(["subgroup", "metric"]).loc[("small", "auroc")]
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_cluster_bootstrap_is_used_when_groups_are_given():
    rng = np.random.default_rng(1)
    y, p = risks(200, rng)
    sub = np.where(rng.uniform(size=200) < 0.5, "F", "M")
    copies = 4
    y4, p4, sub4 = (np.repeat(a, copies) for a in (y, p, sub))
    ids = np.repeat(np.arange(200), copies)
    base = sg.subgroup_metrics(y, p, sub, metrics="auroc", n_bootstrap=200)
    naive = sg.subgroup_metrics(y4, p4, sub4, metrics="auroc", n_bootstrap=200)
    clustered = sg.subgroup_metrics(y4, p4, sub4, metrics="auroc", groups=ids, n_bootstrap=200)
    for level in ("F", "M", "all"):
        # identical copies add no information: the interval must not shrink
        assert width(clustered, level, "auroc") > 0.8 * width(base, level, "auroc")
        assert width(naive, level, "auroc") < 0.65 * width(base, level, "auroc")
    assert clustered.loc[clustered["subgroup"] == "F", "n_groups"].iloc[0] == (sub == "F").sum()


def test_one_class_subgroup_gets_nan_interval_and_a_note():
    rng = np.random.default_rng(2)
    y, p = risks(400, rng)
    sub = np.array(["a"] * 380 + ["b"] * 20, dtype=object)
    y[380:] = 0
    t = sg.subgroup_metrics(y, p, sub, n_bootstrap=100).set_index(["subgroup", "metric"])
    auroc, brier = t.loc[("b", "auroc")], t.loc[("b", "brier")]
    assert np.isnan(auroc["estimate"]) and np.isnan(auroc["ci_low"]) and np.isnan(auroc["ci_high"])
    assert "one class" in auroc["note"]
    assert brier["estimate"] == pytest.approx(np.mean(p[380:] ** 2))  # defined...
    assert np.isnan(brier["ci_low"]) and "one class" in brier["note"]  # ...but no interval
    assert np.isfinite(t.loc[("a", "auroc"), "ci_low"]) and t.loc[("a", "auroc"), "note"] == ""


def test_min_size_and_missing_and_categorical_order():
    rng = np.random.default_rng(3)
    y, p = risks(300, rng)
    bands = pd.Series(
        pd.Categorical(
            rng.choice(["<40", "40-65", ">65"], size=300), categories=["<40", "40-65", ">65"]
        )
    )
    bands[:3] = np.nan
    t = sg.subgroup_metrics(y, p, bands, metrics=["auroc"], n_bootstrap=0, min_size=5)
    assert t["subgroup"].tolist() == ["<40", "40-65", ">65", "(missing)", "all"]
    missing = t[t["subgroup"] == "(missing)"].iloc[0]
    assert missing["n"] == 3 and np.isnan(missing["estimate"]) and "min_size" in missing["note"]


def test_arrow_strings_custom_metrics_and_calibration_metrics():
    rng = np.random.default_rng(4)
    y, p = risks(500, rng)
    labels = pd.Series(np.where(y == 1, "died", "alive"), dtype="string[pyarrow]")
    sex = pd.Series(rng.choice(["F", "M"], size=500), dtype="string[pyarrow]")
    t = sg.subgroup_metrics(
        labels,
        p,
        sex,
        metrics={"AUC": roc_auc_score, "slope": sg.METRICS["slope"][0]},
        n_bootstrap=0,
        pos_label="died",
    )
    assert t["subgroup"].tolist() == ["F", "F", "M", "M", "all", "all"]
    assert t.loc[4, "estimate"] == pytest.approx(roc_auc_score(y, p))
    assert abs(t.loc[5, "estimate"] - 1) < 0.25  # calibrated by construction
    with pytest.raises(ValueError, match="pos_label"):
        sg.subgroup_metrics(labels, p, sex)
    with pytest.raises(ValueError, match="Unknown metric"):
        sg.subgroup_metrics(y, p, sex, metrics="accuracy")
    with pytest.raises(ValueError, match="outside"):
        sg.subgroup_metrics(y, p * 3 - 1, sex, metrics="brier")


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on columns 1:, recording the sample ids (column 0) it trains on."""

    log: list = []

    def fit(self, X, y):
        X = np.asarray(X)
        self.train_ids_ = set(X[:, 0].astype(int).tolist())
        self.model_ = LogisticRegression().fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        X = np.asarray(X)
        ids = set(X[:, 0].astype(int).tolist())
        RecordingClassifier.log.append((self.train_ids_, ids))
        return self.model_.predict_proba(X[:, 1:])

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def sites_data(seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 240
    site = np.repeat(["h1", "h2", "h3", "h4"], [90, 70, 60, 20])
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n) > 0).astype(int)
    X = np.column_stack([np.arange(n), x])
    return X, y, site


def test_held_out_groups_never_trains_on_the_held_out_site():
    X, y, site = sites_data()
    RecordingClassifier.log.clear()
    t = sg.held_out_groups(RecordingClassifier(), X, y, site, n_bootstrap=0)
    assert RecordingClassifier.log, "the estimator was never asked to predict"
    for train_ids, predicted_ids in RecordingClassifier.log:
        assert not train_ids & predicted_ids
        held_out = set(site[list(predicted_ids)])
        assert len(held_out) == 1  # one model predicts exactly one site...
        assert train_ids == set(np.flatnonzero(site != held_out.pop()).tolist())  # ...from the rest
    assert t["site"].tolist() == ["h1", "h2", "h3", "h4", "pooled"]
    assert t["n_train"].tolist()[:4] == [150, 170, 180, 220]
    assert pd.isna(t["n_train"].iloc[4])
    assert not np.isnan(t.attrs["oof"]).any()  # every sample was predicted once


def test_held_out_scores_are_the_scores_of_the_held_out_predictions():
    X, y, site = sites_data()
    model = make_pipeline(StandardScaler(), LogisticRegression())
    t = sg.held_out_groups(model, X[:, 1:], y, site, n_bootstrap=100, min_size=25)
    oof = t.attrs["oof"]
    for level in ("h1", "h2", "h3"):
        row = t[t["site"] == level].iloc[0]
        mask = site == level
        assert row["score"] == pytest.approx(roc_auc_score(y[mask], oof[mask]))
        assert row["ci_low"] < row["score"] < row["ci_high"]
        assert row["events"] == y[mask].sum()
    small = t[t["site"] == "h4"].iloc[0]
    assert np.isnan(small["score"]) and "min_size" in small["note"]
    pooled = t[t["site"] == "pooled"].iloc[0]
    assert pooled["score"] == pytest.approx(roc_auc_score(y, oof))
    assert pooled["n"] == len(y)
    assert pooled["note"] == "interval resamples samples (fewer than 20 sites)"


def test_pooled_interval_resamples_sites_when_there_are_enough():
    rng = np.random.default_rng(8)
    n_sites, per_site = 24, 25
    site = np.repeat([f"h{i:02d}" for i in range(n_sites)], per_site)
    X = rng.normal(size=(len(site), 2))
    shift = rng.normal(0, 1.5, n_sites)[np.repeat(np.arange(n_sites), per_site)]
    y = (X[:, 0] + shift + rng.normal(size=len(site)) > 0).astype(int)  # sites differ a lot
    model = LogisticRegression()
    by_site = sg.held_out_groups(model, X, y, site, n_bootstrap=200)
    by_sample = sg.held_out_groups(
        model, X, y, site, n_bootstrap=200, min_sites_for_site_bootstrap=100
    )
    assert by_site["note"].iloc[-1] == "interval resamples sites"
    assert by_sample["note"].iloc[-1].startswith("interval resamples samples")
    assert by_site["score"].iloc[-1] == by_sample["score"].iloc[-1]


def test_held_out_groups_multiclass_and_one_class_site():
    rng = np.random.default_rng(6)
    n = 180
    site = np.repeat(["a", "b", "c"], 60)
    X = rng.normal(size=(n, 2))
    y3 = np.digitize(X[:, 0] + 0.3 * rng.normal(size=n), [-0.5, 0.5])
    t = sg.held_out_groups(LogisticRegression(), X, y3, site, scoring="accuracy", n_bootstrap=20)
    assert t.attrs["oof"].shape == (n, 3)
    assert (t["score"].iloc[:3] > 0.5).all() and t["events"].isna().all()
    y = (X[:, 0] > 0).astype(int)
    y[site == "c"] = 0  # site c has no events
    t = sg.held_out_groups(LogisticRegression(), X, y, site, n_bootstrap=20)
    row = t[t["site"] == "c"].iloc[0]
    assert np.isnan(row["score"]) and "one class" in row["note"]


def test_forest_plot_rows_labels_and_intervals(big_and_small):
    y, p, sub = big_and_small
    t = sg.subgroup_metrics(y, p, sub, metrics="auroc", n_bootstrap=100)
    ax = sg.forest_plot(t, reference=0.5)
    labels = [lab.get_text() for lab in ax.get_yticklabels()]
    assert labels == ["big (n = 2000)", "small (n = 100)", "all (n = 2100)"]
    assert "auroc" in ax.get_xlabel()
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    spans = sorted((float(s[0][0]), float(s[1][0])) for s in segments)
    expected = sorted(zip(t["ci_low"], t["ci_high"], strict=True))
    np.testing.assert_allclose(spans, expected)
    plt.close(ax.figure)
    two = sg.subgroup_metrics(y, p, sub, n_bootstrap=0)
    axes = sg.forest_plot(two, reference={"auroc": 0.5})
    assert len(axes) == 2
    dotted = [[ln for ln in a.lines if ln.get_linestyle() == ":"] for a in axes]
    assert [len(d) for d in dotted] == [1, 0]  # the AUROC panel only
    assert dotted[0][0].get_xdata()[0] == 0.5
    plt.close(axes[0].figure)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="metric="):
        sg.forest_plot(two, ax=ax)
    sg.forest_plot(two, ax=ax, metric="brier")
    plt.close(ax.figure)


def test_forest_plot_of_held_out_sites_marks_missing_rows():
    X, y, site = sites_data()
    t = sg.held_out_groups(LogisticRegression(), X[:, 1:], y, site, n_bootstrap=0, min_size=25)
    ax = sg.forest_plot(t)
    texts = [text.get_text() for text in ax.texts]
    assert texts == ["not estimable"]
    assert ax.get_ylabel() == "Held-out site"
    plt.close(ax.figure)
