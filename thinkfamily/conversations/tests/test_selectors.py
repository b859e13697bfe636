"""Reading conversations: the record page, worklists, the family summary, compliance, access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.conversations.models import Acknowledgement, Action, Conversation
from thinkfamily.conversations.rules import acknowledgement_due_on
from thinkfamily.conversations.selectors import (
    conversation_compliance,
    conversation_detail,
    conversation_worklist,
    family_conversations,
)
from thinkfamily.conversations.services import (
    ActionToTake,
    Taking,
    action_complete,
    conversation_acknowledge,
    conversation_amend,
    conversation_dispute,
)
from thinkfamily.conversations.tests.helpers import OUTCOMES, Team, team, what_if
from thinkfamily.core.working_days import add_working_days
from thinkfamily.people.tests.factories import make_agency, make_user
from thinkfamily.prompts.tests.family import Family, carter_family, moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def people(family: Family) -> Team:
    return team(family)


def _circulated_days_ago(conversation: Conversation, days: int) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        circulated_at=timezone.now() - dt.timedelta(days=days)
    )


# ---------------------------------------------------------------------------
# The record page


def test_the_record_page_shows_every_version_and_who_answered_which(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    conversation_dispute(conversation=conversation, by=people.hv, version=1, comment="Wrong week.")
    conversation_amend(
        conversation=conversation, by=people.dsl, version=1, status="decision_made",
        outcomes=OUTCOMES[:1],
    )  # fmt: skip
    conversation_acknowledge(conversation=conversation, by=people.gp, version=2)

    detail = conversation_detail(conversation_id=conversation.pk, viewer=people.hv)

    assert detail.current.number == 2
    assert [row.version.number for row in detail.versions] == [2, 1]
    old = detail.versions[1]
    assert old.version.outcomes == OUTCOMES
    assert {(a.user, a.answer) for a in old.answers} == {
        (people.gp, "acknowledged"),
        (people.hv, "disputed"),
    }
    assert [row.participant.user for row in detail.awaiting] == [people.hv]
    assert detail.may_answer and not detail.may_amend
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW_CONVERSATION, actor=people.hv
    ).exists()


def test_a_conversation_is_read_by_participants_the_recorder_and_family_wide_roles_only(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    readers = [
        people.gp,
        make_user(family.hv),  # a colleague of a participant
        make_user(family.school),  # the recording agency
        make_user(family.csc, User.Role.CSC_WORKER),
        make_user(family.csc, User.Role.PARTNERSHIP_MANAGER),
    ]
    for reader in readers:
        assert conversation_detail(conversation_id=conversation.pk, viewer=reader)
    for outsider in (make_user(family.police), make_user(family.midwifery)):
        with pytest.raises(Conversation.DoesNotExist):
            conversation_detail(conversation_id=conversation.pk, viewer=outsider)
        assert not Conversation.objects.visible_to(outsider).exists()


# ---------------------------------------------------------------------------
# Worklists and the family page


def test_a_record_not_acknowledged_in_the_set_working_days_is_overdue_on_the_worklist(
    family: Family, people: Team, settings: object
) -> None:
    conversation = what_if(family, people)
    today = timezone.localdate()

    fresh = conversation_worklist(viewer=people.gp, today=today)
    assert [row.conversation for row in fresh.to_acknowledge] == [conversation]
    assert not fresh.to_acknowledge[0].overdue

    _circulated_days_ago(conversation, 10)
    late = conversation_worklist(viewer=people.gp, today=today).to_acknowledge[0]
    assert late.overdue
    assert late.due_on == add_working_days(timezone.localdate() - dt.timedelta(days=10), 5)

    settings.THINKFAMILY_CONVERSATION_ACK_WORKING_DAYS = 20  # type: ignore[attr-defined]
    assert not conversation_worklist(viewer=people.gp, today=today).to_acknowledge[0].overdue

    conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    assert conversation_worklist(viewer=people.gp, today=today).empty


def test_a_disputed_record_is_on_the_recorders_and_participants_worklists(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    conversation_dispute(conversation=conversation, by=people.hv, version=1, comment="Not so.")
    for who in (people.dsl, people.gp, people.hv):
        disputed = conversation_worklist(viewer=who).disputed
        assert [row.conversation for row in disputed] == [conversation]
        assert disputed[0].disputes[0].comment == "Not so."
    assert not conversation_worklist(viewer=make_user(family.school)).disputed


def test_an_overdue_action_is_on_its_owner_agencys_worklist(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    action = conversation.actions.get()
    later = action.due_on + dt.timedelta(days=1)
    colleague = make_user(family.hv)
    assert conversation_worklist(viewer=colleague, today=action.due_on).overdue_actions == []
    assert conversation_worklist(viewer=colleague, today=later).overdue_actions == [action]
    assert conversation_worklist(viewer=people.gp, today=later).overdue_actions == []
    action_complete(action=action, by=colleague, evidence="Weighed.")
    assert conversation_worklist(viewer=colleague, today=later).overdue_actions == []


def test_the_family_page_lists_unacknowledged_and_disputed_records_and_overdue_actions(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    conversation_dispute(conversation=conversation, by=people.hv, version=1, comment="Not so.")
    due = conversation.actions.get().due_on
    summary = family_conversations(
        household=family.home, viewer=people.dsl, today=due + dt.timedelta(days=1)
    )
    assert [row.conversation for row in summary.unacknowledged] == [conversation]
    assert summary.unacknowledged[0].awaiting == 1  # the GP
    assert [row.conversation for row in summary.disputed] == [conversation]
    assert len(summary.overdue_actions) == 1
    assert family_conversations(household=family.home, viewer=make_user(family.police)).empty
    assert family_conversations(household=family.dads, viewer=people.dsl).empty


# ---------------------------------------------------------------------------
# Compliance against a hand-built set


def _held(family: Family, people: Team, day: dt.date, **changes: object) -> Conversation:
    conversation = what_if(family, people, held_at=moment(day), actions=[], **changes)
    Conversation.objects.filter(pk=conversation.pk).update(circulated_at=moment(day, 17))
    conversation.refresh_from_db()
    return conversation


def _answer(conversation: Conversation, user: User, day: dt.date, answer: str = "acknowledged"):
    Acknowledgement.objects.create(
        version=conversation.versions.get(number=conversation.current_version),
        user=user,
        answer=answer,
        comment="Not so." if answer == "disputed" else "",
        at=moment(day, 12),
    )


def test_compliance_by_agency_and_month_against_a_hand_built_set(
    family: Family, people: Team
) -> None:
    """School, October 2026: three records.

    1. 5 Oct, two outcomes, GP and HV acknowledge in time (by 12 Oct); one action done on
       time, one done late, one cancelled.
    2. 12 Oct, no outcomes (information shared only), GP acknowledges late (after 19 Oct).
    3. 20 Oct, one outcome, only people outside the system took part (not circulated).
    GP practice, November 2026: one record, HV disputes it: not acknowledged by all.
    """
    first = _held(family, people, dt.date(2026, 10, 5))
    _answer(first, people.gp, dt.date(2026, 10, 7))
    _answer(first, people.hv, dt.date(2026, 10, 12))
    for due, closed, state in (
        (dt.date(2026, 10, 9), dt.date(2026, 10, 9), "done"),
        (dt.date(2026, 10, 9), dt.date(2026, 10, 13), "done"),
        (dt.date(2026, 10, 9), dt.date(2026, 10, 8), "cancelled"),
    ):
        Action.objects.create(
            conversation=first, description="Do it.", owner_agency=family.gp, due_on=due,
            state=state, closed_at=moment(closed), evidence="Done." if state == "done" else "",
            cancel_reason="" if state == "done" else "Not needed.",
        )  # fmt: skip
    Action.objects.create(
        conversation=first, description="Still open.", owner_agency=family.gp,
        due_on=dt.date(2026, 10, 30),
    )  # fmt: skip
    second = _held(
        family, people, dt.date(2026, 10, 12), status="information_shared", outcomes=[],
        participants=[Taking(user_id=people.gp.pk)],
    )  # fmt: skip
    _answer(second, people.gp, dt.date(2026, 10, 21))
    _held(
        family, people, dt.date(2026, 10, 20), outcomes=OUTCOMES[:1],
        participants=[Taking(agency=family.police, name="PC Ada Moss")],
    )  # fmt: skip
    gp_lead = make_user(family.gp, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    fourth = _held(
        family, people, dt.date(2026, 11, 2), by=gp_lead,
        participants=[Taking(user_id=people.hv.pk)],
    )  # fmt: skip
    _answer(fourth, people.hv, dt.date(2026, 11, 3), answer="disputed")
    assert acknowledgement_due_on(dt.date(2026, 10, 5)) == dt.date(2026, 10, 12)

    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    rows = {(row.agency, row.month): row for row in conversation_compliance(viewer=manager)}

    school = rows[("Brookfield School", dt.date(2026, 10, 1))]
    assert (school.recorded, school.with_status_and_outcome) == (3, 2)
    assert (school.circulated, school.acknowledged_in_time) == (2, 1)
    assert (school.actions_due, school.actions_on_time) == (3, 1)
    gp = rows[("Acacia Surgery", dt.date(2026, 11, 1))]
    assert (gp.recorded, gp.with_status_and_outcome, gp.circulated, gp.acknowledged_in_time) == (
        1, 1, 1, 0,
    )  # fmt: skip
    assert len(rows) == 2


def test_compliance_is_refused_to_anyone_but_partnership_managers(family: Family) -> None:
    for role, agency in (
        (User.Role.CSC_MANAGER, family.csc),
        (User.Role.MANAGER, family.school),
        (User.Role.DESIGNATED_SAFEGUARDING_LEAD, family.school),
    ):
        with pytest.raises(PermissionDenied):
            conversation_compliance(viewer=make_user(agency, role))


def test_actions_added_by_an_amendment_keep_the_version(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    amended = conversation_amend(
        conversation=conversation, by=people.dsl, version=1, status="advice_given",
        outcomes=OUTCOMES,
        new_actions=[ActionToTake("Phone mother.", make_agency("GP-A81001", "gp"),
                                  timezone.localdate())],
    )  # fmt: skip
    assert amended.current_version == 1
    assert amended.actions.count() == 2
