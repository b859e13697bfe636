"""Measuring linkage against the truth: pairwise and cluster scores, wrong merges, cost.

A linkage method is measured on a :class:`~thinkfamily.linkage.datasets.Dataset` by
:func:`evaluate`, which runs it, times it, records its peak memory and scores what it found:

* **pairwise** (:func:`pairwise_scores`): the scored pairs at or above a threshold, against
  every pair of records of one true person;
* **cluster** (:func:`cluster_scores`): the pairs implied by the clusters (every two records
  in one cluster are claimed to be one person), against the same true pairs, counted from
  cluster sizes so that a cluster of ten thousand records costs no more than one of two;
* **wrongly merged** (:func:`wrongly_merged`): how many true people share a cluster with
  someone else, the error that puts one child's chronology on another's record; and how many
  of those share it only with their own household (siblings, a parent and child), the
  likeliest and most dangerous mistake in a family.

True pairs are counted over all records, whatever the data set's link type: in FEBRL4 every
person has one record in each file, so this is the 5,000 true links.

Example:
    >>> import pandas as pd
    >>> truth = pd.Series(["p1", "p1", "p2"], index=[1, 2, 3])
    >>> clusters = pd.DataFrame({"unique_id": [1, 2, 3], "cluster_id": [1, 1, 1]})
    >>> cluster_scores(clusters, truth)
    Scores(precision=0.3333333333333333, recall=1.0, f1=0.5, true_positives=1, predicted=3, true=1)
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.model import Thresholds

if TYPE_CHECKING:
    from thinkfamily.linkage.datasets import Dataset

__all__ = [
    "Evaluation",
    "LinkageOutput",
    "Scores",
    "WronglyMerged",
    "cluster_scores",
    "evaluate",
    "evaluations_json",
    "evaluations_table",
    "machine_info",
    "pairwise_scores",
    "think_family_linkage",
    "wrongly_merged",
]


class LinkageOutput(Protocol):
    """What a linkage method hands back to be measured: a LinkageResult or a baseline's result.

    Attributes:
        clusters: ``unique_id``, ``cluster_id``: one row per record.
        scored: ``unique_id_l``, ``unique_id_r``, ``match_probability``: the pairs scored.
    """

    @property
    def clusters(self) -> pd.DataFrame: ...

    @property
    def scored(self) -> pd.DataFrame: ...


class Scores(NamedTuple):
    """Precision, recall and F1 of predicted pairs of records, with the counts behind them.

    Precision is 1 when nothing is predicted (no pair was wrongly claimed), recall is 1 when
    there is nothing to find; F1 is 0 when either is 0.
    """

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    true: int


class WronglyMerged(NamedTuple):
    """True people who share a cluster with a different true person.

    Attributes:
        people: how many distinct true people share a cluster with someone else.
        same_household: of those, how many share clusters only with people of their own
            household; None when the data set does not know households.
    """

    people: int
    same_household: int | None


def _scores(true_positives: int, predicted: int, true: int) -> Scores:
    precision = true_positives / predicted if predicted else 1.0
    recall = true_positives / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, int(true_positives), int(predicted), int(true))


def _pairs_within(sizes: np.ndarray | pd.Series) -> int:
    """How many pairs groups of these sizes hold: the sum of C(n, 2)."""
    counts = np.asarray(sizes, dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(pairs: pd.DataFrame, true_entity: pd.Series, threshold: float) -> Scores:
    """Score the pairs a method predicts at ``threshold`` against all true pairs.

    A pair is predicted if its ``match_probability`` is at or above ``threshold``; a pair
    listed twice (either way round) counts once. True pairs are every two records of one
    true person, counted from the number of records each person has.

    Args:
        pairs: ``unique_id_l``, ``unique_id_r``, ``match_probability``.
        true_entity: the true person of each record, indexed by ``unique_id``.
        threshold: the lowest match probability counted as a predicted match.

    Returns:
        Precision, recall and F1, and the counts they come from.

    Raises:
        LinkageError: if a pair names a record the truth does not know.

    Example:
        >>> truth = pd.Series(["p1", "p1", "p1", "p2"], index=[1, 2, 3, 4])
        >>> pairs = pd.DataFrame({"unique_id_l": [1, 1, 3], "unique_id_r": [2, 4, 4],
        ...                       "match_probability": [0.9, 0.8, 0.1]})
        >>> scores = pairwise_scores(pairs, truth, 0.5)
        >>> scores.precision, scores.true_positives, scores.predicted, scores.true
        (0.5, 1, 2, 3)
    """
    true = _pairs_within(true_entity.value_counts().to_numpy())
    chosen = pairs.loc[pairs["match_probability"] >= threshold, ["unique_id_l", "unique_id_r"]]
    left = chosen["unique_id_l"].to_numpy(dtype=np.int64)
    right = chosen["unique_id_r"].to_numpy(dtype=np.int64)
    ordered = pd.DataFrame({"l": np.minimum(left, right), "r": np.maximum(left, right)})
    ordered = ordered.loc[ordered["l"] != ordered["r"]].drop_duplicates()
    position_l = true_entity.index.get_indexer(ordered["l"].to_numpy())
    position_r = true_entity.index.get_indexer(ordered["r"].to_numpy())
    if (position_l < 0).any() or (position_r < 0).any():
        raise LinkageError("a scored pair names a record that is not in the truth")
    entity_codes, _ = pd.factorize(true_entity)
    true_positives = int((entity_codes[position_l] == entity_codes[position_r]).sum())
    return _scores(true_positives, len(ordered), true)


def _cells(clusters: pd.DataFrame, true_entity: pd.Series) -> pd.DataFrame:
    """One row per record: its cluster and its true person, as integer codes.

    A record the clusters leave out is a cluster of its own.
    """
    cluster_of = clusters.drop_duplicates("unique_id").set_index("unique_id")["cluster_id"]
    unknown = ~cluster_of.index.isin(true_entity.index)
    if unknown.any():
        raise LinkageError(
            f"{int(unknown.sum())} clustered records are not in the truth "
            f"(first: {cluster_of.index[unknown][0]})"
        )
    cluster_codes, _ = pd.factorize(cluster_of.reindex(true_entity.index))
    alone = cluster_codes < 0
    cluster_codes[alone] = cluster_codes.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    entity_codes, _ = pd.factorize(true_entity)
    return pd.DataFrame({"cluster": cluster_codes, "entity": entity_codes})


def cluster_scores(clusters: pd.DataFrame, true_entity: pd.Series) -> Scores:
    """Score the pairs implied by clusters against all true pairs, by counting.

    Every two records in one cluster are a predicted pair; the pairs are never listed, only
    counted: true positives are the sum of C(n, 2) over (cluster, true person) cells,
    predicted pairs the sum of C(size, 2) over clusters, true pairs the sum of C(size, 2) over
    true people. A record missing from ``clusters`` is a cluster of one.

    Args:
        clusters: ``unique_id``, ``cluster_id``.
        true_entity: the true person of each record, indexed by ``unique_id``.

    Returns:
        Precision, recall and F1, and the counts they come from.

    Raises:
        LinkageError: if a clustered record is not in the truth.

    Example:
        >>> truth = pd.Series(["p1", "p1", "p2", "p2"], index=[1, 2, 3, 4])
        >>> clusters = pd.DataFrame({"unique_id": [1, 2, 3, 4], "cluster_id": [1, 1, 1, 4]})
        >>> cluster_scores(clusters, truth).precision
        0.3333333333333333
    """
    cells = _cells(clusters, true_entity)
    true_positives = _pairs_within(cells.groupby(["cluster", "entity"]).size().to_numpy())
    predicted = _pairs_within(np.bincount(cells["cluster"].to_numpy()))
    true = _pairs_within(np.bincount(cells["entity"].to_numpy()))
    return _scores(true_positives, predicted, true)


def wrongly_merged(
    clusters: pd.DataFrame, true_entity: pd.Series, true_household: pd.Series | None
) -> WronglyMerged:
    """Count the true people who share a cluster with a different true person.

    A person counts once however many of their records were merged wrongly. They count as
    merged within their household when every other person in every cluster they share has
    the same (known) true household as they do: a cluster that joins two siblings counts
    both siblings; one that joins a child to a neighbour counts neither as within the household.

    Args:
        clusters: ``unique_id``, ``cluster_id``.
        true_entity: the true person of each record, indexed by ``unique_id``.
        true_household: the true household of each record's person, indexed by ``unique_id``
            (the empty string where unknown), or None to skip the household count.

    Returns:
        The number of wrongly merged people, and of those merged only within their household.

    Example:
        >>> truth = pd.Series(["a", "a", "b", "c"], index=[1, 2, 3, 4])
        >>> homes = pd.Series(["H1", "H1", "H1", "H2"], index=[1, 2, 3, 4])
        >>> clusters = pd.DataFrame({"unique_id": [1, 2, 3, 4], "cluster_id": [1, 1, 1, 4]})
        >>> wrongly_merged(clusters, truth, homes)
        WronglyMerged(people=2, same_household=2)
    """
    cells = _cells(clusters, true_entity).drop_duplicates()
    people_per_cluster = cells.groupby("cluster")["entity"].transform("size")
    mixed = cells.loc[people_per_cluster.to_numpy() > 1]
    people = int(mixed["entity"].nunique())
    if true_household is None:
        return WronglyMerged(people, None)

    household = true_household.reindex(true_entity.index).fillna("").to_numpy()
    household_codes, _ = pd.factorize(household)
    household_codes[household == ""] = -1  # unknown: never "the same household"
    entity_codes, _ = pd.factorize(true_entity)
    household_of_entity = np.full(entity_codes.max(initial=-1) + 1, -1, dtype=np.int64)
    household_of_entity[entity_codes] = household_codes  # one household per person (the last)
    mixed = mixed.assign(household=household_of_entity[mixed["entity"].to_numpy()])
    per_cluster = mixed.groupby("cluster")["household"].agg(["nunique", "min"])
    one_known_household = (per_cluster["nunique"] == 1) & (per_cluster["min"] >= 0)
    mixed = mixed.assign(within=one_known_household.reindex(mixed["cluster"]).to_numpy())
    within_only = mixed.groupby("entity")["within"].all()
    return WronglyMerged(people, int(within_only.sum()))


@dataclass
class Evaluation:
    """How one linkage method did on one data set, and what it cost.

    Attributes:
        method: the method measured (``thinkfamily``, ``splink``, ``recordlinkage-ecm``).
        dataset: the data set's name.
        records: how many records were linked.
        true_people: how many true people they belong to.
        threshold: the match probability at which scored pairs count as predicted matches.
        pairwise_precision, pairwise_recall, pairwise_f1: of the scored pairs at ``threshold``.
        cluster_precision, cluster_recall, cluster_f1: of the pairs implied by the clusters.
        wrongly_merged_people: true people sharing a cluster with a different true person.
        wrongly_merged_same_household: of those, merged only with their own household (None
            when the data set does not know households).
        wrongly_merged_per_10k_people: wrongly merged people per 10,000 true people.
        clusters: how many clusters (people found) the method produced.
        seconds: wall seconds of the run (linking only, not scoring).
        peak_memory_mib: the process's peak resident memory during the run, in MiB (the
            peak is reset before each run where the kernel allows it; otherwise it is the
            process's peak so far).
    """

    method: str
    dataset: str
    records: int
    true_people: int
    threshold: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    wrongly_merged_people: int
    wrongly_merged_same_household: int | None
    wrongly_merged_per_10k_people: float
    clusters: int
    seconds: float
    peak_memory_mib: float

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as a plain dict, ready for JSON."""
        return asdict(self)


def _reset_peak_memory() -> None:
    """Start the kernel's peak-RSS count afresh, where Linux allows it (clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def _peak_memory_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def evaluate(
    dataset: Dataset,
    method: str,
    run: Callable[[Dataset], LinkageOutput],
    *,
    threshold: float = 0.5,
) -> Evaluation:
    """Run one linkage method on a data set and measure what it found against the truth.

    Args:
        dataset: the records and their truth.
        method: the name to report the method under.
        run: links the data set's records; returns clusters and scored pairs.
        threshold: the match probability at which scored pairs count as predicted matches.

    Returns:
        The scores, the wrong merges, the wall time and the peak memory of the run.

    Example:
        >>> from thinkfamily.linkage.baselines import plain_splink
        >>> from thinkfamily.linkage.datasets import febrl4
        >>> result = evaluate(febrl4(), "splink", plain_splink)  # doctest: +SKIP
        >>> result.cluster_f1 > 0.9  # doctest: +SKIP
        True
    """
    _reset_peak_memory()
    started = time.perf_counter()
    output = run(dataset)
    seconds = time.perf_counter() - started
    peak = _peak_memory_mib()

    pairwise = pairwise_scores(output.scored, dataset.true_entity, threshold)
    clustered = cluster_scores(output.clusters, dataset.true_entity)
    merged = wrongly_merged(output.clusters, dataset.true_entity, dataset.true_household)
    true_people = dataset.true_people
    return Evaluation(
        method=method,
        dataset=dataset.name,
        records=len(dataset.records),
        true_people=true_people,
        threshold=threshold,
        pairwise_precision=pairwise.precision,
        pairwise_recall=pairwise.recall,
        pairwise_f1=pairwise.f1,
        cluster_precision=clustered.precision,
        cluster_recall=clustered.recall,
        cluster_f1=clustered.f1,
        wrongly_merged_people=merged.people,
        wrongly_merged_same_household=merged.same_household,
        wrongly_merged_per_10k_people=10_000 * merged.people / true_people if true_people else 0.0,
        clusters=int(output.clusters["cluster_id"].nunique()),
        seconds=round(seconds, 2),
        peak_memory_mib=round(peak, 1),
    )


#: FEBRL's duplicates are corrupted far more than an agency's records (whole names
#: replaced, several slips in one field), and it has no families to guard: links are made
#: at lower probabilities, chosen on each data set (docs/benchmarks.md). FEBRL4 is one to
#: one between its two files, so its clustering takes each record's strongest partner.
FEBRL_THRESHOLDS = {
    "febrl3": Thresholds(link=0.2, link_elsewhere=0.2, review=0.2),
    "febrl4": Thresholds(link=0.05, link_elsewhere=0.05, review=0.05),
}


def think_family_linkage(dataset: Dataset) -> LinkageOutput:
    """Think Family's own linkage of a data set, told what the sources know.

    The records' relationships (a parent and child, two siblings: never one person) go to
    the pipeline as cannot-link pairs; FEBRL4 is linked ``link_only``.

    Args:
        dataset: the records to link.

    Returns:
        The pipeline's LinkageResult.
    """
    from thinkfamily.linkage.pipeline import link_records

    result: LinkageOutput = link_records(
        dataset.records,
        relationships=dataset.relationships,
        link_type="link_only" if dataset.link_type == "link" else "dedupe_only",
        # FEBRL's people live alone: no siblings, twins or namesake parents to guard.
        families=not dataset.name.startswith("febrl"),
        thresholds=FEBRL_THRESHOLDS.get(dataset.name),
    )
    return result


def machine_info() -> dict[str, Any]:
    """Where the measurements were taken: CPUs, memory, versions and the date.

    Example:
        >>> sorted(machine_info())[:3]
        ['cpu_count', 'date', 'duckdb']
    """

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    try:
        total_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory_gib: float | None = round(total_memory / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        memory_gib = None
    return {
        "cpu_count": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "duckdb": version("duckdb"),
        "memory_gib": memory_gib,
        "pandas": version("pandas"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "recordlinkage": version("recordlinkage"),
        "splink": version("splink"),
    }


def evaluations_json(evaluations: Iterable[Evaluation]) -> str:
    """One JSON document: the evaluations and the machine they were measured on.

    Example:
        >>> json.loads(evaluations_json([]))["evaluations"]
        []
    """
    document = {
        "machine": machine_info(),
        "evaluations": [evaluation.to_dict() for evaluation in evaluations],
    }
    return json.dumps(document, indent=2)


_TABLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("records", "records", "{:,}"),
    ("true people", "true_people", "{:,}"),
    ("clusters found", "clusters", "{:,}"),
    ("pairwise precision", "pairwise_precision", "{:.4f}"),
    ("pairwise recall", "pairwise_recall", "{:.4f}"),
    ("pairwise F1", "pairwise_f1", "{:.4f}"),
    ("cluster precision", "cluster_precision", "{:.4f}"),
    ("cluster recall", "cluster_recall", "{:.4f}"),
    ("cluster F1", "cluster_f1", "{:.4f}"),
    ("wrongly merged people", "wrongly_merged_people", "{:,}"),
    ("  of which same household", "wrongly_merged_same_household", "{:,}"),
    ("  per 10,000 people", "wrongly_merged_per_10k_people", "{:.1f}"),
    ("wall seconds", "seconds", "{:,.1f}"),
    ("peak memory (MiB)", "peak_memory_mib", "{:,.0f}"),
)


def evaluations_table(evaluations: list[Evaluation]) -> str:
    """A plain-text table with one column per evaluation, for the terminal.

    Example:
        >>> print(evaluations_table([]))
        (no evaluations)
    """
    if not evaluations:
        return "(no evaluations)"
    header = ["", *(f"{e.method} ({e.dataset})" for e in evaluations)]
    rows = [header]
    for label, attribute, spec in _TABLE_ROWS:
        values = [getattr(e, attribute) for e in evaluations]
        rows.append([label, *("-" if v is None else spec.format(v) for v in values)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"(pairs count as predicted at match probability >= {evaluations[0].threshold})")
    return "\n".join(lines)
