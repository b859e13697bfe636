"""Reads of the register: its rows and clocks, the overdue lists, and the integrated chronology
of a review period as each viewer may read it."""

from __future__ import annotations

import datetime as dt

import pytest

from thinkfamily.accounts.models import User
from thinkfamily.events.models import Event
from thinkfamily.learning.models import ComplianceCheck, PlanAction
from thinkfamily.learning.selectors import overdue_lists, register_rows, review_chronology
from thinkfamily.learning.services import ReviewDates
from thinkfamily.learning.tests.helpers import (
    a_recommendation,
    a_review,
    an_action,
    partnership_manager,
    reviewer,
    school,
    today,
)
from thinkfamily.learning.timescales import RagStatus, TimescaleState
from thinkfamily.people.models import HouseholdMembership
from thinkfamily.people.tests.factories import make_event, make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db


def test_register_rows_show_each_reviews_clocks_and_its_plans_progress():
    manager = partnership_manager()
    review = a_review(by=manager)  # notified 10 days ago: the rapid review is running
    recommendation = a_recommendation(review)
    late = an_action(recommendation, by=manager)
    PlanAction.objects.filter(pk=late.pk).update(due_on=today() - dt.timedelta(days=1))
    a_recommendation(review, 2)  # no actions yet

    (row,) = register_rows()

    assert [clock.name for clock in row.timescales] == [
        "Notification to the national panel",
        "Rapid review",
    ]
    assert row.timescales[0].state is TimescaleState.MET
    assert row.recommendation_count == 2
    assert row.statuses == {RagStatus.RED.value: 1, RagStatus.NO_PLAN.value: 1}
    assert row.overdue_actions == 1
    assert register_rows(kind="lcspr") == []


def test_overdue_lists_gather_late_clocks_actions_and_checks_for_the_register_only():
    manager = partnership_manager()
    review = a_review(
        by=manager,
        dates=ReviewDates(became_aware_on=today() - dt.timedelta(days=30)),  # never notified
    )
    recommendation = a_recommendation(review)
    on_time = an_action(recommendation, by=manager)
    late = an_action(recommendation, by=manager, description="Audit fifty referrals.")
    PlanAction.objects.filter(pk=late.pk).update(due_on=today() - dt.timedelta(days=2))
    ComplianceCheck.objects.create(
        action=on_time, checked_by=manager, checked_on=today() - dt.timedelta(days=40),
        result="partly", note="Half done.", next_check_on=today() - dt.timedelta(days=1),
    )  # fmt: skip

    lists = overdue_lists(viewer=manager)

    assert [(r.reference, clock.name) for r, clock in lists.timescales] == [
        (review.reference, "Notification to the national panel")
    ]
    assert [row.action for row in lists.actions] == [late]
    assert [row.action for row in lists.checks] == [on_time]
    assert {row.action for row in lists.agency_actions} == set()  # the partnership owns none

    teacher = make_user(school(), User.Role.PRACTITIONER)
    theirs = overdue_lists(viewer=teacher)
    assert theirs.timescales == [] and theirs.actions == [] and theirs.checks == []
    assert {row.action for row in theirs.agency_actions} == {on_time, late}


def test_the_integrated_chronology_covers_the_period_the_household_and_only_what_a_viewer_reads():
    family = carter_family()
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    # Finn, the new partner, moved in during the period; Leon's household is not Ben's.
    HouseholdMembership.objects.filter(person=family.finn, household=family.home).update(
        start_date=dt.date(2026, 3, 1)
    )
    inside = make_event(family.finn, family.police, occurred_on=dt.date(2026, 4, 2),
                        summary="Called to an argument at the address.")  # fmt: skip
    make_event(family.ben, family.hv, occurred_on=dt.date(2026, 2, 10), summary="Weighed.")
    make_event(family.ben, family.hv, occurred_on=dt.date(2025, 12, 31), summary="Before.")
    make_event(family.leon, family.gp, occurred_on=dt.date(2026, 4, 1), summary="Elsewhere.")
    manager = partnership_manager()
    review = a_review(
        by=manager, subject_id=family.ben.pk, dates=ReviewDates(period_start=start, period_end=end)
    )

    seen = review_chronology(review=review, viewer=manager)
    assert [event.summary for event in seen.entries] == ["Weighed.", inside.summary]
    assert seen.hidden == 0
    assert family.finn in seen.people and family.leon not in seen.people

    # A panel member whose agency knows nobody in the family sees that entries exist, not them.
    panel = reviewer()
    hidden = review_chronology(review=review, viewer=panel)
    assert hidden.entries == [] and hidden.hidden == 2
    assert hidden.people == []

    # The health visitor reads her own entries only.
    hv = make_user(family.hv, User.Role.PRACTITIONER)
    partial = review_chronology(review=review, viewer=hv)
    assert [event.summary for event in partial.entries] == ["Weighed."]
    assert partial.hidden == 1
    assert Event.objects.filter(person=family.finn).exists()


def test_without_a_linked_child_or_a_period_the_chronology_is_empty_not_guessed():
    manager = partnership_manager()
    review = a_review(by=manager)
    chronology = review_chronology(review=review, viewer=manager)
    assert chronology.entries == [] and chronology.people == [] and chronology.subject is None
