"""The one door through the audit trail's append-only triggers, and who holds its key.

The database refuses every UPDATE, DELETE and TRUNCATE of the audit table
(migration 0009). Emptying a *test* database between tests must still work,
so the triggers let a change through while a maintenance flag is on in the
same transaction:

* PostgreSQL: the setting ``thinkfamily.audit_maintenance``, set with
  ``SET LOCAL`` so it ends with the transaction and no other session sees it;
* SQLite (no settings of its own): the one row of the table
  ``audit_maintenance``, set and cleared inside one transaction, so no other
  connection ever reads it open (a reader sees only committed rows).

The key is held by the ``flush`` command (``audit/management/commands/flush.py``),
which opens the door only when the database being flushed is a test database,
and by the tamper tests. Nothing in the application opens it. It is a guard
against accidents and against code, not against a database administrator:
whoever may run SQL as the table's owner can open it, or drop the triggers.
What they cannot do is change the trail without ``thinkfamily audit verify``
finding the change, which is why the hash chain, not the triggers, is the
evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

#: The PostgreSQL setting the triggers consult.
MAINTENANCE_SETTING = "thinkfamily.audit_maintenance"
#: The SQLite control table the triggers consult (one row, created by migration 0009).
MAINTENANCE_TABLE = "audit_maintenance"


def _set_door(connection: BaseDatabaseWrapper, *, open_: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL {MAINTENANCE_SETTING} = '{'on' if open_ else 'off'}'")
        elif connection.vendor == "sqlite":
            cursor.execute(f"UPDATE {MAINTENANCE_TABLE} SET is_open = %s", [int(open_)])


@contextmanager
def audit_maintenance(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let UPDATE, DELETE and TRUNCATE of the audit table through, inside one transaction.

    For the test flush and the tamper tests only (see the module docstring).
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_door(connection, open_=True)
        yield
        _set_door(connection, open_=False)


def is_test_database(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``connection`` is a database Django's test runner created, and so disposable.

    The test runner renames the connection's database to the TEST NAME, or to
    ``test_`` and the configured name; a live database has neither name.
    """
    name = str(connection.settings_dict["NAME"])
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    if test_name and name == str(test_name):
        return True
    return name.rsplit("/", 1)[-1].startswith("test_")
