"""Small builders of agencies, people, households, events and users for tests.

Plain functions over the models, so a test reads as the situation it sets up:
a school, its pupil, the pupil's preschool sister known only to the GP. Every
name is obviously invented.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.people.models import (
    AgencyRecord,
    Household,
    HouseholdMembership,
    Person,
    Relationship,
)

#: Valid NHS numbers (correct check digit), for tests only.
NHS_NUMBERS = ("9434765919", "9434765870", "9434765889", "9434765897", "9434765900")
PASSWORD = "synthetic-test-password"

_sequence = itertools.count(1)


def make_agency(code: str, agency_type: str, name: str = "") -> Agency:
    agency, _ = Agency.objects.get_or_create(
        code=code,
        defaults={"name": name or code.replace("-", " ").title(), "agency_type": agency_type},
    )
    return agency


def make_user(
    agency: Agency | None,
    role: str = User.Role.PRACTITIONER,
    *,
    username: str = "",
    password: str | None = None,
) -> User:
    """A user; with no ``password`` they cannot sign in by form (use ``client.force_login``).

    Hashing a password takes a noticeable fraction of a second, so only the
    tests of signing in ask for one (``PASSWORD``).
    """
    number = next(_sequence)
    return User.objects.create_user(
        username=username or f"user{number}",
        password=password,
        first_name="Testy",
        last_name=f"Worker{number}",
        agency=agency,
        role=role,
    )


def make_record(
    agency: Agency,
    person: Person,
    *,
    given: str = "",
    family: str = "",
    dob: dt.date | None = None,
    record_id: str = "",
    address: str = "1 Example Street",
    postcode: str = "ZZ9 9ZZ",
) -> AgencyRecord:
    """One agency's record of ``person``, as recorded (defaults to the person's own details)."""
    now = timezone.now()
    return AgencyRecord.objects.create(
        agency=agency,
        record_id=record_id or f"{agency.code}-{next(_sequence)}",
        person=person,
        given_name=given or person.given_name,
        family_name=family or person.family_name,
        date_of_birth=dob or person.date_of_birth,
        unborn=person.unborn,
        sex=person.sex,
        nhs_number=person.nhs_number or "",
        upn=person.upn or "",
        address=address,
        postcode=postcode,
        content_hash=f"{next(_sequence):064x}",
        first_imported_at=now,
        updated_at=now,
    )


def make_person_with_record(
    agency: Agency,
    given: str,
    family: str,
    dob: dt.date | None,
    *,
    nhs: str | None = None,
    upn: str | None = None,
    sex: str = "",
    unborn: bool = False,
) -> Person:
    """A person and ``agency``'s record of them."""
    person = Person.objects.create(
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        unborn=unborn,
        sex=sex,
        nhs_number=nhs,
        upn=upn,
    )
    make_record(agency, person)
    return person


def make_household(
    people_with_roles: list[tuple[Person, str]],
    *,
    reported_by: Agency,
    address: str = "1 Example Street",
    postcode: str = "ZZ9 9ZZ",
) -> Household:
    """A household of these people in these roles (``HouseholdMembership.Role``)."""
    household = Household.objects.create(
        key=f"test-household-{next(_sequence)}", address=address, postcode=postcode
    )
    for person, role in people_with_roles:
        HouseholdMembership.objects.create(
            household=household, person=person, role=role, reported_by=reported_by
        )
    return household


def make_event(
    person: Person,
    agency: Agency,
    *,
    event_type: str = Event.EventType.CONTACT,
    occurred_on: dt.date = dt.date(2024, 4, 3),
    summary: str = "",
    restricted: bool = False,
    seen_in_person: bool = False,
    category: str = "",
) -> Event:
    return Event.objects.create(
        person=person,
        agency=agency,
        event_type=event_type,
        occurred_at=timezone.make_aware(dt.datetime.combine(occurred_on, dt.time(10, 30))),
        summary=summary,
        restricted=restricted,
        seen_in_person=seen_in_person,
        category=category,
    )


def make_relationship(
    record: AgencyRecord, related_record: AgencyRecord, kind: str = Relationship.Kind.PARENT
) -> Relationship:
    """``record``'s agency says ``record`` is the ``kind`` of ``related_record``."""
    return Relationship.objects.create(
        agency=record.agency, record=record, related_record=related_record, kind=kind
    )
