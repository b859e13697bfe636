"""Linking a frame of records end to end: clean, train (or load), score, cluster.

The bands, in order:

1. **Identifiers.** Records sharing a valid NHS number or UPN are one person,
   unless that would give a person two different numbers.
2. **The model.** A pair at or above ``Thresholds.link`` whose given name and
   date of birth do not contradict each other joins one person, unless a
   cannot-link rule or an identifier says they are two people.
3. **Review.** Pairs from ``Thresholds.review`` up to the link threshold, and
   strong pairs that agree on where someone lives but not on who they are,
   go to a person to decide.
4. Everything else stays apart.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker, block_on

from thinkfamily.linkage.clustering import Edge, cluster
from thinkfamily.linkage.constraints import (
    ambiguous_records,
    cannot_link_pairs,
    doubtful_pairs,
    moved_together,
    one_only_values,
)
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.model import LinkageModel, Thresholds, identity_sql, settings_for
from thinkfamily.linkage.prepare import prepare_records
from thinkfamily.linkage.results import LinkageResult

if TYPE_CHECKING:
    from splink.internals.splink_dataframe import SplinkDataFrame

#: Fewer identifier-matched pairs than this and the model is trained by EM instead.
MIN_LABEL_PAIRS = 1_000
#: Random pairs sampled to learn how often non-matches agree by chance (at most;
#: a small county needs fewer: ``U_PAIRS_PER_RECORD`` for each record).
U_SAMPLE_PAIRS = 2e6
U_PAIRS_PER_RECORD = 200

ENGINES = ("duckdb", "spark")
#: The most memory DuckDB may use for one linkage run before spilling to disk.
DUCKDB_MEMORY_LIMIT = os.environ.get("THINKFAMILY_LINKAGE_MEMORY", "1GB")
LINK_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability", "rule"]

for _name in ("splink", "sqlglot"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@contextmanager
def _stage(seconds: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[name] = round(time.perf_counter() - started, 2)


def _register(db_api: DuckDBAPI, link_type: str) -> list[SplinkDataFrame]:
    """The prepared records as Splink inputs: one table, or one per source to link."""
    if link_type == "dedupe_only":
        return [db_api.register("prepared", table_name="records")]
    con = db_api._con
    sources = con.sql("select distinct source_dataset from prepared order by 1").fetchall()
    for index, (source,) in enumerate(sources):
        con.execute(
            f"create table records_{index} as select * from prepared where source_dataset = ?",
            [source],
        )
    return [
        db_api.register(f"records_{index}", table_name=f"records_{index}")
        for index in range(len(sources))
    ]


def _linker(frames: list[SplinkDataFrame], settings: Any) -> Linker:
    return Linker(frames if len(frames) > 1 else frames[0], settings, log_level=logging.WARNING)


def _label_confirmed_pairs(con: duckdb.DuckDBPyConnection, must_link: pd.DataFrame) -> None:
    """Add pairs a reviewer confirmed to the known matches the model learns from.

    Known matches are records sharing a label (``identifier_label``); a
    confirmed pair takes the label one of its records already has, or a new
    one. The reviewers' decisions so teach the model the matches identifiers
    cannot show (a nickname and a new surname, say).
    """
    con.register("must_link_pairs", must_link[["unique_id_l", "unique_id_r"]])
    labels: dict[int, str | None] = dict(
        con.sql(
            "select unique_id, identifier_label from prepared where unique_id in "
            "(select unique_id_l from must_link_pairs "
            "union select unique_id_r from must_link_pairs)"
        ).fetchall()
    )
    con.unregister("must_link_pairs")
    updates = []
    for left, right in zip(must_link.unique_id_l, must_link.unique_id_r, strict=True):
        label = labels.get(left) or labels.get(right) or f"confirmed:{min(left, right)}"
        for key in (left, right):
            if not labels.get(key):
                labels[key] = label
                updates.append((label, int(key)))
    if updates:
        con.executemany("update prepared set identifier_label = ? where unique_id = ?", updates)


def train_model(
    linker: Linker, con: duckdb.DuckDBPyConnection, *, with_other_id: bool
) -> dict[str, Any]:
    """Learn the model's weights from the data in ``linker``; returns how it was trained."""
    training: dict[str, Any] = {}
    started = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth", "postcode")], recall=0.5
    )
    training["seconds_lambda"] = round(time.perf_counter() - started, 2)
    records = con.sql("select count(*) from prepared").fetchall()[0][0]
    training["u_sample_pairs"] = min(U_SAMPLE_PAIRS, U_PAIRS_PER_RECORD * records)
    linker.training.estimate_u_using_random_sampling(max_pairs=training["u_sample_pairs"], seed=1)
    training["seconds_u"] = round(time.perf_counter() - started, 2)
    label_pairs = con.sql(
        "select coalesce(sum(n * (n - 1) / 2), 0) from "
        "(select count(*) as n from prepared where identifier_label is not null "
        "group by identifier_label)"
    ).fetchall()[0][0]
    training["identifier_label_pairs"] = int(label_pairs)
    if label_pairs >= MIN_LABEL_PAIRS:
        training["m_from"] = "known matches: a shared NHS number or UPN, or confirmed by review"
        linker.training.estimate_m_from_label_column("identifier_label")
    else:
        training["m_from"] = "expectation maximisation"
        em_rules = [block_on("given_name", "family_name"), block_on("date_of_birth", "postcode")]
        if with_other_id:
            em_rules.append(block_on("other_id"))
        for rule in em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
    training["seconds_m"] = round(time.perf_counter() - started, 2)
    return training


def fill_unobserved(settings: dict[str, Any], *, sampled_pairs: float) -> list[str]:
    """Give levels never seen in training a cautious probability instead of none.

    A level no random pair reached (given and family names swapped) is rare
    among non-matches: at most one in the pairs sampled. A level no known match
    reached (different sexes) is rare among matches: taken as one in a
    thousand, so it counts strongly against, as it should, without being
    infinite. Returns the levels filled, for the training notes.
    """
    filled = []
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = f"{comparison['output_column_name']}: {level.get('label_for_charts')}"
            if level.get("u_probability") is None:
                level["u_probability"] = 1 / sampled_pairs
                filled.append(f"{label} (u)")
            if level.get("m_probability") is None:
                level["m_probability"] = 1e-3
                filled.append(f"{label} (m)")
    return filled


def link_records(
    records: pd.DataFrame,
    *,
    cannot_link: pd.DataFrame | None = None,
    must_link: pd.DataFrame | None = None,
    relationships: pd.DataFrame | None = None,
    model: LinkageModel | None = None,
    thresholds: Thresholds | None = None,
    link_type: str = "dedupe_only",
    engine: str = "duckdb",
    families: bool = True,
) -> LinkageResult:
    """Find the people in a frame of records.

    Args:
        records: one row per record, columns ``records.RECORD_COLUMNS``.
        cannot_link: pairs (``unique_id_l``, ``unique_id_r``) known to be two
            people, such as pairs a reviewer rejected.
        must_link: pairs known to be one person (a reviewer confirmed them).
        relationships: ``unique_id``, ``related_unique_id`` of records an agency
            relates to each other (so two people).
        model: a trained model; without one the model is trained on ``records``.
        thresholds: overrides the model's thresholds.
        link_type: ``dedupe_only`` (any two records may match) or ``link_only``
            (only records of different sources, each source free of duplicates).
        engine: ``duckdb`` (embedded) or ``spark`` to score the pairs on Spark;
            training, cleaning and clustering stay on this machine.
        families: the records describe people living in families, where
            siblings, twins and a parent and child of one name share surnames
            and addresses. The family rules then apply: a link must rest on the
            given name or exact date of birth; a record matching two people a
            generation apart, and two records one agency keeps in one household,
            go to review. Off only for data with no families in it (FEBRL).

    Raises:
        LinkageError: the records are not in the expected shape.

    Example:
        >>> from thinkfamily.linkage.records import RECORD_COLUMNS
        >>> rows = [dict.fromkeys(RECORD_COLUMNS, "") | {"unique_id": n, "source": "GP",
        ...     "given_name": "Amy", "family_name": "Khan", "nhs_number": "9434765919"}
        ...     for n in (1, 2)]
        >>> import pandas as pd
        >>> result = link_records(pd.DataFrame(rows))
        >>> sorted(result.clusters.cluster_id)
        [1, 1]
    """
    if engine not in ENGINES:
        raise LinkageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if link_type not in ("dedupe_only", "link_only"):
        raise LinkageError(f"link_type must be dedupe_only or link_only, not {link_type!r}")
    seconds: dict[str, float] = {}
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    # DuckDB would otherwise keep up to 80% of the machine's memory as cache; linkage of
    # a million records needs far less, and spills to a temporary folder if it must.
    con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    with _stage(seconds, "prepare"):
        prepared = prepare_records(con, records)
        con.register("prepared_arrow", prepared)
        con.execute("create table prepared as select * from prepared_arrow")
        con.unregister("prepared_arrow")
        with_other_id = con.sql("select count(other_id) from prepared").fetchall()[0][0] > 0
    db_api = DuckDBAPI(connection=con)
    frames = _register(db_api, link_type)

    with _stage(seconds, "train"):
        if model is None:
            if must_link is not None and not must_link.empty:
                _label_confirmed_pairs(con, must_link)
            settings = settings_for(link_type=link_type, with_other_id=with_other_id)
            linker = _linker(frames, settings)
            training = train_model(linker, con, with_other_id=with_other_id)
            trained = linker.misc.save_model_to_json()
            training["filled_unobserved"] = fill_unobserved(
                trained, sampled_pairs=training["u_sample_pairs"]
            )
            linker = _linker(frames, trained)
            model = LinkageModel(
                splink_settings=trained,
                thresholds=thresholds or Thresholds(),
                training=training,
            )
        else:
            linker = _linker(frames, model.splink_settings)
    thresholds = thresholds or model.thresholds

    with _stage(seconds, "predict"):
        if engine == "spark":
            from thinkfamily.linkage.spark import predict_on_spark

            # Cleaned and trained here; the pairs are scored on Spark with the same model.
            spark_scored = predict_on_spark(
                prepared, model.splink_settings, threshold=thresholds.review, link_type=link_type
            )
            con.register("spark_scored", spark_scored)
            predictions_table = "spark_scored"
        else:
            predictions = linker.inference.predict(threshold_match_probability=thresholds.review)
            predictions_table = predictions.physical_name
        con.execute(
            f"""
            create table scored as
            select unique_id_l, unique_id_r, match_probability, match_weight,
                   columns('^mw_'), {identity_sql(model) if families else "true"}
                       as identity_agrees
            from {predictions_table}
            """
        )
        ambiguous = (
            ambiguous_records(con, "scored", "prepared", link_threshold=thresholds.link)
            if families
            else set()
        )
        companions = moved_together(con, "scored", "prepared", link_threshold=thresholds.link)
        scored = con.sql("select * from scored").df()
    with _stage(seconds, "constraints"):
        constraints = cannot_link_pairs(con, "prepared", relationships, cannot_link)
        doubts = (
            doubtful_pairs(con, "prepared")
            if families
            else pd.DataFrame(columns=["unique_id_l", "unique_id_r"])
        )
    with _stage(seconds, "cluster"):
        identifiers = one_only_values(con, "prepared", link_only=link_type == "link_only")
        identifier_edges = [
            Edge(first, key, 1.0, rule)
            for first, key, rule in con.sql(
                """
                select first, unique_id, 'nhs_number' from (
                    select unique_id, min(unique_id) over (partition by nhs_number) as first
                    from prepared where nhs_number is not null) where unique_id <> first
                union all
                select first, unique_id, 'upn' from (
                    select unique_id, min(unique_id) over (partition by upn) as first
                    from prepared where upn is not null) where unique_id <> first
                """
            ).fetchall()
        ]
        if must_link is not None:
            identifier_edges.extend(
                Edge(int(left), int(right), 1.0, "must_link")
                for left, right in zip(must_link.unique_id_l, must_link.unique_id_r, strict=True)
            )
        keys = [key for (key,) in con.sql("select unique_id from prepared").fetchall()]
        model_edges = (
            model_edge(
                int(left),
                int(right),
                float(probability),
                identity_agrees=bool(agrees),
                ambiguous=left in ambiguous or right in ambiguous,
                needed=thresholds.link_elsewhere
                if elsewhere and (left, right) not in companions
                else thresholds.link,
            )
            for left, right, probability, agrees, elsewhere in zip(
                scored.unique_id_l,
                scored.unique_id_r,
                scored.match_probability,
                scored.identity_agrees.fillna(True),
                scored.mw_location < 0,
                strict=True,
            )
        )
        found = cluster(
            keys,
            identifiers=identifiers,
            edges=[*identifier_edges, *model_edges],
            cannot_link=zip(constraints.unique_id_l, constraints.unique_id_r, strict=True),
            doubtful=zip(doubts.unique_id_l, doubts.unique_id_r, strict=True),
        )
    con.close()
    return LinkageResult(
        clusters=pd.DataFrame(
            {"unique_id": list(found.cluster_of), "cluster_id": list(found.cluster_of.values())}
        ),
        links=_edges_frame(found.links),
        review=_edges_frame(found.review),
        scored=scored,
        model=model,
        seconds=seconds,
        conflicts=_edges_frame(found.conflicts),
    )


def model_edge(
    left: int,
    right: int,
    probability: float,
    *,
    identity_agrees: bool,
    ambiguous: bool,
    needed: float,
) -> Edge:
    """A scored pair as an edge, its rule saying what, if anything, held it back."""
    held_back = [
        reason
        for reason, holds in (
            ("unsure", probability < needed),
            ("identity", not identity_agrees),
            ("ambiguous", ambiguous),
        )
        if holds
    ]
    return Edge(left, right, probability, ", ".join(["model", *held_back]), not held_back)


def _edges_frame(edges: list[Edge]) -> pd.DataFrame:
    return pd.DataFrame(
        [(edge.left, edge.right, edge.probability, edge.rule) for edge in edges],
        columns=LINK_COLUMNS,
    )
