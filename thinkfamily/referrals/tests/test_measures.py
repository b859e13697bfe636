"""The partnership's referral measures against a hand-built case: exact figures.

Seven referrals about the Carter family, each made and moved by the
services, then dated by hand (period April and May 2026, judged on Monday
1 June 2026):

* Acacia Surgery (GP)
  - G1, Thursday 2 April, family told. Due Tuesday 7 April (Good Friday, the
    weekend and Easter Monday do not count); acknowledged on the 7th: in
    time. Confirmed with the GP that the family knows.
  - G2, Friday 10 April, not told: risk of harm. Due Monday 13 April;
    acknowledged Tuesday 14th: late. Confirmed: the family does not know.
  - G3, Friday 1 May, not told: could not be contacted; still waiting for the
    practice manager, so not yet received.
  - G4, 00:30 on Monday 1 June (still 31 May in UTC): outside the period.
* Brookfield School
  - S1, 00:30 on Friday 1 May (30 April in UTC, so a May referral), family
    told. Due Tuesday 5 May (the weekend and the early May bank holiday do
    not count); acknowledged Wednesday 6th: late.
  - S2, Friday 22 May, not told: risk of harm. Due Tuesday 26 May (the
    spring bank holiday); not acknowledged: overdue on 1 June.
  - S3, Friday 29 May, family told. Due Monday 1 June; not acknowledged, and
    not overdue on the day it is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.working_days import add_working_days
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.referrals.measures import ReferralMeasures, ReferralTally, referral_measures
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.services import (
    ChildOnReferral,
    FamilyInformed,
    referral_acknowledge,
    referral_confirm_family_awareness,
    referral_make,
    referral_manager_confirm,
)

pytestmark = pytest.mark.django_db

START, END, TODAY = dt.date(2026, 4, 1), dt.date(2026, 5, 31), dt.date(2026, 6, 1)
APRIL, MAY = dt.date(2026, 4, 1), dt.date(2026, 5, 1)

TOLD = FamilyInformed(
    answer="yes",
    informed_on=dt.date(2026, 3, 30),
    informed_by_name="Referrer",
    informed_how="in_person",
    family_response="Mother agreed.",
)
NOT_TOLD_RISK = FamilyInformed(answer="no", not_informed_reason="risk_of_harm")
NOT_CONTACTED = FamilyInformed(
    answer="no", not_informed_reason="could_not_contact", contact_attempts="Phoned twice."
)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class Case:
    def __init__(self) -> None:
        self.family = family = carter_family()
        self.worker = make_user(family.csc, User.Role.CSC_WORKER)
        gp, school = family.gp, family.school

        g1 = self.refer(gp, TOLD, made=at(dt.date(2026, 4, 2)), due=dt.date(2026, 4, 7))
        self.acknowledge(g1, at(dt.date(2026, 4, 7), hour=16), family_aware=True)
        g2 = self.refer(gp, NOT_TOLD_RISK, made=at(dt.date(2026, 4, 10)), due=dt.date(2026, 4, 13))
        self.acknowledge(g2, at(dt.date(2026, 4, 14), hour=9), family_aware=False)
        self.refer(gp, NOT_CONTACTED, made=at(dt.date(2026, 5, 1), hour=9))
        self.refer(
            gp, TOLD, made=at(dt.date(2026, 6, 1), hour=0, minute=30), due=dt.date(2026, 6, 2)
        )

        s1 = self.refer(school, TOLD, made=at(dt.date(2026, 5, 1), hour=0, minute=30),
                        due=dt.date(2026, 5, 5))  # fmt: skip
        self.acknowledge(s1, at(dt.date(2026, 5, 6), hour=9))
        self.refer(school, NOT_TOLD_RISK, made=at(dt.date(2026, 5, 22)), due=dt.date(2026, 5, 26))
        self.refer(school, TOLD, made=at(dt.date(2026, 5, 29)), due=TODAY)

    def refer(
        self,
        agency: Any,
        informed: FamilyInformed,
        *,
        made: dt.datetime,
        due: dt.date | None = None,
    ) -> Referral:
        """A referral of Ava by ``agency``, sent on (if the family was not told) by its
        manager, then dated ``made``: made and received then, acknowledgement due ``due``."""
        family: Family = self.family
        referral = referral_make(
            by=make_user(agency),
            household=family.home,
            children=[
                ChildOnReferral(family.ava, included=True),
                ChildOnReferral(family.ben, included=False, removal_reason="No worries."),
                ChildOnReferral(family.unborn, included=False, removal_reason="Not yet born."),
            ],
            concerns="Ava says there is often no food at home.",
            categories=["neglect"],
            done_so_far="Spoke to Ava.",
            family_informed=informed,
        )
        if due is not None and referral.status == Referral.Status.AWAITING_MANAGER:
            referral = referral_manager_confirm(
                referral=referral, by=make_user(agency, User.Role.MANAGER),
                version=referral.version, note="Agreed.",
            )  # fmt: skip
        dates: dict[str, Any] = {"referred_at": made}
        if due is not None:
            # The due date the service would have set on receipt: 1 working day on.
            assert add_working_days(timezone.localdate(made), 1) == due
            dates |= {"received_at": made, "acknowledgement_due_on": due}
        Referral.objects.filter(pk=referral.pk).update(**dates)
        referral.refresh_from_db()
        return referral

    def acknowledge(
        self, referral: Referral, when: dt.datetime, *, family_aware: bool | None = None
    ) -> None:
        referral = referral_acknowledge(referral=referral, by=self.worker, version=referral.version)
        if family_aware is not None:
            referral_confirm_family_awareness(
                referral=referral, by=self.worker, version=referral.version,
                family_aware=family_aware,
                telling_decision="" if family_aware else "not_to_be_told",
                telling_reason="" if family_aware else "Father may harm Ava if he learns of it.",
            )  # fmt: skip
        Referral.objects.filter(pk=referral.pk).update(acknowledged_at=when)


@pytest.fixture
def case() -> Case:
    return Case()


def partnership_manager(case: Case) -> User:
    return make_user(case.family.csc, User.Role.PARTNERSHIP_MANAGER)


def measures_of(case: Case) -> ReferralMeasures:
    return referral_measures(viewer=partnership_manager(case), start=START, end=END, today=TODAY)


def tally(**counts: int) -> ReferralTally:
    return ReferralTally(**counts)


GP_APRIL = tally(
    referrals=2, family_informed_recorded=2, not_told=1, not_told_risk_of_harm=1,
    confirmed_with_referrer=2, received=2, acknowledged=2, acknowledged_in_time=1,
)  # fmt: skip
GP_MAY = tally(referrals=1, family_informed_recorded=1, not_told=1)
SCHOOL_MAY = tally(
    referrals=3, family_informed_recorded=3, not_told=1, not_told_risk_of_harm=1,
    received=3, acknowledged=1, awaiting_acknowledgement=2, awaiting_acknowledgement_overdue=1,
)  # fmt: skip


def test_each_agency_s_referrals_are_counted_by_the_month_they_were_made(case):
    measures = measures_of(case)
    gp, school = measures.by_agency
    assert gp.agency.name == "Acacia Surgery" and school.agency.name == "Brookfield School"
    assert [(m.month, m.tally) for m in gp.months] == [(APRIL, GP_APRIL), (MAY, GP_MAY)]
    # S1 was made at 00:30 on 1 May (UK time), which is 30 April in UTC: a May referral.
    assert [(m.month, m.tally) for m in school.months] == [(MAY, SCHOOL_MAY)]
    assert gp.total == tally(
        referrals=3, family_informed_recorded=3, not_told=2, not_told_risk_of_harm=1,
        confirmed_with_referrer=2, received=2, acknowledged=2, acknowledged_in_time=1,
    )  # fmt: skip
    assert school.total == SCHOOL_MAY


def test_the_months_of_the_period_add_up_all_agencies(case):
    measures = measures_of(case)
    assert [m.month for m in measures.by_month] == [APRIL, MAY]
    april, may = (m.tally for m in measures.by_month)
    assert april == GP_APRIL
    assert may == tally(
        referrals=4, family_informed_recorded=4, not_told=2, not_told_risk_of_harm=1,
        received=3, acknowledged=1, awaiting_acknowledgement=2, awaiting_acknowledgement_overdue=1,
    )  # fmt: skip
    assert measures.total == tally(
        referrals=6, family_informed_recorded=6, not_told=3, not_told_risk_of_harm=2,
        confirmed_with_referrer=2, received=5, acknowledged=3, acknowledged_in_time=1,
        awaiting_acknowledgement=2, awaiting_acknowledgement_overdue=1,
    )  # fmt: skip


def test_the_shares_are_of_all_referrals_of_those_not_told_and_of_those_received(case):
    total = measures_of(case).total
    assert total.family_informed_share == 1
    assert total.risk_of_harm_share == pytest.approx(2 / 6)
    assert total.risk_of_harm_share_of_not_told == pytest.approx(2 / 3)
    assert total.confirmed_share == pytest.approx(2 / 6)
    assert total.acknowledged_in_time_share == pytest.approx(1 / 5)
    # GP in May: one referral, not yet received, so no acknowledgement share at all.
    assert GP_MAY.acknowledged_in_time_share is None
    assert GP_MAY.risk_of_harm_share_of_not_told == 0


def test_a_month_with_no_referrals_is_in_the_partnership_months_with_nothing_in_it(case):
    measures = referral_measures(
        viewer=partnership_manager(case), start=dt.date(2026, 3, 1), end=END, today=TODAY
    )
    march, *_ = measures.by_month
    assert (march.month, march.tally) == (dt.date(2026, 3, 1), ReferralTally())
    assert march.tally.family_informed_share is None


def test_overdue_is_judged_on_the_day_given(case):
    later = referral_measures(
        viewer=partnership_manager(case), start=START, end=END, today=dt.date(2026, 6, 2)
    )
    assert later.total.awaiting_acknowledgement_overdue == 2


def test_reading_the_measures_is_recorded_on_the_audit_trail(case):
    manager = partnership_manager(case)
    referral_measures(viewer=manager, start=START, end=END, today=TODAY)
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_WORKLIST)
    assert (entry.actor, entry.object_type) == (manager, "referral_measures")
    assert entry.detail == {"start": "2026-04-01", "end": "2026-05-31", "referrals": 6}


@pytest.mark.parametrize(
    "role",
    [User.Role.CSC_WORKER, User.Role.CSC_MANAGER, User.Role.PRACTITIONER, User.Role.AUDITOR],
)
def test_only_a_partnership_manager_may_read_the_measures(case, role):
    with pytest.raises(ApplicationError, match="Only partnership managers"):
        referral_measures(viewer=make_user(case.family.csc, role), start=START, end=END)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_WORKLIST).exists()


def test_a_period_that_ends_before_it_starts_is_refused(case):
    with pytest.raises(ApplicationError, match=r"starts .* after it ends"):
        referral_measures(viewer=partnership_manager(case), start=END, end=START)
