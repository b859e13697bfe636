"""``thinkfamily restore FILE``: restore a backup into the configured database, which must be empty.

Checks FILE against its manifest (FILE.json) first and refuses a truncated or
damaged file, the other vendor's backup, or a database that already holds
tables. Afterwards compares the row counts with the manifest's and verifies
the audit chain, then records the restore in the restored chain (after the
check, so the check is of the trail exactly as it was backed up). Exits with
an error if anything does not match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.backup import database_restore
from thinkfamily.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Restore the backup FILE (checked against FILE.json) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file to restore")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            result = database_restore(source=options["file"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        if result.chain is None:
            # An older backup: the trail cannot be written to until the schema is current.
            raise CommandError(
                f"Restored {result.source}, but it is from an older version: run "
                f"`thinkfamily migrate` ({len(result.pending_migrations)} migrations to apply), "
                "then `thinkfamily audit verify`. The restore is not in the audit trail."
            )
        audit_record(
            actor=None,
            actor_label="thinkfamily restore",
            action=AuditEvent.Action.RESTORE,
            object_type="database",
            object_id=result.vendor,
            detail={
                "file": str(result.source),
                "row_counts": result.restored_counts,
                "counts_match": result.counts_match,
                "chain": result.chain.as_dict(),
                "last_hash_matches": result.last_hash_matches,
                "problems": result.problems(),
            },
        )
        counts = ", ".join(f"{table} {n}" for table, n in result.restored_counts.items())
        self.stdout.write(f"Restored {result.source} into the {result.vendor} database.\n")
        self.stdout.write(f"Rows: {counts}\n")
        if not result.ok:
            raise CommandError(
                "The restored database does not match its backup: " + "; ".join(result.problems())
            )
        self.stdout.write(
            "Row counts match the manifest; audit chain intact: "
            f"{result.chain.entries} entries, "
            f"last hash {result.chain.last_hash} (as backed up), then this restore's entry."
        )
