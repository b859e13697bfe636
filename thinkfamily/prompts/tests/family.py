"""A blended family for the Think Sibling tests, built from agency records as an extract would.

12 Acacia Road (household ``home``): Jade Carter (mother), her new partner
Finn Doyle, Ava (8, a pupil at Brookfield School, known to the GP), Ben (2,
known to health visiting and the GP) and an unborn baby (midwifery).
Ava's father Leon Carter lives at 3 Birch Close (``dads``) with his new
partner's daughter Eve (5); Ava stays there too, so she lives in both homes.
Finn's son Gus (6) lives with his mother at 9 Cedar Way (``finns``).
Mia (14), Ava's half-sister by her father, lives with her grandmother at
20 Dale Street; only the school records her as Ava's half-sibling.
Children's social care knows Jade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, HouseholdMembership, Person, Relationship
from thinkfamily.people.tests.factories import (
    make_agency,
    make_household,
    make_person_with_record,
    make_record,
    make_relationship,
)
from thinkfamily.prompts.services import concern_record

TODAY = dt.date(2026, 11, 26)
Role = HouseholdMembership.Role
Kind = Relationship.Kind


def years_ago(years: int, days: int = 0) -> dt.date:
    return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class Family:
    school: Agency
    gp: Agency
    hv: Agency
    midwifery: Agency
    police: Agency
    csc: Agency
    jade: Person
    finn: Person
    leon: Person
    ava: Person
    ben: Person
    unborn: Person
    eve: Person
    gus: Person
    mia: Person
    home: Household
    dads: Household
    finns: Household


def carter_family() -> Family:
    school = make_agency("SCH-BROOKFIELD", Agency.AgencyType.SCHOOL, "Brookfield School")
    gp = make_agency("GP-A81001", Agency.AgencyType.GP, "Acacia Surgery")
    hv = make_agency("HV-NORTH", Agency.AgencyType.HEALTH_VISITING, "North Health Visiting")
    midwifery = make_agency("MW-COUNTY", Agency.AgencyType.MIDWIFERY, "County Midwifery")
    police = make_agency("POLICE", Agency.AgencyType.POLICE, "County Police")
    csc = make_agency("CSC", Agency.AgencyType.CSC, "Children's Social Care")

    jade = make_person_with_record(gp, "Jade", "Carter", years_ago(29), sex="F")
    make_record(csc, jade)
    finn = make_person_with_record(police, "Finn", "Doyle", years_ago(33), sex="M")
    leon = make_person_with_record(gp, "Leon", "Carter", years_ago(31), sex="M")
    ava = make_person_with_record(school, "Ava", "Carter", years_ago(8, 40), sex="F")
    make_record(gp, ava)
    ben = make_person_with_record(hv, "Ben", "Carter", years_ago(2, 100), sex="M")
    make_record(gp, ben)
    unborn = make_person_with_record(
        midwifery, "Baby", "Carter", TODAY + dt.timedelta(days=60), unborn=True
    )
    eve = make_person_with_record(school, "Eve", "Ward", years_ago(5, 10), sex="F")
    gus = make_person_with_record(school, "Gus", "Doyle", years_ago(6), sex="M")
    mia = make_person_with_record(school, "Mia", "Carter", years_ago(14), sex="F")

    home = make_household(
        [(jade, Role.PARENT), (finn, Role.PARTNER), (ava, Role.CHILD), (ben, Role.CHILD),
         (unborn, Role.CHILD)],
        reported_by=gp, address="12 Acacia Road", postcode="ZZ1 1AA",
    )  # fmt: skip
    dads = make_household(
        [(leon, Role.PARENT), (eve, Role.CHILD), (ava, Role.CHILD)],
        reported_by=school, address="3 Birch Close", postcode="ZZ1 2BB",
    )  # fmt: skip
    finns = make_household([(gus, Role.CHILD)], reported_by=school, address="9 Cedar Way",
                           postcode="ZZ1 3CC")  # fmt: skip
    make_household([(mia, Role.CHILD)], reported_by=school, address="20 Dale Street",
                   postcode="ZZ1 4DD")  # fmt: skip

    def record(person: Person, agency: Agency):  # the agency's record of the person
        return person.records.get(agency=agency)

    # Finn's son, as the police record it (a record of Gus of their own).
    make_record(police, gus)
    make_relationship(record(finn, police), record(gus, police), Kind.PARENT)
    # The GP records Jade as mother of Ava and Ben, and Leon as Ava's father.
    make_relationship(record(jade, gp), record(ava, gp), Kind.PARENT)
    make_relationship(record(jade, gp), record(ben, gp), Kind.PARENT)
    make_relationship(record(leon, gp), record(ava, gp), Kind.PARENT)
    # The school records Mia as Ava's half-sister.
    make_relationship(record(mia, school), record(ava, school), Kind.HALF_SIBLING)
    return Family(school, gp, hv, midwifery, police, csc, jade, finn, leon, ava, ben, unborn,
                  eve, gus, mia, home, dads, finns)  # fmt: skip


def concern(person: Person, agency: Agency, day: dt.date = TODAY, external_id: str = "") -> Event:
    return Event.objects.create(
        person=person,
        agency=agency,
        event_type=Event.EventType.CONCERN,
        occurred_at=moment(day),
        category=Event.Category.NEGLECT,
        summary="Arrived hungry and in the same clothes all week.",
        external_id=external_id or None,
    )


def concern_about(person: Person, user: User) -> Callable[[], object]:
    """``user`` recording a concern about ``person`` now, through the service: a thing to run
    (at once, on a thread of its own, in the concurrency tests)."""
    return lambda: concern_record(
        person=person,
        by=user,
        occurred_at=timezone.now(),
        category=Event.Category.NEGLECT,
        summary=f"Concern about {person.given_name} from {user.agency}.",
    )
