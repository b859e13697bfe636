"""Demo accounts: one person for each kind of practitioner the partnership has.

Only for the demo and local trials. The agencies are picked from whatever
county was imported (the first school, GP practice and health visiting team
by code), so the logins always have people to look at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.people.models import HouseholdMembership, Person

if TYPE_CHECKING:
    from thinkfamily.matching.models import Merge

DEMO_PASSWORD = "think-sibling-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    agency: str


_DEMO_USERS = [
    # username, first name, last name, agency type, role
    ("dsl", "Dana", "Lead", Agency.AgencyType.SCHOOL, User.Role.DESIGNATED_SAFEGUARDING_LEAD),
    ("gp", "Gita", "Practice", Agency.AgencyType.GP, User.Role.PRACTITIONER),
    ("hv", "Hal", "Visitor", Agency.AgencyType.HEALTH_VISITING, User.Role.PRACTITIONER),
    ("police", "Pat", "Constable", Agency.AgencyType.POLICE, User.Role.PRACTITIONER),
    ("social.worker", "Sam", "Worker", Agency.AgencyType.CSC, User.Role.CSC_WORKER),
    ("csc.manager", "Chris", "Manager", Agency.AgencyType.CSC, User.Role.CSC_MANAGER),
    ("partnership", "Pia", "Manager", Agency.AgencyType.CSC, User.Role.PARTNERSHIP_MANAGER),
]
_FALLBACK_AGENCIES = {
    Agency.AgencyType.POLICE: ("POLICE", "County Police"),
    Agency.AgencyType.CSC: ("CSC", "Children's social care"),
}


def _agency_of_type(agency_type: str) -> Agency | None:
    agency = Agency.objects.filter(agency_type=agency_type).order_by("code").first()
    if agency is None and agency_type in _FALLBACK_AGENCIES:
        code, name = _FALLBACK_AGENCIES[agency_type]
        agency = Agency.objects.create(code=code, name=name, agency_type=agency_type)
    return agency


@transaction.atomic
def demo_users_create(*, password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """Create (or reset) the demo logins; return who they are. Safe to run again."""
    logins = []
    for username, first, last, agency_type, role in _DEMO_USERS:
        agency = _agency_of_type(agency_type)
        if agency is None:
            continue  # the county has no agency of this kind
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "agency": agency, "role": role},
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        logins.append(DemoLogin(username, user.get_role_display(), agency.name))
    return logins


def demo_pupil_with_preschool_sibling(*, school: Agency) -> Person | None:
    """A pupil of ``school`` living with a child under five, one with a concern if possible.

    The person to look up first in the demo: the school knows the pupil, and
    through the household sees the preschool sibling it would otherwise miss.
    """
    five_years_ago = timezone.localdate() - dt.timedelta(days=5 * 365)
    with_preschool_child = HouseholdMembership.objects.filter(
        end_date__isnull=True, person__date_of_birth__gt=five_years_ago
    ).values("household_id")
    pupils = Person.objects.filter(
        records__agency=school,
        memberships__household_id__in=with_preschool_child,
        memberships__end_date__isnull=True,
    ).order_by("family_name", "given_name", "pk")
    return pupils.filter(events__event_type="concern").first() or pupils.first()


@dataclass(frozen=True)
class DemoLinkage:
    """What linkage left for the demo: pairs to review, and a merge to try undoing."""

    pending_pairs: int
    merge: Merge | None


def demo_linkage_prepare(*, reviewer: User) -> DemoLinkage:
    """Make sure the merges page has a merge to undo: confirm the strongest pending pair.

    Only when no merge exists yet, so running the demo again changes nothing.
    The confirmation is recorded as the demo reviewer's, with a note saying so.
    """
    from thinkfamily.matching.models import CandidatePair, Merge
    from thinkfamily.matching.services import candidate_confirm

    merge = Merge.objects.filter(undone_at__isnull=True).order_by("-merged_at").first()
    if merge is None:
        strongest = (
            CandidatePair.objects.filter(status=CandidatePair.Status.PENDING)
            .order_by("-match_probability", "pk")
            .first()
        )
        if strongest is not None:
            merge = candidate_confirm(
                candidate=strongest,
                by=reviewer,
                note="Confirmed by the demo set-up so that there is a merge to undo.",
            )
    pending = CandidatePair.objects.filter(status__in=CandidatePair.OPEN_STATUSES).count()
    return DemoLinkage(pending_pairs=pending, merge=merge)
