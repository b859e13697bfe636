"""``thinkfamily annex_a --list 1|3 --from YYYY-MM-DD --to YYYY-MM-DD [--out FILE]``.

Writes Ofsted's Annex A List 1 (contacts) or List 3 (referrals) for the
period, both dates included, as CSV: to standard output, or to ``--out``
(written with a byte-order mark, so a spreadsheet reads names in UTF-8, as
the download from the site is). Run by an operator on the server for the
local authority's inspection return; every run is recorded on the audit
trail as an export, because the list is about children. See
``referrals.annex_a`` for what each column holds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.referrals.annex_a import (
    LIST_1_COLUMNS,
    LIST_3_COLUMNS,
    annex_a_csv,
    annex_a_list_1,
    annex_a_list_3,
)

LISTS = {"1": (annex_a_list_1, LIST_1_COLUMNS), "3": (annex_a_list_3, LIST_3_COLUMNS)}


def _date(option: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date; give it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Write Ofsted's Annex A List 1 (contacts) or List 3 (referrals) for a period as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list", required=True, choices=sorted(LISTS), dest="list_number",
            help="1: contacts; 3: referrals",
        )  # fmt: skip
        parser.add_argument("--from", required=True, dest="start", metavar="YYYY-MM-DD",
                            help="first day of the period (included)")  # fmt: skip
        parser.add_argument("--to", required=True, dest="end", metavar="YYYY-MM-DD",
                            help="last day of the period (included)")  # fmt: skip
        parser.add_argument("--out", metavar="FILE", help="write to FILE, not standard output")

    def handle(self, *args: object, **options: Any) -> None:
        start = _date("--from", options["start"])
        end = _date("--to", options["end"])
        if start > end:
            raise CommandError(f"--from {start} is after --to {end}: the period has no days.")
        build, columns = LISTS[options["list_number"]]
        rows = build(start=start, end=end)
        text = annex_a_csv(rows, columns)
        out = None
        if options["out"]:
            path = Path(options["out"])
            try:
                out = path.open("w", encoding="utf-8-sig", newline="")
            except OSError as error:
                raise CommandError(f"--out: cannot write {path}: {error.strerror}.") from None
        # Recorded before a byte of the list is written anywhere.
        audit_record(
            actor=None,
            actor_label="system: annex_a command",
            action=AuditEvent.Action.EXPORT,
            object_type="annex_a",
            object_id=f"list-{options['list_number']}",
            detail={
                "list": int(options["list_number"]),
                "from": start.isoformat(),
                "to": end.isoformat(),
                "rows": len(rows),
                "out": options["out"] or "",
            },
        )
        if out is None:
            self.stdout.write(text, ending="")
            return
        with out:
            out.write(text)
        self.stderr.write(
            f"Wrote {len(rows)} rows of Annex A List {options['list_number']} to {options['out']}."
        )
