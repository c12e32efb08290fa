"""Reporting a model: a short model card and a "versions and data" table.

:func:`model_card`
    A Markdown summary of a model and its evaluation whose sections name the items of the
    TRIPOD+AI checklist (Collins et al., 2024) and the modules of REFORMS (Kapoor et al., 2024)
    that they address.  It is a *summary* that later chapters reuse, not a complete TRIPOD+AI
    report: it says which items it leaves out.
:func:`versions_and_data`
    Python and package versions, and the SHA256 of every data file used, for the cell that
    makes a chapter's numbers reproducible.

Item numbers follow the TRIPOD+AI checklist (27 items; BMJ 2024;385:e078378) and the eight
modules of the REFORMS checklist (Sci Adv 2024;10:eadk3452): 1 study goals, 2 computational
reproducibility, 3 data quality, 4 data preprocessing, 5 modelling, 6 data leakage, 7 metrics
and uncertainty, 8 generalizability and limitations.
"""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

import pandas as pd

from mlbio.datasets import RegistryEntry, dataset_files, read_registry

__all__ = ["DEFAULT_PACKAGES", "model_card", "versions_and_data"]

#: Packages listed by :func:`versions_and_data` unless told otherwise.
DEFAULT_PACKAGES: tuple[str, ...] = (
    "mlbio",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "pyarrow",
    "pooch",
)

_METRIC_NAMES = {
    "roc_auc": "AUROC",
    "roc_auc_ovr": "AUROC (one-vs-rest)",
    "roc_auc_ovo": "AUROC (one-vs-one)",
    "average_precision": "average precision (AUPRC)",
    "balanced_accuracy": "balanced accuracy",
    "accuracy": "accuracy",
    "neg_brier_score": "Brier score (negated)",
    "neg_log_loss": "log loss (negated)",
    "r2": "R²",
    "neg_mean_absolute_error": "mean absolute error (negated)",
    "neg_root_mean_squared_error": "RMSE (negated)",
    "f1": "F1",
}

_REQUIRED = ("score", "ci_low", "ci_high")

# Sections of the card: (label, TRIPOD+AI items, REFORMS modules).
_SECTIONS = {
    "task": ("Task", "3b, 4", "1 study goals"),
    "data": ("Data", "5a, 6a, 6b, 8a, 20b", "3 data quality"),
    "model": ("Model", "12c, 15, 22", "4 data preprocessing, 5 modelling"),
    "evaluation": ("Evaluation", "12a, 12e, 23a", "6 data leakage, 7 metrics and uncertainty"),
    "subgroups": ("Performance by subgroup", "23a", "7 metrics and uncertainty"),
    "intended_use": ("Intended use", "3b", "1 study goals"),
    "limitations": ("Limitations", "26", "8 generalizability and limitations"),
    "versions": ("Versions and data", "18e, 18f", "2 computational reproducibility"),
}

_NOT_COVERED = (
    "This card is a summary, not a TRIPOD+AI report. Not covered here: dates of data collection "
    "(5b), outcome assessment and blinding (8b, 8c), predictor definitions (9), sample size "
    "(10), missing data (11), ethics (17), funding, conflicts, protocol and registration "
    "(18a-18d), patient and public involvement (19), participant flow (20a) and "
    "implementation (27a, 27b)."
)


def _heading(key: str, label: str | None = None) -> str:
    name, tripod, reforms = _SECTIONS[key]
    return f"**{label or name}** _(TRIPOD+AI {tripod}; REFORMS {reforms})_"


def _text(value: str | Mapping[str, str] | Sequence[str] | None) -> str:
    """Render free text, a ``{field: text}`` mapping or a list of points as Markdown."""
    if value is None:
        return "_Not stated._"
    if isinstance(value, str):
        return value.strip() or "_Not stated._"
    if isinstance(value, Mapping):
        return "\n".join(f"- **{k}**: {v}" for k, v in value.items())
    return "\n".join(f"- {v}" for v in value)


def _fmt(value: Any, digits: int) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if math.isnan(number) else f"{number:.{digits}f}"


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _p_value(p: float, n_permutations: int | None) -> str:
    if p is None or math.isnan(p):
        return "not run"
    if n_permutations and math.isclose(p, 1 / (n_permutations + 1)):
        return f"{p:.3f} (no permutation matched)"
    return f"{p:.3f}"


def _evaluation_table(evaluation: pd.DataFrame, digits: int) -> str:
    attrs = evaluation.attrs
    level = int(round(100 * attrs.get("confidence", 0.95)))
    n_perm = attrs.get("n_permutations")
    lines = [
        f"| metric | score ({level} % CI) | SD over folds | dummy | permuted labels | p |",
        "|---|---|---|---|---|---|",
    ]
    for metric, row in evaluation.iterrows():
        name = _cell(_METRIC_NAMES.get(str(metric), str(metric)))
        score = f"{_fmt(row['score'], digits)}"
        if not (math.isnan(float(row["ci_low"])) or math.isnan(float(row["ci_high"]))):
            score += f" ({_fmt(row['ci_low'], digits)} to {_fmt(row['ci_high'], digits)})"
        permuted = "not run"
        if not math.isnan(float(row.get("permuted_mean", math.nan))):
            permuted = f"{_fmt(row['permuted_mean'], digits)}"
            if not math.isnan(float(row.get("permuted_std", math.nan))):
                permuted += f" ± {_fmt(row['permuted_std'], digits)}"
        lines.append(
            f"| {name} | {score} | {_fmt(row.get('fold_std', math.nan), digits)} "
            f"| {_fmt(row.get('dummy', math.nan), digits)} | {permuted} "
            f"| {_p_value(float(row.get('p_value', math.nan)), n_perm)} |"
        )
    return "\n".join(lines)


def _scheme(attrs: Mapping[str, Any]) -> str:
    """One sentence on how the numbers were obtained, from an evaluate table's attrs."""
    parts = []
    n_splits = attrs.get("n_splits")
    n_groups = attrs.get("n_groups")
    n_samples = attrs.get("n_samples")
    who = f"{n_samples:,} samples" if n_samples else "the samples"
    grouped = bool(n_groups) and n_groups != n_samples
    if grouped:
        who += f" in {n_groups:,} groups, each kept on one side of every split"
    if n_splits:
        parts.append(
            f"Pooled out-of-fold predictions of {n_splits}-fold cross-validation on {who}; the "
            "whole pipeline was refitted in every training fold"
        )
    n_boot = attrs.get("n_bootstrap")
    if n_boot:
        what = "whole groups" if grouped else "samples"
        parts.append(f"percentile bootstrap intervals from {n_boot:,} resamples of {what}")
    n_perm = attrs.get("n_permutations")
    if n_perm:
        scheme = attrs.get("permutation")
        how = f" (scheme: {scheme})" if scheme and scheme != "none" else ""
        parts.append(
            f"the same pipeline refitted on {n_perm} permutations of the labels{how}; "
            f"the smallest attainable p-value is 1/{n_perm + 1}"
        )
    if attrs.get("pos_label") is not None:
        parts.append(f"positive class: {attrs['pos_label']}")
    return ("; ".join(parts) + ".") if parts else ""


def _subgroup_table(table: pd.DataFrame, digits: int) -> str:
    level = int(round(100 * table.attrs.get("confidence", 0.95)))
    lines = [f"| subgroup | metric | n | estimate ({level} % CI) |", "|---|---|---|---|"]
    for _, row in table.iterrows():
        value = _fmt(row["estimate"], digits)
        if not (math.isnan(row["ci_low"]) or math.isnan(row["ci_high"])):
            value += f" ({_fmt(row['ci_low'], digits)} to {_fmt(row['ci_high'], digits)})"
        if row.get("note"):
            value += f"; {row['note']}"
        cells = [_cell(row["subgroup"]), _cell(row["metric"]), _cell(row["n"]), _cell(value)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _versions_line(versions: pd.DataFrame) -> str:
    software = versions[versions["kind"].isin(["python", "package"])]
    data = versions[versions["kind"] == "data"]
    text = ", ".join(f"{r['name']} {r['version']}" for _, r in software.iterrows())
    if len(data):
        text += f"; {len(data)} data file(s) checked against their SHA256 in `data/registry.csv`"
    return text + "."


def model_card(
    *,
    title: str,
    task: str,
    data: str | Mapping[str, str],
    evaluation: pd.DataFrame,
    intended_use: str,
    limitations: str | Sequence[str],
    model: Any = None,
    extra: Mapping[str, str] | None = None,
    subgroups: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
    digits: int = 2,
) -> str:
    """Render a short model card in Markdown, its sections mapped to TRIPOD+AI and REFORMS.

    Show it in a notebook with ``IPython.display.Markdown(model_card(...))``.  The card uses
    bold labels, not headings, so that it does not add sections to the page.

    Parameters
    ----------
    title
        Name of the model or study.
    task
        What is predicted, for whom, and whether the study develops or evaluates the model
        (TRIPOD+AI 3b, 4).
    data
        Where the data come from, who is in them and how the outcome is defined: text, or a
        ``{field: text}`` mapping rendered as a list (TRIPOD+AI 5a, 6a, 6b, 8a, 20b).
    evaluation
        The table returned by :func:`mlbio.evaluation.evaluate`: index ``metric``, columns
        ``score``, ``ci_low``, ``ci_high`` and, if present, ``fold_std``, ``dummy``,
        ``permuted_mean``, ``permuted_std``, ``p_value``; its ``attrs`` describe the
        cross-validation scheme.
    intended_use
        Who would use the model, for what decision, and for whom it is *not* meant.
    limitations
        Text or a list of points (TRIPOD+AI 26).
    model
        The estimator (its text representation is shown) or a description.
    extra
        Further ``{label: text}`` sections, added after the limitations.
    subgroups
        Optional :func:`mlbio.subgroups.subgroup_metrics` table (TRIPOD+AI 23a).
    versions
        Optional :func:`versions_and_data` table (TRIPOD+AI 18e, 18f; REFORMS 2).
    digits
        Decimals of the scores.

    Returns
    -------
    str
        Markdown.

    Raises
    ------
    ValueError
        If ``evaluation`` is not an ``evaluate`` table.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame(
    ...     {"score": [0.91], "ci_low": [0.86], "ci_high": [0.95], "fold_std": [0.03],
    ...      "dummy": [0.5], "permuted_mean": [0.5], "permuted_std": [0.04],
    ...      "p_value": [1 / 31]},
    ...     index=pd.Index(["roc_auc"], name="metric"),
    ... )
    >>> ev.attrs.update(n_splits=5, n_permutations=30, n_bootstrap=1000, confidence=0.95,
    ...                 permutation="samples", pos_label="mel", n_samples=2000, n_groups=None)
    >>> card = model_card(title="Melanoma vs naevus", task="Diagnosis from images.",
    ...                   data="HAM10000.", evaluation=ev, intended_use="Teaching only.",
    ...                   limitations=["One source of images."])
    >>> "| AUROC | 0.91 (0.86 to 0.95) |" in card
    True
    >>> "no permutation matched" in card
    True

    """
    if not isinstance(evaluation, pd.DataFrame):
        raise ValueError("evaluation must be the DataFrame returned by mlbio.evaluation.evaluate.")
    missing = [c for c in _REQUIRED if c not in evaluation.columns]
    if missing:
        raise ValueError(
            f"evaluation lacks the column(s) {missing}: pass the table returned by "
            "mlbio.evaluation.evaluate (columns score, ci_low, ci_high, fold_std, dummy, "
            "permuted_mean, permuted_std, p_value)."
        )
    if len(evaluation) == 0:
        raise ValueError("evaluation has no rows (no metric was evaluated).")
    blocks = [f"**Model card: {title}**", f"{_heading('task')}\n\n{_text(task)}"]
    blocks.append(f"{_heading('data')}\n\n{_text(data)}")
    if model is not None:
        body = _text(model) if isinstance(model, str | Mapping) else f"```\n{model!r}\n```"
        blocks.append(f"{_heading('model')}\n\n{body}")
    evaluation_text = _evaluation_table(evaluation, digits)
    scheme = _scheme(evaluation.attrs)
    if scheme:
        evaluation_text += f"\n\n{scheme}"
    blocks.append(f"{_heading('evaluation')}\n\n{evaluation_text}")
    if subgroups is not None:
        blocks.append(f"{_heading('subgroups')}\n\n{_subgroup_table(subgroups, digits)}")
    blocks.append(f"{_heading('intended_use')}\n\n{_text(intended_use)}")
    blocks.append(f"{_heading('limitations')}\n\n{_text(limitations)}")
    for label, text in (extra or {}).items():
        blocks.append(f"**{label}**\n\n{_text(text)}")
    if versions is not None:
        blocks.append(f"{_heading('versions')}\n\n{_versions_line(versions)}")
    blocks.append(f"_{_NOT_COVERED}_")
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------------------------
# Versions and data
# --------------------------------------------------------------------------------------------
def _platform() -> str:
    """Operating system and processor architecture, e.g. ``"Linux x86_64"``."""
    return f"{platform.system()} {platform.machine()}".strip()


def _manifest_hash(entries: Sequence[RegistryEntry]) -> str:
    """Hash the ``sha256sum``-style lines ("<sha256>  <name>") of the files, sorted by name."""
    lines = "".join(f"{e.sha256}  {e.name}\n" for e in sorted(entries, key=lambda e: e.name))
    return hashlib.sha256(lines.encode()).hexdigest()


def versions_and_data(
    datasets: Sequence[str],
    packages: Sequence[str] = DEFAULT_PACKAGES,
    *,
    max_files: int | None = None,
    registry: Mapping[str, RegistryEntry] | None = None,
) -> pd.DataFrame:
    """Software versions and data hashes behind a chapter's numbers.

    The hashes are those of ``data/registry.csv``: every loader of :mod:`mlbio.datasets`
    refuses a file whose SHA256 differs, so they identify the bytes the analysis read.

    Parameters
    ----------
    datasets
        Names of data sets (see :func:`mlbio.datasets.dataset_names`, e.g. ``"tcga_counts"``).
    packages
        Distribution names whose installed versions are listed (missing: "not installed").
    max_files
        If given, a data set with more files (e.g. the 2,000 HAM10000 images) is listed as one
        row: its ``sha256`` is the hash of the sorted ``sha256sum``-style manifest of its files
        and ``bytes`` their total.  Default: one row per file.
    registry
        A registry as returned by :func:`mlbio.datasets.read_registry` (default: the book's).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"python"``, ``"platform"``, ``"package"`` or ``"data"``),
        ``name``, ``version``, ``dataset``, ``sha256``, ``bytes``, ``license``; cells that do
        not apply are empty strings (``bytes``: missing).

    Raises
    ------
    mlbio.datasets.UnknownDatasetError
        If a data set name is unknown.

    Examples
    --------
    >>> table = versions_and_data([], packages=["numpy"])
    >>> table["kind"].tolist()
    ['python', 'platform', 'package']

    """
    if isinstance(datasets, str):
        datasets = [datasets]
    rows: list[dict[str, Any]] = [
        {"kind": "python", "name": "python", "version": platform.python_version()},
        {"kind": "platform", "name": "platform", "version": _platform()},
    ]
    for package in packages:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"kind": "package", "name": package, "version": version})
    if datasets:
        reg = dict(read_registry() if registry is None else registry)
        for dataset in datasets:
            entries = [reg[name] for name in dataset_files(dataset, reg)]
            if max_files is not None and len(entries) > max_files:
                folder = entries[0].name.rsplit("/", 1)[0]
                licenses = sorted({e.license for e in entries})
                rows.append(
                    {
                        "kind": "data",
                        "name": f"{folder}/ ({len(entries):,} files; manifest hash)",
                        "dataset": dataset,
                        "sha256": _manifest_hash(entries),
                        "bytes": sum(e.bytes for e in entries),
                        "license": "; ".join(licenses),
                    }
                )
                continue
            for e in entries:
                rows.append(
                    {
                        "kind": "data",
                        "name": e.name,
                        "dataset": dataset,
                        "sha256": e.sha256,
                        "bytes": e.bytes,
                        "license": e.license,
                    }
                )
    columns = ["kind", "name", "version", "dataset", "sha256", "bytes", "license"]
    empty = dict.fromkeys(columns, "") | {"bytes": None}
    table = pd.DataFrame([empty | row for row in rows], columns=columns)
    table["bytes"] = table["bytes"].astype("Int64")
    return table
