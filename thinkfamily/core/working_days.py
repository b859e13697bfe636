"""Working days in England and Wales, for every deadline the partnership sets.

Safeguarding timescales are counted in working days: a prompt unanswered after
five working days is overdue, a referral must be acknowledged within one. A
working day is Monday to Friday and not a bank holiday in England and Wales.
Bank holidays come from the maintained ``holidays`` package (England's
calendar, which Wales shares), never from a hand-typed list, so a new year or
a one-off holiday (a coronation, a funeral) arrives with a package update.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays

__all__ = ["add_working_days", "is_working_day", "working_days_between"]

#: England's bank holidays are also those of Wales (the package lists Wales separately
#: only for St David's Day, which is not a bank holiday).
_SUBDIVISION = "ENG"


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=_SUBDIVISION, years=year))


def is_working_day(day: dt.date) -> bool:
    """True on a weekday that is not a bank holiday in England and Wales.

    >>> is_working_day(dt.date(2026, 12, 28))  # Boxing Day (substitute), a Monday
    False
    """
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    Something raised on Thursday 24 December 2026 and due in 2 working days is
    due on Wednesday 30 December: Christmas Day, the weekend and the substitute
    Boxing Day do not count.

    >>> add_working_days(dt.date(2026, 12, 24), 2)
    datetime.date(2026, 12, 30)
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
