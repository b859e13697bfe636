"""The learning loop in the demo: the reference review ingested, confirmed, planned, briefed
and published; a rapid review running against its clock; a notification overdue.

``demo_learning`` is for ``thinkfamily demo_setup`` to call once the demo logins
exist (``core.demo``). It goes through the same services a partnership manager
uses on the pages, so what the demo shows is what the pages do. Some steps are
dated in the past (a plan agreed months ago, a compliance check in the
summer) by passing the services their ``today``, never by writing rows
around them. Safe to run again: an existing demo register is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.core.demo import DemoFamily
from thinkfamily.core.working_days import add_working_days, is_working_day
from thinkfamily.learning.ingest import draft_from_file
from thinkfamily.learning.models import Briefing, CaseReview
from thinkfamily.learning.services import (
    ReviewDates,
    action_add,
    action_update,
    briefing_write,
    compliance_check_record,
    evidence_add,
    recommendation_indicators_set,
    review_confirm,
    review_draft_record,
    review_publish,
    review_record,
    review_update,
    session_record,
)

DEMO_REFERENCE = "SCR-CHILD-H"

THINK_SIBLING_BRIEFING = {
    "title": "Think Sibling: learning from the serious case review of Child H",
    "background": (
        "H was two years old. Her mother had a new partner, and several agencies knew the "
        "family: a school knew her older brother, health services knew her mother, the police "
        "and children's social care knew the new partner. Each agency looked at the individual "
        "it worked with, and H was nearly invisible to professionals."
    ),
    "why_it_matters": (
        "Preschool children are seen by fewer professionals than any other children. A concern "
        "about one child in a family may be a concern about every child in it, and the "
        "youngest may be the one nobody is looking at."
    ),
    "findings": (
        "Recording systems, even parallel ones inside one agency, hid the family. The new "
        "partner's role in the household was not understood. Professionals misunderstood the "
        "outcome of their conversations and of verbal agreements made with the family, and the "
        "partnership could not check that agreed actions happened."
    ),
    "what_to_do": (
        "When you record a concern about a child, answer the Think Sibling prompts for every "
        "other child in the family within five working days, preschool children first. Find "
        "out who lives in the household, and what a new adult's role is. Tell the family when "
        "you refer, unless that would put a child at risk. Record the status and outcome of "
        "every professional conversation, and give every verbal agreement a need, a network "
        "and a review date."
    ),
    "questions": (
        "Who else lives with the child you are worried about?\n"
        "When did anyone last see the youngest child in the family, and who?\n"
        "What do you know about the adults in the household, and how do you know it?\n"
        "If you agreed something verbally with a family, who else knows about it?"
    ),
}

PUBLIC_SUMMARY = (
    "The review looked at how agencies worked with a family in which a two-year-old girl, H, "
    "died. It found that her death could not have been predicted, but that because each agency "
    "focused on the individual it worked with, H was nearly invisible to professionals. The "
    "partnership has accepted all six recommendations and is measuring, from its own records, "
    "whether practice has changed."
)


@dataclass(frozen=True)
class DemoLearning:
    """What the demo's register holds, for ``demo_setup`` to describe."""

    review: CaseReview
    briefing: Briefing
    rapid_review: CaseReview | None
    notification: CaseReview


def _working_days_ago(days: int, today: dt.date) -> dt.date:
    day = today
    while days:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def _agency(agency_type: str, fallback: Agency) -> Agency:
    return Agency.objects.filter(agency_type=agency_type).order_by("pk").first() or fallback


@transaction.atomic
def demo_learning(*, family: DemoFamily | None, reference_review: Path) -> DemoLearning | None:
    """The demo register; None when there is no partnership login or the reference review is
    not where the settings say (``THINKFAMILY_REFERENCE_REVIEW``)."""
    manager = User.objects.filter(username="partnership").first()
    panel = User.objects.filter(username="panel").first()
    if manager is None or manager.agency is None or not reference_review.exists():
        return None
    existing = CaseReview.objects.filter(reference=DEMO_REFERENCE).first()
    if existing is not None:
        return DemoLearning(
            review=existing,
            briefing=existing.briefings.first() or Briefing.objects.get(),
            rapid_review=CaseReview.objects.filter(kind=CaseReview.Kind.RAPID_REVIEW).first(),
            notification=CaseReview.objects.get(kind=CaseReview.Kind.NOTIFICATION),
        )
    today = timezone.localdate()
    csc = manager.agency
    school = family.school if family else _agency(Agency.AgencyType.SCHOOL, csc)
    health_visiting = (
        family.health_visiting if family else _agency(Agency.AgencyType.HEALTH_VISITING, csc)
    )
    gp = (family.gp if family else None) or _agency(Agency.AgencyType.GP, csc)
    police = _agency(Agency.AgencyType.POLICE, csc)

    # The reference review, read from its published text and confirmed by the manager.
    review = review_draft_record(
        by=manager,
        draft=draft_from_file(reference_review),
        reference=DEMO_REFERENCE,
        kind=CaseReview.Kind.SCR,
        source_name=reference_review.name,
    )
    review = review_confirm(review=review, by=manager, child_pseudonym="Child H")
    review = review_update(
        review=review,
        by=manager,
        kind=review.kind,
        status=review.status,
        title="Serious case review: Child H (new partner, preschool sibling)",
        child_pseudonym=review.child_pseudonym,
        dates=ReviewDates(report_completed_on=today - dt.timedelta(days=200)),
        agency_ids=[a.pk for a in {school, health_visiting, gp, police, csc}],
        themes=review.themes,
        subject_id=None,
    )
    recommendations = {r.number: r for r in review.recommendations.all()}

    # Each recommendation that the record can measure is tied to its indicators.
    for number, targets in {
        1: {"referrals_family_informed_recorded": 95.0},
        3: {"conversations_acknowledged_by_all": 90.0},
        4: {"agreements_reviewed_on_time": 90.0},
        6: {"sibling_prompts_answered_in_time": 90.0, "children_seen_in_person_90_days": 80.0},
    }.items():
        if number in recommendations:
            recommendation_indicators_set(
                recommendation=recommendations[number], by=manager, targets=targets
            )

    # The action plan, agreed four months ago.
    agreed = today - dt.timedelta(days=120)
    six, four, three = recommendations.get(6), recommendations.get(4), recommendations.get(3)
    if six is not None:
        briefing_action = action_add(
            recommendation=six,
            by=manager,
            description="Brief every school's designated safeguarding lead on Think Sibling and "
            "the sibling prompts.",
            owner_agency_id=school.pk,
            owner_username="dsl" if User.objects.filter(username="dsl").exists() else "",
            due_on=today + dt.timedelta(days=45),
            today=agreed,
        )
        evidence_add(
            action=briefing_action,
            by=manager,
            kind="text",
            text="Briefed at the designated safeguarding leads' network: 18 attended.",
        )
        action_update(action=briefing_action, by=manager, rag="amber")
        action_add(
            recommendation=six,
            by=manager,
            description="Add the children of every family with a concern to the health "
            "visiting caseload review, preschool children first.",
            owner_agency_id=health_visiting.pk,
            due_on=today - dt.timedelta(days=10),
            today=agreed,
        )
    if four is not None:
        expectations = action_add(
            recommendation=four,
            by=manager,
            description="Children's social care publishes its expectations of good practice "
            "in verbal agreements.",
            owner_agency_id=csc.pk,
            due_on=today - dt.timedelta(days=30),
            today=agreed,
        )
        evidence_add(
            action=expectations,
            by=manager,
            kind="link",
            url="https://example.org/northshire/verbal-agreements-practice-guidance",
            text="Practice guidance, version 1.",
        )
        action_update(
            action=expectations, by=manager, rag="complete", today=today - dt.timedelta(days=35)
        )
        if panel is not None:
            checked = today - dt.timedelta(days=60)
            compliance_check_record(
                action=expectations,
                by=panel,
                checked_on=checked,
                result="partly",
                note="An audit of 20 agreements found 12 with a named need and 7 shared with "
                "the family's network.",
                next_check_on=today - dt.timedelta(days=7),
                today=checked,
            )
    if three is not None:
        action_add(
            recommendation=three,
            by=manager,
            description="Train partners in recording the status and outcome of 'What If' "
            "discussions.",
            owner_agency_id=csc.pk,
            due_on=today + dt.timedelta(days=60),
            today=agreed,
        )

    # The 7-minute briefing, and the sessions that delivered it.
    briefing = briefing_write(by=manager, fields=THINK_SIBLING_BRIEFING, review=review)
    for agency, audience, attendance, days_ago in (
        (school, "Designated safeguarding leads' network", 18, 12),
        (health_visiting, "Health visiting team meeting", 11, 5),
    ):
        session_record(
            briefing=briefing,
            by=manager,
            delivered_on=today - dt.timedelta(days=days_ago),
            agency_id=agency.pk,
            audience=audience,
            attendance=attendance,
        )

    # Published: the summary, the lessons, every recommendation, two progress statements.
    review = review_publish(
        review=review,
        by=manager,
        public_title="Child H: learning from a serious case review",
        public_summary=PUBLIC_SUMMARY,
        published_item_ids=list(review.items.values_list("pk", flat=True)),
        published_recommendation_ids=list(review.recommendations.values_list("pk", flat=True)),
        public_progress={
            r.pk: text
            for number, text in (
                (4, "Practice guidance on verbal agreements has been published."),
                (6, "Think Sibling briefings are under way in schools and health visiting."),
            )
            if (r := recommendations.get(number)) is not None
        },
        published=True,
    )

    # A rapid review of the demo's preschool sibling, running against its 15 working days,
    # and a notification that is overdue.
    rapid_review = None
    if family is not None:
        aware = _working_days_ago(6, today)
        rapid_review = review_record(
            by=manager,
            reference=f"NSCP-{today.year}-07",
            kind=CaseReview.Kind.RAPID_REVIEW,
            title="Rapid review: preschool child, injury seen at hospital",
            child_pseudonym="Child B",
            subject_id=family.sibling.pk,
            dates=ReviewDates(
                incident_on=aware,
                became_aware_on=aware,
                notified_on=add_working_days(aware, 2),
                period_start=today - dt.timedelta(days=365),
                period_end=today,
            ),
            agency_ids=[a.pk for a in {school, health_visiting, gp, police, csc}],
            themes=["sibling", "new_partner", "preschool_children"],
        )
    aware = _working_days_ago(7, today)
    notification = review_record(
        by=manager,
        reference=f"NSCP-{today.year}-08",
        kind=CaseReview.Kind.NOTIFICATION,
        title="Serious incident: adolescent, exploitation",
        child_pseudonym="Child D",
        dates=ReviewDates(incident_on=aware, became_aware_on=aware),
        themes=["exploitation"],
    )
    return DemoLearning(
        review=review, briefing=briefing, rapid_review=rapid_review, notification=notification
    )
