"""The model trained on DuckDB scores the same pairs with the same probabilities on Spark.

A synthetic county is linked on DuckDB with ``link_records``; its trained model then scores
the same prepared records on Spark in local mode. Every comparison level, translated by
``settings_for_spark``, must also say the same as DuckDB's on each of a set of pairs.

These need pyspark and Java 17: without them they are skipped on a laptop and fail in CI
(``CI=true``), so CI can never pass by quietly skipping them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from splink import DuckDBAPI, Linker

from thinkfamily.extracts.synth import generate_county
from thinkfamily.linkage import link_records
from thinkfamily.linkage.datasets import Dataset, extract_folder
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.prepare import PREPARED_COLUMNS, prepare_records
from thinkfamily.linkage.records import RECORD_COLUMNS
from thinkfamily.linkage.results import LinkageResult
from thinkfamily.linkage.spark import (
    SCORED_COLUMNS,
    predict_on_spark,
    settings_for_spark,
    spark_session,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PEOPLE = 1_500
SEED = 3


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("pyspark (pip install -e '.[dev]')")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        missing.append("Java 17 (apt-get install openjdk-17-jre-headless)")
    if missing:
        message = f"the Spark backend needs {' and '.join(missing)}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    session = spark_session(cores=2, memory="2g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("county")
    generate_county(people=PEOPLE, seed=SEED, out_dir=folder)
    return extract_folder(folder)


@pytest.fixture(scope="module")
def linked(county: Dataset) -> LinkageResult:
    """The county linked on DuckDB, training the model on it."""
    return link_records(county.records, relationships=county.relationships)


@pytest.fixture(scope="module")
def prepared(county: Dataset) -> pa.Table:
    return prepare_records(duckdb.connect(), county.records)


def duckdb_scored(
    prepared: pa.Table,
    settings: dict[str, Any],
    *,
    threshold: float,
    link_type: str = "dedupe_only",
) -> pd.DataFrame:
    """The pairs and weights predicted on DuckDB, as the pipeline predicts them."""
    con = duckdb.connect()
    con.register("prepared_arrow", prepared)
    con.execute("create table prepared as select * from prepared_arrow")
    db_api = DuckDBAPI(connection=con)
    if link_type == "dedupe_only":
        frames = [db_api.register("prepared", table_name="records")]
    else:
        sources = con.sql("select distinct source_dataset from prepared order by 1").fetchall()
        frames = []
        for index, (source,) in enumerate(sources):
            con.execute(
                f"create table records_{index} as select * from prepared where source_dataset = ?",
                [source],
            )
            frames.append(db_api.register(f"records_{index}", table_name=f"records_{index}"))
    linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=logging.WARNING)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    return con.sql(
        "select unique_id_l, unique_id_r, match_probability, match_weight, columns('^mw_') "
        f"from {predictions.physical_name} order by unique_id_l, unique_id_r"
    ).df()


def assert_same_scores(spark_scored: pd.DataFrame, duckdb_scored: pd.DataFrame) -> None:
    """The same pairs, and equal probabilities and weights in every column both have."""
    pairs = ["unique_id_l", "unique_id_r"]
    spark_pairs = set(spark_scored[pairs].itertuples(index=False, name=None))
    duckdb_pairs = set(duckdb_scored[pairs].itertuples(index=False, name=None))
    assert spark_pairs == duckdb_pairs, (
        f"{len(spark_pairs - duckdb_pairs)} pairs only on Spark, "
        f"{len(duckdb_pairs - spark_pairs)} only on DuckDB"
    )
    joined = duckdb_scored.merge(spark_scored, on=pairs, suffixes=("_duckdb", "_spark"))
    shared = [c for c in spark_scored.columns if c in duckdb_scored.columns and c not in pairs]
    assert "match_probability" in shared
    for column in shared:
        np.testing.assert_allclose(
            joined[f"{column}_spark"].astype(float),
            joined[f"{column}_duckdb"].astype(float),
            rtol=0,
            atol=1e-6,
            err_msg=column,
        )


#: Low enough that unlikely pairs are compared too, not only the pipeline's.
LOW_THRESHOLD = 1e-4


@pytest.fixture(scope="module")
def spark_scored(spark: SparkSession, linked: LinkageResult, prepared: pa.Table) -> pd.DataFrame:
    """The county's pairs scored on Spark with the model trained on DuckDB."""
    return predict_on_spark(
        prepared, linked.model.splink_settings, threshold=LOW_THRESHOLD, spark=spark
    )


@pytest.mark.slow
def test_spark_scores_the_pipelines_pairs_with_its_probabilities(
    spark_scored: pd.DataFrame, linked: LinkageResult
) -> None:
    review = linked.model.thresholds.review
    assert tuple(spark_scored.columns[: len(SCORED_COLUMNS)]) == SCORED_COLUMNS
    assert (spark_scored.match_probability >= LOW_THRESHOLD).all()
    above = spark_scored[spark_scored.match_probability >= review]
    assert len(above) > 1_000, "a county of 1,500 people has many duplicate pairs"
    assert_same_scores(above, linked.scored)


@pytest.mark.slow
def test_spark_match_weights_equal_duckdbs_far_below_the_threshold(
    spark_scored: pd.DataFrame, linked: LinkageResult, prepared: pa.Table
) -> None:
    expected = duckdb_scored(prepared, linked.model.splink_settings, threshold=LOW_THRESHOLD)
    assert len(expected) > 2 * len(linked.scored), "the low threshold takes in unlikely pairs"
    assert set(spark_scored.columns) == set(expected.columns)
    assert_same_scores(spark_scored, expected)


@pytest.mark.slow
def test_spark_links_sources_as_duckdb_does(
    spark: SparkSession, linked: LinkageResult, prepared: pa.Table
) -> None:
    # The trained weights, asked only about pairs of records from different agencies.
    settings = linked.model.splink_settings | {
        "link_type": "link_only",
        "source_dataset_column_name": "source_dataset",
    }
    # The three agencies holding most records: each source is a table and a step on Spark.
    sources = pd.Series(prepared["source_dataset"].to_pylist()).value_counts().index[:3]
    prepared = prepared.filter(pc.is_in(prepared["source_dataset"], pa.array(sources)))
    scored = predict_on_spark(
        prepared, settings, threshold=LOW_THRESHOLD, link_type="link_only", spark=spark
    )
    expected = duckdb_scored(prepared, settings, threshold=LOW_THRESHOLD, link_type="link_only")
    assert len(expected) > 50
    assert_same_scores(scored, expected)
    with pytest.raises(LinkageError, match="trained for link_only"):
        predict_on_spark(prepared, settings, threshold=0.5, spark=spark)


# --- Every level, one by one ---------------------------------------------------------------------

#: Pairs of records written to reach the levels random county pairs rarely reach.
HAND_PAIRS: list[tuple[dict[str, str], dict[str, str]]] = [
    # Names swapped; sex unknown on one side.
    ({"given_name": "Amy", "family_name": "Khan", "sex": "F"},
     {"given_name": "Khan", "family_name": "Amy", "sex": ""}),
    # A short form, and a hyphenated family name sharing a part.
    ({"given_name": "Robert", "family_name": "Smith-Jones"},
     {"given_name": "Bob", "family_name": "Jones"}),
    # A typing slip in each name; day and month swapped.
    ({"given_name": "Jonathan", "family_name": "Smith", "date_of_birth": "2019-04-05"},
     {"given_name": "Jonahtan", "family_name": "Smtih", "date_of_birth": "2019-05-04"}),
    # One holds the other; one digit of the date different.
    ({"given_name": "Liv", "family_name": "Patel", "date_of_birth": "2019-04-05"},
     {"given_name": "Olivia", "family_name": "Patel", "date_of_birth": "2019-04-06"}),
    # The other's middle name; same postcode, other address.
    ({"given_name": "Amy", "other_names": "Louise", "postcode": "AB1 2CD", "address": "1 High St"},
     {"given_name": "Louise", "postcode": "AB1 2CD", "address": "3 High St"}),
    # Same sector, then same district only.
    ({"given_name": "Tom", "postcode": "AB1 2CD", "sex": "M"},
     {"given_name": "Tom", "postcode": "AB1 2XY", "sex": "M"}),
    ({"given_name": "Tom", "postcode": "AB1 2CD", "address": "1 High St"},
     {"given_name": "Tom", "postcode": "AB1 9XY", "address": "1 High St"}),
    # Nothing known on one side.
    ({"given_name": "Baby", "family_name": "", "date_of_birth": "not a date"},
     {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2020-01-01"}),
]  # fmt: skip


def level_pairs(prepared: pa.Table) -> pa.Table:
    """Pairs of prepared records as a comparison level sees them (``given_name_l``, …).

    The hand-written pairs above and every pair of county records sharing a family name,
    date of birth or postcode.
    """
    rows = []
    for number, (left, right) in enumerate(HAND_PAIRS):
        for offset, values in enumerate((left, right)):
            unique_id = 1_000_000 + 2 * number + offset
            rows.append(dict.fromkeys(RECORD_COLUMNS, "") | values | {"unique_id": unique_id})
    con = duckdb.connect()
    hand = prepare_records(con, pd.DataFrame(rows, columns=list(RECORD_COLUMNS)))
    con.register("county", prepared)
    con.register("hand", hand)
    columns = [column for column in PREPARED_COLUMNS if column != "unique_id"]
    selected = ", ".join(f"l.{c} as {c}_l, r.{c} as {c}_r" for c in columns)
    return con.sql(
        f"""
        with records as (select * from county union all by name select * from hand)
        select row_number() over (order by l.unique_id, r.unique_id) as pair, {selected}
        from records l join records r on l.unique_id < r.unique_id and (
            (l.unique_id >= 1000000 and r.unique_id = l.unique_id + 1 and l.unique_id % 2 = 0)
            or l.family_name = r.family_name or l.date_of_birth = r.date_of_birth
            or l.postcode = r.postcode)
        """
    ).to_arrow_table()


@pytest.mark.slow
def test_every_translated_level_says_what_duckdbs_says(
    spark: SparkSession, linked: LinkageResult, prepared: pa.Table
) -> None:
    from splink import SparkAPI

    SparkAPI(spark_session=spark)  # registers Splink's similarity UDFs (damerau_levenshtein)
    duckdb_settings = linked.model.splink_settings
    spark_settings = settings_for_spark(duckdb_settings)
    levels = []  # (name, DuckDB condition, Spark condition)
    for comparison, translated in zip(
        duckdb_settings["comparisons"], spark_settings["comparisons"], strict=True
    ):
        for level, spark_level in zip(
            comparison["comparison_levels"], translated["comparison_levels"], strict=True
        ):
            if level["sql_condition"] != "ELSE":
                name = f"{comparison['output_column_name']}: {level['label_for_charts']}"
                levels.append((name, level["sql_condition"], spark_level["sql_condition"]))

    pairs = level_pairs(prepared)
    con = duckdb.connect()
    con.register("level_pairs", pairs)
    spark.createDataFrame(pairs).createOrReplaceTempView("level_pairs")

    def answers(conditions: list[str]) -> str:
        cases = ", ".join(
            f"case when {condition} then 1 else 0 end as level_{index}"
            for index, condition in enumerate(conditions)
        )
        return f"select {cases} from level_pairs order by pair"

    on_duckdb = con.sql(answers([duck for _, duck, _ in levels])).df()
    on_spark = pd.DataFrame(
        spark.sql(answers([spark_sql for _, _, spark_sql in levels])).toPandas()
    )
    assert len(on_duckdb) == len(on_spark) == pairs.num_rows > 10_000
    for index, (name, duck, spark_sql) in enumerate(levels):
        column = f"level_{index}"
        duckdb_says, spark_says = on_duckdb[column].to_numpy(), on_spark[column].to_numpy()
        differ = int((duckdb_says != spark_says).sum())
        assert differ == 0, f"{name}: {differ} pairs differ\n  DuckDB: {duck}\n  Spark: {spark_sql}"
        assert duckdb_says.any(), f"{name}: no pair reaches the level, so it is not tested"


def test_settings_for_spark_rewrites_duckdb_only_sql() -> None:
    null_level = {"sql_condition": '"name_l" IS NULL OR "name_r" IS NULL', "is_null_level": True}
    settings: dict[str, Any] = {
        "sql_dialect": "duckdb",
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    null_level,
                    {"sql_condition": "list_contains(forms_l, name_r)", "m_probability": 0.9},
                    {"sql_condition": "list_has_any(names_l, names_r)"},
                    {"sql_condition": "jaro_winkler_similarity(name_l, name_r) > 0.9"},
                    {"sql_condition": "levenshtein(strftime(dob_l, '%Y%m%d'), "
                                      "strftime(dob_r, '%Y%m%d')) = 1"},
                    {"sql_condition": "ELSE"},
                ],
            }
        ],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": '(l."name" = r."name")', "sql_dialect": "duckdb"},
            "l.name = r.name",
        ],
    }  # fmt: skip
    translated = settings_for_spark(settings)
    conditions = [
        level["sql_condition"] for level in translated["comparisons"][0]["comparison_levels"]
    ]
    assert conditions == [
        "`name_l` IS NULL OR `name_r` IS NULL",
        "ARRAY_CONTAINS(forms_l, name_r)",
        "ARRAYS_OVERLAP(names_l, names_r)",
        "JARO_WINKLER(name_l, name_r) > 0.9",
        "LEVENSHTEIN(DATE_FORMAT(dob_l, 'yyyyMMdd'), DATE_FORMAT(dob_r, 'yyyyMMdd')) = 1",
        "ELSE",
    ]
    assert translated["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.9
    assert translated["blocking_rules_to_generate_predictions"] == [
        {"blocking_rule": "(l.`name` = r.`name`)", "sql_dialect": "spark"},
        {"blocking_rule": "l.name = r.name", "sql_dialect": "spark"},
    ]
    assert translated["sql_dialect"] == "spark"
    assert settings["comparisons"][0]["comparison_levels"][1]["sql_condition"].startswith("list_")
    assert settings_for_spark(translated) == translated


def test_settings_for_spark_refuses_sql_it_cannot_read() -> None:
    level = {"sql_condition": "name_l = = name_r"}
    with pytest.raises(LinkageError, match="cannot read"):
        settings_for_spark({"comparisons": [{"comparison_levels": [level]}]})


@pytest.mark.slow
def test_link_records_on_spark_finds_the_same_people_as_on_duckdb(
    spark: SparkSession, county: Dataset, linked: LinkageResult
) -> None:
    """``link_records(engine="spark")``: the same model, the same people, scored on Spark."""
    on_spark = link_records(
        county.records, relationships=county.relationships, model=linked.model, engine="spark"
    )
    clusters = linked.clusters.sort_values("unique_id").reset_index(drop=True)
    assert on_spark.clusters.sort_values("unique_id").reset_index(drop=True).equals(clusters)
    assert len(on_spark.review) == len(linked.review)
