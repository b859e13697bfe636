"""Reads of referrals: who may see one, what comes next and when it is due, and the audit trail.

Timescales are counted in working days from receipt; ``today`` is passed in,
and the moment of receipt is fixed by freezing ``timezone.now`` while the
referral is made, so the dates do not depend on the day the tests run.
"""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Household
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.selectors import (
    nfa_while_sibling_open,
    referral_detail,
    referral_start,
    referral_worklist,
    referrals_made,
)
from thinkfamily.referrals.services import (
    ChildOnReferral,
    referral_acknowledge,
    referral_close,
    referral_confirm_family_awareness,
    referral_decide,
    referral_make,
)
from thinkfamily.referrals.tests.helpers import (
    NOT_TOLD_RISK,
    TOLD,
    decided,
    gp_refers,
    referral_record_visit_intention,
    social_worker,
)

pytestmark = pytest.mark.django_db

CHRISTMAS_EVE = dt.date(2026, 12, 24)  # a Thursday; Friday is Christmas Day


@pytest.fixture
def family():
    return carter_family()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def referred_on(family, moment: dt.datetime, **kwargs) -> Referral:
    """The GP's referral (family told), received by children's social care at ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return gp_refers(family, **kwargs)


def acknowledged_and_confirmed(referral: Referral, worker: User) -> Referral:
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    return referral_confirm_family_awareness(
        referral=referral, by=worker, version=referral.version, family_aware=True
    )


# --- the worklist: order, next step, due dates -----------------------------------------


def test_the_worklist_lists_open_received_referrals_oldest_first(family):
    worker = social_worker(family)
    newer = referred_on(family, at(dt.date(2026, 11, 25)))
    older = referred_on(family, at(dt.date(2026, 11, 23)))
    waiting = gp_refers(family, NOT_TOLD_RISK)  # not received until a manager confirms
    closed, _ = decided(family)
    rows = referral_worklist(viewer=worker, today=dt.date(2026, 11, 26))
    assert [row.referral for row in rows] == [older, newer, closed]
    assert waiting not in [row.referral for row in rows]
    assert rows[0].next_step.name == "acknowledge"
    assert rows[2].next_step.name == "record_visit_intention"


def test_acknowledgement_received_on_christmas_eve_is_due_after_the_bank_holidays(family):
    referral = referred_on(family, at(CHRISTMAS_EVE))
    worker = social_worker(family)

    def due_row(today: dt.date):
        (row,) = referral_worklist(viewer=worker, today=today)
        return row

    # Christmas Day (Friday), the weekend and the substitute Boxing Day (Monday 28th) do not count.
    assert due_row(dt.date(2026, 12, 28)).due.due_on == dt.date(2026, 12, 29)
    assert not due_row(dt.date(2026, 12, 28)).overdue
    assert not due_row(dt.date(2026, 12, 29)).overdue  # due today is still in time
    late = due_row(dt.date(2026, 12, 30))
    assert late.overdue and late.due.what == "Acknowledgement"

    with mock.patch("django.utils.timezone.now", return_value=at(dt.date(2026, 12, 29))):
        acknowledged_and_confirmed(referral, worker)
    # Then the decision, due on the same day, is what the next step answers to.
    row = due_row(dt.date(2026, 12, 30))
    assert (row.next_step.name, row.due.what, row.due.due_on) == (
        "decide",
        "Decision",
        dt.date(2026, 12, 29),
    )
    assert row.overdue


def test_after_the_decision_the_assessment_is_due_within_45_working_days(family):
    worker = social_worker(family)
    referral = referred_on(family, at(CHRISTMAS_EVE))
    with mock.patch("django.utils.timezone.now", return_value=at(dt.date(2026, 12, 29))):
        referral = acknowledged_and_confirmed(referral, worker)
        referral_decide(
            referral=referral,
            by=worker,
            version=referral.version,
            decisions={family.ava.pk: ("assessment", "A."), family.ben.pk: ("early_help", "B.")},
        )
    (row,) = referral_worklist(viewer=worker, today=dt.date(2027, 1, 4))
    # 45 working days from 24 December 2026, with New Year's Day off: 2 March 2027.
    assert (row.due.what, row.due.due_on, row.overdue) == (
        "Assessment completed",
        dt.date(2027, 3, 2),
        False,
    )
    detail = referral_detail(referral_id=referral.pk, viewer=worker, today=dt.date(2027, 1, 4))
    acknowledgement, decision, _ = detail.deadlines
    assert acknowledgement.met_on == dt.date(2026, 12, 29) and not acknowledgement.late
    assert not decision.overdue


def test_the_worklist_is_children_s_social_care_s_and_is_audited(family):
    gp_refers(family)
    assert referral_worklist(viewer=make_user(family.gp, User.Role.MANAGER)) == []
    assert referral_worklist(viewer=make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)) == []
    worker = social_worker(family)
    assert len(referral_worklist(viewer=worker)) == 1
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_WORKLIST, actor=worker)
    assert entry.object_type == "referrals_received" and entry.detail["referrals"] == 1


# --- referrals made --------------------------------------------------------------------


def test_a_referring_agency_sees_its_own_referrals_awaiting_a_manager_first(family):
    told = gp_refers(family)
    waiting = gp_refers(family, NOT_TOLD_RISK)
    gp_refers(family, by=make_user(family.school))  # the school's, not the GP's
    manager = make_user(family.gp, User.Role.MANAGER)
    rows = referrals_made(viewer=manager)
    assert [(row.referral, row.awaiting_you) for row in rows] == [(waiting, True), (told, False)]
    referrer_rows = referrals_made(viewer=waiting.referred_by)
    assert not any(row.awaiting_you for row in referrer_rows)  # four eyes: not the referrer
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_WORKLIST, actor=manager).get()
    assert entry.object_type == "referrals_made" and entry.detail["awaiting_you"] == 1


def test_the_outcome_shows_only_once_the_referral_is_closed(family):
    referral, worker = decided(family)
    gp = make_user(family.gp)
    (row,) = referrals_made(viewer=gp)
    assert row.outcome == ""
    referral = referral_record_visit_intention(
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=True,
        communicated_on=timezone.localdate(),
        how="phone",
    )
    referral_close(
        referral=referral,
        by=worker,
        version=referral.version,
        outcome_feedback="Assessments begun.",
    )
    (row,) = referrals_made(viewer=gp)
    assert row.outcome == "Assessments begun."


# --- one referral ----------------------------------------------------------------------


def test_another_agency_may_not_see_a_referral(family):
    referral = gp_refers(family)
    for outsider in (
        make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD),
        make_user(family.police),
        make_user(None, User.Role.SYSTEM_ADMINISTRATOR),
    ):
        with pytest.raises(Referral.DoesNotExist):
            referral_detail(referral_id=referral.pk, viewer=outsider)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_REFERRAL).exists()


def test_reading_a_referral_is_audited_with_why_it_was_allowed(family):
    referral = gp_refers(family)
    referral_detail(referral_id=referral.pk, viewer=make_user(family.gp))
    referral_detail(referral_id=referral.pk, viewer=social_worker(family))
    reasons = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_REFERRAL).values_list(
            "object_id", "reason"
        )
    )
    assert reasons == [
        (str(referral.pk), "referral made by the viewer's agency"),
        (str(referral.pk), "referral received by the viewer's agency"),
    ]


def test_the_next_step_is_offered_only_to_whoever_may_take_it(family):
    referral = gp_refers(family, NOT_TOLD_RISK)
    manager = make_user(family.gp, User.Role.MANAGER)
    for viewer, may in (
        (manager, True),
        (referral.referred_by, False),
        (social_worker(family), False),
    ):
        detail = referral_detail(referral_id=referral.pk, viewer=viewer)
        assert detail.next_step is not None and detail.next_step.name == "manager_confirm"
        assert detail.may_take_next_step is may
    received = gp_refers(family)
    assert referral_detail(referral_id=received.pk, viewer=manager).may_take_next_step is False
    worker_view = referral_detail(referral_id=received.pk, viewer=social_worker(family))
    assert worker_view.next_step.name == "acknowledge" and worker_view.may_take_next_step


def test_the_referrer_sees_decisions_and_notes_of_children_s_social_care_only_once_closed(family):
    referral, worker = decided(family)
    gp = make_user(family.gp)
    detail = referral_detail(referral_id=referral.pk, viewer=gp)
    assert not detail.shows_outcome
    csc_view = referral_detail(referral_id=referral.pk, viewer=worker)
    assert csc_view.shows_outcome and csc_view.sees_working
    assert [c.person for c in detail.kept] == [family.ava, family.ben]
    assert [c.person for c in detail.removed] == [family.unborn]
    assert detail.categories == ["Neglect"]


# --- no further action beside an open sibling -------------------------------------------


def decide(family, referral, worker, **decisions) -> Referral:
    referral = acknowledged_and_confirmed(referral, worker)
    people = {"ava": family.ava, "ben": family.ben, "eve": family.eve}
    return referral_decide(
        referral=referral,
        by=worker,
        version=referral.version,
        decisions={people[name].pk: (value, "Reasons.") for name, value in decisions.items()},
    )


def test_no_further_action_beside_a_sibling_decided_otherwise_on_the_same_referral(family):
    worker = social_worker(family)
    referral = decide(family, gp_refers(family), worker, ava="nfa", ben="assessment")
    (found,) = nfa_while_sibling_open(referral)
    assert (found.child, found.sibling, found.why) == (
        family.ava,
        family.ben,
        "assessment, on this referral",
    )
    both = decide(family, gp_refers(family), worker, ava="nfa", ben="nfa")
    assert nfa_while_sibling_open(both) == []


def test_no_further_action_beside_a_sibling_at_another_home_on_an_open_referral(family):
    """Ava lives at her father's too, with Eve, whom the school has referred."""
    worker = social_worker(family)
    eve_referral = referral_make(
        by=make_user(family.school),
        household=family.dads,
        children=[
            ChildOnReferral(family.eve, included=True),
            ChildOnReferral(family.ava, included=False, removal_reason="Seen separately."),
        ],
        concerns="Eve is frightened to go home.",
        categories=["emotional"],
        done_so_far="Spoke to Eve.",
        family_informed=TOLD,
    )
    referral = decide(family, gp_refers(family), worker, ava="nfa", ben="nfa")
    (found,) = nfa_while_sibling_open(referral)
    assert (found.child, found.sibling, found.other_referral) == (
        family.ava,
        family.eve,
        eve_referral,
    )
    # Children's social care sees it on the referral and on its worklist.
    assert len(referral_detail(referral_id=referral.pk, viewer=worker).open_siblings) == 1
    worklist = referral_worklist(viewer=worker)
    assert [row.sibling_left_open for row in worklist] == [False, True]


# --- starting a referral ----------------------------------------------------------------


def test_a_referral_starts_with_every_child_of_the_household_and_is_audited(family):
    gp = make_user(family.gp)
    start = referral_start(viewer=gp, household_id=family.home.pk)
    assert start.children == [family.unborn, family.ben, family.ava]
    assert start.household == family.home and start.about is None
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_HOUSEHOLD, actor=gp)
    assert entry.detail["for"] == "making a referral"


def test_a_referral_about_a_child_with_two_homes_starts_with_the_children_of_both(family):
    start = referral_start(viewer=make_user(family.school), person_id=family.ava.pk)
    assert start.children == [family.ava, family.unborn, family.ben, family.eve]
    assert start.household is None and start.about == family.ava


def test_a_referral_cannot_start_from_a_family_the_viewer_may_not_see(family):
    with pytest.raises(Household.DoesNotExist):
        referral_start(viewer=make_user(family.midwifery), household_id=family.finns.pk)
