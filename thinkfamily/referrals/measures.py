"""The partnership's measures of referrals to children's social care made with the family in mind.

The case review asked that a referrer tell the parents about a referral
unless that would put the child at risk of significant harm, that children's
social care confirm with the referrer whether the family knows, and that
referrals be acknowledged promptly. The safeguarding partnership watches
those duties, by referring agency and by month the referral was made
(``Referral.referred_at``, UK time):

* **Family-informed recorded**: the referrer answered "was the family told?".
  A referral made in Think Family cannot be made without that answer (the
  service refuses it and a database constraint forbids it), so this is 100%
  for every referral made here; it is still counted from the data, so a row
  written any other way would show.
* **Not told, risk of harm**: the family was not told because telling them
  would place the child at risk of significant harm, as a share of all
  referrals and of those where the family was not told.
* **Confirmed with the referrer**: children's social care has confirmed with
  the referrer whether the family is aware (``Referral.family_aware`` is
  recorded: the referral has reached "family's awareness confirmed" or a
  later step). Referrals still at an earlier step count as not confirmed.
* **Acknowledged within 1 working day**: acknowledged to the referrer on or
  before the due date (``acknowledgement_due_on``, 1 working day after
  receipt, England's bank holidays excluded), as a share of the referrals
  children's social care has received; a referral waiting for a manager in
  the referring agency has not reached it yet. Those received and not yet
  acknowledged are counted too, and how many of them are overdue today.

Only partnership managers see the measures (``VIEW_REFERRAL_MEASURES``); each
reading is recorded on the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from thinkfamily.accounts.backends import VIEW_REFERRAL_MEASURES
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.referrals.models import Referral

__all__ = [
    "AgencyMeasures",
    "MonthMeasures",
    "ReferralMeasures",
    "ReferralTally",
    "referral_measures",
]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class ReferralTally:
    """Counts for a set of referrals (one agency's in one month, a month's, or a total)."""

    referrals: int = 0
    family_informed_recorded: int = 0
    not_told: int = 0
    not_told_risk_of_harm: int = 0
    confirmed_with_referrer: int = 0
    received: int = 0
    acknowledged: int = 0
    acknowledged_in_time: int = 0
    awaiting_acknowledgement: int = 0
    awaiting_acknowledgement_overdue: int = 0

    def add(self, referral: _ReferralFacts, today: dt.date) -> None:
        self.referrals += 1
        self.family_informed_recorded += referral.family_informed in Referral.FamilyInformed.values
        if referral.family_informed == Referral.FamilyInformed.NO:
            self.not_told += 1
            self.not_told_risk_of_harm += (
                referral.not_informed_reason == Referral.NotInformedReason.RISK_OF_HARM
            )
        self.confirmed_with_referrer += referral.family_aware is not None
        if referral.received_at is None:
            return
        self.received += 1
        due_on = referral.acknowledgement_due_on
        if referral.acknowledged_at is not None:
            self.acknowledged += 1
            self.acknowledged_in_time += due_on is not None and (
                timezone.localdate(referral.acknowledged_at) <= due_on
            )
        else:
            self.awaiting_acknowledgement += 1
            self.awaiting_acknowledgement_overdue += due_on is not None and due_on < today

    def __iadd__(self, other: ReferralTally) -> ReferralTally:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def family_informed_share(self) -> float | None:
        return _share(self.family_informed_recorded, self.referrals)

    @property
    def risk_of_harm_share(self) -> float | None:
        """Not told because of the risk of harm, as a share of all referrals."""
        return _share(self.not_told_risk_of_harm, self.referrals)

    @property
    def risk_of_harm_share_of_not_told(self) -> float | None:
        return _share(self.not_told_risk_of_harm, self.not_told)

    @property
    def confirmed_share(self) -> float | None:
        return _share(self.confirmed_with_referrer, self.referrals)

    @property
    def acknowledged_in_time_share(self) -> float | None:
        """Acknowledged within 1 working day, as a share of the referrals received."""
        return _share(self.acknowledged_in_time, self.received)


@dataclass(frozen=True)
class _ReferralFacts:
    referring_agency_id: int
    referred_at: dt.datetime
    family_informed: str
    not_informed_reason: str
    family_aware: bool | None
    received_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledgement_due_on: dt.date | None


@dataclass(frozen=True)
class MonthMeasures:
    """One calendar month's referrals (``month`` is its first day)."""

    month: dt.date
    tally: ReferralTally


@dataclass(frozen=True)
class AgencyMeasures:
    """The referrals one agency made in the period: each month it made any, and in all."""

    agency: Agency
    months: list[MonthMeasures]
    total: ReferralTally


@dataclass(frozen=True)
class ReferralMeasures:
    """The partnership's referral measures for a period, by agency and by month."""

    start: dt.date
    end: dt.date
    today: dt.date
    by_agency: list[AgencyMeasures]
    by_month: list[MonthMeasures]
    total: ReferralTally = field(default_factory=ReferralTally)


def referral_measures(
    *, viewer: User, start: dt.date, end: dt.date, today: dt.date | None = None
) -> ReferralMeasures:
    """The measures of the referrals made from ``start`` to ``end`` (both included, UK days).

    Agencies are in name order, each with the months in which it made
    referrals; ``by_month`` has every month of the period, all agencies
    together. "Overdue" is judged on ``today`` (by default, today).

    Raises ``ApplicationError`` for a viewer without ``VIEW_REFERRAL_MEASURES``
    (the page checks first and answers 404) and for a period that ends before
    it starts.
    """
    if not viewer.has_perm(VIEW_REFERRAL_MEASURES):
        raise ApplicationError("Only partnership managers see the referral measures.")
    if start > end:
        raise ApplicationError(
            f"The period starts ({start:%d/%m/%Y}) after it ends ({end:%d/%m/%Y}).",
            extra={"end": "The end date must be the same as or after the start date"},
        )
    today = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    rows = Referral.objects.filter(referred_at__gte=since, referred_at__lt=until).values_list(
        "referring_agency_id",
        "referred_at",
        "family_informed",
        "not_informed_reason",
        "family_aware",
        "received_at",
        "acknowledged_at",
        "acknowledgement_due_on",
    )
    by_agency_month: dict[int, dict[dt.date, ReferralTally]] = defaultdict(
        lambda: defaultdict(ReferralTally)
    )
    for values in rows.iterator(chunk_size=5000):
        facts = _ReferralFacts(*values)
        month = timezone.localdate(facts.referred_at).replace(day=1)
        by_agency_month[facts.referring_agency_id][month].add(facts, today)

    agencies = Agency.objects.in_bulk(list(by_agency_month))
    by_month: dict[dt.date, ReferralTally] = {
        month: ReferralTally() for month in _months(start, end)
    }
    total = ReferralTally()
    by_agency = []
    for agency_id, months in by_agency_month.items():
        agency_total = ReferralTally()
        for month, tally in months.items():
            agency_total += tally
            by_month[month] += tally
        total += agency_total
        by_agency.append(
            AgencyMeasures(
                agency=agencies[agency_id],
                months=[MonthMeasures(month, months[month]) for month in sorted(months)],
                total=agency_total,
            )
        )
    by_agency.sort(key=lambda row: (row.agency.name, row.agency.pk))
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="referral_measures",
        reason=f"role: {viewer.get_role_display()}",
        detail={"start": start.isoformat(), "end": end.isoformat(), "referrals": total.referrals},
    )
    return ReferralMeasures(
        start=start,
        end=end,
        today=today,
        by_agency=by_agency,
        by_month=[MonthMeasures(month, tally) for month, tally in by_month.items()],
        total=total,
    )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every calendar month from ``start``'s to ``end``'s."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months
