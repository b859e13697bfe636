"""``thinkfamily demo_setup``: create the demo logins, set the scene and print how to try it."""

import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from thinkfamily.accounts.models import User
from thinkfamily.agreements.demo import demo_agreement_overdue
from thinkfamily.api.demo import demo_api_token
from thinkfamily.conversations.demo import demo_what_if
from thinkfamily.core.demo import (
    DEMO_PASSWORD,
    demo_concern_record,
    demo_family_choose,
    demo_linkage_prepare,
    demo_new_adult_arrives,
    demo_referral_in_progress,
    demo_users_create,
)
from thinkfamily.learning.demo import demo_learning
from thinkfamily.people.demo import demo_break_glass
from thinkfamily.prompts.models import Prompt


class Command(BaseCommand):
    help = "Create (or reset) one demo login per kind of practitioner and print them."

    def handle(self, *args: object, **options: object) -> None:
        family = demo_family_choose()
        logins = demo_users_create(family=family)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Think Family demo: http://127.0.0.1:8000"))
        self.stdout.write(f"Every demo login has the password: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<32} {login.agency}")
        self.stdout.write(
            "Signing in takes a code too (two-factor sign-in): after the password, run "
            "`thinkfamily demo-code USERNAME` (e.g. `.venv/bin/thinkfamily demo-code dsl`) "
            "and type the 6-digit code it prints."
        )
        lead = User.objects.filter(username="dsl").first()
        if family is not None and lead is not None:
            demo_concern_record(family=family, lead=lead)
            newcomer = demo_new_adult_arrives(
                family=family, folder=settings.VAR_DIR / "demo-police-follow-up"
            )
            pupil, sibling = family.pupil, family.sibling
            self.stdout.write(
                f"Think Sibling: dsl ({family.school.name}) has recorded a concern about "
                f"{pupil.given_name} {pupil.family_name}. Sign in as hv "
                f"({family.health_visiting.name}) and open Prompts: "
                f"{sibling.given_name}, the preschool sibling, is at the top. Open the whole "
                "family from the prompt, and answer it. 'Children not seen' lists the children "
                "of families with a recent concern whom nobody has seen."
            )
            if newcomer is not None:
                self.stdout.write(
                    f"New adult: the police's follow-up extract puts {newcomer.given_name} "
                    f"{newcomer.family_name} at the family's address; the agencies that know "
                    "the children are asked to understand his role (see the prompt, and the "
                    "incident, as social.worker)."
                )
            referral = demo_referral_in_progress(family=family)
            if referral is not None:
                self.stdout.write(
                    f"Referral: gp has referred the family's children without telling the "
                    f"family (risk of harm), gp.manager confirmed, and social.worker "
                    f"acknowledged it. Sign in as social.worker and open Referrals to take "
                    f"referral {referral.pk} on: confirm with the GP, decide, record the visit "
                    "intention, close; then sign in as gp to see the outcome."
                )
            conversation = demo_what_if(family=family)
            if conversation is not None:
                self.stdout.write(
                    "Conversation: dsl recorded a 'What If' discussion about the pupil and the "
                    "sibling with gp and hv; each is asked to acknowledge it as accurate or "
                    "dispute it (Conversations)."
                )
            agreement = demo_agreement_overdue(family=family)
            if agreement is not None:
                self.stdout.write(
                    "Verbal agreement: hv's feeding agreement with the family is overdue for "
                    "review and shared with nobody (Agreements); partnership can edit the local "
                    "expectations shown beside the form."
                )
        learning = demo_learning(
            family=family, reference_review=settings.THINKFAMILY_REFERENCE_REVIEW
        )
        if learning is None:
            self.stdout.write(
                "Learning: the reference review was not found at "
                f"{settings.THINKFAMILY_REFERENCE_REVIEW}, so the register is empty."
            )
        else:
            recommendations = learning.review.recommendations.count()
            self.stdout.write(
                f"Learning: the serious case review of Child H was read from its published text "
                f"({recommendations} recommendations with their addressees, its lessons and "
                "themes), confirmed, given an action plan tied to indicators measured from the "
                "record, briefed (7-minute briefing, with its PDF) and published. Sign in as "
                f"partnership and open Case reviews: {learning.review.reference}, a rapid "
                "review against its clock with the integrated chronology, an overdue "
                "notification, overdue actions and checks. The public page needs no sign-in: "
                "http://127.0.0.1:8000/published-findings/ ; panel (a reviewer) records "
                "compliance checks."
            )
        opening = demo_break_glass(family=family) if family is not None else None
        if opening is not None:
            self.stdout.write(
                f"Break-glass: police opened {opening.person.given_name} "
                f"{opening.person.family_name}'s record, which the force does not know, with a "
                "reason; every look is flagged on the audit trail. Sign in as police.sergeant and "
                "open Search, then 'Break-glass openings' to review it; as auditor, open a "
                "person's page via its access log (Who has looked at this record) at "
                f"/people/{opening.person.pk}/access-log/. Run 'thinkfamily audit verify' to "
                "check the audit trail's hash chain."
            )
        if family is not None:
            demo_api = demo_api_token(family=family)
            household = f"households/{demo_api.household_id}" if demo_api.household_id else "people"
            self.stdout.write(
                f"API: {family.school.name}'s system has a new token (push and read; docs/api.md "
                f"walks through pushing a record and a concern): {demo_api.token} . Try: curl -H "
                f"'Authorization: Bearer {demo_api.token}' http://127.0.0.1:8000/api/v1/{household}"
                " (the pupil's family, with the preschool sibling's open prompt)."
            )
        open_prompts = Prompt.objects.open()
        self.stdout.write(
            f"Prompts: {open_prompts.filter(kind='sibling').count()} sibling and "
            f"{open_prompts.filter(kind='new_adult').count()} new-adult prompts are open; "
            "sign in as partnership for response rates by agency."
        )
        reviewer = User.objects.filter(username="csc.manager").first()
        if reviewer is not None:
            linkage = demo_linkage_prepare(reviewer=reviewer)
            self.stdout.write(
                f"Linkage: {linkage.pending_pairs} uncertain pairs wait for review. Sign in as "
                "csc.manager and open Review to compare two records side by side"
                + (", or Merges to undo a merge." if linkage.merge else ".")
            )
        backup = Path(settings.VAR_DIR) / "demo-backup"
        call_command("backup", str(backup), stdout=io.StringIO())
        self.stdout.write(
            f"Operations: the demo database was just backed up to {backup} (its manifest, with "
            f"every table's row count and the audit chain's last hash, is {backup}.json; the "
            f"backup is on the audit trail). 'thinkfamily restore {backup}' puts it back into "
            "an empty database, and 'make bench-load' runs the load test on a county of "
            "300,000 records (docs/operations.md)."
        )
        self.stdout.write("")
