"""Fast bulk writes for imports of hundreds of thousands of rows.

Django's ``bulk_create`` builds a model instance per row, which dominates the
time of a million-row import. These helpers write plain tuples instead: with
PostgreSQL's ``COPY`` where it is available, otherwise with ``executemany``.
Values still go through each field's ``get_db_prep_save`` where the backend
needs it (dates, times, JSON), so what is stored is exactly what the ORM
would store. They run inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models

BATCH_SIZE = 5000
_NEEDS_PREP = {"DateField", "DateTimeField", "JSONField"}


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _pk_column(model: type[models.Model]) -> str:
    pk = model._meta.pk
    assert pk is not None, f"{model.__name__} has no primary key"
    return pk.column


def _preparers(model: type[models.Model], fields: Sequence[str]) -> list[Callable[[Any], Any]]:
    def prepare_with(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
        return lambda value: field.get_db_prep_save(value, connection)

    preparers: list[Callable[[Any], Any]] = []
    for name in fields:
        field = _concrete_field(model, name)
        if field.get_internal_type() in _NEEDS_PREP:
            preparers.append(prepare_with(field))
        else:
            preparers.append(lambda value: value)
    return preparers


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [_concrete_field(model, name).column for name in fields]


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterable[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert ``rows`` (tuples in ``fields`` order) into ``model``'s table; return the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _columns(model, fields))
    preparers = _preparers(model, fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [prepare(value) for prepare, value in zip(preparers, row, strict=True)]
                    )
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [prepare(value) for prepare, value in zip(preparers, row, strict=True)]
                    for row in batch
                ],
            )
            count += len(batch)
    return count


def bulk_update(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Update ``fields`` of rows given as tuples ``(pk, value, value, …)``; return the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(column)} = %s" for column in _columns(model, fields)
    )
    pk_column = connection.ops.quote_name(_pk_column(model))
    preparers = _preparers(model, fields)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [prepare(value) for prepare, value in zip(preparers, row[1:], strict=True)]
                    + [row[0]]
                    for row in batch
                ],
            )
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
    pk_column = _pk_column(model)
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
