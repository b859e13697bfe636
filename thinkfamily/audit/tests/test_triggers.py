"""The database itself refuses to change or remove an audit entry; only the test flush gets by."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from thinkfamily.audit.maintenance import is_test_database
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_chain_verify
from thinkfamily.audit.tests.helpers import TABLE, write_trail

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_append_only_triggers_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
            expected = {"audit_auditevent_append_only", "audit_auditevent_no_truncate"}
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
            expected = {"audit_auditevent_no_update", "audit_auditevent_no_delete"}
        assert {row[0] for row in cursor.fetchall()} == expected


def test_a_raw_sql_update_of_an_entry_is_refused_by_the_database():
    entry = write_trail(2)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["edited", entry.pk])
    assert AuditEvent.objects.get(pk=entry.pk).reason == ""


def test_a_raw_sql_delete_of_an_entry_or_of_the_whole_trail_is_refused_by_the_database():
    entry = write_trail(2)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {TABLE}")
    assert AuditEvent.objects.count() == 2 and audit_chain_verify().intact


@pytest.mark.django_db(transaction=True)  # committed rows: no deferred FK checks pending
def test_emptying_the_trail_at_once_is_refused_on_each_database():
    """PostgreSQL's TRUNCATE; SQLite has none, and empties a table with an unqualified DELETE
    (its truncate optimisation, which skips row triggers unless the table has any)."""
    write_trail(1)
    statement = (
        f"TRUNCATE {TABLE} CASCADE"
        if connection.vendor == "postgresql"
        else (f"DELETE FROM {TABLE}")
    )
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(statement)
    assert AuditEvent.objects.count() == 1


def test_only_a_test_database_is_taken_for_disposable():
    assert is_test_database(connection)
    live = type("Live", (), {"settings_dict": {"NAME": "/srv/thinkfamily/db.sqlite3", "TEST": {}}})
    assert not is_test_database(live())  # type: ignore[arg-type]
    named = {"NAME": "thinkfamily", "TEST": {"NAME": "test_thinkfamily"}}
    assert not is_test_database(type("Live", (), {"settings_dict": named})())  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_the_test_flush_empties_the_trail_and_leaves_the_door_shut():
    write_trail(2)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    (entry,) = write_trail(1)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
