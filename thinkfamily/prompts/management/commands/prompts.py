"""``thinkfamily prompts [--agency CODE] [--overdue] [--json]``: the open prompts, for scripts.

Prints the open Think Sibling and new-adult prompts, highest priority first:
as a JSON list with ``--json`` (each with its kind, the person it is about and
the agency records behind them, the agencies it is routed to, its priority
and the event that raised it), otherwise as a short table. The listing is
recorded on the audit trail, because it names children.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.accounts.models import Agency
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.prompts.selectors import open_prompts_export


class Command(BaseCommand):
    help = "List the open prompts (of one agency with --agency), highest priority first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", metavar="CODE", help="only prompts routed to this agency")
        parser.add_argument("--overdue", action="store_true", help="only overdue prompts")
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: object, **options: Any) -> None:
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"--agency: no agency has the code {options['agency']!r}.")
        prompts = open_prompts_export(agency=agency)
        if options["overdue"]:
            prompts = [p for p in prompts if p["overdue"]]
        audit_record(
            actor=None,
            actor_label="system: prompts command",
            action=AuditEvent.Action.EXPORT,
            object_type="prompts",
            detail={"agency": options["agency"] or "", "prompts": len(prompts)},
        )
        if options["json"]:
            self.stdout.write(json.dumps(prompts, indent=2, ensure_ascii=False))
            return
        if not prompts:
            self.stdout.write("No open prompts.")
            return
        for prompt in prompts:
            person = prompt["person"]
            seen = prompt["priority"]["days_since_seen_in_person"]
            self.stdout.write(
                f"{prompt['id']:>7}  {prompt['kind']:<9}  "
                f"{'preschool' if prompt['priority']['preschool'] else '':<9}  "
                f"{'never seen' if seen is None else f'seen {seen} days ago':<18}  "
                f"{'OVERDUE' if prompt['overdue'] else 'due ' + prompt['due_on']:<14}  "
                f"{person['given_name']} {person['family_name']}  "
                f"→ {', '.join(prompt['routed_to'])}"
            )
