"""Matching one new record against records already linked, while the practitioner waits.

A school that records a concern about a child it has just enrolled should
see the child's whole family at once, not after tonight's batch run. The
matcher keeps the linked records in DuckDB, indexed on the blocking columns,
with the trained model loaded: a new record is cleaned exactly as in a batch
run, its candidates are found through the same blocking rules (each an
indexed lookup), and Splink scores them with the same model.

Example:
    >>> matcher = RecordMatcher(model, linked_records)  # doctest: +SKIP
    >>> matcher.candidates(new_record)[0].match_probability  # doctest: +SKIP
    0.9998
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from thinkfamily.linkage.constraints import cannot_link_pairs, doubtful_pairs, one_only_values
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.model import LinkageModel, identity_sql
from thinkfamily.linkage.prepare import PREPARED_COLUMNS, prepare_one, prepare_records

#: Pairs of prepared columns that must be equal for a record to be a candidate:
#: the batch model's blocking rules, each answered through an index.
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("given_name", "family_name"),
    ("given_name", "date_of_birth"),
    ("family_name", "date_of_birth"),
    ("date_of_birth", "postcode_district"),
    ("family_name", "postcode"),
    ("given_name", "postcode"),
    ("nhs_number",),
    ("upn",),
)


def _key_sql(key: tuple[str, ...]) -> str:
    """One blocking key as a single text column: DuckDB answers one indexed column fast."""
    return " || '|' || ".join(f"cast({column} as varchar)" for column in key)


def _key_value(record: Mapping[str, Any], key: tuple[str, ...]) -> str | None:
    values = [record[column] for column in key]
    if any(value is None for value in values):
        return None
    return "|".join(
        value.isoformat() if isinstance(value, dt.date) else str(value) for value in values
    )


_KEY_COLUMNS = ", ".join(
    f"{_key_sql(key)} as blocking_key_{number}" for number, key in enumerate(BLOCKING_KEYS)
)
_RECORD_COLUMNS_SQL = ", ".join(PREPARED_COLUMNS)


@dataclass(frozen=True)
class ComparisonOutcome:
    """How one field of two records compared, and how much that counted.

    ``match_weight`` is the log2 Bayes factor: positive counts for a match.
    """

    name: str
    level: str
    match_weight: float


@dataclass(frozen=True)
class Candidate:
    """An existing record the new record may be the same person as."""

    unique_id: int
    match_probability: float
    match_weight: float
    identity_agrees: bool
    shares_identifier: bool
    comparisons: tuple[ComparisonOutcome, ...]


def level_labels(model: LinkageModel) -> dict[str, list[tuple[float, str]]]:
    """For each comparison, its levels' weights and labels, to name a level from a weight."""
    labels: dict[str, list[tuple[float, str]]] = {}
    for comparison in model.splink_settings["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            label = level.get("label_for_charts", "")
            if level.get("is_null_level"):
                levels.append((0.0, "not known on one side"))
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if m and u:
                levels.append((math.log2(m / u), label))
        labels[comparison["output_column_name"]] = levels
    return labels


def describe(
    weights: Mapping[str, float], labels: dict[str, list[tuple[float, str]]]
) -> tuple[ComparisonOutcome, ...]:
    """Per-comparison outcomes from a scored pair's ``mw_<comparison>`` columns."""
    outcomes = []
    for name, levels in labels.items():
        weight = float(weights.get(f"mw_{name}", 0.0) or 0.0)
        adjustment = float(weights.get(f"mw_tf_adj_{name}", 0.0) or 0.0)
        level = min(levels, key=lambda item: abs(item[0] - weight))[1] if levels else ""
        outcomes.append(ComparisonOutcome(name, level, round(weight + adjustment, 2)))
    return tuple(outcomes)


class GraphRules(NamedTuple):
    """What ``clustering.cluster`` needs to know about a few records besides the edges."""

    identifiers: dict[int, tuple[str, ...]]
    cannot_link: list[tuple[int, int]]
    doubtful: list[tuple[int, int]]


class RecordMatcher:
    """Scores new records against a set of linked records with a trained model.

    Args:
        model: the trained model (``LinkageModel.load``).
        records: the linked records, columns ``RECORD_COLUMNS``.
    """

    def __init__(self, model: LinkageModel, records: pd.DataFrame) -> None:
        self.model = model
        self._labels = level_labels(model)
        self._con = duckdb.connect()
        prepared = prepare_records(self._con, records)
        self._con.register("_prepared", prepared)
        self._con.execute(f"create table existing as select *, {_KEY_COLUMNS} from _prepared")
        self._con.unregister("_prepared")
        for number in range(len(BLOCKING_KEYS)):
            self._con.execute(
                f"create index existing_key_{number} on existing (blocking_key_{number})"
            )
        self._db_api = DuckDBAPI(connection=self._con)
        existing = self._db_api.register("existing", table_name="existing")
        self._linker = Linker(existing, model.splink_settings, log_level=logging.WARNING)
        for column in ("given_name", "family_name"):
            self._linker.table_management.compute_tf_table(column)
        # Two small tables, refilled for every match, that Splink scores against each other.
        for name in ("new_record", "found"):
            self._con.execute(
                f"create table {name} as select {_RECORD_COLUMNS_SQL} from existing limit 0"
            )
        self._new_record = self._db_api.register("new_record", table_name="new_record")
        self._found = self._db_api.register("found", table_name="found")
        self._scoring_sql: str | None = None

    def stage(self, records: pd.DataFrame) -> None:
        """Clean records about to be linked one at a time, all at once, for ``add_staged``.

        Cleaning costs much the same whatever the number of records, so a
        batch is cleaned together rather than as each record is added.
        """
        prepared = prepare_records(self._con, records)
        self._con.register("_new", prepared)
        self._con.execute(f"create or replace table staged as select *, {_KEY_COLUMNS} from _new")
        self._con.unregister("_new")

    def add_staged(self, unique_id: int) -> None:
        """Make one staged record (``stage``) available as a candidate for the next ones."""
        self._con.execute(
            f"insert into existing select * from staged where unique_id = {int(unique_id)}"
        )

    def rules_among(
        self, keys: Iterable[int], *, cannot_link: Iterable[tuple[int, int]] = ()
    ) -> GraphRules:
        """The rules batch linkage applies, among a few linked (or just added) records.

        The same SQL as a batch run (``constraints``), on just these records, so
        the one-at-a-time path keeps twins, registrations and doubtful pairs
        exactly as the nightly relink would. ``cannot_link`` are pairs known
        from outside (agency relationships, reviewers' rejections).
        """
        listed = ", ".join(str(int(key)) for key in keys)
        self._con.execute(
            f"create or replace temp table among as select {_RECORD_COLUMNS_SQL} "
            f"from existing where unique_id in ({listed})"
        )
        known = pd.DataFrame(list(cannot_link), columns=["unique_id_l", "unique_id_r"])
        cannot = cannot_link_pairs(self._con, "among", None, known)
        doubtful = doubtful_pairs(self._con, "among")
        return GraphRules(
            identifiers=one_only_values(self._con, "among"),
            cannot_link=list(zip(cannot.unique_id_l, cannot.unique_id_r, strict=True)),
            doubtful=list(zip(doubtful.unique_id_l, doubtful.unique_id_r, strict=True)),
        )

    def candidates(self, record: Mapping[str, Any]) -> list[Candidate]:
        """Existing records scoring at or above the model's review threshold, best first.

        Raises:
            LinkageError: the record has no ``unique_id``.
        """
        if record.get("unique_id") in (None, ""):
            raise LinkageError("the new record needs a unique_id")
        new = prepare_one(record)
        lookups = [
            f"select {_RECORD_COLUMNS_SQL} from existing "
            f"where blocking_key_{number} = {_literal(value)}"
            for number, key in enumerate(BLOCKING_KEYS)
            if (value := _key_value(new, key)) is not None
        ]
        if not lookups:
            return []
        self._con.execute("delete from found")
        # Each lookup alone, with no other condition, so that DuckDB answers it
        # from the index (a second condition turns it into a scan of every row).
        self._con.execute(f"insert into found {' union '.join(lookups)}")
        self._con.execute(f"delete from found where unique_id = {int(new['unique_id'])}")
        self._con.execute("delete from new_record")
        self._con.execute(
            f"insert into new_record values ({', '.join('?' for _ in PREPARED_COLUMNS)})",
            [new[column] for column in PREPARED_COLUMNS],
        )
        scored = self._score()
        new_identifiers = {new["nhs_number"], new["upn"]} - {None}
        identifiers = {
            key: {nhs, upn}
            for key, nhs, upn in self._con.execute(
                "select unique_id, nhs_number, upn from found"
            ).fetchall()
        }
        threshold = self.model.thresholds.review
        candidates = []
        for pair in scored:
            shares = bool(new_identifiers & identifiers[pair["unique_id_r"]])
            if pair["match_probability"] < threshold and not shares:
                continue
            candidates.append(_candidate(pair, self._labels, shares_identifier=shares))
        return sorted(candidates, key=lambda c: (not c.shares_identifier, -c.match_probability))

    def _score(self) -> list[dict[str, Any]]:
        """Score ``new_record`` against ``found`` with the model.

        Splink writes the scoring SQL on the first call (which takes it a
        quarter of a second); the same SQL then serves every later call, as
        the tables it reads keep their names.
        """
        if self._scoring_sql is None:
            self._scoring_sql = _scoring_sql(
                self.model, self._linker, self._new_record, self._found
            )
        return _rows(self._con, self._scoring_sql)


def _scoring_sql(
    model: LinkageModel, linker: Linker, left: SplinkDataFrame, right: SplinkDataFrame
) -> str:
    """Splink's SQL scoring every record of ``left`` against every record of ``right``,
    with the model's identity rule (``model.identity_sql``) as ``identity_agrees``."""
    scoring = linker.inference.score_pairs(left, right).sql_used_to_create
    return f"select *, {identity_sql(model)} as identity_agrees from ({scoring})"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _candidate(
    pair: Mapping[str, Any],
    labels: dict[str, list[tuple[float, str]]],
    *,
    shares_identifier: bool,
) -> Candidate:
    return Candidate(
        unique_id=int(pair["unique_id_r"]),
        match_probability=float(pair["match_probability"]),
        match_weight=float(pair["match_weight"]),
        identity_agrees=bool(pair["identity_agrees"]),
        shares_identifier=shares_identifier,
        comparisons=describe(pair, labels),
    )


def _literal(value: object) -> str:
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class PairScorer:
    """Scores any two records against each other with a model, blocking or not.

    For explaining a decision (the review page, a test of each comparison),
    not for searching: each call is one Splink scoring of one pair.

    Example:
        >>> scorer = PairScorer(model)  # doctest: +SKIP
        >>> scorer.compare(tom, thomas).comparisons[0].level  # doctest: +SKIP
        'a short or long form of the other'
    """

    def __init__(self, model: LinkageModel) -> None:
        self.model = model
        self._labels = level_labels(model)
        self._con = duckdb.connect()
        for name in ("left_record", "right_record"):
            self._con.execute(
                f"create table {name} as select * from ({_empty_prepared_sql()}) limit 0"
            )
        db_api = DuckDBAPI(connection=self._con)
        left = db_api.register("left_record", table_name="left_record")
        self._right = db_api.register("right_record", table_name="right_record")
        self._left = left
        self._linker = Linker(left, model.splink_settings, log_level=logging.WARNING)
        self._sql: str | None = None

    def compare(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> Candidate:
        """How the two records compare, field by field, and the model's probability."""
        for table, record in (("left_record", left), ("right_record", right)):
            prepared = prepare_one(record)
            self._con.execute(f"delete from {table}")
            self._con.execute(
                f"insert into {table} values ({', '.join('?' for _ in PREPARED_COLUMNS)})",
                [prepared[column] for column in PREPARED_COLUMNS],
            )
        if self._sql is None:
            self._sql = _scoring_sql(self.model, self._linker, self._left, self._right)
        return _candidate(_rows(self._con, self._sql)[0], self._labels, shares_identifier=False)


def _empty_prepared_sql() -> str:
    """A query with the prepared columns and their types, and no rows."""
    types = {
        "unique_id": "bigint",
        "date_of_birth": "date",
        "birth_year": "bigint",
        "given_forms": "varchar[]",
        "family_names": "varchar[]",
        "other_given_names": "varchar[]",
    }
    return "select " + ", ".join(
        f"cast(null as {types.get(column, 'varchar')}) as {column}" for column in PREPARED_COLUMNS
    )
