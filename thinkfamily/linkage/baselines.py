"""The two baselines Think Family's linkage is measured against, on the same data sets.

* :func:`plain_splink`: Splink 5 on DuckDB as a careful newcomer would set it up from the
  documentation: name, date of birth and postcode comparisons, five blocking rules, and the
  usual training (a deterministic estimate of the prior, u from random sampling, m by EM).
* :func:`recordlinkage_ecm`: the ``recordlinkage`` package's blocking, comparisons and
  unsupervised ECM (Fellegi-Sunter by expectation/conditional maximisation) classifier.

Neither cleans the records beyond what the library needs (the empty string becomes a null,
which both libraries read as "unknown"). Both return clusters and scored pairs in the shapes of
``LinkageResult.clusters`` and ``LinkageResult.scored``, so :func:`~thinkfamily.linkage.
evaluation.evaluate` measures them as it measures Think Family's own linkage.

Example:
    >>> from thinkfamily.linkage.datasets import febrl4
    >>> result = plain_splink(febrl4())  # doctest: +SKIP
    >>> sorted(result.clusters.columns)  # doctest: +SKIP
    ['cluster_id', 'unique_id']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from thinkfamily.linkage.datasets import Dataset

__all__ = ["BaselineResult", "plain_splink", "recordlinkage_ecm"]

#: Pairs scored below this are not kept: they would never count as matches, and at a million
#: records keeping every blocked pair would cost gigabytes.
LOWEST_PROBABILITY_KEPT = 0.01

#: The threshold at which both baselines join records into one person.
MATCH_THRESHOLD = 0.5

_UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"


@dataclass
class BaselineResult:
    """What a baseline found.

    Attributes:
        clusters: ``unique_id``, ``cluster_id`` (the lowest ``unique_id`` in the cluster).
        scored: ``unique_id_l``, ``unique_id_r`` (l < r), ``match_probability``.
    """

    clusters: pd.DataFrame
    scored: pd.DataFrame


def _with_nulls(records: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns a baseline reads, with the empty string as a null."""
    frame = records[["unique_id", "source", *columns]].copy()
    for column in columns:
        frame[column] = frame[column].replace("", None)
    return frame


def _mostly_uk_postcodes(postcodes: pd.Series) -> bool:
    known = postcodes[postcodes != ""]
    return bool(len(known)) and bool(known.str.match(_UK_POSTCODE).mean() > 0.9)


def _ordered_pairs(left: np.ndarray, right: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id_l": np.minimum(left, right).astype(np.int64),
            "unique_id_r": np.maximum(left, right).astype(np.int64),
            "match_probability": probability.astype(float),
        }
    )


def _connected_components(
    unique_ids: np.ndarray, left: np.ndarray, right: np.ndarray
) -> pd.DataFrame:
    """Clusters of records joined by the given edges; cluster_id is the lowest unique_id."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    position = pd.Index(unique_ids)
    rows = position.get_indexer(left)
    cols = position.get_indexer(right)
    graph = coo_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(position), len(position))
    )
    _, labels = connected_components(graph, directed=False)
    clusters = pd.DataFrame({"unique_id": unique_ids.astype(np.int64), "label": labels})
    clusters["cluster_id"] = clusters.groupby("label")["unique_id"].transform("min")
    return clusters[["unique_id", "cluster_id"]]


# --- Plain Splink ------------------------------------------------------------------------------


def plain_splink(
    dataset: Dataset, *, lowest_probability_kept: float = LOWEST_PROBABILITY_KEPT
) -> BaselineResult:
    """Link a data set with plain Splink 5 on DuckDB, as the issue measured it before.

    Comparisons: ``NameComparison`` on given and family name (exact matches adjusted for
    term frequency), ``DateOfBirthComparison`` on the ISO text date, and
    ``PostcodeComparison`` (an exact match instead where the postcodes are not British, as in
    FEBRL: Splink's sector and district levels would read every Australian postcode as
    the same empty sector). Blocking: given and family name; date of birth; family name and
    postcode; given name and postcode; given name and date of birth. Training: the prior from
    an exact match on both names and date of birth (taken to find 60% of true matches), u from
    5 million random pairs (seeded), m by EM blocked on both names and then on date of birth.
    Clusters by connected components at match probability 0.5. FEBRL4 is linked
    ``link_only`` (A to B), everything else ``dedupe_only``.

    Args:
        dataset: the records to link.
        lowest_probability_kept: scored pairs below this are dropped from ``scored``.

    Returns:
        Clusters and scored pairs.

    Example:
        >>> from thinkfamily.linkage.datasets import febrl3
        >>> plain_splink(febrl3()).clusters["cluster_id"].nunique()  # doctest: +SKIP
        2063
    """
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = dataset.records
    frame = _with_nulls(records, ["given_name", "family_name", "date_of_birth", "postcode"])
    if _mostly_uk_postcodes(records["postcode"]):
        postcode: Any = cl.PostcodeComparison("postcode")
    else:
        postcode = cl.ExactMatch("postcode")
    settings = SettingsCreator(
        link_type="link_only" if dataset.link_type == "link" else "dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            postcode,
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("date_of_birth"),
            block_on("family_name", "postcode"),
            block_on("given_name", "postcode"),
            block_on("given_name", "date_of_birth"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

    connection = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection=connection)
        if dataset.link_type == "link":
            tables = [
                db_api.register(part.drop(columns="source"), dataset_display_name=f"source_{i}")
                for i, (_source, part) in enumerate(frame.groupby("source", sort=True))
            ]
            linker = Linker(tables, settings, log_level=logging.WARNING)
        else:
            table = db_api.register(frame.drop(columns="source"), dataset_display_name="records")
            linker = Linker(table, settings, log_level=logging.WARNING)

        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "date_of_birth")], recall=0.6
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("given_name", "family_name")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth")
        )
        predictions = linker.inference.predict(
            threshold_match_probability=lowest_probability_kept, warning_mode="never"
        )
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=MATCH_THRESHOLD
        )
        scored_sql = (
            f"select unique_id_l, unique_id_r, match_probability from {predictions.physical_name}"
        )
        scored = connection.sql(scored_sql).df()
        cluster_sql = f"select unique_id, cluster_id from {clustered.physical_name}"
        cluster_frame = connection.sql(cluster_sql).df()
    finally:
        connection.close()

    # Splink names a cluster by a record id that may carry the source's name: rename each by
    # its lowest unique_id, as LinkageResult does.
    cluster_frame["cluster_id"] = cluster_frame.groupby("cluster_id")["unique_id"].transform("min")
    return BaselineResult(
        clusters=cluster_frame.astype({"unique_id": np.int64, "cluster_id": np.int64}),
        scored=_ordered_pairs(
            scored["unique_id_l"].to_numpy(),
            scored["unique_id_r"].to_numpy(),
            scored["match_probability"].to_numpy(),
        ),
    )


# --- recordlinkage ECM -------------------------------------------------------------------------


def recordlinkage_ecm(
    dataset: Dataset, *, lowest_probability_kept: float = LOWEST_PROBABILITY_KEPT
) -> BaselineResult:
    """Link a data set with the ``recordlinkage`` package and its unsupervised ECM classifier.

    Candidate pairs are the union of four blocks (given and family name; date of birth;
    family name and postcode; given name and postcode; records with a key unknown are left
    out of that block). Each pair is compared on Jaro-Winkler similarity of 0.85 or more on
    each name, and exact agreement of date of birth, postcode and every identifier the data
    carries (FEBRL's social security id; a county's NHS number and UPN). The ECM classifier
    learns the Fellegi-Sunter weights from these binary vectors and predicts the matches;
    clusters are the connected components of the matches. FEBRL4 is linked A to B only.

    Args:
        dataset: the records to link.
        lowest_probability_kept: scored pairs below this are dropped from ``scored``.

    Returns:
        Clusters and scored pairs (``match_probability`` is the ECM's posterior).

    Example:
        >>> from thinkfamily.linkage.datasets import febrl4
        >>> len(recordlinkage_ecm(febrl4()).clusters)  # doctest: +SKIP
        10000
    """
    import recordlinkage

    records = dataset.records
    identifiers = [
        column for column in ("other_id", "nhs_number", "upn") if (records[column] != "").any()
    ]
    columns = ["given_name", "family_name", "date_of_birth", "postcode", *identifiers]
    frame = _with_nulls(records, columns).set_index("unique_id")

    indexer = recordlinkage.Index()
    indexer.block(["given_name", "family_name"])
    indexer.block("date_of_birth")
    indexer.block(["family_name", "postcode"])
    indexer.block(["given_name", "postcode"])

    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("family_name", "family_name", method="jarowinkler", threshold=0.85)
    for column in ("date_of_birth", "postcode", *identifiers):
        compare.exact(column, column)

    if dataset.link_type == "link":
        sources = sorted(frame["source"].unique())
        if len(sources) != 2:
            from thinkfamily.linkage.errors import LinkageError

            raise LinkageError(f"linking needs exactly two sources, not {len(sources)}")
        left = frame[frame["source"] == sources[0]]
        right = frame[frame["source"] == sources[1]]
        candidates = indexer.index(left, right)
        features = compare.compute(candidates, left, right)
    else:
        candidates = indexer.index(frame)
        features = compare.compute(candidates, frame)

    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(features)
    probability = np.asarray(classifier.prob(features), dtype=float)

    pair_left = features.index.get_level_values(0).to_numpy(dtype=np.int64)
    pair_right = features.index.get_level_values(1).to_numpy(dtype=np.int64)
    kept = probability >= lowest_probability_kept
    scored = _ordered_pairs(pair_left[kept], pair_right[kept], probability[kept])
    clusters = _connected_components(
        records["unique_id"].to_numpy(dtype=np.int64),
        matches.get_level_values(0).to_numpy(dtype=np.int64),
        matches.get_level_values(1).to_numpy(dtype=np.int64),
    )
    return BaselineResult(clusters=clusters, scored=scored)
