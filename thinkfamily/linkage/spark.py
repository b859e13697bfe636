"""Scoring pairs with a trained model on Splink's Spark backend.

The model is trained once, on DuckDB (``link_records``), and saved as JSON;
the same JSON then scores any number of records on Spark, from a laptop's
local mode to a cluster. Only the scoring moves: records are cleaned by
``prepare.prepare_records`` before they get here, and clustering stays with
``clustering.cluster`` (see docs/linkage-at-scale.md).

A saved model's comparison levels hold SQL rendered for DuckDB, which Splink
does not translate when it loads a settings dict, and some of which Spark
reads differently (``"given_name_l" IS NULL`` is a string literal there, so
the null level would never fire). :func:`settings_for_spark` rewrites it.

pyspark is a development dependency: this module imports it only when a
function needs it, so the rest of the package works without it.

Example:
    >>> from thinkfamily.linkage.model import LinkageModel
    >>> model = LinkageModel.load(Path("model.json"))  # doctest: +SKIP
    >>> scored = predict_on_spark(prepared, model.splink_settings, threshold=0.5)  # doctest: +SKIP
    >>> tuple(scored.columns[:6]) == SCORED_COLUMNS  # doctest: +SKIP
    True
"""

from __future__ import annotations

import atexit
import copy
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from thinkfamily.linkage.errors import LinkageError

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

__all__ = ["SCORED_COLUMNS", "predict_on_spark", "settings_for_spark", "spark_session"]

#: The columns :func:`predict_on_spark` always returns, one row per pair at or above the
#: threshold; every other ``mw_`` column of the model (``mw_location``, ``mw_other_id``, …)
#: follows them, as ``columns('^mw_')`` gives them on DuckDB.
SCORED_COLUMNS: tuple[str, ...] = (
    "unique_id_l",
    "unique_id_r",
    "match_probability",
    "match_weight",
    "mw_given_name",
    "mw_date_of_birth",
)

#: DuckDB functions sqlglot does not translate for Spark, and what Spark calls them:
#: Spark's own functions or the UDFs of Splink's similarity jar (``SparkAPI`` registers
#: them). Names that are the same in both are not listed: ``damerau_levenshtein`` (DuckDB's
#: function and the jar's UDF agree on distances 0 and 1, the only ones the model asks
#: about) and ``levenshtein`` (Spark's own). A mapped function is only as equal as its two
#: implementations: the level-by-level test in ``tests/test_spark.py`` is the check.
SPARK_FUNCTION_NAMES: dict[str, str] = {
    "list_has_any": "arrays_overlap",  # sqlglot writes ``a && b``, which Spark cannot parse
    "array_has_any": "arrays_overlap",
    "jaro_winkler_similarity": "jaro_winkler",
    "jaro_similarity": "jaro_sim",
}

#: What sqlglot parses some of them into, by DuckDB name.
_PARSED_AS: dict[type[exp.Expression], str] = {
    exp.ArrayOverlaps: "list_has_any",
    exp.JarowinklerSimilarity: "jaro_winkler_similarity",
}

for _name in ("splink", "sqlglot", "py4j"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _to_spark_sql(sql: str) -> str:
    """One DuckDB condition (a level or a blocking rule) in Spark SQL."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError as error:
        raise LinkageError(f"cannot read the DuckDB SQL {sql!r}: {error}") from error

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            arguments = list(node.expressions)
        elif type(node) in _PARSED_AS:
            name = _PARSED_AS[type(node)]
            arguments = [node.this, node.expression]
        else:
            return node
        if name not in SPARK_FUNCTION_NAMES:
            return node
        return exp.Anonymous(this=SPARK_FUNCTION_NAMES[name], expressions=arguments)

    return tree.transform(rewrite).sql(dialect="spark")


def settings_for_spark(settings: dict[str, Any]) -> dict[str, Any]:
    """A trained model's Splink settings with every SQL condition rewritten for Spark.

    Comparison levels and blocking rules are parsed as DuckDB SQL and written
    as Spark SQL by sqlglot: double-quoted identifiers become back-quoted,
    ``list_contains`` becomes ``array_contains``, ``strftime(d, '%Y%m%d')``
    becomes ``date_format(d, 'yyyyMMdd')``; then the functions sqlglot does
    not translate take their Spark names (``SPARK_FUNCTION_NAMES``:
    ``list_has_any`` becomes ``arrays_overlap``, DuckDB's similarity
    functions the names of Splink's Spark UDFs). Weights, labels and
    everything else are kept. The input is not changed; settings already for
    Spark (``sql_dialect`` ``spark``) come back as they are.

    Args:
        settings: Splink settings as ``linker.misc.save_model_to_json()`` gives them
            on DuckDB (``LinkageModel.splink_settings``).

    Returns:
        A copy of the settings for a Linker on ``SparkAPI``.

    Raises:
        LinkageError: a condition is not SQL sqlglot can read.

    Example:
        >>> level = {"sql_condition": "list_has_any(family_names_l, family_names_r)"}
        >>> spark = settings_for_spark({"comparisons": [{"comparison_levels": [level]}]})
        >>> spark["comparisons"][0]["comparison_levels"][0]["sql_condition"]
        'ARRAYS_OVERLAP(family_names_l, family_names_r)'
    """
    if settings.get("sql_dialect") == "spark":
        return copy.deepcopy(settings)
    translated = copy.deepcopy(settings)
    for comparison in translated.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            condition = level.get("sql_condition", "")
            if condition.strip().upper() != "ELSE":
                level["sql_condition"] = _to_spark_sql(condition)
    rules = []
    for rule in translated.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, str):
            rules.append({"blocking_rule": _to_spark_sql(rule), "sql_dialect": "spark"})
        else:
            rules.append(
                rule
                | {"blocking_rule": _to_spark_sql(rule["blocking_rule"]), "sql_dialect": "spark"}
            )
    if "blocking_rules_to_generate_predictions" in translated:
        translated["blocking_rules_to_generate_predictions"] = rules
    translated["sql_dialect"] = "spark"
    return translated


def _temporary_folder() -> Path:
    """A new folder under the system's temporary folder, removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="thinkfamily-spark-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(folder)


def spark_session(*, cores: int = 2, memory: str = "2g") -> SparkSession:
    """A local-mode Spark session for scoring on one small machine.

    ``local[cores]`` with a few shuffle partitions (Spark's 200 are for
    clusters), no web UI, the driver on the loopback address, Splink's
    similarity jar on the class path (for ``damerau_levenshtein``,
    ``jaro_winkler``, …) and a temporary checkpoint folder, removed when the
    process ends, where Splink writes its intermediate tables as parquet.
    Returns the running session if there is one (Spark allows one per process;
    its settings then stay as they were).

    Args:
        cores: worker threads.
        memory: the driver's heap (``2g``); local mode runs everything in the driver.

    Returns:
        The session.

    Raises:
        LinkageError: pyspark is not installed or there is no Java.

    Example:
        >>> spark = spark_session(cores=2)  # doctest: +SKIP
        >>> spark.sparkContext.master  # doctest: +SKIP
        'local[2]'
    """
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as error:
        raise LinkageError(
            f"the Spark backend needs pyspark (pip install -e '.[dev]'): {error}"
        ) from error
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise LinkageError("Spark needs Java 17 or later: no java on PATH and no JAVA_HOME")

    spark = SparkSession.getActiveSession()
    if spark is None:
        # Spark otherwise looks up the machine's address, and warns when it is the loopback.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        partitions = str(max(2, cores * 2))
        spark = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("thinkfamily-linkage")
            .config("spark.driver.memory", memory)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", partitions)
            .config("spark.default.parallelism", partitions)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.warehouse.dir", str(_temporary_folder() / "warehouse"))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    if spark.sparkContext._jsc.sc().getCheckpointDir().isEmpty():
        spark.sparkContext.setCheckpointDir(str(_temporary_folder() / "checkpoints"))
    return spark


def predict_on_spark(
    prepared: pa.Table,
    splink_settings: dict[str, Any],
    *,
    threshold: float,
    link_type: str = "dedupe_only",
    spark: SparkSession | None = None,
) -> pd.DataFrame:
    """Score the pairs of prepared records with a trained model on Spark.

    The records are registered with Splink's ``SparkAPI`` (one table, or one
    per ``source_dataset`` to link), the model's settings translated with
    :func:`settings_for_spark`, and pairs predicted exactly as the DuckDB
    pipeline predicts them: the same blocking rules, weights and term
    frequencies (counted from these records), so the same pairs with the same
    probabilities.

    Args:
        prepared: the output of ``prepare.prepare_records`` (``PREPARED_COLUMNS``).
        splink_settings: a trained model's settings (``LinkageModel.splink_settings``).
        threshold: the lowest match probability returned.
        link_type: ``dedupe_only`` or ``link_only``, as the model was trained.
        spark: the session to use; :func:`spark_session` by default.

    Returns:
        ``SCORED_COLUMNS`` and the model's other ``mw_`` columns, one row per pair at
        or above ``threshold``, ordered by ``unique_id_l``, ``unique_id_r``
        (``unique_id_l < unique_id_r`` in a dedupe; in a link, Splink's order of sources).

    Raises:
        LinkageError: an unknown ``link_type``, one the model was not trained for,
            or no Spark to run on.

    Example:
        >>> import duckdb
        >>> from thinkfamily.linkage.prepare import prepare_records
        >>> prepared = prepare_records(duckdb.connect(), records)  # doctest: +SKIP
        >>> settings = model.splink_settings  # doctest: +SKIP
        >>> scored = predict_on_spark(prepared, settings, threshold=0.5)  # doctest: +SKIP
        >>> bool((scored.match_probability >= 0.5).all())  # doctest: +SKIP
        True
        >>> [c for c in scored.columns if c.startswith("mw_")]  # doctest: +SKIP
        ['mw_given_name', 'mw_date_of_birth', 'mw_tf_given_name', 'mw_family_name', ...]
    """
    if link_type not in ("dedupe_only", "link_only"):
        raise LinkageError(f"link_type must be dedupe_only or link_only, not {link_type!r}")
    trained_for = splink_settings.get("link_type", link_type)
    if trained_for != link_type:
        raise LinkageError(f"the model was trained for {trained_for}, not {link_type}")
    from splink import Linker, SparkAPI

    spark = spark or spark_session()
    settings = settings_for_spark(splink_settings)
    # The mw_ columns say whether identity agrees; Splink drops them without this.
    settings["retain_intermediate_calculation_columns"] = True
    db_api = SparkAPI(spark_session=spark)
    suffix = uuid.uuid4().hex[:8]
    if link_type == "dedupe_only":
        frames = [db_api.register(prepared, table_name=f"tf_records_{suffix}")]
    else:
        sources = pc.unique(prepared["source_dataset"]).to_pylist()
        frames = [
            db_api.register(
                prepared.filter(pc.equal(prepared["source_dataset"], source)),
                table_name=f"tf_records_{suffix}_{index}",
            )
            for index, source in enumerate(sorted(sources))
        ]
    try:
        linker = Linker(
            frames if len(frames) > 1 else frames[0], settings, log_level=logging.WARNING
        )
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        frame = predictions.as_spark_dataframe()
        weights = [c for c in frame.columns if c.startswith("mw_") and c not in SCORED_COLUMNS]
        return (
            frame.select(*SCORED_COLUMNS, *weights).orderBy("unique_id_l", "unique_id_r").toPandas()
        )
    finally:
        # A long-lived session would otherwise keep every run's tables.
        db_api.delete_tables_created_by_splink_from_db()
        for frame in frames:
            spark.catalog.dropTempView(frame.physical_name)
