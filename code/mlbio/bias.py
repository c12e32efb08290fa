"""Who is in a data set, how its labels agree, and how a model's errors fall on its groups.

The chapter on bias uses these helpers; they are small on purpose, and lean on
:mod:`scipy.stats` and scikit-learn for everything statistical.

:func:`representation_table`
    The share of each group in a sample next to its share in a reference population (a census
    or a registry), with a Wilson interval for the sample share and their ratio.
:func:`disagreement`
    How often two labels of the same people disagree (for example self-reported race and
    genetically inferred ancestry), given which values correspond.
:func:`auroc` and :func:`subgroup_difference`
    A fast AUROC for bootstrap loops, and the difference of a metric between two subgroups with
    a (cluster) bootstrap interval: the comparison that two overlapping intervals cannot make.
:func:`subgroup_explorer`
    An interactive altair chart of subgroup estimates and intervals: choose a grouping and a
    metric, hover for the numbers of people and events.
:func:`observed_expected`
    Observed against expected events per group (hospital, clinic) for a risk model, with the
    limits within which a calibrated model would keep a group of that size (a funnel plot).
:func:`poisson_funnel`
    Smooth funnel limits of an observed/expected ratio against the expected count, to draw.
:func:`reweighing_weights` and :class:`ReweighedClassifier`
    Sample weights that make group and label independent in the training data (Kamiran &
    Calders, 2012), computed inside each training fold.

The reference populations (:data:`US_CENSUS_2010`, :data:`BRAZIL_CENSUS_2022`) hold published
counts, each with its source: shares are computed from the counts, never typed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from mlbio.calibration import _auroc as _mann_whitney_auroc
from mlbio.plotting import SEED

__all__ = [
    "BRAZIL_CENSUS_2022",
    "US_CENSUS_2010",
    "US_CENSUS_2010_EXCLUSIVE",
    "ReferencePopulation",
    "ReweighedClassifier",
    "auroc",
    "disagreement",
    "observed_expected",
    "poisson_funnel",
    "representation_table",
    "reweighing_weights",
    "subgroup_difference",
    "subgroup_explorer",
]


@dataclass(frozen=True)
class ReferencePopulation:
    """Published counts of a population by category, with their source.

    Attributes
    ----------
    name
        A short name for tables and figures.
    source
        Where the counts come from (publication and table), to cite next to any comparison.
    counts
        Category to number of people.

    """

    name: str
    source: str
    counts: Mapping[str, int]

    def shares(self) -> pd.Series:
        """Return each category's share of the listed total."""
        counts = pd.Series(dict(self.counts), dtype=float)
        return counts / counts.sum()


#: United States, 2010 Census, race alone or in a multiracial category (Hispanics of any race
#: included in their race). Humes, Jones & Ramirez (2011), *Overview of Race and Hispanic Origin:
#: 2010*, 2010 Census Briefs C2010BR-02, Table 1; total 308,745,538.
US_CENSUS_2010 = ReferencePopulation(
    name="US 2010 Census",
    source="Humes, Jones & Ramirez (2011), 2010 Census Briefs C2010BR-02, Table 1",
    counts={
        "White": 223_553_265,
        "Black or African American": 38_929_319,
        "American Indian and Alaska Native": 2_932_248,
        "Asian": 14_674_252,
        "Native Hawaiian and Other Pacific Islander": 540_013,
        "Some Other Race": 19_107_368,
        "Two or More Races": 9_009_073,
    },
)

#: United States, 2010 Census, mutually exclusive groups: Hispanic or Latino (of any race), then
#: the race alone of everyone else; "Other, not Hispanic" joins Native Hawaiian and Other
#: Pacific Islander, Some Other Race and Two or More Races. Same source and table.
US_CENSUS_2010_EXCLUSIVE = ReferencePopulation(
    name="US 2010 Census",
    source="Humes, Jones & Ramirez (2011), 2010 Census Briefs C2010BR-02, Table 1",
    counts={
        "White, not Hispanic": 196_817_552,
        "Black, not Hispanic": 37_685_848,
        "Hispanic or Latino": 50_477_594,
        "Asian, not Hispanic": 14_465_124,
        "American Indian and Alaska Native, not Hispanic": 2_247_098,
        "Other, not Hispanic": 481_576 + 604_265 + 5_966_481,
    },
)

#: Brazil, 2022 Census, self-declared colour or race (*cor ou raça*). IBGE (2023), *Censo
#: Demográfico 2022: identificação étnico-racial da população, por sexo e idade*: 203,080,756
#: residents, of whom 88,252,121 white, 92,083,286 brown, 20,656,458 black and 850,130 East Asian;
#: the rest (Indigenous by colour or race, and the very few who declared none) is their
#: difference.
BRAZIL_CENSUS_2022 = ReferencePopulation(
    name="Brazil 2022 Census",
    source="IBGE (2023), Censo Demográfico 2022, identificação étnico-racial da população",
    counts={
        "Branca (white)": 88_252_121,
        "Parda (brown)": 92_083_286,
        "Preta (black)": 20_656_458,
        "Amarela (East Asian)": 850_130,
        "Indígena or not declared": 203_080_756 - 88_252_121 - 92_083_286 - 20_656_458 - 850_130,
    },
)


def _labels(values: ArrayLike, name: str) -> pd.Series:
    """Labels as an object Series (pandas 3 Arrow strings and missing values made uniform)."""
    series = pd.Series(np.asarray(pd.Series(values).to_numpy(dtype=object)), dtype=object)
    if series.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional.")
    return series.where(series.notna(), None)


def _wilson(k: np.ndarray, n: int, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of k successes out of n (vectorised over k)."""
    if n == 0:
        nan = np.full(len(k), np.nan)
        return nan, nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def representation_table(
    values: ArrayLike,
    reference: ReferencePopulation | Mapping[str, float],
    *,
    mapping: Mapping[Hashable, str | None] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare the composition of a sample with a reference population.

    Parameters
    ----------
    values
        One category label per person (or per sample) of the data set.
    reference
        The population the data should represent: a :class:`ReferencePopulation`, or a mapping
        from category to count or share (normalised to sum to one).
    mapping
        Translates the data's labels into the reference's categories, e.g.
        ``{"BLACK OR AFRICAN AMERICAN": "Black or African American", "[Unknown]": None}``.
        A label mapped to ``None``, and a missing value, counts as *not recorded*: it is left
        out of the shares (reported in ``attrs["n_not_recorded"]``). Without a mapping, the
        labels must already be reference categories.
    confidence
        Level of the Wilson interval of each sample share.

    Returns
    -------
    pandas.DataFrame
        One row per reference category (in the reference's order): ``n``, ``share`` (of the
        people whose category is recorded), ``ci_low``, ``ci_high``, ``reference_share`` and
        ``ratio`` (``share / reference_share``: 1 is proportional representation, 0.5 half of
        it). ``attrs``: ``n_recorded``, ``n_not_recorded``, ``reference`` (name) and ``source``.

    Raises
    ------
    ValueError
        If a label is neither a reference category nor mapped to one (or to ``None``), naming
        the labels to add to ``mapping``; if the reference is empty or has a negative count.

    """
    if isinstance(reference, ReferencePopulation):
        ref = reference.shares()
        ref_name, source = reference.name, reference.source
    else:
        ref = pd.Series(dict(reference), dtype=float)
        ref_name, source = "reference", ""
        if len(ref) == 0 or (ref < 0).any() or ref.sum() <= 0:
            raise ValueError("reference must hold at least one positive count or share.")
        ref = ref / ref.sum()
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    labels = _labels(values, "values")
    if mapping is not None:
        unknown = sorted({str(v) for v in labels.dropna() if v not in mapping})
        if unknown:
            raise ValueError(
                f"The label(s) {unknown} are not in `mapping`: map each to a reference category "
                f"({', '.join(map(repr, ref.index))}) or to None for 'not recorded'."
            )
        labels = labels.map(lambda v: None if v is None else mapping[v])
    stray = sorted({str(v) for v in labels.dropna() if v not in ref.index})
    if stray:
        raise ValueError(
            f"The categories {stray} are not in the reference ({', '.join(map(repr, ref.index))})."
            " Pass a `mapping` that translates them, or maps them to None."
        )
    recorded = labels.dropna()
    counts = recorded.value_counts().reindex(ref.index, fill_value=0).astype(int)
    n = int(counts.sum())
    share = counts / n if n else counts * np.nan
    low, high = _wilson(counts.to_numpy(dtype=float), n, confidence)
    table = pd.DataFrame(
        {
            "n": counts,
            "share": share.astype(float),
            "ci_low": low,
            "ci_high": high,
            "reference_share": ref,
            "ratio": share.astype(float) / ref,
        }
    )
    table.index.name = "category"
    table.attrs.update(
        n_recorded=n, n_not_recorded=int(len(labels) - n), reference=ref_name, source=source
    )
    return table


def disagreement(
    reported: ArrayLike,
    inferred: ArrayLike,
    correspondence: Mapping[Hashable, Hashable],
    *,
    confidence: float = 0.95,
) -> pd.Series:
    """How often two labels of the same people disagree.

    Parameters
    ----------
    reported, inferred
        Two labels per person, e.g. self-reported race and genetically inferred ancestry.
    correspondence
        For each value of ``reported`` that can be compared, the value of ``inferred`` that
        agrees with it (e.g. ``{"Black": "AA", "White": "EA"}``). People whose reported value is
        not a key, or whose inferred value is missing, are not compared.
    confidence
        Level of the Wilson interval of the disagreement rate.

    Returns
    -------
    pandas.Series
        ``n_compared``, ``n_disagree``, ``rate`` (``n_disagree / n_compared``), ``ci_low``,
        ``ci_high``, and ``n_not_compared``.

    Raises
    ------
    ValueError
        If the two labels differ in length, or if no person can be compared.

    """
    a, b = _labels(reported, "reported"), _labels(inferred, "inferred")
    if len(a) != len(b):
        raise ValueError(f"reported and inferred differ in length ({len(a)} and {len(b)}).")
    comparable = a.isin(list(correspondence)) & b.notna()
    if not comparable.any():
        raise ValueError(
            "No person has a reported value listed in `correspondence` and an inferred value: "
            f"the keys are {list(correspondence)}."
        )
    expected = a[comparable].map(dict(correspondence))
    n = int(comparable.sum())
    k = int((b[comparable] != expected).sum())
    low, high = _wilson(np.array([k], dtype=float), n, confidence)
    return pd.Series(
        {
            "n_compared": n,
            "n_disagree": k,
            "rate": k / n,
            "ci_low": float(low[0]),
            "ci_high": float(high[0]),
            "n_not_compared": int(len(a) - n),
        }
    )


def observed_expected(
    y_true: ArrayLike,
    prob: ArrayLike,
    groups: ArrayLike,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Observed and expected events per group, with funnel limits for a calibrated model.

    For a risk model, the expected number of events in a group (a hospital, a clinic) is the
    sum of its predicted probabilities. If the model were calibrated in every group, the
    observed count would follow a Poisson-binomial distribution around it; its central
    ``confidence`` interval, divided by the expected count, gives the limits of the
    observed-to-expected ratio that a group of that size stays within by chance alone (the
    funnel plot of Spiegelhalter, 2005). The limits are exact quantiles of the Poisson-binomial
    distribution, computed by convolution.

    Parameters
    ----------
    y_true
        Binary outcomes (0/1 or booleans).
    prob
        Predicted probabilities of the event, in [0, 1].
    groups
        One group label per sample.
    confidence
        Coverage of the funnel limits.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``n``, ``observed``, ``expected``, ``oe_ratio`` (observed/expected),
        ``lower`` and ``upper`` (limits of the ratio), ``outside`` (the ratio lies outside
        them), sorted by ``expected``.

    Raises
    ------
    ValueError
        On lengths that differ, outcomes that are not 0/1, probabilities outside [0, 1] or
        missing values.

    """
    y = np.asarray(pd.Series(y_true).to_numpy(dtype=float))
    p = np.asarray(pd.Series(prob).to_numpy(dtype=float))
    g = _labels(groups, "groups")
    if not len(y) == len(p) == len(g):
        raise ValueError(
            f"y_true, prob and groups differ in length ({len(y)}, {len(p)}, {len(g)})."
        )
    if np.isnan(y).any() or np.isnan(p).any() or g.isna().any():
        raise ValueError("y_true, prob and groups must have no missing values; drop those rows.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold binary outcomes (0/1 or booleans).")
    if (p < 0).any() or (p > 1).any():
        raise ValueError("prob must hold probabilities in [0, 1].")
    alpha = 1 - confidence
    rows = {}
    for name, idx in g.groupby(g, sort=False).groups.items():
        idx = np.asarray(idx)
        pg = p[idx]
        # Poisson-binomial distribution of the count, by successive convolution.
        pmf = np.array([1.0])
        for q in pg:
            pmf = np.convolve(pmf, [1 - q, q])
        cdf = np.cumsum(pmf)
        low_count = int(np.searchsorted(cdf, alpha / 2 - 1e-12))
        high_count = int(np.searchsorted(cdf, 1 - alpha / 2 - 1e-12))
        expected = float(pg.sum())
        observed = float(y[idx].sum())
        ratio = observed / expected if expected > 0 else np.nan
        lower = low_count / expected if expected > 0 else np.nan
        upper = high_count / expected if expected > 0 else np.nan
        rows[name] = {
            "n": len(idx),
            "observed": int(observed),
            "expected": expected,
            "oe_ratio": ratio,
            "lower": lower,
            "upper": upper,
            "outside": bool(ratio < lower or ratio > upper),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").sort_values("expected")
    table.index.name = "group"
    return table


def poisson_funnel(expected: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits of an observed/expected ratio, as smooth curves of the expected count.

    The observed count of a unit with ``expected`` events is taken as Poisson; its quantiles
    are whole numbers, so the plain limits jump in steps. Spiegelhalter (2005) interpolates
    between the two counts around each quantile, which draws the smooth funnel used to compare
    hospitals. Use these curves to *draw* a funnel; to judge a unit, use its exact limits
    (:func:`observed_expected`).

    Parameters
    ----------
    expected
        Expected counts (> 0) at which to compute the limits.
    confidence
        Coverage of the limits.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits of the ratio observed / expected at each expected count.

    Raises
    ------
    ValueError
        If an expected count is not positive or ``confidence`` is not in (0, 1).

    """
    e = np.asarray(expected, dtype=float)
    if not np.all(e > 0):
        raise ValueError("expected counts must all be positive.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    limits = []
    for q in ((1 - confidence) / 2, (1 + confidence) / 2):
        count = stats.poisson.ppf(q, e)
        at, below = stats.poisson.cdf(count, e), stats.poisson.cdf(count - 1, e)
        fraction = np.where(at > below, (at - q) / (at - below), 0.0)
        limits.append(np.clip(count - fraction, 0, None) / e)
    return limits[0], limits[1]


def reweighing_weights(groups: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Sample weights that make group and label independent (Kamiran & Calders, 2012).

    Each sample of group *g* and label *c* gets the weight ``P(g) P(c) / P(g, c)``: the count
    the cell would have if group and label were independent, divided by the count it has.
    In the weighted data every group has the overall label mix, so the group no longer
    predicts the label; the weights average to one.

    Parameters
    ----------
    groups
        One group label per sample (e.g. the clinic).
    y
        One class label per sample.

    Returns
    -------
    numpy.ndarray
        The weight of each sample.

    Raises
    ------
    ValueError
        If the inputs differ in length or hold missing values.

    """
    g, c = _labels(groups, "groups"), _labels(y, "y")
    if len(g) != len(c):
        raise ValueError(f"groups and y differ in length ({len(g)} and {len(c)}).")
    if g.isna().any() or c.isna().any():
        raise ValueError("groups and y must have no missing values.")
    n = len(g)
    p_group = g.map(g.value_counts() / n)
    p_label = c.map(c.value_counts() / n)
    cell = pd.Series(list(zip(g, c, strict=True)))
    p_cell = cell.map(cell.value_counts() / n)
    return (p_group * p_label / p_cell).to_numpy(dtype=float)


class ReweighedClassifier(ClassifierMixin, BaseEstimator):
    """Fit a classifier with :func:`reweighing_weights` computed from its own training data.

    The group of each sample travels as the **last column** of ``X``: ``fit`` computes the
    weights from that column and the labels of the training samples only (so that inside a
    cross-validation no test sample influences them), then fits ``estimator`` on the other
    columns with ``sample_weight``; ``predict`` and ``predict_proba`` drop the column.

    Parameters
    ----------
    estimator
        A classifier whose ``fit`` accepts ``sample_weight`` (for a
        :class:`~sklearn.pipeline.Pipeline`, name the final step with ``weight_step``).
    weight_step
        For a pipeline, the name of the step that receives the weights (``<step>__sample_weight``);
        ``None`` passes ``sample_weight`` to ``estimator.fit`` directly.

    """

    def __init__(self, estimator: BaseEstimator, weight_step: str | None = None) -> None:
        self.estimator = estimator
        self.weight_step = weight_step

    @staticmethod
    def _split(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise ValueError(
                "X must be 2-D with the features first and the group as its last column; got "
                f"shape {np.shape(arr)}."
            )
        return arr[:, :-1].astype(float), arr[:, -1]

    def fit(self, X: ArrayLike, y: ArrayLike) -> ReweighedClassifier:
        """Compute the weights from the training groups and labels, then fit the estimator."""
        features, groups = self._split(X)
        weights = reweighing_weights(groups, y)
        key = "sample_weight" if self.weight_step is None else f"{self.weight_step}__sample_weight"
        self.estimator_ = clone(self.estimator).fit(features, np.asarray(y), **{key: weights})
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict classes from the features (the group column is ignored)."""
        check_is_fitted(self)
        return self.estimator_.predict(self._split(X)[0])

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Predict class probabilities from the features (the group column is ignored)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(self._split(X)[0])


def auroc(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve from ranks (the Mann-Whitney statistic), for bootstrap loops.

    Equal to :func:`sklearn.metrics.roc_auc_score` for binary 0/1 outcomes (ties count one
    half), without its input validation, which dominates the cost of thousands of resamples; it
    is the AUROC that :mod:`mlbio.calibration` uses, as a public metric ``f(y, score)``.

    Parameters
    ----------
    y_true
        Binary outcomes, 0/1 or booleans.
    score
        Scores or probabilities, higher for the event.

    Returns
    -------
    float
        The AUROC, or NaN when only one class is present.

    """
    return float(_mann_whitney_auroc(np.asarray(y_true).astype(int), np.asarray(score, float)))


def subgroup_difference(
    y_true: ArrayLike,
    score: ArrayLike,
    subgroup: ArrayLike,
    first: Hashable,
    second: Hashable,
    *,
    metric: Callable[[np.ndarray, np.ndarray], float] = auroc,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int | None = SEED,
) -> pd.Series:
    """Difference of a metric between two subgroups, with a (cluster) bootstrap interval.

    Each resample draws samples (or, with ``groups``, whole clusters such as hospitals, which
    may hold members of both subgroups) with replacement from the two subgroups together, and
    computes the metric in each subgroup of the resample; the interval is the percentile
    interval of the difference. Resamples in which the metric is undefined for a subgroup (one
    class only) are dropped and counted.

    Parameters
    ----------
    y_true, score
        Outcomes and predictions of the same samples.
    subgroup
        One subgroup label per sample.
    first, second
        The two subgroups to compare; the difference is ``metric(first) - metric(second)``.
    metric
        ``metric(y_true, score) -> float``; default :func:`auroc`.
    groups
        Cluster labels: resample whole clusters.
    n_bootstrap
        Number of resamples.
    confidence
        Coverage of the interval.
    random_state
        Seed of the resampling.

    Returns
    -------
    pandas.Series
        ``first``, ``second`` (the two estimates), ``difference``, ``ci_low``, ``ci_high``,
        ``n_first``, ``n_second`` and ``n_valid`` (usable resamples).

    Raises
    ------
    ValueError
        If a subgroup is absent, or the inputs differ in length.

    """
    y = np.asarray(pd.Series(y_true).to_numpy(dtype=float))
    s = np.asarray(pd.Series(score).to_numpy(dtype=float))
    sub = _labels(subgroup, "subgroup")
    if not len(y) == len(s) == len(sub):
        raise ValueError(
            f"y_true, score and subgroup differ in length ({len(y)}, {len(s)}, {len(sub)})."
        )
    in_first, in_second = (sub == first).to_numpy(), (sub == second).to_numpy()
    for name, mask in ((first, in_first), (second, in_second)):
        if not mask.any():
            present = sorted(map(str, sub.dropna().unique()))
            raise ValueError(f"The subgroup {name!r} has no sample; subgroups: {present}.")
    keep = np.flatnonzero(in_first | in_second)
    if groups is None:
        clusters = [np.array([i]) for i in keep]
    else:
        g = _labels(groups, "groups")
        if len(g) != len(y):
            raise ValueError(f"groups has {len(g)} values but y_true has {len(y)}.")
        clusters = [
            np.asarray(idx)
            for idx in g.iloc[keep].groupby(g.iloc[keep], sort=False).indices.values()
        ]
        clusters = [keep[c] for c in clusters]

    def both(idx: np.ndarray) -> tuple[float, float]:
        a, b = idx[in_first[idx]], idx[in_second[idx]]
        return metric(y[a], s[a]), metric(y[b], s[b])

    est_first, est_second = both(keep)
    rng = np.random.default_rng(random_state)
    diffs = []
    for _ in range(n_bootstrap):
        drawn = rng.integers(0, len(clusters), size=len(clusters))
        idx = np.concatenate([clusters[k] for k in drawn])
        with np.errstate(all="ignore"):
            try:
                a, b = both(idx)
            except ValueError:  # a metric that raises on one class
                continue
        if np.isfinite(a) and np.isfinite(b):
            diffs.append(a - b)
    diffs = np.asarray(diffs)
    alpha = 1 - confidence
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2]) if len(diffs) else (np.nan, np.nan)
    return pd.Series(
        {
            "first": est_first,
            "second": est_second,
            "difference": est_first - est_second,
            "ci_low": float(low),
            "ci_high": float(high),
            "n_first": int(in_first.sum()),
            "n_second": int(in_second.sum()),
            "n_valid": len(diffs),
        }
    )


def subgroup_explorer(
    table: pd.DataFrame,
    *,
    metric_names: Mapping[str, str] | None = None,
    colours: tuple[str, ...] | None = None,
    title: str = "Subgroup explorer",
    subtitle: str = "",
    description: str | None = None,
    event_name: str = "events",
) -> object:
    """Interactive chart of subgroup estimates: choose a grouping and a metric, hover a point.

    Parameters
    ----------
    table
        Long table with columns ``model``, ``variable``, ``subgroup``, ``metric``, ``n``,
        ``events``, ``estimate``, ``ci_low``, ``ci_high``: for instance
        :func:`mlbio.subgroups.subgroup_metrics` tables of several variables and models,
        concatenated with ``model`` and ``variable`` columns. Rows keep their order on the
        vertical axis.
    metric_names
        Display names of the metrics (``{"auroc": "AUROC"}``); metrics not listed are dropped.
        Default: every metric, under its own name.
    colours
        One colour per model (default: :data:`mlbio.plotting.OKABE_ITO`).
    title, subtitle
        Chart title and subtitle.
    description
        Accessible description of the chart (default: built from the groupings and metrics).
    event_name
        What the events are called in the tooltip (``"deaths"``).

    Returns
    -------
    altair.LayerChart
        Estimates as points and intervals as bars, one colour per model, with a drop-down menu
        for the grouping variable and one for the metric (call :func:`mlbio.altair.enable`
        first to draw it in the book).

    Raises
    ------
    ValueError
        If a column is missing.

    """
    import altair as alt

    from mlbio.plotting import OKABE_ITO

    needed = ["model", "variable", "subgroup", "metric", "n", "events", "estimate"]
    needed += ["ci_low", "ci_high"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the column(s) {missing}; expected {needed}.")
    names = (
        {m: str(m) for m in pd.unique(table["metric"])}
        if metric_names is None
        else dict(metric_names)
    )
    data = (
        table[table["metric"].isin(list(names))]
        .assign(
            metric=lambda t: t["metric"].map(names),
            subgroup=lambda t: t["subgroup"].astype(str),
            order=lambda t: np.arange(len(t)),
        )[[*needed, "order"]]
        .round(3)
    )
    variables = list(pd.unique(data["variable"]))
    models = list(pd.unique(data["model"]))
    pick_variable = alt.param(
        value=variables[0], bind=alt.binding_select(options=variables, name="Group by ")
    )
    pick_metric = alt.param(
        value=list(names.values())[0],
        bind=alt.binding_select(options=list(names.values()), name="Metric "),
    )
    palette = list(colours or OKABE_ITO)[: len(models)]
    base = (
        alt.Chart(data)
        .transform_filter((alt.datum.variable == pick_variable) & (alt.datum.metric == pick_metric))
        .encode(
            y=alt.Y(
                "subgroup:N",
                title=None,
                sort=alt.EncodingSortField("order", op="min"),
                axis=alt.Axis(labelLimit=120),
            ),
            yOffset=alt.YOffset("model:N", sort=models),
            color=alt.Color(
                "model:N",
                sort=models,
                scale=alt.Scale(domain=models, range=palette),
                legend=alt.Legend(orient="bottom", title=None),
            ),
        )
    )
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="estimate with 95 % interval", scale=alt.Scale(zero=False)),
        x2="ci_high:Q",
    )
    points = base.mark_point(filled=True, size=70).encode(
        x="estimate:Q",
        tooltip=[
            "model:N",
            "subgroup:N",
            alt.Tooltip("n:Q", title="n"),
            alt.Tooltip("events:Q", title=event_name),
            alt.Tooltip("estimate:Q", format=".3f"),
            alt.Tooltip("ci_low:Q", format=".3f", title="95 % CI low"),
            alt.Tooltip("ci_high:Q", format=".3f", title="95 % CI high"),
        ],
    )
    text = description or (
        f"Interactive chart: choose a grouping ({', '.join(variables)}) and a metric "
        f"({', '.join(names.values())}) to see each subgroup's estimate for "
        f"{' and '.join(models)}, with 95 % intervals; hover for the numbers of people and "
        f"{event_name}."
    )
    return (
        (intervals + points)
        .add_params(pick_variable, pick_metric)
        .properties(
            width="container",
            height=260,
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding", resize=True),
            title=alt.Title(title, subtitle=subtitle) if subtitle else title,
            description=text,
        )
    )
