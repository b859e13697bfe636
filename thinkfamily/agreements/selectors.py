"""Reads of verbal agreements, always on behalf of a viewer and always audited.

* ``agreement_detail``: one agreement with its family members, children,
  network shares and reviews, and what the viewer may do with it.
* ``agreement_register``: the recording agency's worklist: reviews overdue
  (the review date has passed), reviews due soon, agreements shared with
  nobody, and, for managers, agreements awaiting their sign-off.
* ``family_agreements``: the short summary on a family's page.
* ``agreement_network``: the people an agreement can be shared with: the
  household and the people agencies record as related to its members.
* ``agreement_compliance``: for partnership managers, by recording agency and
  month made: agreements naming a need, shared with the network, and first
  reviewed on time.

An agreement the viewer may not see raises ``VerbalAgreement.DoesNotExist``,
exactly as one that does not exist, so a page answers 404 in both cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACT_ON_AGREEMENT,
    RECORD_AGREEMENT,
    SIGN_OFF_AGREEMENT,
    VIEW_AGREEMENT,
    VIEW_AGREEMENT_COMPLIANCE,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.agreements.models import (
    AgreementReview,
    AgreementShare,
    VerbalAgreement,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.people.models import (
    Household,
    HouseholdMembership,
    Person,
    Relationship,
    people_visible_among,
)

__all__ = [
    "DUE_SOON_DAYS",
    "AgreementDetail",
    "AgreementRow",
    "ComplianceRow",
    "FamilyAgreements",
    "Register",
    "agreement_compliance",
    "agreement_detail",
    "agreement_network",
    "agreement_register",
    "family_agreements",
]

#: Reviews falling due within this many days are listed as due on the register.
DUE_SOON_DAYS = 7


# ---------------------------------------------------------------------------
# One agreement


@dataclass(frozen=True)
class AgreementDetail:
    """One agreement as the viewer may see it, and what the viewer may do with it."""

    agreement: VerbalAgreement
    made_with: list[Person]
    children: list[Person]
    shares: list[AgreementShare]
    reviews: list[AgreementReview]
    overdue: bool
    may_act: bool
    may_sign_off: bool
    access_reason: str


def _access_reason(viewer: User, agreement: VerbalAgreement) -> str:
    if viewer.agency_id == agreement.recording_agency_id:
        return "agreement recorded by the viewer's agency"
    if viewer.sees_whole_families:
        return f"role: {viewer.get_role_display()}"
    return "agency holds a record of a child the agreement concerns"


def agreement_detail(
    *, agreement_id: int, viewer: User, today: dt.date | None = None
) -> AgreementDetail:
    """One agreement the viewer may see, audited; raises VerbalAgreement.DoesNotExist otherwise."""
    today = today or timezone.localdate()
    agreement = (
        VerbalAgreement.objects.hiding_sealed_from(viewer)
        .select_related("household", "recording_agency", "recorded_by", "signed_off_by")
        .get(pk=agreement_id)
    )
    if not viewer.has_perm(VIEW_AGREEMENT, agreement):
        raise VerbalAgreement.DoesNotExist
    made_with = list(agreement.made_with.all())
    children = list(agreement.children.all())
    shares = list(agreement.shares.select_related("person", "recorded_by"))
    may_see = people_visible_among(
        viewer, {p.pk for p in made_with + children} | {s.person_id for s in shares}
    )
    reason = _access_reason(viewer, agreement)
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        reason=reason,
    )
    return AgreementDetail(
        agreement=agreement,
        made_with=[p for p in made_with if p.pk in may_see],
        children=[p for p in children if p.pk in may_see],
        shares=[s for s in shares if s.person_id in may_see],
        reviews=list(agreement.reviews.select_related("reviewed_by")),
        overdue=agreement.review_overdue_on(today),
        may_act=agreement.is_active and viewer.has_perm(ACT_ON_AGREEMENT, agreement),
        may_sign_off=agreement.awaiting_sign_off and viewer.has_perm(SIGN_OFF_AGREEMENT, agreement),
        access_reason=reason,
    )


def agreement_network(
    *, agreement: VerbalAgreement, viewer: User, today: dt.date | None = None
) -> list[Person]:
    """Who the agreement can be shared with: the adults who have lived in the household and the
    adults any agency records as related to them (a grandparent, say), other than those who
    made it, that the viewer may see; by name."""
    today = today or timezone.localdate()
    members = set(
        HouseholdMembership.objects.filter(household_id=agreement.household_id).values_list(
            "person_id", flat=True
        )
    )
    related = Relationship.objects.filter(
        Q(record__person_id__in=members) | Q(related_record__person_id__in=members)
    ).values_list("record__person_id", "related_record__person_id")
    ids = members | {pk for pair in related for pk in pair if pk is not None}
    ids -= set(agreement.made_with.values_list("pk", flat=True))
    may_see = people_visible_among(viewer, ids)
    return sorted(
        (p for p in Person.objects.filter(pk__in=may_see) if not p.is_child_on(today)),
        key=lambda p: (p.family_name, p.given_name, p.pk),
    )


# ---------------------------------------------------------------------------
# Lists of agreements


@dataclass(frozen=True)
class AgreementRow:
    """An agreement on a list, with the family members and children the viewer may see
    (a sealed child, or an adult the viewer may not see, is not named)."""

    agreement: VerbalAgreement
    made_with: list[Person]
    children: list[Person]


def _rows(agreements: list[VerbalAgreement], viewer: User) -> list[AgreementRow]:
    """Agreements fetched with ``made_with`` and ``children`` prefetched, as rows naming only
    the people the viewer may see (one query for all of them)."""
    named = {p.pk for a in agreements for p in [*a.made_with.all(), *a.children.all()]}
    may_see = people_visible_among(viewer, named)
    return [
        AgreementRow(
            agreement=a,
            made_with=[p for p in a.made_with.all() if p.pk in may_see],
            children=[p for p in a.children.all() if p.pk in may_see],
        )
        for a in agreements
    ]


# ---------------------------------------------------------------------------
# The register


@dataclass(frozen=True)
class Register:
    """The recording agency's verbal agreements that need something done.

    ``overdue``: active, review date passed. ``due``: review due within
    ``DUE_SOON_DAYS``. ``unshared``: active and shared with nobody in the
    family's network. ``awaiting_sign_off``: awaiting the viewer's sign-off
    (empty for those who may not sign off). ``active``: every active one.
    """

    overdue: list[AgreementRow]
    due: list[AgreementRow]
    unshared: list[AgreementRow]
    awaiting_sign_off: list[AgreementRow]
    active: list[AgreementRow]
    may_record: bool = False


def agreement_register(*, viewer: User, today: dt.date | None = None) -> Register:
    """The viewer's agency's active agreements, sorted into what needs doing; audited."""
    today = today or timezone.localdate()
    if not viewer.is_active or viewer.agency_id is None:
        return Register([], [], [], [], [])
    active = _rows(
        list(
            VerbalAgreement.objects.active()
            .filter(recording_agency_id=viewer.agency_id)
            .hiding_sealed_from(viewer)
            .select_related("household", "recorded_by")
            .prefetch_related("children", "made_with", "shares")
            .order_by("review_on", "id")
        ),
        viewer,
    )
    soon = today + dt.timedelta(DUE_SOON_DAYS)
    register = Register(
        overdue=[r for r in active if r.agreement.review_on < today],
        due=[r for r in active if today <= r.agreement.review_on <= soon],
        unshared=[r for r in active if not r.agreement.shares.all()],
        awaiting_sign_off=[
            r
            for r in active
            if r.agreement.awaiting_sign_off and viewer.has_perm(SIGN_OFF_AGREEMENT, r.agreement)
        ],
        active=active,
    )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="verbal_agreements",
        reason="active verbal agreements recorded by the viewer's agency",
        detail={"active": len(active), "overdue": len(register.overdue)},
    )
    return register


# ---------------------------------------------------------------------------
# The family page


@dataclass(frozen=True)
class FamilyAgreements:
    """The verbal agreements of a household the viewer may see, for the family page."""

    active: list[AgreementRow]
    overdue: list[AgreementRow]
    unshared: list[AgreementRow]
    may_record: bool


def family_agreements(
    *, household: Household, viewer: User, today: dt.date | None = None
) -> FamilyAgreements:
    """The household's active agreements the viewer may see, those overdue a review and those
    shared with nobody; audited when there are any."""
    today = today or timezone.localdate()
    active = _rows(
        list(
            VerbalAgreement.objects.visible_to(viewer)
            .hiding_sealed_from(viewer)
            .active()
            .filter(household=household)
            .select_related("recording_agency")
            .prefetch_related("children", "made_with", "shares")
            .order_by("review_on", "id")
        ),
        viewer,
    )
    if active:
        audit_record(
            actor=viewer,
            action=AuditEvent.Action.VIEW_AGREEMENT,
            object_type="household",
            object_id=household.pk,
            reason="verbal agreements on the family page",
            detail={"agreements": [r.agreement.pk for r in active]},
        )
    return FamilyAgreements(
        active=active,
        overdue=[r for r in active if r.agreement.review_on < today],
        unshared=[r for r in active if not r.agreement.shares.all()],
        may_record=viewer.has_perm(RECORD_AGREEMENT, household),
    )


# ---------------------------------------------------------------------------
# Compliance


@dataclass
class ComplianceRow:
    """One recording agency's agreements made in one month, and how many met each expectation.

    ``reviews_due`` counts those whose first review date has passed or that
    have been reviewed; ``reviewed_on_time`` those whose first review was on
    or before the review date set when the agreement was made.
    """

    agency: Agency
    month: dt.date  # the first of the month
    agreements: int = 0
    with_need: int = 0
    shared: int = 0
    reviews_due: int = 0
    reviewed_on_time: int = 0
    agreement_ids: list[int] = field(default_factory=list)


def agreement_compliance(*, viewer: User, today: dt.date | None = None) -> list[ComplianceRow]:
    """By recording agency and month made, for partnership managers; audited.

    Raises PermissionDenied for anyone else.
    """
    today = today or timezone.localdate()
    if not viewer.has_perm(VIEW_AGREEMENT_COMPLIANCE):
        raise PermissionDenied("Only partnership managers may see agreement compliance.")
    first_review: dict[int, AgreementReview] = {}
    for each in AgreementReview.objects.order_by("reviewed_on", "id"):
        first_review.setdefault(each.agreement_id, each)
    shared = set(AgreementShare.objects.values_list("agreement_id", flat=True))
    rows: dict[tuple[int, dt.date], ComplianceRow] = {}
    agencies: dict[int, Agency] = {}
    for agreement in VerbalAgreement.objects.select_related("recording_agency").order_by(
        "made_on", "id"
    ):
        agencies.setdefault(agreement.recording_agency_id, agreement.recording_agency)
        month = agreement.made_on.replace(day=1)
        key = (agreement.recording_agency_id, month)
        row = rows.setdefault(key, ComplianceRow(agencies[key[0]], month))
        row.agreements += 1
        row.agreement_ids.append(agreement.pk)
        row.with_need += bool(agreement.need.strip())
        row.shared += agreement.pk in shared
        review = first_review.get(agreement.pk)
        if review is not None:
            row.reviews_due += 1
            row.reviewed_on_time += review.reviewed_on <= review.due_on
        elif agreement.review_on < today:
            row.reviews_due += 1
    result = sorted(rows.values(), key=lambda r: (r.agency.name, r.month))
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_AGREEMENT,
        object_type="agreement_compliance",
        reason=f"role: {viewer.get_role_display()}",
        detail={"rows": len(result)},
    )
    return result
