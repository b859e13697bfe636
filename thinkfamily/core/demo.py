"""Demo accounts: one person for each kind of practitioner the partnership has.

Only for the demo and local trials. The agencies are picked from whatever
county was imported (the first school, GP practice and health visiting team
by code), so the logins always have people to look at.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import HouseholdMembership, Person

if TYPE_CHECKING:
    from thinkfamily.matching.models import Merge
    from thinkfamily.referrals.models import Referral

DEMO_PASSWORD = "think-sibling-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    agency: str


def demo_authenticator_enrol(*, user: User) -> None:
    """Give a demo login an authenticator named "demo", so the demo needs no phone.

    ``thinkfamily demo-code USERNAME`` prints its current code; it refuses any device
    not named "demo", so it is no help outside the demo.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from thinkfamily.accounts.two_factor import DEMO_DEVICE_NAME

    if not TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, confirmed=True).exists():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)


_DEMO_USERS = [
    # username, first name, last name, agency type, role
    ("dsl", "Dana", "Lead", Agency.AgencyType.SCHOOL, User.Role.DESIGNATED_SAFEGUARDING_LEAD),
    ("gp", "Gita", "Practice", Agency.AgencyType.GP, User.Role.PRACTITIONER),
    ("gp.manager", "Grace", "Practice-Manager", Agency.AgencyType.GP, User.Role.MANAGER),
    ("hv", "Hal", "Visitor", Agency.AgencyType.HEALTH_VISITING, User.Role.PRACTITIONER),
    ("police", "Pat", "Constable", Agency.AgencyType.POLICE, User.Role.PRACTITIONER),
    ("social.worker", "Sam", "Worker", Agency.AgencyType.CSC, User.Role.CSC_WORKER),
    ("csc.manager", "Chris", "Manager", Agency.AgencyType.CSC, User.Role.CSC_MANAGER),
    ("partnership", "Pia", "Manager", Agency.AgencyType.CSC, User.Role.PARTNERSHIP_MANAGER),
    ("panel", "Rae", "Reviewer", Agency.AgencyType.CSC, User.Role.REVIEWER),
    ("police.sergeant", "Sol", "Sergeant", Agency.AgencyType.POLICE, User.Role.MANAGER),
    ("auditor", "Ada", "Auditor", Agency.AgencyType.CSC, User.Role.AUDITOR),
]
_FALLBACK_AGENCIES: dict[str, tuple[str, str]] = {
    Agency.AgencyType.POLICE: ("POLICE", "County Police"),
    Agency.AgencyType.CSC: ("CSC", "Children's social care"),
}


def _agency_of_type(agency_type: str, chosen: dict[str, Agency]) -> Agency | None:
    if agency_type in chosen:
        return chosen[agency_type]
    agency = Agency.objects.filter(agency_type=agency_type).order_by("code").first()
    if agency is None and agency_type in _FALLBACK_AGENCIES:
        code, name = _FALLBACK_AGENCIES[agency_type]
        agency = Agency.objects.create(code=code, name=name, agency_type=agency_type)
    return agency


@dataclass(frozen=True)
class DemoFamily:
    """The family the demo's story is about: a pupil and a preschool sibling at home."""

    pupil: Person
    sibling: Person
    school: Agency
    health_visiting: Agency
    gp: Agency | None


@transaction.atomic
def demo_users_create(
    *, password: str = DEMO_PASSWORD, family: DemoFamily | None = None
) -> list[DemoLogin]:
    """Create (or reset) the demo logins; return who they are. Safe to run again.

    With a demo ``family``, the school lead works at the pupil's school and the
    health visitor in the team that knows the preschool sibling, so the Think
    Sibling story can be walked end to end.
    """
    chosen: dict[str, Agency] = {}
    if family is not None:
        chosen = {
            Agency.AgencyType.SCHOOL: family.school,
            Agency.AgencyType.HEALTH_VISITING: family.health_visiting,
        }
        if family.gp is not None:
            chosen[Agency.AgencyType.GP] = family.gp
    logins = []
    for username, first, last, agency_type, role in _DEMO_USERS:
        agency = _agency_of_type(agency_type, chosen)
        if agency is None:
            continue  # the county has no agency of this kind
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "agency": agency, "role": role},
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        demo_authenticator_enrol(user=user)
        logins.append(DemoLogin(username, user.get_role_display(), agency.name))
    return logins


def demo_family_choose() -> DemoFamily | None:
    """A school pupil living with a child of one to four whom a health visiting team knows.

    The first such household by id, so the demo tells the same story each time
    on the same county.
    """
    today = timezone.localdate()
    toddlers = HouseholdMembership.objects.filter(
        end_date__isnull=True,
        person__date_of_birth__gt=today - dt.timedelta(days=5 * 365),
        person__date_of_birth__lt=today - dt.timedelta(days=365),
        person__records__agency__agency_type=Agency.AgencyType.HEALTH_VISITING,
    ).order_by("household_id", "person_id")
    for toddler in toddlers.select_related("person")[:500]:
        pupil = (
            Person.objects.filter(
                memberships__household_id=toddler.household_id,
                memberships__end_date__isnull=True,
                records__agency__agency_type=Agency.AgencyType.SCHOOL,
                date_of_birth__lt=today - dt.timedelta(days=6 * 365),
            )
            .exclude(pk=toddler.person_id)
            .order_by("pk")
            .first()
        )
        if pupil is None:
            continue
        school = pupil.records.filter(agency__agency_type="school").order_by("pk").first()
        visitor = (
            toddler.person.records.filter(agency__agency_type="health_visiting")
            .order_by("pk")
            .first()
        )
        assert school is not None and visitor is not None
        practice = (
            toddler.person.records.filter(agency__agency_type="gp").order_by("pk").first()
            or pupil.records.filter(agency__agency_type="gp").order_by("pk").first()
        )
        return DemoFamily(
            pupil,
            toddler.person,
            school.agency,
            visitor.agency,
            practice.agency if practice else None,
        )
    return None


DEMO_CONCERN = "Demo: arrived hungry and tired again; says there is no food at home."


def demo_concern_record(*, family: DemoFamily, lead: User) -> Event:
    """The school records a concern about the pupil, once: the siblings are prompted."""
    from thinkfamily.prompts.services import concern_record

    existing = Event.objects.filter(person=family.pupil, summary=DEMO_CONCERN).first()
    if existing is not None:
        return existing
    return concern_record(
        person=family.pupil,
        by=lead,
        occurred_at=timezone.now(),
        category=Event.Category.NEGLECT,
        summary=DEMO_CONCERN,
        seen_in_person=True,
    ).concern


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


def demo_new_adult_arrives(*, family: DemoFamily, folder: Path) -> Person | None:
    """A week later the police's next extract has a man at the family's address: a new adult.

    Written as a real (tiny) extract and imported the ordinary way, so the
    new-adult prompt is raised by the same rules as in life. Running it again
    imports the same rows and changes nothing.
    """
    from thinkfamily.extracts.reader import EVENT_COLUMNS, RECORD_COLUMNS, RELATIONSHIP_COLUMNS
    from thinkfamily.extracts.services import extract_import

    police = Agency.objects.filter(agency_type=Agency.AgencyType.POLICE).order_by("code").first()
    home = (
        HouseholdMembership.objects.filter(person=family.pupil, end_date__isnull=True)
        .select_related("household")
        .order_by("household_id")
        .first()
    )
    if police is None or home is None or not home.household.postcode:
        return None
    today = timezone.localdate()
    folder.mkdir(parents=True, exist_ok=True)
    _write_rows(
        folder / "records.csv",
        RECORD_COLUMNS,
        {
            "agency_code": police.code, "agency_type": "police", "record_id": "DEMO-RV-1",
            "given_name": "Rory", "family_name": "Vance", "date_of_birth": "1989-06-14",
            "sex": "M", "address": home.household.address, "postcode": home.household.postcode,
        },
    )  # fmt: skip
    _write_rows(
        folder / "events.csv",
        EVENT_COLUMNS,
        {
            "agency_code": police.code, "record_id": "DEMO-RV-1", "event_id": "DEMO-RV-INC-1",
            "event_type": "incident", "occurred_at": f"{today - dt.timedelta(days=3)}T23:10:00",
            "seen_in_person": "yes", "category": "domestic_abuse",
            "summary": "Demo: called to an argument at the address; children asleep upstairs.",
        },
    )  # fmt: skip
    _write_rows(folder / "relationships.csv", RELATIONSHIP_COLUMNS, None)
    result = extract_import(path=folder)
    if result.errors:
        raise ApplicationError(f"The demo's follow-up extract was refused: {result.errors[0]}")
    return Person.objects.filter(records__agency=police, records__record_id="DEMO-RV-1").first()


def _write_rows(path: Path, columns: Iterable[str], row: dict[str, str] | None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        if row is not None:
            writer.writerow(row)


DEMO_REFERRAL_CONCERNS = (
    "Demo: the toddler has lost weight since the last review and the pupil says there is "
    "often no food at home; mother seemed frightened of her new partner in the surgery."
)


def demo_referral_in_progress(*, family: DemoFamily) -> Referral | None:
    """The GP refers the children without telling the family (risk), the practice manager
    confirms, and children's social care acknowledges it: a referral half-way, for the demo
    user to take on (confirm with the GP, decide, record the visit intention, close). Once."""
    from thinkfamily.referrals.models import Referral
    from thinkfamily.referrals.services import (
        ChildOnReferral,
        FamilyInformed,
        referral_acknowledge,
        referral_make,
        referral_manager_confirm,
    )

    existing = Referral.objects.filter(concerns=DEMO_REFERRAL_CONCERNS).first()
    if existing is not None:
        return existing
    gp = User.objects.filter(username="gp").first()
    manager = User.objects.filter(username="gp.manager").first()
    worker = User.objects.filter(username="social.worker").first()
    home = (
        HouseholdMembership.objects.filter(person=family.pupil, end_date__isnull=True)
        .order_by("household_id")
        .select_related("household")
        .first()
    )
    if gp is None or manager is None or worker is None or home is None:
        return None
    today = timezone.localdate()
    children = [
        membership.person
        for membership in home.household.memberships.filter(end_date__isnull=True)
        .select_related("person")
        .order_by("person_id")
        if membership.person.is_child_on(today)
    ]
    referral = referral_make(
        by=gp,
        household=home.household,
        children=[ChildOnReferral(child, included=True) for child in dict.fromkeys(children)],
        concerns=DEMO_REFERRAL_CONCERNS,
        categories=["neglect", "domestic_abuse"],
        done_so_far="Demo: weighed the toddler, booked a review in two weeks, spoke to the "
        "health visitor and the school.",
        family_informed=FamilyInformed(answer="no", not_informed_reason="risk_of_harm"),
    )
    referral = referral_manager_confirm(
        referral=referral,
        by=manager,
        version=referral.version,
        note="Demo: agreed — telling the mother now may put her and the children at risk.",
    )
    return referral_acknowledge(referral=referral, by=worker, version=referral.version)
