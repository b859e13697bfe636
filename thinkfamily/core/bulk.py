"""Fast bulk writes for imports of hundreds of thousands of rows.

Django's ``bulk_create`` builds a model instance per row, which dominates the
time of a million-row import. These helpers write plain tuples instead: with
PostgreSQL's ``COPY`` where it is available, otherwise with ``executemany``.
Only the values the database driver cannot take as they are get converted:
JSON always (through the field, as the ORM would), and on SQLite dates and
date-times, which are stored as the ORM stores them (ISO text, date-times in
UTC). Converting only those keeps a million-row import from spending half its
time in ``get_db_prep_save``. They run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from typing import Any

from django.db import connection, models

BATCH_SIZE = 5000
Row = tuple[Any, ...]


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _pk_field(model: type[models.Model]) -> models.Field[Any, Any]:
    pk = model._meta.pk
    assert pk is not None, f"{model.__name__} has no primary key"
    return pk


@functools.lru_cache(maxsize=8192)  # an import repeats its "now" and many event times
def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django's SQLite backend stores for an aware date-time: naive UTC text."""
    if value is None:
        return None
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How to convert a value of ``field`` for the driver; None when it takes values as they are."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return lambda value: field.get_db_prep_save(value, connection)
    if connection.vendor == "sqlite" and kind == "DateTimeField":
        return _sqlite_datetime
    if connection.vendor == "sqlite" and kind == "DateField":
        return _sqlite_date
    return None


def _row_preparer(model: type[models.Model], fields: Sequence[str]) -> Callable[[Row], Row]:
    """A function that converts the values of one row that need converting."""
    conversions = [
        (index, convert)
        for index, name in enumerate(fields)
        if (convert := _converter(_concrete_field(model, name))) is not None
    ]
    if not conversions:
        return lambda row: row

    def prepare(row: Row) -> Row:
        values = list(row)
        for index, convert in conversions:
            values[index] = convert(values[index])
        return tuple(values)

    return prepare


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [_concrete_field(model, name).column for name in fields]


def _batches(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Row]) -> int:
    """Insert ``rows`` (tuples in ``fields`` order) into ``model``'s table; return the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _columns(model, fields))
    prepare = _row_preparer(model, fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY goes to psycopg directly: wrap its errors as Django's own (IntegrityError…).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(prepare(row))
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(sql, [prepare(row) for row in batch])
            count += len(batch)
    return count


#: Below this many rows, ``bulk_update`` updates row by row on every database.
FEW_ROWS = 200


def bulk_update(model: type[models.Model], fields: Sequence[str], rows: Iterable[Row]) -> int:
    """Update ``fields`` of rows given as tuples ``(pk, value, value, …)``; return the count.

    On PostgreSQL many rows are copied into a temporary table and applied with
    one ``UPDATE … FROM``, which is many times faster than a statement per row;
    a few rows (fewer than ``FEW_ROWS``) are updated one statement each, which
    spares creating and dropping the table (about 0.1 s, even for no rows).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    quote = connection.ops.quote_name
    columns = _columns(model, fields)
    pk_column = quote(_pk_field(model).column)
    prepare = _row_preparer(model, fields)
    remaining = iter(rows)
    first = list(islice(remaining, FEW_ROWS))
    few = len(first) < FEW_ROWS
    rows = chain(first, remaining)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not few:
            types = [_concrete_field(model, name).db_type(connection) for name in fields]
            staged = ", ".join(
                f"{quote(column)} {db_type}" for column, db_type in zip(columns, types, strict=True)
            )
            pk_type = _pk_field(model).rel_db_type(connection)  # type: ignore[attr-defined]
            cursor.execute(f"CREATE TEMPORARY TABLE bulk_update_rows (pk {pk_type}, {staged})")
            try:
                names = ", ".join(["pk", *(quote(column) for column in columns)])
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY bulk_update_rows ({names}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row((row[0], *prepare(row[1:])))
                        count += 1
                assignments = ", ".join(f"{quote(c)} = staged.{quote(c)}" for c in columns)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM bulk_update_rows AS staged "
                    f"WHERE {table}.{pk_column} = staged.pk"
                )
            finally:
                cursor.execute("DROP TABLE bulk_update_rows")
            return count
        assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(sql, [(*prepare(row[1:]), row[0]) for row in batch])
            count += len(batch)
    return count


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take ``count`` primary keys for rows about to be inserted with ``bulk_insert``.

    ``COPY`` and ``executemany`` do not return the keys they create, so keys
    are taken first: from the table's sequence on PostgreSQL (safe beside other
    writers), and on SQLite from above the current maximum, which is safe
    because a writing transaction there holds the database's only write lock.
    Keys are never reused, as the database's own sequence would not reuse them.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk_column = _pk_field(model).column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # Above both the highest key in use and the highest ever handed out, so a
        # deleted person's id is never given to somebody else (the audit trail
        # names people by id).
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(pk_column)}), 0) FROM {quoted}"
        )
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        start = max(highest, cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def in_chunks(values: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    """Slices of ``values`` small enough for an ``IN (…)`` clause on every backend."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
