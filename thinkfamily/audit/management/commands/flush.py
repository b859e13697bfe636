"""Django's ``flush``, which may empty the audit table of a test database and of no other.

The test framework empties every table with ``flush`` after each
transactional test (the browser tests among them). The audit table's triggers
refuse that, as they should on a live database; here the test flush opens the
maintenance door (``audit.maintenance``) for its one transaction. On a live
database ``flush`` runs as Django's own and the triggers refuse it, so one
command cannot erase the evidence of who looked at which child.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from thinkfamily.audit.maintenance import audit_maintenance, is_test_database


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        if not is_test_database(connections[database]):
            return super().handle(**options)
        with audit_maintenance(using=database):
            return super().handle(**options)
