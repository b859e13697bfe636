"""``thinkfamily backup FILE``: back up the database to FILE, with its manifest at FILE.json.

Safe while the app runs (SQLite's online backup; ``pg_dump`` on PostgreSQL).
The backup is audited after it is written, with the file's SHA-256 and the
audit chain's last hash at the moment of the backup: keep that hash apart
from the backup and a later truncation of the restored trail can be shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.backup import database_backup
from thinkfamily.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Back up the database to FILE (and its manifest to FILE.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file to write")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            result = database_backup(to=options["file"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        snapshot = result.snapshot
        audit_record(
            actor=None,
            actor_label="thinkfamily backup",
            action=AuditEvent.Action.BACKUP,
            object_type="database",
            object_id=result.vendor,
            detail={
                "file": str(result.path),
                "size_bytes": result.size_bytes,
                "sha256": result.sha256,
                "row_counts": snapshot.row_counts,
                "audit_last_hash": snapshot.audit_last_hash,
            },
        )
        counts = ", ".join(f"{table} {n}" for table, n in snapshot.row_counts.items())
        self.stdout.write(
            f"Backed up the {result.vendor} database to {result.path} "
            f"({result.size_bytes:,} bytes, SHA-256 {result.sha256}).\n"
            f"Manifest: {result.manifest_path}\nRows: {counts}\n"
            f"Audit chain's last hash: {snapshot.audit_last_hash}"
        )
