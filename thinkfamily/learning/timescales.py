"""The clocks the partnership answers to, and the RAG rules of its action plans.

Pure functions of dates, with no database: the register, the overdue lists
and the tests all ask these, so "due", "late" and "red" mean one thing.

Timescales (Working Together to Safeguard Children 2023, chapter 5):

- a serious incident is notified to the Child Safeguarding Practice Review
  Panel within **5 working days** of the local authority becoming aware of it;
- the rapid review is completed within **15 working days** of the notification;
- a local child safeguarding practice review is completed and published
  within **6 months** of the decision to undertake it.

Working days are England's (weekends and bank holidays excluded), from
``core.working_days``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from thinkfamily.core.working_days import add_working_days

NOTIFICATION_WORKING_DAYS = 5
RAPID_REVIEW_WORKING_DAYS = 15
LCSPR_MONTHS = 6


class TimescaleState(StrEnum):
    """Where a clock stands: not started (its start date is unknown), running, or stopped."""

    NOT_STARTED = "not_started"
    DUE = "due"
    OVERDUE = "overdue"
    MET = "met"
    LATE = "late"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "due": "Due",
            "overdue": "Overdue",
            "met": "Met",
            "late": "Done late",
        }[self.value]

    @property
    def needs_attention(self) -> bool:
        return self is TimescaleState.OVERDUE


@dataclass(frozen=True)
class Timescale:
    """One clock of a review: what is due, from when, by when, and when it was done."""

    name: str
    starts_on: dt.date | None
    due_on: dt.date | None
    done_on: dt.date | None
    state: TimescaleState


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _clock(
    name: str, starts_on: dt.date | None, due_on: dt.date | None, done_on: dt.date | None,
    today: dt.date,
) -> Timescale:  # fmt: skip
    if starts_on is None or due_on is None:
        state = TimescaleState.MET if done_on else TimescaleState.NOT_STARTED
    elif done_on is not None:
        state = TimescaleState.MET if done_on <= due_on else TimescaleState.LATE
    else:
        state = TimescaleState.OVERDUE if today > due_on else TimescaleState.DUE
    return Timescale(name=name, starts_on=starts_on, due_on=due_on, done_on=done_on, state=state)


def review_timescales(
    *,
    kind: str,
    became_aware_on: dt.date | None,
    notified_on: dt.date | None,
    rapid_review_on: dt.date | None,
    lcspr_decided_on: dt.date | None,
    report_completed_on: dt.date | None,
    today: dt.date,
) -> list[Timescale]:
    """The clocks that apply to a review of ``kind`` (a ``CaseReview.Kind`` value).

    A legacy serious case review predates these timescales and has none. A
    clock whose start is not recorded is "not started", never overdue: the
    register shows the missing date rather than inventing a deadline.

    Example::

        review_timescales(kind="notification", became_aware_on=date(2026, 3, 2),
                          notified_on=None, ..., today=date(2026, 3, 10))[0].state
        # TimescaleState.OVERDUE: due on 9 March
    """
    if kind == "scr":
        return []
    clocks = [
        _clock(
            "Notification to the national panel",
            became_aware_on,
            add_working_days(became_aware_on, NOTIFICATION_WORKING_DAYS)
            if became_aware_on
            else None,
            notified_on,
            today,
        ),
        _clock(
            "Rapid review",
            notified_on,
            add_working_days(notified_on, RAPID_REVIEW_WORKING_DAYS) if notified_on else None,
            rapid_review_on,
            today,
        ),
    ]
    if kind == "lcspr":
        clocks.append(
            _clock(
                "Practice review report",
                lcspr_decided_on,
                add_months(lcspr_decided_on, LCSPR_MONTHS) if lcspr_decided_on else None,
                report_completed_on,
                today,
            )
        )
    return clocks


class RagStatus(StrEnum):
    """Red, amber, green, complete; and, for a recommendation, no action plan yet."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    COMPLETE = "complete"
    NO_PLAN = "no_plan"

    @property
    def label(self) -> str:
        return {
            "red": "Red",
            "amber": "Amber",
            "green": "Green",
            "complete": "Complete",
            "no_plan": "No action plan",
        }[self.value]

    @property
    def tag_colour(self) -> str:
        """The GOV.UK tag colour that shows it."""
        return {
            "red": "red",
            "amber": "orange",
            "green": "green",
            "complete": "blue",
            "no_plan": "grey",
        }[self.value]


def action_rag(*, rag: str, due_on: dt.date, today: dt.date) -> RagStatus:
    """An action's status as the register shows it.

    The owner's own judgement (red, amber, green) stands until the due date;
    an action past its due date and not complete is red whatever the owner
    set, because an action plan that lets a missed date stay green is the
    failure the review asked the partnership to catch.
    """
    if rag == RagStatus.COMPLETE:
        return RagStatus.COMPLETE
    if due_on < today:
        return RagStatus.RED
    return RagStatus(rag)


def recommendation_rag(action_statuses: Iterable[RagStatus]) -> RagStatus:
    """A recommendation is as far on as its least advanced action.

    No actions: no plan. All complete: complete. Otherwise the worst of the
    open actions (red before amber before green).
    """
    statuses = list(action_statuses)
    if not statuses:
        return RagStatus.NO_PLAN
    open_statuses = [status for status in statuses if status is not RagStatus.COMPLETE]
    if not open_statuses:
        return RagStatus.COMPLETE
    for worst in (RagStatus.RED, RagStatus.AMBER):
        if worst in open_statuses:
            return worst
    return RagStatus.GREEN


def check_overdue(*, next_check_on: dt.date | None, today: dt.date) -> bool:
    """A compliance check is overdue once the date set for the next one has passed."""
    return next_check_on is not None and next_check_on < today
