"""``thinkfamily households [--today DATE]``: form every household again from every record.

An extract import forms every household again; an agency system's push forms
only the households around what it changed. Where agencies push rather than
send extracts, run this nightly (``extracts.services.households_reform``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.extracts.services import households_reform


class Command(BaseCommand):
    help = (
        "Form every household again from every agency record (roles follow ages), then raise "
        "the prompts that brings: every recent concern, and adults who joined a household. "
        "One transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="form them as on this date (default: today)"
        )

    def handle(self, *args: object, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError(
                    f"--today: {options['today']!r} is not a date (YYYY-MM-DD)."
                ) from error
        households, prompts = households_reform(today=today)
        self.stdout.write(
            "\n".join(
                [
                    f"{'households':>28}: {households.households:,}",
                    f"{'households created':>28}: {households.households_created:,}",
                    f"{'memberships created':>28}: {households.memberships_created:,}",
                    f"{'memberships updated':>28}: {households.memberships_updated:,}",
                    f"{'memberships ended':>28}: {households.memberships_ended:,}",
                    f"{'sibling prompts raised':>28}: {prompts.sibling_prompts_created:,}",
                    f"{'new adult prompts raised':>28}: {prompts.new_adult_prompts_created:,}",
                ]
            )
        )
