"""``thinkfamily households [--today DATE]``: form every household again from every record.

An extract import forms every household again; an agency system's push forms
only the households around what it changed. Where agencies push rather than
send extracts, run this nightly: roles then follow ages everywhere (a child
who has turned 18 is one of the household's adults), and adults found to have
joined a household with children are asked about, as after an import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from thinkfamily.audit.services import audit_chain_hold
from thinkfamily.people.services import households_rebuild
from thinkfamily.prompts.services import prompts_reconcile


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
        today, now = timezone.localdate(), None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError(
                    f"--today: {options['today']!r} is not a date (YYYY-MM-DD)."
                ) from error
            now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
        started = timezone.now()
        with transaction.atomic():
            households = households_rebuild(today=today)
            # The trail before the recent concerns are read, as an import does (see extracts).
            audit_chain_hold()
            prompts = prompts_reconcile(
                joined_since=started, now=now, actor_label="system: households"
            )
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
