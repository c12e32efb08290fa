"""Shared pieces of the TCGA case study (cancer type from gene expression).

The case study's pages reuse a few steps that are worth computing once and testing once:

:func:`expressed_genes`
    Which genes are expressed enough to analyse: at least ``min_cpm`` counts per million in at
    least a fraction of the samples. Uses no label.
:func:`load_log_cpm`
    The TCGA counts as log2 counts per million of the expressed genes, cached on disk under a key
    made of the data files' SHA256 hashes and the filter's settings.
:func:`barcode_summary`
    How a barcode field (tissue source site, plate) is spread over the cancer types: the table
    that says whether a grouped evaluation is possible at all.
:func:`resampled_ari`
    Agreement (adjusted Rand index) between a clustering and known labels, with an interval over
    random subsamples of the samples.
:func:`two_sample_power` and :func:`detectable_effect`
    Power of a two-sample *t*-test, and the smallest standardised effect it detects.
:func:`selection_frequency`
    How often each feature is among the most important ones when a pipeline is refitted on
    bootstrap resamples (the stability of a "top genes" list).
:func:`type_classifier`
    The case study's pipeline: log-CPM, expression filter, F-test selection, scaling and a
    penalised logistic regression, all refitted inside every training fold.
:func:`selected_coefficients`
    The coefficients of a fitted pipeline, mapped back through its filters and selectors to
    the names of the input features (genes).
:func:`grouped_permutation_importance`
    Drop in a held-out score when a set of features is permuted *jointly*, which measures the
    importance of a programme of correlated genes that single-gene permutation misses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, stats
from sklearn.base import BaseEstimator, clone
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, get_scorer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mlbio import datasets
from mlbio.plotting import SEED
from mlbio.preprocessing import ExpressionFilter, LogCPM

__all__ = [
    "LogCPMData",
    "ResampledARI",
    "barcode_summary",
    "detectable_effect",
    "expressed_genes",
    "gene_symbols",
    "grouped_permutation_importance",
    "load_log_cpm",
    "resampled_ari",
    "selected_coefficients",
    "selection_frequency",
    "site_names",
    "two_sample_power",
    "type_classifier",
]

# Bump when the cached log-CPM matrix changes meaning, so that stale caches are not served.
_CACHE_VERSION = "1"


# --------------------------------------------------------------------------------------------
# Expression filter and the cached log-CPM matrix
# --------------------------------------------------------------------------------------------
def expressed_genes(
    counts: ArrayLike, *, min_cpm: float = 1.0, min_fraction: float = 0.1
) -> np.ndarray:
    """Return a mask of the genes expressed in enough samples (a filter that uses no label).

    A gene is kept when at least ``min_fraction`` of the samples have ``min_cpm`` or more counts
    per million. Counts per million divide each sample by its own library size, so that a deeply
    sequenced sample does not count as "expressing" a gene that a shallow one also expresses.

    Parameters
    ----------
    counts
        Raw counts, samples × genes (non-negative).
    min_cpm
        Threshold in counts per million.
    min_fraction
        Fraction of samples (0 to 1) that must reach the threshold.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the genes (columns).

    Raises
    ------
    ValueError
        Negative counts, a sample without counts, or a threshold out of range.

    """
    values = np.asarray(counts, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"counts must be a samples × genes matrix, got shape {values.shape}.")
    if not 0 < min_fraction <= 1:
        raise ValueError(f"min_fraction must be in (0, 1], got {min_fraction!r}.")
    if min_cpm < 0:
        raise ValueError(f"min_cpm must be non-negative, got {min_cpm!r}.")
    if np.any(values < 0):
        raise ValueError("counts must be non-negative raw counts; found negative values.")
    library = values.sum(axis=1, keepdims=True)
    if np.any(library == 0):
        raise ValueError("A sample has no counts at all (library size 0); remove it first.")
    cpm = values / library * 1e6
    return (cpm >= min_cpm).mean(axis=0) >= min_fraction


@dataclass(frozen=True)
class LogCPMData:
    """The TCGA tumours as log2 counts per million of the expressed genes.

    Attributes
    ----------
    values : pandas.DataFrame
        Samples × expressed genes, ``log2(CPM + 1)`` as ``float32``; columns are Ensembl ids.
    samples : pandas.DataFrame
        The sample table of :func:`mlbio.datasets.load_tcga_counts` plus ``library_size`` (total
        counts over all genes, the denominator of the CPM).
    n_genes_total : int
        Number of genes in the counts before filtering.

    """

    values: pd.DataFrame
    samples: pd.DataFrame
    n_genes_total: int


def _cache_folder(min_cpm: float, min_fraction: float) -> Path:
    settings = f"logcpm:v{_CACHE_VERSION}:min_cpm={min_cpm!r}:min_fraction={min_fraction!r}"
    # The key holds the SHA256 of every counts file: new data never meet an old cache.
    key = datasets._tidy_key("tcga_counts", settings)
    return datasets.cache_dir() / "tidy" / f"logcpm-{key}"


def load_log_cpm(*, min_cpm: float = 1.0, min_fraction: float = 0.1) -> LogCPMData:
    """Load the TCGA counts as log-CPM of the expressed genes, from a cache when possible.

    The first call loads the counts (:func:`mlbio.datasets.load_tcga_counts`), keeps the genes
    selected by :func:`expressed_genes` and writes the result to the cache folder under a key made
    of the counts files' hashes and the two settings; later calls read it in a fraction of a
    second. The filter uses no label, but it does see every sample: for an honest
    cross-validated score, filter inside the pipeline instead (see
    :class:`mlbio.preprocessing.ExpressionFilter`).

    Parameters
    ----------
    min_cpm, min_fraction
        Settings of :func:`expressed_genes`.

    Returns
    -------
    LogCPMData
        Values, sample table (with library sizes) and the number of genes before filtering.

    """
    folder = _cache_folder(min_cpm, min_fraction)
    if not (folder / "done").is_file():
        tcga = datasets.load_tcga_counts()
        counts = tcga.counts.to_numpy(dtype=np.float64)
        keep = expressed_genes(counts, min_cpm=min_cpm, min_fraction=min_fraction)
        library = counts.sum(axis=1)
        values = np.log2(counts[:, keep] / library[:, None] * 1e6 + 1.0).astype(np.float32)
        samples = tcga.samples.assign(library_size=library.astype(np.int64))
        genes = pd.DataFrame({"gene_id": tcga.counts.columns[keep].astype(str)})
        with datasets.atomic_directory(folder) as tmp:
            np.save(tmp / "values.npy", values)
            genes.to_parquet(tmp / "genes.parquet")
            samples.to_parquet(tmp / "samples.parquet")
            (tmp / "n_genes_total").write_text(str(counts.shape[1]))
            (tmp / "done").write_text("ok\n")
    samples = pd.read_parquet(folder / "samples.parquet")
    genes = pd.read_parquet(folder / "genes.parquet")["gene_id"].to_numpy(dtype=object)
    values = pd.DataFrame(
        np.load(folder / "values.npy"),
        index=samples.index,
        columns=pd.Index(genes, name="gene_id"),
    )
    n_total = int((folder / "n_genes_total").read_text())
    return LogCPMData(values=values, samples=samples, n_genes_total=n_total)


def gene_symbols(gene_ids: ArrayLike, gene_info: pd.DataFrame) -> np.ndarray:
    """Return a unique, readable label per gene: its symbol, disambiguated where needed.

    Several Ensembl ids share a symbol (GENCODE v22 has hundreds of such symbols); a table
    indexed by symbols alone would then merge or misalign different genes. Shared symbols get
    their Ensembl id in parentheses, and ids missing from the annotation keep the id itself.

    Parameters
    ----------
    gene_ids
        Ensembl ids without version, as the columns of :func:`mlbio.datasets.load_tcga_counts`.
    gene_info
        The table of :func:`mlbio.datasets.load_gene_info` (index: id; column ``gene_name``).

    Returns
    -------
    numpy.ndarray
        One unique label per id, in the same order.

    """
    ids = pd.Index(np.asarray(gene_ids, dtype=object))
    names = gene_info["gene_name"].reindex(ids)
    names = names.astype(object).where(names.notna(), pd.Series(ids, index=ids))
    shared = names.duplicated(keep=False).to_numpy()
    labels = names.to_numpy(dtype=object).copy()
    labels[shared] = [
        f"{name} ({gene})" for name, gene in zip(labels[shared], ids[shared], strict=True)
    ]
    if len(set(labels)) != len(labels):
        raise ValueError("gene_ids contains the same id twice; pass each gene once.")
    return labels


# --------------------------------------------------------------------------------------------
# Barcode fields
# --------------------------------------------------------------------------------------------
def site_names(samples: pd.DataFrame, clinical: pd.DataFrame) -> pd.Series:
    """Return the name of each sample's tissue source site, decoded with the TCGA-CDR table.

    Parameters
    ----------
    samples
        A table with a ``tss`` column (two-character site code), as from
        :func:`mlbio.datasets.load_tcga_counts`.
    clinical
        The table of :func:`mlbio.datasets.load_tcga_clinical` (columns ``tss`` and
        ``tss_source_site``).

    Returns
    -------
    pandas.Series
        Site names indexed like ``samples``; ``"unknown"`` where the code is not decoded.

    """
    for table, name in [(samples, "samples"), (clinical, "clinical")]:
        if "tss" not in table.columns:
            raise ValueError(f"{name} has no 'tss' column (the site code of the barcode).")
    if "tss_source_site" not in clinical.columns:
        raise ValueError("clinical has no 'tss_source_site' column; use load_tcga_clinical().")
    codes = clinical[["tss", "tss_source_site"]].dropna().astype(str).drop_duplicates("tss")
    lookup = dict(zip(codes["tss"], codes["tss_source_site"], strict=True))
    names = samples["tss"].astype(str).map(lookup).fillna("unknown")
    return names.rename("site_name")


def barcode_summary(samples: pd.DataFrame, field: str, *, by: str = "cancer_type") -> pd.DataFrame:
    """Summarise how a barcode field (site, plate) is spread over the classes.

    Parameters
    ----------
    samples
        One row per sample, with the columns ``field`` and ``by``.
    field
        The batch-like field, e.g. ``"tss"`` (tissue source site) or ``"plate"``.
    by
        The class column, e.g. ``"cancer_type"``.

    Returns
    -------
    pandas.DataFrame
        One row per class (sorted), with ``samples``; ``levels``, the number of distinct values
        of ``field`` in that class; ``largest``, its most common value; ``largest_share``, the
        share of the class's samples in it; ``shared_levels``, how many of its values also hold
        samples of another class; and ``groupable``, whether a grouped split can hold out part
        of the class while training on another part (``levels >= 2``). ``attrs["confounded"]``
        is true when no value of ``field`` holds two classes (field and class perfectly
        nested).

    """
    missing = [c for c in (field, by) if c not in samples.columns]
    if missing:
        raise ValueError(f"samples has no column(s) {missing}; available: {list(samples.columns)}.")
    table = pd.DataFrame(
        {
            field: samples[field].to_numpy(dtype=object),
            by: samples[by].to_numpy(dtype=object),
        }
    )
    classes_per_level = table.groupby(field)[by].nunique()
    shared = set(classes_per_level.index[classes_per_level > 1])
    rows = {}
    for cls, part in table.groupby(by, sort=True):
        counts = part[field].value_counts()
        rows[cls] = {
            "samples": len(part),
            "levels": len(counts),
            "largest": counts.index[0],
            "largest_share": counts.iloc[0] / len(part),
            "shared_levels": sum(level in shared for level in counts.index),
            "groupable": len(counts) >= 2,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    out.attrs["confounded"] = not shared
    out.attrs["field"] = field
    return out


# --------------------------------------------------------------------------------------------
# Clustering against known labels
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResampledARI:
    """Adjusted Rand index of a clustering, with an interval over subsamples.

    Attributes
    ----------
    estimate : float
        ARI between the known labels and the clustering of all samples.
    low, high : float
        Percentile interval of the ARI over the subsamples.
    confidence : float
        Coverage asked for (e.g. 0.95).
    scores : numpy.ndarray
        The ARI of every subsample.

    """

    estimate: float
    low: float
    high: float
    confidence: float
    scores: np.ndarray


def _cluster(estimator: BaseEstimator, X: np.ndarray) -> np.ndarray:
    model = clone(estimator)
    if hasattr(model, "fit_predict"):
        return np.asarray(model.fit_predict(X))
    model.fit(X)
    if hasattr(model, "labels_"):
        return np.asarray(model.labels_)
    raise TypeError(
        f"{type(estimator).__name__} has neither fit_predict nor labels_: pass a clusterer "
        "(KMeans, GaussianMixture, AgglomerativeClustering) or a Pipeline ending in one."
    )


def resampled_ari(
    estimator: BaseEstimator,
    X: ArrayLike,
    labels: ArrayLike,
    *,
    n_resamples: int = 50,
    fraction: float = 0.8,
    confidence: float = 0.95,
    random_state: int | None = SEED,
) -> ResampledARI:
    """Cluster the samples and compare with known labels: ARI, and its spread over subsamples.

    The clusterer (or a pipeline ending in one) is refitted on ``n_resamples`` random subsets of
    ``fraction`` of the samples, drawn without replacement; each clustering is compared with the
    known labels of the same samples (Hubert & Arabie 1985). The interval shows how much the
    agreement depends on which samples happened to be collected; it is not a test. Sampling
    without replacement avoids the duplicated points of a bootstrap, which distort clusterings.

    Parameters
    ----------
    estimator
        A clusterer with ``fit_predict`` (or ``labels_`` after ``fit``); cloned for every fit.
    X
        Samples × features.
    labels
        The known classes, one per sample.
    n_resamples
        Number of subsamples.
    fraction
        Share of the samples in each subsample, in (0, 1].
    confidence
        Coverage of the percentile interval.
    random_state
        Seed of the subsampling.

    Returns
    -------
    ResampledARI

    """
    X = np.asarray(X)
    y = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels, dtype=object)
    n = X.shape[0]
    if y.shape != (n,):
        raise ValueError(f"labels has {y.shape[0]} entries but X has {n} samples.")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    size = max(2, round(fraction * n))
    estimate = adjusted_rand_score(y, _cluster(estimator, X))
    rng = np.random.default_rng(random_state)
    scores = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = np.sort(rng.choice(n, size=size, replace=False))
        scores[i] = adjusted_rand_score(y[idx], _cluster(estimator, X[idx]))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return ResampledARI(float(estimate), float(low), float(high), confidence, scores)


# --------------------------------------------------------------------------------------------
# Power of a two-sample t-test
# --------------------------------------------------------------------------------------------
def two_sample_power(effect: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample *t*-test (equal variances) at a standardised effect.

    Parameters
    ----------
    effect
        Difference of the means divided by the common standard deviation (Cohen's *d*).
    n1, n2
        Sample sizes of the two groups (each at least 2).
    alpha
        Significance level of the test (two-sided), e.g. 0.05, or a multiple-testing threshold.

    Returns
    -------
    float
        Probability that the test rejects the null hypothesis when the true effect is ``effect``.

    """
    if min(n1, n2) < 2:
        raise ValueError(f"each group needs at least 2 samples, got n1={n1}, n2={n2}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    df = n1 + n2 - 2
    noncentrality = effect * np.sqrt(n1 * n2 / (n1 + n2))
    critical = stats.t.ppf(1 - alpha / 2, df)
    # Rejections in the direction of the effect, and (rarely) in the opposite direction; the
    # latter underflows for large effects, where scipy can return NaN instead of 0.
    upper = stats.nct.sf(critical, df, abs(noncentrality))
    lower = np.nan_to_num(stats.nct.cdf(-critical, df, abs(noncentrality)), nan=0.0)
    return float(min(1.0, upper + lower))


def detectable_effect(n1: int, n2: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest standardised effect (Cohen's *d*) that the two-sample *t*-test detects.

    Parameters
    ----------
    n1, n2
        Sample sizes of the two groups.
    alpha
        Two-sided significance level (per test: divide by the number of tests for Bonferroni).
    power
        Probability of detection asked for, e.g. 0.8.

    Returns
    -------
    float
        The positive effect at which :func:`two_sample_power` equals ``power``.

    """
    if not alpha < power < 1:
        raise ValueError(f"power must be in (alpha, 1), got power={power!r}, alpha={alpha!r}.")
    high = 1.0
    while two_sample_power(high, n1, n2, alpha=alpha) < power:
        high *= 2
    return float(
        optimize.brentq(
            lambda d: two_sample_power(d, n1, n2, alpha=alpha) - power, 0.0, high, xtol=1e-10
        )
    )


# --------------------------------------------------------------------------------------------
# Stability of a ranking of features
# --------------------------------------------------------------------------------------------
def selection_frequency(
    estimator: BaseEstimator,
    X: ArrayLike,
    y: ArrayLike,
    importance: Callable[[BaseEstimator], pd.DataFrame],
    *,
    top: int = 20,
    n_resamples: int = 30,
    groups: ArrayLike | None = None,
    random_state: int | None = SEED,
) -> pd.DataFrame:
    """How often each feature ranks among the ``top`` most important, over bootstrap refits.

    The whole pipeline is refitted on ``n_resamples`` bootstrap resamples (of groups when
    ``groups`` is given); ``importance`` turns each fitted pipeline into a table of importances,
    one column per class (or a single column), indexed by feature. A feature's frequency for a
    class is the share of refits in which it was among that class's ``top`` features by absolute
    importance. Stable features have frequencies near 1; a "top genes" list of features with
    low frequencies says more about the sample than about the biology (Meinshausen & Bühlmann
    2010).

    Parameters
    ----------
    estimator
        The pipeline (cloned for every refit).
    X, y
        Data and labels.
    importance
        Function of a fitted estimator returning a DataFrame of importances (features × classes).
    top
        Size of the "top" list per class.
    n_resamples
        Number of bootstrap refits.
    groups
        Optional groups: whole groups are resampled.
    random_state
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        Features × classes, the share of refits (0 to 1) in which the feature was in the top
        list; features never selected are left out.

    """
    y = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=object)
    n = len(y)
    take = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: np.asarray(X)[idx])
    if top < 1 or n_resamples < 1:
        raise ValueError("top and n_resamples must be at least 1.")
    rng = np.random.default_rng(random_state)
    if groups is not None:
        g = np.asarray(groups, dtype=object)
        uniques, codes = np.unique(g, return_inverse=True)
        members = [np.flatnonzero(codes == k) for k in range(len(uniques))]
    tallies: pd.DataFrame | None = None
    for _ in range(n_resamples):
        if groups is None:
            idx = rng.integers(0, n, size=n)
        else:
            chosen = rng.integers(0, len(members), size=len(members))
            idx = np.concatenate([members[k] for k in chosen])
        fitted = clone(estimator).fit(take(idx), y[idx])
        table = importance(fitted)
        if not isinstance(table, pd.DataFrame):
            raise TypeError("importance must return a DataFrame (features × classes).")
        ranks = table.abs().rank(axis=0, ascending=False, method="first")
        chosen_top = (ranks <= top).astype(float)
        tallies = chosen_top if tallies is None else tallies.add(chosen_top, fill_value=0.0)
    assert tallies is not None
    freq = tallies / n_resamples
    return freq.loc[freq.max(axis=1) > 0]


# --------------------------------------------------------------------------------------------
# The case study's classifier, and reading it
# --------------------------------------------------------------------------------------------
def type_classifier(k: int = 500, C: float = 0.1, *, min_fraction: float = 0.05) -> Pipeline:
    """Return the case study's pipeline from raw counts to a penalised logistic regression.

    Steps: :class:`~mlbio.preprocessing.LogCPM` (each sample by its own library size),
    :class:`~mlbio.preprocessing.ExpressionFilter` (genes with 1 CPM or more in
    ``min_fraction`` of the training samples), ``SelectKBest(f_classif, k)`` (the genes that
    differ most between the classes, chosen on the training samples), ``StandardScaler`` and an
    L2-penalised ``LogisticRegression(C)``. Every step that learns anything is refitted inside
    each training fold when the pipeline is cross-validated.

    Parameters
    ----------
    k
        Number of genes kept by the F-test (at most the number of expressed genes).
    C
        Inverse strength of the L2 penalty of the logistic regression.
    min_fraction
        Share of training samples that must reach 1 CPM for a gene to be kept.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted; it takes raw counts (samples × genes).

    """
    return make_pipeline(
        LogCPM(),
        ExpressionFilter(min_value=1.0, min_fraction=min_fraction),
        SelectKBest(f_classif, k=k),
        StandardScaler(),
        LogisticRegression(C=C, solver="newton-cg", max_iter=1000),
    )


def selected_coefficients(pipeline: Pipeline, feature_names: ArrayLike) -> pd.DataFrame:
    """Map the coefficients of a fitted pipeline back to the names of its input features.

    Steps with ``get_support`` (filters, selectors) drop columns and are followed; steps that
    keep the columns (``LogCPM``, ``StandardScaler``) are passed through; the last step must have
    ``coef_``. Coefficients refer to the *scaled* features when a scaler precedes the model, so
    they compare genes on a common scale.

    Parameters
    ----------
    pipeline
        A fitted :class:`~sklearn.pipeline.Pipeline`.
    feature_names
        One name per input column (e.g. gene symbols).

    Returns
    -------
    pandas.DataFrame
        Selected features × classes (one column, named after the positive class, for a binary
        model).

    Raises
    ------
    ValueError
        If a step changes the number of columns without telling which it kept (e.g. PCA), or
        the names do not match the input.

    """
    names = np.asarray(feature_names, dtype=object)
    fitted_on = getattr(pipeline, "n_features_in_", len(names))
    if fitted_on != len(names):
        raise ValueError(
            f"feature_names has {len(names)} names but the pipeline was fitted on {fitted_on} "
            "columns: give one name per input column."
        )
    kept = np.arange(len(names))
    for name, step in pipeline.steps[:-1]:
        if step == "passthrough" or step is None:
            continue
        if hasattr(step, "get_support"):
            support = np.asarray(step.get_support())
            if support.shape != kept.shape:
                raise ValueError(
                    f"step {name!r} expects {support.shape[0]} columns, but {kept.shape[0]} "
                    "reach it: do the feature names match the pipeline's input?"
                )
            kept = kept[support]
        elif getattr(step, "n_features_in_", len(kept)) != len(kept) or (
            hasattr(step, "n_components_") or hasattr(step, "components_")
        ):
            raise ValueError(
                f"step {name!r} ({type(step).__name__}) changes the features without "
                "get_support(); its outputs are no longer genes."
            )
    model = pipeline.steps[-1][1]
    if not hasattr(model, "coef_"):
        raise ValueError(f"the last step ({type(model).__name__}) has no coef_.")
    coef = np.atleast_2d(model.coef_)
    if coef.shape[1] != len(kept):
        raise ValueError(
            f"the model has {coef.shape[1]} coefficients but {len(kept)} features reach it: "
            f"feature_names must have one name per input column ({len(names)} given)."
        )
    classes = list(model.classes_)
    columns = [classes[-1]] if coef.shape[0] == 1 else classes
    return pd.DataFrame(coef.T, index=pd.Index(names[kept], name="feature"), columns=columns)


def grouped_permutation_importance(
    estimator: BaseEstimator,
    X: ArrayLike,
    y: ArrayLike,
    feature_sets: dict[str, ArrayLike],
    *,
    scoring: str | Callable[[BaseEstimator, np.ndarray, np.ndarray], float] = "balanced_accuracy",
    n_repeats: int = 5,
    random_state: int | None = SEED,
) -> pd.DataFrame:
    """Drop in score when each set of features is permuted jointly across samples.

    For each set, the rows of its columns are shuffled *together* (one permutation of the
    samples for the whole set), which breaks the link between the set and the labels but keeps
    the correlations within it. Permuting one gene at a time misses a programme of correlated
    genes: the others still carry the information, and every single gene looks unimportant.
    Use it on held-out samples (a test fold) with an estimator fitted on the training samples.

    Parameters
    ----------
    estimator
        A fitted estimator (or pipeline).
    X, y
        Held-out samples (array or DataFrame) and their labels.
    feature_sets
        Name -> column indices of the set.
    scoring
        A scikit-learn scorer name, or a callable ``scorer(estimator, X, y)``.
    n_repeats
        Permutations per set.
    random_state
        Seed of the permutations.

    Returns
    -------
    pandas.DataFrame
        One row per set: ``features`` (size), ``baseline`` (score without permutation),
        ``drop_mean`` and ``drop_std`` (baseline minus permuted score, over the repeats).

    """
    values = np.asarray(X)
    labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=object)
    scorer = get_scorer(scoring)
    baseline = scorer(estimator, values, labels)
    rng = np.random.default_rng(random_state)
    rows = {}
    for name, columns in feature_sets.items():
        columns = np.asarray(columns, dtype=int)
        if columns.size == 0:
            raise ValueError(f"feature set {name!r} is empty.")
        if columns.min() < 0 or columns.max() >= values.shape[1]:
            raise ValueError(
                f"feature set {name!r} has column indices outside 0..{values.shape[1] - 1}."
            )
        drops = []
        for _ in range(n_repeats):
            shuffled = values.copy()
            order = rng.permutation(values.shape[0])
            shuffled[:, columns] = values[order][:, columns]
            drops.append(baseline - scorer(estimator, shuffled, labels))
        rows[name] = {
            "features": columns.size,
            "baseline": baseline,
            "drop_mean": float(np.mean(drops)),
            "drop_std": float(np.std(drops)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
