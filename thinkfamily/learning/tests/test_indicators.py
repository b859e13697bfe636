"""Every indicator against a small hand-built record, month by month.

Each test builds the few items that decide an indicator (some that meet it,
some that do not, some not yet due, some in other months or outside the
trend) and asserts the exact numerator and denominator of every month. The
trends end on Friday 4 September 2026 and cover July, August and September
(to date); Monday 31 August 2026 is the summer bank holiday, inside several
five-working-day windows. Times are set explicitly; nothing is frozen.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.agreements.services import agreement_record, agreement_review
from thinkfamily.agreements.tests.helpers import health_visitor
from thinkfamily.conversations.models import Acknowledgement, Conversation
from thinkfamily.conversations.services import (
    Taking,
    conversation_acknowledge,
    conversation_dispute,
)
from thinkfamily.conversations.tests.helpers import Team, team, what_if
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.working_days import add_working_days
from thinkfamily.events.models import Event
from thinkfamily.learning.indicators import (
    INDICATORS,
    CurrentFigure,
    MonthFigure,
    indicator_choices,
    indicator_current,
    indicator_trend,
)
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.people.tests.factories import (
    make_agency,
    make_household,
    make_person_with_record,
)
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import sibling_prompts_raise
from thinkfamily.prompts.tests.family import Family, carter_family, concern
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.tests.helpers import NOT_TOLD_RISK, gp_refers, sent_without_telling

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 4)  # a Friday
JULY, AUGUST, SEPTEMBER = dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)
BANK_HOLIDAY = dt.date(2026, 8, 31)
Role = HouseholdMembership.Role


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on ``day``, UK time (British Summer Time in these months)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def counts(code: str, *, months: int = 3) -> list[tuple[dt.date, int, int]]:
    """(month, numerator, denominator) of each month of the trend ending on TODAY."""
    trend = indicator_trend(code=code, months=months, today=TODAY)
    return [(f.month, f.numerator, f.denominator) for f in trend.figures]


# ---------------------------------------------------------------------------
# The registry and the reads


def test_the_registry_lists_every_indicator_once_in_a_fixed_order() -> None:
    assert list(INDICATORS) == [
        "sibling_prompts_answered_in_time",
        "new_adult_prompts_answered_in_time",
        "referrals_family_informed_recorded",
        "conversations_acknowledged_by_all",
        "agreements_reviewed_on_time",
        "children_seen_in_person_90_days",
    ]
    assert indicator_choices() == [(i.code, i.title) for i in INDICATORS.values()]
    for code, indicator in INDICATORS.items():
        assert indicator.code == code
        assert indicator.unit == "%"
        assert indicator.higher_is_better
        assert indicator.default_target == 90.0
        assert len(indicator.description) > 100


def test_an_unknown_indicator_is_refused() -> None:
    with pytest.raises(ApplicationError, match="no indicator"):
        indicator_trend(code="cups_of_tea", today=TODAY)
    with pytest.raises(ApplicationError):
        indicator_current(code="cups_of_tea", today=TODAY)


def test_a_trend_has_one_figure_per_month_oldest_first_ending_with_this_month() -> None:
    trend = indicator_trend(code="sibling_prompts_answered_in_time", today=dt.date(2026, 2, 10))
    assert [f.month for f in trend.figures] == [dt.date(2025, m, 1) for m in range(3, 13)] + [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    assert trend.figures[-1] == MonthFigure(dt.date(2026, 2, 1), 0, 0, None)
    assert trend.indicator is INDICATORS["sibling_prompts_answered_in_time"]


def test_a_trend_of_no_months_is_refused() -> None:
    with pytest.raises(ApplicationError):
        indicator_trend(code="sibling_prompts_answered_in_time", months=0, today=TODAY)


@pytest.mark.parametrize("code", list(INDICATORS))
def test_every_indicator_counts_in_a_handful_of_queries(
    code: str, django_assert_max_num_queries: object
) -> None:
    family = carter_family()
    for day in (dt.date(2026, 1, 5), dt.date(2026, 5, 5), dt.date(2026, 8, 5)):
        about = concern(family.ava, family.school, day)
        _prompt(Prompt.Kind.SIBLING, family.ben, day, answered_on=day, about=about)
        Referral.objects.filter(pk=gp_refers(family).pk).update(referred_at=at(day))
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        indicator_trend(code=code, months=12, today=TODAY)


# ---------------------------------------------------------------------------
# Prompts answered within 5 working days

_episodes = iter(range(1, 10_000))


def _prompt(
    kind: str,
    person: Person,
    raised_on: dt.date,
    *,
    answered_on: dt.date | None = None,
    raised_at: dt.datetime | None = None,
    about: Event | None = None,
) -> Prompt:
    """A prompt raised on ``raised_on``, due 5 working days later as the services set it; a
    sibling prompt names the concern ``about`` its brother or sister that raised it."""
    raised_at = raised_at or at(raised_on)
    return Prompt.objects.create(
        kind=kind,
        person=person,
        episode_key=f"test:{next(_episodes)}",
        concern=about,
        reason="For the test.",
        preschool=False,
        raised_at=raised_at,
        due_on=add_working_days(timezone.localdate(raised_at), 5),
        status=Prompt.Status.ANSWERED if answered_on else Prompt.Status.OPEN,
        response=Prompt.Response.NO_CONCERN if answered_on else "",
        note="Considered." if answered_on else "",
        answered_at=at(answered_on, 16) if answered_on else None,
    )


@pytest.fixture
def family() -> Family:
    return carter_family()


def test_the_service_sets_a_due_date_that_skips_the_bank_holiday(family: Family) -> None:
    raised = sibling_prompts_raise(
        concerns=[concern(family.ava, family.school, dt.date(2026, 8, 26))],
        now=at(dt.date(2026, 8, 26)),
    ).created
    assert raised
    # Wednesday 26 August: Thu, Fri, (bank holiday), Tue, Wed, Thu.
    assert {p.due_on for p in raised} == {dt.date(2026, 9, 3)}
    assert _prompt(Prompt.Kind.NEW_ADULT, family.finn, dt.date(2026, 8, 26)).due_on == dt.date(
        2026, 9, 3
    )


def test_sibling_prompts_answered_in_time_by_month_raised(family: Family) -> None:
    about = concern(family.ava, family.school, dt.date(2026, 6, 1))
    child = family.ben

    def sibling(
        raised_on: dt.date,
        answered_on: dt.date | None = None,
        raised_at: dt.datetime | None = None,
    ) -> Prompt:
        return _prompt(
            Prompt.Kind.SIBLING,
            child,
            raised_on,
            answered_on=answered_on,
            raised_at=raised_at,
            about=about,
        )

    # July: one answered in time, one still unanswered after its due day (22 July).
    sibling(dt.date(2026, 7, 2), dt.date(2026, 7, 6))
    sibling(dt.date(2026, 7, 15))
    # August: raised Wednesday 26th, due Thursday 3 September because of the bank holiday:
    # answered on the 3rd is in time, on the 4th late.
    sibling(dt.date(2026, 8, 26), answered_on=dt.date(2026, 9, 3))
    sibling(dt.date(2026, 8, 26), answered_on=dt.date(2026, 9, 4))
    # Raised Thursday 27 August, due today (Friday 4 September): still in time, not counted.
    sibling(dt.date(2026, 8, 27))
    # Half past midnight on 1 September, UK time (still 31 August in UTC): a September prompt.
    sibling(
        dt.date(2026, 9, 1),
        raised_at=at(dt.date(2026, 9, 1), 0, 30),
        answered_on=dt.date(2026, 9, 2),
    )
    # Raised yesterday, not yet due: not counted.
    sibling(dt.date(2026, 9, 3))
    # June: before the three months of the trend (late).
    sibling(dt.date(2026, 6, 10), answered_on=dt.date(2026, 6, 30))
    # A new-adult prompt answered late in July is not a sibling prompt.
    _prompt(Prompt.Kind.NEW_ADULT, family.finn, dt.date(2026, 7, 2), answered_on=TODAY)

    assert counts("sibling_prompts_answered_in_time") == [
        (JULY, 1, 2),
        (AUGUST, 1, 2),
        (SEPTEMBER, 1, 1),
    ]
    trend = indicator_trend(code="sibling_prompts_answered_in_time", months=3, today=TODAY)
    assert [f.value for f in trend.figures] == [50.0, 50.0, 100.0]
    # The last 90 days (7 June to 4 September) take in the late June prompt too.
    assert indicator_current(code="sibling_prompts_answered_in_time", today=TODAY) == (
        CurrentFigure(dt.date(2026, 6, 7), TODAY, 3, 6, 50.0)
    )


def test_new_adult_prompts_answered_in_time_by_month_raised(family: Family) -> None:
    new_adult = Prompt.Kind.NEW_ADULT
    _prompt(new_adult, family.finn, dt.date(2026, 7, 2), answered_on=dt.date(2026, 7, 20))
    _prompt(new_adult, family.leon, dt.date(2026, 7, 31), answered_on=dt.date(2026, 8, 6))
    # Raised Friday 28 August; due Monday 7 September (the bank holiday skipped): open, counted
    # neither way yet.
    _prompt(new_adult, family.jade, dt.date(2026, 8, 28))
    _prompt(new_adult, family.finn, dt.date(2026, 8, 3))  # overdue since 10 August
    about = concern(family.ava, family.school, dt.date(2026, 7, 1))
    _prompt(
        Prompt.Kind.SIBLING,
        family.ben,
        dt.date(2026, 8, 3),
        answered_on=dt.date(2026, 8, 3),
        about=about,
    )

    assert counts("new_adult_prompts_answered_in_time") == [
        (JULY, 1, 2),
        (AUGUST, 0, 1),
        (SEPTEMBER, 0, 0),
    ]
    figures = indicator_trend(code="new_adult_prompts_answered_in_time", months=3, today=TODAY)
    assert [f.value for f in figures.figures] == [50.0, 0.0, None]


# ---------------------------------------------------------------------------
# Referrals recording whether the family was told


def _referred(referral: Referral, moment: dt.datetime) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(referred_at=moment)
    return referral


def test_referrals_with_family_informed_recorded_by_month_made(family: Family) -> None:
    _referred(gp_refers(family), at(dt.date(2026, 7, 15)))  # told
    # Not told, for a reason a manager confirmed; 23:30 on 31 July is still July in the UK.
    _referred(sent_without_telling(family)[0], at(dt.date(2026, 7, 31), 23, 30))
    # Not told, the reason still waiting for a manager: not yet recorded. 00:30 on 1 August
    # (31 July in UTC) is August.
    _referred(gp_refers(family, NOT_TOLD_RISK), at(dt.date(2026, 8, 1), 0, 30))
    _referred(gp_refers(family), at(dt.date(2026, 9, 3)))
    _referred(gp_refers(family), at(dt.date(2026, 5, 3)))  # before the trend

    assert counts("referrals_family_informed_recorded") == [
        (JULY, 2, 2),
        (AUGUST, 0, 1),
        (SEPTEMBER, 1, 1),
    ]
    current = indicator_current(code="referrals_family_informed_recorded", today=TODAY)
    assert (current.numerator, current.denominator, current.value) == (3, 4, 75.0)


# ---------------------------------------------------------------------------
# Conversations acknowledged by everyone who took part


def _conversation(
    family: Family,
    people: Team,
    held_on: dt.date,
    answers: dict[User, tuple[str, dt.date]],
    **changes: object,
) -> Conversation:
    """A conversation held and circulated on ``held_on``, with these answers on these days."""
    conversation = what_if(family, people, held_at=at(held_on), actions=[], **changes)
    Conversation.objects.filter(pk=conversation.pk).update(circulated_at=at(held_on, 17))
    for user, (answer, day) in answers.items():
        if answer == Acknowledgement.Answer.ACKNOWLEDGED:
            given = conversation_acknowledge(conversation=conversation, by=user, version=1)
        else:
            given = conversation_dispute(
                conversation=conversation, by=user, version=1, comment="Ben was not weighed."
            )
        Acknowledgement.objects.filter(pk=given.pk).update(at=at(day, 12))
    return conversation


def test_conversations_acknowledged_by_all_in_time_by_month_held(family: Family) -> None:
    people = team(family)
    yes, disputed = Acknowledgement.Answer.ACKNOWLEDGED, Acknowledgement.Answer.DISPUTED
    gp, hv = people.gp, people.hv
    d = dt.date
    # July: both acknowledged in time; the health visitor never answered (due 17 July).
    _conversation(
        family, people, d(2026, 7, 1), {gp: (yes, d(2026, 7, 3)), hv: (yes, d(2026, 7, 3))}
    )
    _conversation(family, people, d(2026, 7, 10), {gp: (yes, d(2026, 7, 10))})
    # August: due Thursday 27th, the health visitor acknowledged on the 28th (late).
    _conversation(
        family, people, d(2026, 8, 20), {gp: (yes, d(2026, 8, 21)), hv: (yes, d(2026, 8, 28))}
    )
    # Held Thursday 27 August, due Friday 4 September because of the bank holiday: in time.
    _conversation(family, people, d(2026, 8, 27), {gp: (yes, d(2026, 8, 28)), hv: (yes, TODAY)})
    # Disputed by the GP: never acknowledged by all.
    _conversation(
        family, people, d(2026, 8, 5), {gp: (disputed, d(2026, 8, 5)), hv: (yes, d(2026, 8, 6))}
    )
    # Only people outside the system took part: nobody to ask, not counted.
    _conversation(
        family,
        people,
        d(2026, 8, 6),
        {},
        participants=[Taking(agency=family.police, name="PC Example Officer")],
    )
    # September: one acknowledged by both within days; one still inside its time (due 9th).
    _conversation(family, people, d(2026, 9, 3), {gp: (yes, d(2026, 9, 3)), hv: (yes, TODAY)})
    _conversation(family, people, d(2026, 9, 2), {gp: (yes, d(2026, 9, 2))})
    # May: before the trend.
    _conversation(
        family, people, d(2026, 5, 6), {gp: (yes, d(2026, 5, 6)), hv: (yes, d(2026, 5, 6))}
    )

    assert counts("conversations_acknowledged_by_all") == [
        (JULY, 1, 2),
        (AUGUST, 1, 3),
        (SEPTEMBER, 1, 1),
    ]
    current = indicator_current(code="conversations_acknowledged_by_all", today=TODAY)
    assert (current.numerator, current.denominator) == (3, 6)


# ---------------------------------------------------------------------------
# Verbal agreements reviewed on time


def _agreement(family: Family, by: User, made_on: dt.date, review_on: dt.date) -> VerbalAgreement:
    return agreement_record(
        by=by,
        household=family.home,
        made_with_ids=[family.jade.pk],
        children_ids=[family.ben.pk],
        agreed="Jade will bring Ben to the weekly weigh-in clinic.",
        need="Ben's weight: he has dropped two centiles.",
        if_not_kept="The health visitor will discuss a referral.",
        made_on=made_on,
        review_on=review_on,
        today=made_on,
    )


def _review(
    agreement: VerbalAgreement,
    by: User,
    on: dt.date,
    outcome: str,
    next_review_on: dt.date | None = None,
) -> None:
    agreement_review(
        agreement=agreement,
        by=by,
        outcome=outcome,
        note="Seen at clinic; diary kept.",
        reviewed_on=on,
        next_review_on=next_review_on,
        today=on,
    )


def test_agreement_reviews_on_time_by_month_due(family: Family) -> None:
    hv = health_visitor(family)
    d = dt.date
    # Due 2 July, reviewed that day (on time); next due 30 July, reviewed 3 August (late).
    first = _agreement(family, hv, d(2026, 6, 1), d(2026, 7, 2))
    _review(first, hv, d(2026, 7, 2), "kept", d(2026, 7, 30))
    _review(first, hv, d(2026, 8, 3), "ended")
    # Due 20 August, never reviewed: overdue.
    _agreement(family, hv, d(2026, 8, 10), d(2026, 8, 20))
    # Due today and not yet reviewed: today is still on time, not counted.
    _agreement(family, hv, d(2026, 8, 20), TODAY)
    # Due on the bank holiday, reviewed that day: on time.
    bank_holiday = _agreement(family, hv, d(2026, 8, 25), BANK_HOLIDAY)
    _review(bank_holiday, hv, BANK_HOLIDAY, "converted")
    # Due 3 September, reviewed early on the 1st; next due 1 October, after the trend.
    early = _agreement(family, hv, d(2026, 8, 20), d(2026, 9, 3))
    _review(early, hv, d(2026, 9, 1), "not_kept", d(2026, 10, 1))
    # Due in May, reviewed late: before the trend.
    old = _agreement(family, hv, d(2026, 5, 1), d(2026, 5, 15))
    _review(old, hv, d(2026, 5, 20), "ended")

    assert counts("agreements_reviewed_on_time") == [
        (JULY, 1, 2),
        (AUGUST, 1, 2),
        (SEPTEMBER, 1, 1),
    ]
    current = indicator_current(code="agreements_reviewed_on_time", today=TODAY)
    assert (current.start, current.numerator, current.denominator) == (d(2026, 6, 7), 3, 5)


# ---------------------------------------------------------------------------
# Children in households with a recent concern, seen in person


def _event(person: Person, agency: Agency, moment: dt.datetime, **values: object) -> Event:
    return Event.objects.create(person=person, agency=agency, occurred_at=moment, **values)


def _concern(person: Person, agency: Agency, moment: dt.datetime) -> Event:
    return _event(person, agency, moment, event_type=Event.EventType.CONCERN, category="neglect")


def _seen(person: Person, agency: Agency, day: dt.date) -> Event:
    return _event(person, agency, at(day), event_type=Event.EventType.VISIT, seen_in_person=True)


def test_children_seen_in_person_at_each_month_end() -> None:
    school = make_agency("SCH-TEST", Agency.AgencyType.SCHOOL, "Test School")
    d = dt.date

    def person(given: str, born: dt.date | None, *, unborn: bool = False) -> Person:
        return make_person_with_record(school, given, "Example", born, unborn=unborn)

    # Household 1: a concern about the mother on 15 June (within 90 days of every point).
    mother = person("Mum", d(1990, 1, 1))
    five = person("Five", d(2021, 3, 1))
    nearly_adult = person("Seventeen", d(2008, 9, 1))  # 18 on 1 September 2026
    unborn = person("Unborn", d(2026, 12, 1), unborn=True)
    make_household(
        [(mother, Role.PARENT), (five, Role.CHILD), (nearly_adult, Role.CHILD),
         (unborn, Role.CHILD)],
        reported_by=school,
    )  # fmt: skip
    _concern(mother, school, at(d(2026, 6, 15)))
    _seen(five, school, d(2026, 5, 10))  # within 90 days of 31 July only
    _seen(nearly_adult, school, d(2026, 8, 20))
    _event(five, school, at(d(2026, 9, 1)), event_type=Event.EventType.CONTACT)  # a phone call

    # Household 2: a concern about the child on 1 September; seen on the 3rd.
    ten = person("Ten", d(2016, 1, 1))
    make_household([(ten, Role.CHILD)], reported_by=school)
    _concern(ten, school, at(d(2026, 9, 1)))
    _seen(ten, school, d(2026, 9, 3))

    # Household 3: a concern about the father on 1 July; one child moved in on 15 August and
    # was never seen; another, seen on 5 July, moved out on 10 August.
    father = person("Dad", d(1985, 1, 1))
    newcomer = person("Newcomer", d(2019, 1, 1))
    leaver = person("Leaver", d(2018, 1, 1))
    third = make_household(
        [(father, Role.PARENT), (newcomer, Role.CHILD), (leaver, Role.CHILD)], reported_by=school
    )
    HouseholdMembership.objects.filter(household=third, person=newcomer).update(
        start_date=d(2026, 8, 15)
    )
    HouseholdMembership.objects.filter(household=third, person=leaver).update(
        end_date=d(2026, 8, 10)
    )
    _concern(father, school, at(d(2026, 7, 1)))
    _seen(leaver, school, d(2026, 7, 5))

    # Household 4: an old concern (March), and one at half past midnight on 1 August UK time
    # (31 July in UTC): from the August point on. The child is never seen.
    eight = person("Eight", d(2018, 6, 1))
    make_household([(eight, Role.CHILD)], reported_by=school)
    _concern(eight, school, at(d(2026, 3, 1)))
    _concern(eight, school, at(d(2026, 8, 1), 0, 30))

    # Household 5: only a concern long ago; nobody counted.
    old_news = person("Old", d(2015, 1, 1))
    make_household([(old_news, Role.CHILD)], reported_by=school)
    _concern(old_news, school, at(d(2026, 2, 1)))

    assert counts("children_seen_in_person_90_days") == [
        (JULY, 2, 3),  # 31 July: Five and Leaver seen; Seventeen not (yet)
        (AUGUST, 1, 4),  # 31 August: Seventeen; not Five, Newcomer or Eight
        (SEPTEMBER, 1, 4),  # today: Ten; not Five, Newcomer or Eight (Seventeen is 18)
    ]
    current = indicator_current(code="children_seen_in_person_90_days", today=TODAY)
    assert (current.numerator, current.denominator, current.value) == (1, 4, 25.0)
