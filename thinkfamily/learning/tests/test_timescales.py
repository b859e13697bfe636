"""The clocks of the register and the RAG rules of action plans, on fixed dates.

Dates are in 2026, whose English bank holidays include Good Friday 3 April,
Easter Monday 6 April, the early May bank holiday 4 May and Christmas.
"""

from __future__ import annotations

import datetime as dt

import pytest

from thinkfamily.learning.timescales import (
    RagStatus,
    TimescaleState,
    action_rag,
    add_months,
    check_overdue,
    recommendation_rag,
    review_timescales,
)

D = dt.date


JUNE = D(2026, 6, 1)


def clocks(kind: str = "rapid_review", today: dt.date = JUNE, **dates: dt.date | None):
    values: dict[str, dt.date | None] = {
        "became_aware_on": None,
        "notified_on": None,
        "rapid_review_on": None,
        "lcspr_decided_on": None,
        "report_completed_on": None,
    }
    values.update(dates)
    return review_timescales(kind=kind, today=today, **values)


def test_notification_is_due_five_working_days_after_the_local_authority_became_aware():
    # Aware on Thursday 2 April 2026: Good Friday and Easter Monday do not count.
    (notification, _) = clocks(became_aware_on=D(2026, 4, 2), today=D(2026, 4, 9))
    assert notification.due_on == D(2026, 4, 13)
    assert notification.state is TimescaleState.DUE


def test_a_notification_not_made_by_its_due_date_is_overdue_the_day_after():
    on_the_day = clocks(became_aware_on=D(2026, 4, 2), today=D(2026, 4, 13))[0]
    the_day_after = clocks(became_aware_on=D(2026, 4, 2), today=D(2026, 4, 14))[0]
    assert on_the_day.state is TimescaleState.DUE
    assert the_day_after.state is TimescaleState.OVERDUE
    assert the_day_after.state.needs_attention


def test_a_notification_on_the_due_date_is_met_and_one_after_it_is_late():
    met = clocks(became_aware_on=D(2026, 4, 2), notified_on=D(2026, 4, 13))[0]
    late = clocks(became_aware_on=D(2026, 4, 2), notified_on=D(2026, 4, 14))[0]
    assert met.state is TimescaleState.MET
    assert late.state is TimescaleState.LATE
    assert not late.state.needs_attention  # done, though late: nothing left to chase


def test_rapid_review_is_due_fifteen_working_days_after_notification():
    # Notified Friday 24 April 2026; the early May bank holiday (4 May) does not count.
    rapid = clocks(notified_on=D(2026, 4, 24), today=D(2026, 5, 1))[1]
    assert rapid.due_on == D(2026, 5, 18)
    assert rapid.state is TimescaleState.DUE
    assert clocks(notified_on=D(2026, 4, 24), today=D(2026, 5, 19))[1].state is (
        TimescaleState.OVERDUE
    )


def test_a_clock_whose_start_is_not_recorded_is_not_started_never_overdue():
    notification, rapid = clocks(today=D(2030, 1, 1))
    assert notification.state is TimescaleState.NOT_STARTED
    assert notification.due_on is None
    assert rapid.state is TimescaleState.NOT_STARTED


def test_a_practice_review_is_due_six_months_after_the_decision_to_hold_it():
    report = clocks("lcspr", lcspr_decided_on=D(2026, 8, 31), today=D(2027, 2, 28))[2]
    assert report.name == "Practice review report"
    assert report.due_on == D(2027, 2, 28)  # 31 August + 6 months: the last day of February
    assert report.state is TimescaleState.DUE
    assert clocks("lcspr", lcspr_decided_on=D(2026, 8, 31), today=D(2027, 3, 1))[2].state is (
        TimescaleState.OVERDUE
    )


def test_only_a_practice_review_has_the_report_clock_and_a_legacy_review_has_none():
    assert len(clocks("notification")) == 2
    assert len(clocks("rapid_review")) == 2
    assert len(clocks("lcspr")) == 3
    assert clocks("scr", became_aware_on=D(2010, 1, 4)) == []


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 7, 15), 6, D(2027, 1, 15)),
        (D(2026, 12, 1), 12, D(2027, 12, 1)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


TODAY = D(2026, 6, 10)


@pytest.mark.parametrize("owner_says", ["red", "amber", "green"])
def test_an_action_keeps_its_owners_rag_until_it_is_due(owner_says):
    assert action_rag(rag=owner_says, due_on=TODAY, today=TODAY) is RagStatus(owner_says)


@pytest.mark.parametrize("owner_says", ["amber", "green"])
def test_an_action_past_its_due_date_is_red_whatever_its_owner_says(owner_says):
    assert action_rag(rag=owner_says, due_on=TODAY - dt.timedelta(days=1), today=TODAY) is (
        RagStatus.RED
    )


def test_a_complete_action_stays_complete_after_its_due_date():
    assert action_rag(rag="complete", due_on=D(2020, 1, 1), today=TODAY) is RagStatus.COMPLETE


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([], RagStatus.NO_PLAN),
        ([RagStatus.COMPLETE, RagStatus.COMPLETE], RagStatus.COMPLETE),
        ([RagStatus.COMPLETE, RagStatus.GREEN], RagStatus.GREEN),
        ([RagStatus.GREEN, RagStatus.AMBER, RagStatus.COMPLETE], RagStatus.AMBER),
        ([RagStatus.AMBER, RagStatus.RED, RagStatus.GREEN], RagStatus.RED),
    ],
)
def test_a_recommendation_is_as_far_on_as_its_least_advanced_action(actions, expected):
    assert recommendation_rag(actions) is expected


def test_a_compliance_check_is_overdue_once_its_next_date_has_passed():
    assert not check_overdue(next_check_on=None, today=TODAY)
    assert not check_overdue(next_check_on=TODAY, today=TODAY)
    assert check_overdue(next_check_on=TODAY - dt.timedelta(days=1), today=TODAY)


def test_every_status_has_words_as_well_as_a_colour():
    for status in RagStatus:
        assert status.label and status.tag_colour
    for state in TimescaleState:
        assert state.label
