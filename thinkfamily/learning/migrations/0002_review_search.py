"""Search across the learning (``learning.search``): indexes for each database.

PostgreSQL: GIN indexes on the very expressions ``learning.search._vector``
queries (``to_tsvector('english', …)`` over the same columns, joined the same
way), so full-text search uses them. Change one, change the other.

SQLite: an FTS5 table ``learning_search`` (Porter stemmer) holding one row per
searchable text, its rowid ``id * 8 + source code`` (1 register title, 2 public
title and summary, 3 finding or lesson, 4 recommendation, 5 briefing), kept in
step by triggers on every insert, update and delete, and filled from the rows
already there.

Neither changes Django's model state, so each runs only on its own database.
"""

from django.db import migrations

_TS = "to_tsvector('english'::regconfig, {})"


def _joined(*columns):
    return " || ' ' || ".join(f"COALESCE({column}, '')" for column in columns)


_BRIEFING_COLUMNS = ("title", "background", "why_it_matters", "findings", "what_to_do", "questions")

POSTGRESQL_INDEXES = (
    ("learning_casereview_title_search", "learning_casereview", _joined("title")),
    (
        "learning_casereview_public_search",
        "learning_casereview",
        _joined("public_title", "public_summary"),
    ),
    ("learning_reviewitem_text_search", "learning_reviewitem", _joined("text")),
    ("learning_recommendation_text_search", "learning_recommendation", _joined("text")),
    ("learning_briefing_text_search", "learning_briefing", _joined(*_BRIEFING_COLUMNS)),
)

# (table, [(source code, SQL of the text from the row called new/old)])
_SQLITE_SOURCES = (
    (
        "learning_casereview",
        [(1, "{row}.title"), (2, "{row}.public_title || ' ' || {row}.public_summary")],
    ),
    ("learning_reviewitem", [(3, "{row}.text")]),
    ("learning_recommendation", [(4, "{row}.text")]),
    (
        "learning_briefing",
        [(5, " || ' ' || ".join("{row}." + column for column in _BRIEFING_COLUMNS))],
    ),
)


def _sqlite_statements():
    yield (
        "CREATE VIRTUAL TABLE learning_search USING fts5("
        "body, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    for table, texts in _SQLITE_SOURCES:
        inserts = "".join(
            f"INSERT INTO learning_search(rowid, body) VALUES (new.id * 8 + {code}, {text.format(row='new')}); "
            for code, text in texts
        )
        deletes = "".join(
            f"DELETE FROM learning_search WHERE rowid = old.id * 8 + {code}; " for code, _ in texts
        )
        yield f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {inserts}END"
        yield f"CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} BEGIN {deletes}{inserts}END"
        yield f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN {deletes}END"
        for code, text in texts:
            yield (
                f"INSERT INTO learning_search(rowid, body) "
                f"SELECT id * 8 + {code}, {text.format(row=table)} FROM {table}"
            )


def create_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, table, expression in POSTGRESQL_INDEXES:
            schema_editor.execute(
                f"CREATE INDEX {name} ON {table} USING gin ({_TS.format(expression)})"
            )
    elif vendor == "sqlite":
        for statement in _sqlite_statements():
            schema_editor.execute(statement)


def drop_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, _, _ in POSTGRESQL_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for table, _ in _SQLITE_SOURCES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{event}")
        schema_editor.execute("DROP TABLE IF EXISTS learning_search")


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_search, drop_search, elidable=False),
    ]
