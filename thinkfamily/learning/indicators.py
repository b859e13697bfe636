"""Indicators: measures of practice computed live from the record, for tying to recommendations.

A case review's recommendation ("agencies must think about the brothers and
sisters") is only known to be working if something can be counted. Each
``Indicator`` here is one such count, defined once in code: a numerator over a
denominator, as a percentage, with a default target. A partnership chooses
which indicators apply to which recommendation (the learning app stores the
choice by ``code``); this module only computes them.

Every figure is whole-partnership: counts across every agency, never per
viewer, and no person is named, so they can be shown to partnership managers
and, aggregated, in briefings. Where another app already defines the rule
being counted ("answered in time", "acknowledged by all", "reviewed on time",
"seen in person"), the indicator calls that app's definition rather than
writing a second one.

Two reads:

* ``indicator_trend``: one figure per calendar month (UK time) for the last
  ``months`` months, oldest first, the current month last (month to date).
* ``indicator_current``: one figure for the 90 days ending today (both
  included), the "where are we now" beside the target.

Each indicator is computed in a handful of queries for the whole span asked
for (the rows needed are fetched once and sorted into periods in Python),
never a query per month or per item.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from thinkfamily.agreements.models import AgreementReview, VerbalAgreement
from thinkfamily.conversations.models import Conversation
from thinkfamily.conversations.rules import acknowledgement_due_on
from thinkfamily.conversations.selectors import acknowledged_by_all_in_time
from thinkfamily.core.bulk import in_chunks
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.selectors import answered_in_time
from thinkfamily.referrals.models import Referral

__all__ = [
    "CURRENT_DAYS",
    "INDICATORS",
    "CurrentFigure",
    "Indicator",
    "MonthFigure",
    "Period",
    "Trend",
    "indicator_choices",
    "indicator_current",
    "indicator_get",
    "indicator_trend",
]

#: The current figure covers this many days, ending today.
CURRENT_DAYS = 90


@dataclass(frozen=True)
class Period:
    """A span of whole UK days, ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date


#: (numerator, denominator) for each period asked about, in the same order.
Counts = list[tuple[int, int]]
#: How an indicator is computed: for these periods, judged on this day.
Computation = Callable[[Sequence[Period], dt.date], Counts]


@dataclass(frozen=True)
class Indicator:
    """One measure of practice: what share of some things went as the partnership expects.

    ``description`` says, in words a partnership manager would use, what is
    counted: the numerator, the denominator and what is not yet counted and
    why. ``compute`` counts it for a list of periods on a given day.
    """

    code: str
    title: str
    description: str
    compute: Computation
    unit: str = "%"
    higher_is_better: bool = True
    default_target: float = 90.0


@dataclass(frozen=True)
class MonthFigure:
    """An indicator for one calendar month (``month`` is its first day).

    ``value`` is the percentage, ``None`` when there was nothing to count.
    """

    month: dt.date
    numerator: int
    denominator: int
    value: float | None


@dataclass(frozen=True)
class CurrentFigure:
    """An indicator over the ``CURRENT_DAYS`` days ``start`` to ``end`` (today), both included."""

    start: dt.date
    end: dt.date
    numerator: int
    denominator: int
    value: float | None


@dataclass(frozen=True)
class Trend:
    """An indicator month by month, oldest first; the last month is the current one, to date."""

    indicator: Indicator
    figures: tuple[MonthFigure, ...]
    today: dt.date


# ---------------------------------------------------------------------------
# Sorting rows into periods


def _percentage(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def _moment(day: dt.date) -> dt.datetime:
    """The start of ``day``, UK time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _span(periods: Sequence[Period]) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the first period to the start of the day after the last."""
    return _moment(periods[0].start), _moment(periods[-1].end + dt.timedelta(days=1))


class _Tally:
    """Counts per period; a day outside every period is ignored.

    The periods are in date order and do not overlap.
    """

    def __init__(self, periods: Sequence[Period]) -> None:
        self.periods = periods
        self._starts = [p.start for p in periods]
        self.numerators = [0] * len(periods)
        self.denominators = [0] * len(periods)

    def count(self, day: dt.date, *, met: bool) -> None:
        index = bisect_right(self._starts, day) - 1
        if index < 0 or day > self.periods[index].end:
            return
        self.denominators[index] += 1
        self.numerators[index] += met

    def counts(self) -> Counts:
        return list(zip(self.numerators, self.denominators, strict=True))


# ---------------------------------------------------------------------------
# The indicators


def _prompts_answered_in_time(kind: str) -> Computation:
    """Prompts of ``kind`` by the day they were raised: answered (in time or late), or overdue."""

    def compute(periods: Sequence[Period], today: dt.date) -> Counts:
        since, until = _span(periods)
        tally = _Tally(periods)
        prompts = Prompt.objects.filter(kind=kind, raised_at__gte=since, raised_at__lt=until).only(
            "raised_at", "due_on", "status", "answered_at"
        )
        for prompt in prompts.iterator(chunk_size=5000):
            raised_on = timezone.localdate(prompt.raised_at)
            if prompt.status == Prompt.Status.ANSWERED:
                tally.count(
                    raised_on,
                    met=answered_in_time(answered_at=prompt.answered_at, due_on=prompt.due_on),
                )
            elif prompt.is_overdue_on(today):
                tally.count(raised_on, met=False)
            # Open and not yet overdue: it may still be answered in time, so not yet counted.
        return tally.counts()

    return compute


def _family_informed_recorded(periods: Sequence[Period], today: dt.date) -> Counts:
    """Referrals by the day made: told, or not told for a reason a manager confirmed."""
    since, until = _span(periods)
    tally = _Tally(periods)
    rows = Referral.objects.filter(referred_at__gte=since, referred_at__lt=until).values_list(
        "referred_at", "family_informed", "not_informed_reason", "manager_confirmed_by_id"
    )
    for referred_at, informed, reason, confirmed_by in rows.iterator(chunk_size=5000):
        recorded = informed == Referral.FamilyInformed.YES or (
            informed == Referral.FamilyInformed.NO and bool(reason) and confirmed_by is not None
        )
        tally.count(timezone.localdate(referred_at), met=recorded)
    return tally.counts()


def _conversations_acknowledged_by_all(periods: Sequence[Period], today: dt.date) -> Counts:
    """Conversations by the day held (as the conversations compliance page counts them)."""
    since, until = _span(periods)
    tally = _Tally(periods)
    conversations = (
        Conversation.objects.filter(held_at__gte=since, held_at__lt=until)
        .only("held_at", "circulated_at", "current_version")
        .prefetch_related("versions__acknowledgements", "participants")
    )
    for conversation in conversations:
        if not any(p.user_id for p in conversation.participants.all()):
            continue  # nobody with an account to acknowledge it: nothing to measure
        held_on = timezone.localdate(conversation.held_at)
        if acknowledged_by_all_in_time(conversation):
            tally.count(held_on, met=True)
        elif acknowledgement_due_on(timezone.localdate(conversation.circulated_at)) < today:
            tally.count(held_on, met=False)
        # Otherwise the window is still open and the answers may yet come: not yet counted.
    return tally.counts()


def _agreements_reviewed_on_time(periods: Sequence[Period], today: dt.date) -> Counts:
    """Review dates of verbal agreements, by the date due: reviewed on time, late, or overdue."""
    first, last = periods[0].start, periods[-1].end
    tally = _Tally(periods)
    for review in AgreementReview.objects.filter(due_on__gte=first, due_on__lte=last).only(
        "reviewed_on", "due_on"
    ):
        tally.count(review.due_on, met=not review.late)
    # A review date that has passed with no review is the agreement's current review date
    # (a review moves it on to the next): the agreements app's own "overdue".
    for review_on in (
        VerbalAgreement.objects.review_overdue(today)
        .filter(review_on__gte=first, review_on__lte=last)
        .values_list("review_on", flat=True)
    ):
        tally.count(review_on, met=False)
    return tally.counts()


#: A household membership: person, household, start date, end date (either may be unknown).
_Stay = tuple[int, int, dt.date | None, dt.date | None]


def _children_seen_in_person(periods: Sequence[Period], today: dt.date) -> Counts:
    """At the end of each period: children in households with a recent concern, and how many
    of them a professional saw in person recently (the windows of the Think Sibling rules)."""
    rules = think_sibling_rules()
    points = [min(p.end, today) for p in periods]
    concern_since = _moment(min(points) - dt.timedelta(days=rules.concern_window_days))
    seen_since = _moment(min(points) - dt.timedelta(days=rules.not_seen_days))
    until = _moment(max(points) + dt.timedelta(days=1))

    concerns: dict[int, list[dt.date]] = defaultdict(list)
    for person_id, occurred_at in Event.objects.filter(
        event_type=Event.EventType.CONCERN, occurred_at__gte=concern_since, occurred_at__lt=until
    ).values_list("person_id", "occurred_at"):
        concerns[person_id].append(timezone.localdate(occurred_at))

    concern_stays: list[_Stay] = []
    for chunk in in_chunks(sorted(concerns)):
        concern_stays += HouseholdMembership.objects.filter(person_id__in=chunk).values_list(
            "person_id", "household_id", "start_date", "end_date"
        )
    stays: list[_Stay] = []
    for chunk in in_chunks(sorted({household for _, household, _, _ in concern_stays})):
        stays += HouseholdMembership.objects.filter(household_id__in=chunk).values_list(
            "person_id", "household_id", "start_date", "end_date"
        )
    born: dict[int, dt.date] = {}
    seen: dict[int, list[dt.date]] = defaultdict(list)
    for chunk in in_chunks(sorted({person for person, _, _, _ in stays})):
        # Unborn children cannot be seen in person; a child whose date of birth is not known
        # cannot be told from an adult. Neither is counted.
        for person_id, date_of_birth in Person.objects.filter(
            pk__in=chunk, unborn=False, date_of_birth__isnull=False
        ).values_list("pk", "date_of_birth"):
            if date_of_birth is not None:
                born[person_id] = date_of_birth
        for person_id, occurred_at in Event.objects.filter(
            person_id__in=chunk,
            seen_in_person=True,
            occurred_at__gte=seen_since,
            occurred_at__lt=until,
        ).values_list("person_id", "occurred_at"):
            seen[person_id].append(timezone.localdate(occurred_at))

    def living_there(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
        # A membership with no start date is taken to have begun before anything we count.
        return (start is None or start <= day) and (end is None or end >= day)

    counts: Counts = []
    for day in points:
        concern_from = day - dt.timedelta(days=rules.concern_window_days)
        seen_from = day - dt.timedelta(days=rules.not_seen_days)
        households = {
            household
            for person, household, start, end in concern_stays
            if living_there(start, end, day)
            and any(concern_from <= on <= day for on in concerns[person])
        }
        children = {
            person
            for person, household, start, end in stays
            if household in households
            and living_there(start, end, day)
            and person in born
            and _is_child_on(born[person], day)
        }
        seen_children = sum(
            1 for child in children if any(seen_from <= on <= day for on in seen[child])
        )
        counts.append((seen_children, len(children)))
    return counts


def _is_child_on(date_of_birth: dt.date, day: dt.date) -> bool:
    """Born by ``day`` and not yet 18 on it (``Person.age_on``'s arithmetic)."""
    if date_of_birth > day:
        return False
    return Person(date_of_birth=date_of_birth).age_on(day) in range(18)


# ---------------------------------------------------------------------------
# The registry

_NOT_YET = "not yet counted"

INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        Indicator(
            code="sibling_prompts_answered_in_time",
            title="Think Sibling prompts answered within 5 working days",
            description=(
                "Of the sibling prompts raised in the month, the share answered by an agency "
                "within the partnership's working days (5 by default; weekends and bank "
                "holidays in England and Wales do not count). Counted: prompts that have been "
                "answered, in time or late, and prompts still unanswered after their due day. "
                f"A prompt still open and not yet due is {_NOT_YET}: it may still be answered "
                "in time. Months are those in which the prompt was raised."
            ),
            compute=_prompts_answered_in_time(Prompt.Kind.SIBLING),
        ),
        Indicator(
            code="new_adult_prompts_answered_in_time",
            title="New adult prompts answered within 5 working days",
            description=(
                "Of the prompts raised in the month to understand the role of an adult who "
                "joined a household with children, the share answered within the "
                "partnership's working days (5 by default; weekends and bank holidays in "
                "England and Wales do not count). Counted: prompts answered, in time or late, "
                "and prompts still unanswered after their due day. A prompt still open and not "
                f"yet due is {_NOT_YET}: it may still be answered in time."
            ),
            compute=_prompts_answered_in_time(Prompt.Kind.NEW_ADULT),
        ),
        Indicator(
            code="referrals_family_informed_recorded",
            title="Referrals recording whether the family was told",
            description=(
                "Of the referrals to children's social care made in the month, the share that "
                "record that the family was told (when, by whom and how), or that they were "
                "not told for a reason a manager in the referring agency has confirmed. A "
                "referral whose reason for not telling the family still waits for that "
                "manager's confirmation counts as not recorded: until it is confirmed it has "
                "not been sent."
            ),
            compute=_family_informed_recorded,
        ),
        Indicator(
            code="conversations_acknowledged_by_all",
            title="Professional conversations acknowledged by everyone who took part",
            description=(
                "Of the professional conversations held in the month with at least one "
                "participant who has an account, the share whose current version every such "
                "participant acknowledged as accurate, none disputing it, within the working "
                "days allowed after it was circulated (5 by default), as the conversations "
                "compliance page counts it. Counted once every answer is in or the time to "
                f"answer has passed; a record still inside that time is {_NOT_YET}. A record "
                "amended after circulation is judged on its new version and new time to "
                "answer. Participants without an account are not asked, so not counted."
            ),
            compute=_conversations_acknowledged_by_all,
        ),
        Indicator(
            code="agreements_reviewed_on_time",
            title="Verbal agreements reviewed on time",
            description=(
                "Of the verbal agreement reviews that fell due in the month, the share carried "
                "out on or before the review date. Counted: every review recorded (on time or "
                "late) and every review date that has passed with no review. A review due "
                f"today and not yet recorded is {_NOT_YET}: today is still on time. An agreement "
                "reviewed several times counts once for each review date."
            ),
            compute=_agreements_reviewed_on_time,
        ),
        Indicator(
            code="children_seen_in_person_90_days",
            title="Children in families with a recent concern seen in person in the last 90 days",
            description=(
                "On the last day of the month (today, for the current month): of the children "
                "under 18 living in a household where a concern about anyone living there was "
                "recorded in the previous 90 days, the share seen in person by any "
                "professional in the previous 90 days. Only contacts recorded as seeing the "
                "child in person count, not a phone call or a missed appointment. Unborn "
                "children, who cannot be seen, and children whose date of birth is not known "
                "are not counted."
            ),
            compute=_children_seen_in_person,
        ),
    )
}


def indicator_choices() -> list[tuple[str, str]]:
    """(code, title) for every indicator, in the registry's order: the choices of a form."""
    return [(indicator.code, indicator.title) for indicator in INDICATORS.values()]


def indicator_get(*, code: str) -> Indicator:
    """The indicator with this code; raises ``ApplicationError`` for a code not defined."""
    try:
        return INDICATORS[code]
    except KeyError:
        raise ApplicationError(
            f"There is no indicator “{code}”.", extra={"code": "Choose an indicator from the list"}
        ) from None


# ---------------------------------------------------------------------------
# Reads


def _month_periods(months: int, today: dt.date) -> list[Period]:
    """The last ``months`` calendar months, oldest first, the current one ending today."""
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.append((firsts[-1] - dt.timedelta(days=1)).replace(day=1))
    firsts.reverse()
    ends = [following - dt.timedelta(days=1) for following in firsts[1:]] + [today]
    return [Period(start, end) for start, end in zip(firsts, ends, strict=True)]


def indicator_trend(*, code: str, months: int = 12, today: dt.date | None = None) -> Trend:
    """The indicator for each of the last ``months`` calendar months, oldest first.

    The last figure is the current month to date (to ``today``, by default
    today). Whole-partnership counts; no person is named. Raises
    ``ApplicationError`` for an unknown code or fewer than one month.
    """
    indicator = indicator_get(code=code)
    if months < 1:
        raise ApplicationError("A trend needs at least one month.")
    today = today or timezone.localdate()
    periods = _month_periods(months, today)
    counts = indicator.compute(periods, today)
    return Trend(
        indicator=indicator,
        figures=tuple(
            MonthFigure(period.start, numerator, denominator, _percentage(numerator, denominator))
            for period, (numerator, denominator) in zip(periods, counts, strict=True)
        ),
        today=today,
    )


def indicator_current(*, code: str, today: dt.date | None = None) -> CurrentFigure:
    """The indicator over the ``CURRENT_DAYS`` (90) days ending ``today``, both included.

    The same rules as each month of the trend, over a rolling window, so the
    figure beside the target does not drop to nothing on the first of a month.
    For ``children_seen_in_person_90_days``, a point-in-time measure, it is the
    figure on ``today``. Raises ``ApplicationError`` for an unknown code.
    """
    indicator = indicator_get(code=code)
    today = today or timezone.localdate()
    period = Period(today - dt.timedelta(days=CURRENT_DAYS - 1), today)
    ((numerator, denominator),) = indicator.compute([period], today)
    return CurrentFigure(
        start=period.start,
        end=period.end,
        numerator=numerator,
        denominator=denominator,
        value=_percentage(numerator, denominator),
    )
