"""mlbio.harmonise: count normalisation, ComBat and per-site standardisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlbio import harmonise as hm
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


# --------------------------------------------------------------------------------------------
# Count normalisation
# --------------------------------------------------------------------------------------------
def _nb_counts(
    n: int = 24,
    genes: int = 2000,
    dispersion: float = 0.1,
    seed: int = 0,
    composition: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Negative-binomial counts with known relative sequencing depths (and optional DE genes)."""
    rng = np.random.default_rng(seed)
    depth = np.exp(rng.normal(0, 0.4, n))
    mu = np.exp(rng.normal(3, 1.5, genes))
    mean = depth[:, None] * mu[None]
    if composition:  # 5 % of the genes eight-fold up in every other sample
        up = np.zeros(genes)
        up[rng.choice(genes, genes // 20, replace=False)] = np.log(8)
        mean = mean * np.exp(up[None] * (np.arange(n) % 2)[:, None])
    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + dispersion * mean))
    return counts.astype(float), depth


def _relative(x: np.ndarray) -> np.ndarray:
    return x / np.exp(np.mean(np.log(x)))


def test_median_of_ratios_recovers_depth_despite_composition() -> None:
    counts, depth = _nb_counts(composition=True)
    model = hm.MedianOfRatios().fit(counts)
    error = np.log2(_relative(model.size_factors_) / _relative(depth))
    library = np.log2(_relative(counts.sum(axis=1)) / _relative(depth))
    # Library size is fooled by the genes that are up in half of the samples; DESeq's is not.
    assert np.sqrt(np.mean(error**2)) < 0.08
    assert np.sqrt(np.mean(library**2)) > 2 * np.sqrt(np.mean(error**2))


def test_median_of_ratios_is_exact_on_noise_free_counts() -> None:
    mu = np.array([10.0, 200.0, 35.0, 4.0, 1000.0])
    depth = np.array([0.5, 1.0, 2.0, 4.0])
    counts = depth[:, None] * mu[None]
    factors = hm.MedianOfRatios().fit(counts).size_factors_
    np.testing.assert_allclose(factors, depth / np.exp(np.mean(np.log(depth))))


def test_median_of_ratios_scales_a_new_sample_against_the_training_reference() -> None:
    counts, _ = _nb_counts(n=12)
    model = hm.MedianOfRatios(log=False).fit(counts[:8])
    alone = model.transform(counts[8:9])
    with_others = model.transform(counts[8:])[:1]
    np.testing.assert_allclose(alone, with_others)  # no dependence on the other new samples
    deeper = model.transform(counts[8:9] * 3)  # three times the sequencing depth
    np.testing.assert_allclose(deeper, alone * 1, rtol=1e-12)


def test_tmm_removes_the_composition_shift() -> None:
    rng = np.random.default_rng(3)
    ref = rng.integers(20, 2000, size=3000).astype(float)
    obs = ref.copy()
    obs[:300] *= 10  # 10 % of the genes ten-fold up: they eat a large part of the library
    counts = np.vstack([ref, obs])
    logcpm = hm.TMM().fit(counts).transform(counts)
    plain = np.log2(counts / counts.sum(axis=1, keepdims=True) * 1e6 + 1)
    unchanged = slice(300, None)
    shift_tmm = np.median(logcpm[1, unchanged] - logcpm[0, unchanged])
    shift_plain = np.median(plain[1, unchanged] - plain[0, unchanged])
    assert abs(shift_plain) > 0.9  # plain CPM: the unchanged genes look down-regulated
    assert abs(shift_tmm) < 0.05


def test_tmm_factors_do_not_depend_on_depth_or_on_other_samples() -> None:
    counts, _ = _nb_counts(composition=True, seed=5)
    model = hm.TMM().fit(counts[:16])
    np.testing.assert_allclose(np.exp(np.mean(np.log(model.norm_factors_))), 1.0)
    one = model.transform(counts[16:17])
    np.testing.assert_allclose(one, model.transform(counts[16:])[:1])
    # Twice the depth: the same log-CPM, up to the precision weights (which use the raw counts).
    np.testing.assert_allclose(model.transform(counts[16:17] * 2), one, atol=0.02)


def test_average_ranks_match_scipy() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, size=rng.integers(1, 40)).astype(float)
        np.testing.assert_allclose(hm._average_ranks(x), rankdata(x))


def test_vst_stabilises_the_variance_and_finds_the_dispersion() -> None:
    counts, _ = _nb_counts(n=40, genes=3000, dispersion=0.1, seed=2)
    vst = hm.VarianceStabilising().fit(counts)
    assert 0.07 < vst.asymptotic_dispersion_ < 0.14
    values = vst.transform(counts)
    mean = counts.mean(axis=0)
    bins = [(m >= lo) & (m < hi) for m in [mean] for lo, hi in [(2, 8), (8, 64), (64, 1e9)]]

    def spread(z: np.ndarray) -> float:
        sd = [np.median(z[:, b].std(axis=0)) for b in bins]
        return max(sd) / min(sd)

    log1p = np.log2(counts / vst.size_factor_model_.size_factors_[:, None] + 1)
    assert spread(values) < 1.35  # about the same SD at every expression level
    assert spread(log1p) > 1.6  # log(x + 1): the weak genes are much noisier
    strong = counts > 2000  # and for well-expressed genes the VST is close to log2
    normalised = counts / vst.size_factor_model_.size_factors_[:, None]
    assert np.max(np.abs(values[strong] - np.log2(normalised[strong]))) < 0.2


@pytest.mark.parametrize("model", [hm.MedianOfRatios(), hm.TMM(), hm.VarianceStabilising()])
def test_count_normalisers_refuse_bad_counts(model: object) -> None:
    counts, _ = _nb_counts(n=6, genes=50)
    bad = counts.copy()
    bad[0, 0] = -1
    with pytest.raises(ValueError, match="non-negative"):
        clone(model).fit(bad)
    empty = counts.copy()
    empty[1] = 0
    with pytest.raises(ValueError, match="no counts"):
        clone(model).fit(empty)


# --------------------------------------------------------------------------------------------
# ComBat
# --------------------------------------------------------------------------------------------
def _fixture() -> pd.DataFrame:
    """12 samples in 3 batches (4, 3, 5), 5 features, plus an 'age' covariate (deterministic)."""
    sizes = [4, 3, 5]
    code = np.repeat([0, 1, 2], sizes)[:, None]
    j, f = np.arange(12)[:, None], np.arange(5)[None, :]
    x = np.sin(1.3 * j + 0.7 * f) * (1 + 0.4 * code) + 0.8 * code * np.cos(f) + f
    frame = pd.DataFrame(x, columns=[f"g{i}" for i in range(5)])
    return frame.assign(batch=np.repeat(["a", "b", "c"], sizes), age=(np.arange(12) * 7 % 11) * 1.0)


# Output of neuroCombat 0.2.12 (which follows sva::ComBat) on the fixture, first two features.
_NEUROCOMBAT = np.array(
    [
        [0.445433, 2.145726], [1.710529, 2.484729], [1.122257, 1.120118], [-0.457564, 0.051051],
        [-0.633346, 0.573871], [0.821721, 2.208807], [1.859368, 2.215556], [1.683613, 1.325875],
        [0.217504, 0.522938], [0.301671, 1.582676], [1.812809, 2.952571], [2.537097, 2.625723],
    ]
)  # fmt: skip
_NEUROCOMBAT_AGE = np.array(
    [
        [0.319733, 2.057034], [1.766556, 2.566069], [1.079042, 1.041157], [-0.416317, 0.066193],
        [-0.602243, 0.563356], [0.812858, 2.173053], [1.77117, 2.171848], [1.71428, 1.350228],
        [0.309621, 0.619046], [0.282211, 1.553042], [1.859645, 2.995767], [2.648949, 2.74091],
    ]
)  # fmt: skip


def test_combat_reproduces_the_reference_implementation() -> None:
    frame = _fixture()
    out = hm.ComBat().fit_transform(frame.drop(columns="age"))
    np.testing.assert_allclose(out[:, :2], _NEUROCOMBAT, atol=2e-6)
    with_age = hm.ComBat(covariates=["age"]).fit_transform(frame)
    np.testing.assert_allclose(with_age[:, :2], _NEUROCOMBAT_AGE, atol=2e-6)


def test_combat_without_shrinkage_is_per_batch_standardisation() -> None:
    frame = _fixture().drop(columns="age")
    out = hm.ComBat(empirical_bayes=False).fit_transform(frame)
    x = frame.drop(columns="batch").to_numpy()
    batch = frame["batch"].to_numpy()
    centred = np.vstack([x[batch == b] - x[batch == b].mean(axis=0) for b in "abc"])
    pooled = (centred**2).mean(axis=0)
    for b in "abc":
        part = x[batch == b]
        expected = (part - part.mean(axis=0)) / part.std(axis=0, ddof=1) * np.sqrt(pooled)
        np.testing.assert_allclose(out[batch == b], expected + x.mean(axis=0))


def test_combat_removes_a_known_simulated_batch_effect() -> None:
    observed, y, truth = hm.simulate_batches(
        [[15, 15], [12, 18], [18, 12], [15, 15]], 300, random_state=4
    )
    corrected = hm.ComBat().fit_transform(observed)
    features = observed.drop(columns="batch").to_numpy()
    truth = truth.to_numpy()

    def error(x: np.ndarray) -> float:  # distance to the truth, up to a constant per feature
        d = x - truth
        return float(np.sqrt(np.mean((d - d.mean(axis=0)) ** 2)))

    assert error(features) > 0.9
    assert error(corrected) < 0.5 * error(features)
    batch = observed["batch"].to_numpy()
    means = np.vstack([corrected[batch == b].mean(axis=0) for b in np.unique(batch)])
    true_means = np.vstack([truth[batch == b].mean(axis=0) for b in np.unique(batch)])
    # What is left of the batch means is about what the true (batch-free) data show by chance.
    assert means.std(axis=0).mean() < 1.5 * true_means.std(axis=0).mean()


def test_combat_transform_uses_only_what_fit_learnt() -> None:
    observed, _, _ = hm.simulate_batches([[10, 10], [10, 10]], 50, random_state=1)
    train, new = observed.iloc[::2], observed.iloc[1::2]
    model = hm.ComBat().fit(train)
    np.testing.assert_allclose(model.transform(train), hm.ComBat().fit_transform(train))
    one = model.transform(new.iloc[:1])
    np.testing.assert_allclose(one, model.transform(new)[:1])  # other new samples do not matter


def test_combat_fitted_before_the_split_leaks_the_test_batch() -> None:
    # Leave-one-batch-out: the honest pipeline meets each held-out batch for the first time,
    # and (unseen_batch="ignore") cannot correct it. Fitted on all samples first, ComBat has
    # already estimated the held-out batch's shift from its own samples: information from the
    # test samples reached the preprocessing, and the score is optimistic for new batches.
    observed, y, _ = hm.simulate_batches(
        [[15, 15]] * 6, 200, class_effect=0.5, batch_shift=2.0, random_state=0
    )
    batch = observed["batch"].to_numpy(dtype=object)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))

    def auroc(estimator: object, X: object) -> float:
        prob = cross_val_predict(
            estimator, X, y, cv=LeaveOneGroupOut(), groups=batch, method="predict_proba"
        )
        return roc_auc_score(y, prob[:, 1])

    leaky = auroc(model, hm.ComBat().fit_transform(observed))
    honest = auroc(make_pipeline(hm.ComBat(unseen_batch="ignore"), model), observed)
    assert leaky - honest > 0.08


def test_unseen_batches_error_ignore_or_estimate() -> None:
    observed, _, truth = hm.simulate_batches([[15, 15]] * 4, 100, random_state=2)
    batch = observed["batch"].to_numpy()
    train, new = observed[batch != "b3"], observed[batch == "b3"]
    with pytest.raises(ValueError, match="not in the training data"):
        hm.ComBat().fit(train).transform(new)
    ignored = hm.ComBat(unseen_batch="ignore").fit(train).transform(new)
    estimated = hm.ComBat(unseen_batch="estimate").fit(train).transform(new)
    reference = hm.ComBat().fit(train).transform(train)
    gap = lambda z: np.abs(z.mean(axis=0) - reference.mean(axis=0)).mean()  # noqa: E731
    assert gap(estimated) < 0.5 * gap(ignored)  # the new batch's shift is estimated and removed
    with pytest.raises(ValueError, match="single sample"):
        hm.ComBat(unseen_batch="estimate").fit(train).transform(new.iloc[:1])


def test_combat_label_covariate_protects_the_class_difference() -> None:
    # Batch b0 is mostly class 1, b1 mostly class 0: a correction that ignores the class takes
    # part of the class difference for a batch effect; protecting the (training) labels keeps it.
    observed, y, truth = hm.simulate_batches(
        [[6, 24], [24, 6]], 60, n_informative=60, class_effect=1.0, random_state=3
    )

    def difference(x: np.ndarray) -> float:
        return float((x[y == 1].mean(axis=0) - x[y == 0].mean(axis=0)).mean())

    blind = difference(hm.ComBat(mean_only=True).fit_transform(observed))
    protected = difference(
        hm.ComBat(mean_only=True, label_covariate=True).fit_transform(observed, y)
    )
    assert blind < 0.75 * difference(truth.to_numpy())  # about 0.64 of it is left
    assert abs(protected - difference(truth.to_numpy())) < 0.25


def test_combat_refuses_what_it_cannot_do() -> None:
    observed, y, _ = hm.simulate_batches([[10, 0], [0, 10]], 20, random_state=0)
    with pytest.raises(TypeError, match="DataFrame"):
        hm.ComBat().fit(observed.drop(columns="batch").to_numpy())
    with pytest.raises(ValueError, match="no column 'plate'"):
        hm.ComBat(batch="plate").fit(observed)
    with pytest.raises(ValueError, match="mean_only=True"):
        hm.ComBat(label_covariate=True).fit(observed, y)
    with pytest.raises(ValueError, match="confounded"):  # every batch holds one class
        hm.ComBat(label_covariate=True, mean_only=True).fit(observed, y)


def test_combat_leaves_constant_features_alone_and_names_outputs() -> None:
    frame = _fixture().drop(columns="age")
    frame["flat"] = 1.0
    model = hm.ComBat().fit(frame)
    out = model.set_output(transform="pandas").transform(frame)
    assert list(out.columns) == ["g0", "g1", "g2", "g3", "g4", "flat"]
    np.testing.assert_allclose(out["flat"], 1.0)


# --------------------------------------------------------------------------------------------
# Per-site standardisation
# --------------------------------------------------------------------------------------------
def test_group_standard_scaler_per_site_and_unseen_sites() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "weight": np.r_[rng.normal(80, 10, 30), rng.normal(176, 22, 30)],  # kg vs pounds
            "site": ["A"] * 30 + ["B"] * 30,
        }
    )
    frame.loc[3, "weight"] = np.nan
    model = hm.GroupStandardScaler(group="site").fit(frame)
    z = model.transform(frame)[:, 0]
    for site in "AB":
        part = z[(frame["site"] == site).to_numpy()]
        assert abs(np.nanmean(part)) < 1e-9 and abs(np.nanstd(part) - 1) < 1e-9
    assert np.isnan(z[3])  # missing stays missing
    new = pd.DataFrame({"weight": [128.0], "site": ["C"]})
    pooled = (128.0 - np.nanmean(frame["weight"])) / np.nanstd(frame["weight"])
    assert model.transform(new)[0, 0] == pytest.approx(pooled)
    with pytest.raises(ValueError, match="not in the training data"):
        hm.GroupStandardScaler(group="site", unseen_group="error").fit(frame).transform(new)


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------
def test_simulate_batches_design_and_truth() -> None:
    observed, y, truth = hm.simulate_batches([[3, 5], [4, 0]], 10, n_informative=2, random_state=0)
    assert observed.shape == (12, 11) and truth.shape == (12, 10)
    assert list(observed["batch"]) == ["b0"] * 8 + ["b1"] * 4
    assert list(y) == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    # Within a batch, observed = truth's noise × scale + shift: a perfect linear relation.
    for b in ["b0", "b1"]:
        rows = (observed["batch"] == b).to_numpy()
        r = np.corrcoef(observed.loc[rows, "f5"], truth.loc[rows, "f5"])[0, 1]
        assert r > 0.999
    with pytest.raises(ValueError, match="n_per_cell"):
        hm.simulate_batches([3, 5])
