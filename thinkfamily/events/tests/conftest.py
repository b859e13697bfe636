"""A family for the chronology tests, known in parts to different agencies.

7 Imaginary Lane: Alpha Testfamily is a pupil at Testwood Primary and a
patient of Testwood Medical Practice; her preschool brother Bravo is known
only to the GP; their mother Charlie to the GP and the police. Echo Formerly,
the mother's former partner, has left the household. Delta Unrelated lives
elsewhere. Every name is invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, HouseholdMembership, Person
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    make_agency,
    make_event,
    make_household,
    make_person_with_record,
    make_record,
    make_user,
)

Role = HouseholdMembership.Role
Type = Event.EventType


@dataclass
class Family:
    school: Agency
    gp: Agency
    police: Agency
    csc: Agency
    pupil: Person
    preschool_sibling: Person
    mother: Person
    former_partner: Person
    stranger: Person
    household: Household

    def user(self, agency: Agency, role: str = User.Role.PRACTITIONER) -> User:
        return make_user(agency, role)


@pytest.fixture
def family(db: None) -> Family:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    police = make_agency("POL-TEST", Agency.AgencyType.POLICE, "Testshire Police")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    pupil = make_person_with_record(school, "Alpha", "Testfamily", dt.date(2016, 4, 3))
    make_record(gp, pupil)
    preschool_sibling = make_person_with_record(
        gp, "Bravo", "Testfamily", dt.date(2023, 9, 1), nhs=NHS_NUMBERS[1]
    )
    mother = make_person_with_record(gp, "Charlie", "Testfamily", dt.date(1990, 1, 20))
    make_record(police, mother)
    former_partner = make_person_with_record(police, "Echo", "Formerly", dt.date(1988, 2, 2))
    stranger = make_person_with_record(police, "Delta", "Unrelated", dt.date(1985, 6, 6))
    household = make_household(
        [
            (mother, Role.PARENT),
            (pupil, Role.CHILD),
            (preschool_sibling, Role.CHILD),
            (former_partner, Role.PARTNER),
        ],
        reported_by=gp,
        address="7 Imaginary Lane",
        postcode="ZZ9 1AA",
    )
    HouseholdMembership.objects.filter(household=household, person=former_partner).update(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2024, 1, 31)
    )
    make_household([(stranger, Role.PARENT)], reported_by=police, address="9 Elsewhere Road")

    make_event(
        pupil,
        school,
        event_type=Type.CONCERN,
        occurred_on=dt.date(2024, 5, 1),
        summary="Arrived at school hungry",
        seen_in_person=True,
    )
    make_event(
        pupil,
        gp,
        event_type=Type.APPOINTMENT,
        occurred_on=dt.date(2024, 3, 1),
        summary="Asthma review",
        seen_in_person=True,
    )
    make_event(
        pupil,
        gp,
        event_type=Type.NOTE,
        occurred_on=dt.date(2024, 2, 1),
        summary="Restricted health note about Alpha",
        restricted=True,
    )
    make_event(
        preschool_sibling,
        gp,
        event_type=Type.MISSED_APPOINTMENT,
        occurred_on=dt.date(2024, 4, 1),
        summary="Missed two-year health review",
    )
    make_event(
        preschool_sibling,
        gp,
        event_type=Type.VISIT,
        occurred_on=dt.date(2024, 1, 15),
        summary="Home visit, Bravo seen asleep",
        seen_in_person=True,
    )
    make_event(
        mother,
        police,
        event_type=Type.INCIDENT,
        occurred_on=dt.date(2024, 4, 15),
        summary="Refuge address recorded",
        restricted=True,
    )
    make_event(
        mother,
        police,
        event_type=Type.INCIDENT,
        occurred_on=dt.date(2024, 4, 20),
        summary="Neighbour reported shouting",
    )
    make_event(
        former_partner,
        police,
        event_type=Type.INCIDENT,
        occurred_on=dt.date(2023, 12, 1),
        summary="Former partner arrested",
    )
    make_event(
        stranger,
        police,
        event_type=Type.CONTACT,
        occurred_on=dt.date(2024, 6, 1),
        summary="Unrelated contact about Delta",
    )
    return Family(
        school,
        gp,
        police,
        csc,
        pupil,
        preschool_sibling,
        mother,
        former_partner,
        stranger,
        household,
    )


def many_events(person: Person, agency: Agency, count: int, *, first: dt.date) -> None:
    """``count`` visits to ``person``, one a day from ``first``, in one insert."""
    Event.objects.bulk_create(
        Event(
            person=person,
            agency=agency,
            event_type=Type.VISIT,
            occurred_at=dt.datetime.combine(
                first + dt.timedelta(days=day), dt.time(9), tzinfo=dt.UTC
            ),
            seen_in_person=day % 2 == 0,
            summary=f"Routine visit number {day + 1}, the family engaged and the children were "
            "seen in their bedrooms, which were clean and warm.",
        )
        for day in range(count)
    )
