"""Writing a small trail, and changing it behind the application's back as an intruder would."""

from __future__ import annotations

from django.db import connection

from thinkfamily.audit.maintenance import audit_maintenance
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record

TABLE = AuditEvent._meta.db_table


def write_trail(count: int, **fields: object) -> list[AuditEvent]:
    return [
        audit_record(
            actor=None,
            actor_label="system: test",
            action=AuditEvent.Action.SEARCH,
            detail={"query": str(n)},
            **fields,  # type: ignore[arg-type]
        )
        for n in range(count)
    ]


def tamper(sql: str, params: list[object] | None = None) -> None:
    """Run SQL on the audit table through the maintenance door, as someone with database access."""
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)
