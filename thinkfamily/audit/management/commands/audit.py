"""``thinkfamily audit verify [--json]``: is the audit trail as it was written?

Recomputes every entry's hash in order (streaming, so any size of trail) and
prints either ``intact: N entries, last hash …`` (exit status 0) or the first
broken link: the entry's id, when it was written and what is wrong with it
(exit status 1), so a scheduler or monitoring check can act on the status.
``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thinkfamily.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Work with the audit trail: `verify` recomputes its hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        verify = subcommands.add_parser(
            "verify", help="recompute the hash chain and report the first broken link"
        )
        verify.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **options: Any) -> None:
        check = audit_chain_verify()
        if options["json"]:
            self.stdout.write(json.dumps(check.as_dict(), indent=2))
        elif check.intact:
            self.stdout.write(f"intact: {check.entries} entries, last hash {check.last_hash}")
        else:
            when = check.first_broken_at.isoformat() if check.first_broken_at else "unknown"
            self.stdout.write(
                f"BROKEN at entry {check.first_broken_id} (written {when}): {check.reason}.\n"
                f"{check.entries - 1} entries before it chain soundly, "
                f"the last of them with hash {check.last_hash}."
            )
        if not check.intact:
            raise SystemExit(1)
