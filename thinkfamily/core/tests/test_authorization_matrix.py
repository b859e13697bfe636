"""The authorisation matrix: every page, by every role, for every relationship, allowed or refused.

Part one takes every URL that opens a person or a household and asks it, as each
of the nine roles, about six people who stand in a different relationship to the
role's agency:

=============  ==============================================================
own            the agency holds a record of them
housemate      they live with someone the agency knows (the agency does not)
none           nobody in the agency has any relationship with them
restricted     the agency knows them, and has recorded a restricted entry
sealed         the agency knows them, and their record is sealed (adoption)
break_glass    no relationship, but the user has opened them by break-glass
=============  ==============================================================

The expected answer comes from the table in ``docs/security.md``, written out
here as plain rules (``sees_person``, ``opens_household``, ``may_act``), not
from the access backend: if the code and the table disagree, this fails. A
refused person or household is a 404, whatever the page; a person the viewer may
see on a page whose action their role may not take is a 403.

Part two asks every page that takes no id, as each role, and checks that it
answers (never a server error) and that the names of the people that role may
not see (none, sealed, and break-glass for roles that cannot break glass)
appear nowhere on it — the search page searched for them by name.

The number of cases checked is printed at the end of the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from thinkfamily.accounts.break_glass import break_glass_open
from thinkfamily.accounts.models import Agency, User
from thinkfamily.core.tests import matrix_count
from thinkfamily.core.tests.site_pages import pages_without_ids
from thinkfamily.people.models import Household, HouseholdMembership, Person
from thinkfamily.people.tests.factories import (
    make_agency,
    make_event,
    make_household,
    make_person_with_record,
    make_user,
)

pytestmark = pytest.mark.django_db

Role = User.Role
RELATIONSHIPS = ("own", "housemate", "none", "restricted", "sealed", "break_glass")
FAMILY_WIDE = {Role.CSC_WORKER, Role.CSC_MANAGER, Role.PARTNERSHIP_MANAGER}
READ_ONLY = {Role.REVIEWER, Role.AUDITOR, Role.SYSTEM_ADMINISTRATOR}
#: The defaults of accounts.policy, as docs/security.md states them.
RESTRICTED_ROLES = {Role.DESIGNATED_SAFEGUARDING_LEAD, Role.MANAGER, Role.CSC_MANAGER}
SEALED_ROLES = {Role.CSC_MANAGER}
CANNOT_BREAK_GLASS = {Role.AUDITOR, Role.SYSTEM_ADMINISTRATOR}

#: Each role, and the kind of agency it works in.
ROLE_AGENCY = {
    Role.PRACTITIONER: "gp",
    Role.DESIGNATED_SAFEGUARDING_LEAD: "school",
    Role.MANAGER: "gp",
    Role.CSC_WORKER: "csc",
    Role.CSC_MANAGER: "csc",
    Role.PARTNERSHIP_MANAGER: "partnership",
    Role.REVIEWER: "partnership",
    Role.AUDITOR: "partnership",
    Role.SYSTEM_ADMINISTRATOR: None,
}


# ---------------------------------------------------------------------------
# The table, as rules


def sees_person(role: str, relationship: str) -> bool:
    if role == Role.SYSTEM_ADMINISTRATOR:
        return False
    if relationship == "sealed":
        return role in SEALED_ROLES
    if role in FAMILY_WIDE:
        return True
    if relationship in ("own", "housemate", "restricted"):
        return True
    if relationship == "break_glass":
        return role not in CANNOT_BREAK_GLASS
    return False


def opens_household(role: str, relationship: str) -> bool:
    """A household opens through a member the agency knows; never through a sealed member,
    never by break-glass (which opens one person)."""
    if role == Role.SYSTEM_ADMINISTRATOR:
        return False
    if relationship == "sealed":  # the household's only member is sealed
        return role in SEALED_ROLES
    if role in FAMILY_WIDE:
        return True
    return relationship in ("own", "housemate", "restricted")


def works_on_cases(role: str) -> bool:
    return role not in READ_ONLY


def may_refer(role: str, agency_kind: str | None) -> bool:
    return works_on_cases(role) and agency_kind != "csc"


def reads_restricted(role: str) -> bool:
    return role in RESTRICTED_ROLES


# ---------------------------------------------------------------------------
# The world


@dataclass
class Subject:
    person: Person
    household: Household
    name: str


@dataclass
class World:
    users: dict[str, User]
    subjects: dict[tuple[str | None, str], Subject]  # (agency kind, relationship)


def _child(agency: Agency, given: str, family: str) -> Person:
    return make_person_with_record(agency, given, family, dt.date(2019, 5, 1), sex="F")


@pytest.fixture
def world() -> World:
    agencies = {
        "gp": make_agency("GP-M1", Agency.AgencyType.GP, "Matrix Surgery"),
        "school": make_agency("SCH-M1", Agency.AgencyType.SCHOOL, "Matrix School"),
        "csc": make_agency("CSC-M", Agency.AgencyType.CSC, "Matrix Social Care"),
        "partnership": make_agency("LSCP-M", Agency.AgencyType.OTHER, "Matrix Partnership"),
    }
    police = make_agency("POLICE-M", Agency.AgencyType.POLICE, "Matrix Police")
    users = {
        role: make_user(agencies[kind] if kind else None, role, username=f"matrix-{role}")
        for role, kind in ROLE_AGENCY.items()
    }
    subjects: dict[tuple[str | None, str], Subject] = {}
    for kind, agency in agencies.items():
        tag = kind.capitalize()
        own = _child(agency, "Own", f"Matrix{tag}")
        housemate = _child(police, "Housemate", f"Matrix{tag}")
        home = make_household(
            [(own, HouseholdMembership.Role.CHILD), (housemate, HouseholdMembership.Role.CHILD)],
            reported_by=police,
        )
        restricted = _child(agency, "Restricted", f"Matrix{tag}")
        make_event(restricted, agency, summary=f"RESTRICTED-ENTRY-{tag}", restricted=True)
        make_event(restricted, agency, summary=f"OPEN-ENTRY-{tag}")
        sealed = _child(agency, "Sealed", f"Matrix{tag}")
        Person.objects.filter(pk=sealed.pk).update(sealed=True)
        sealed.refresh_from_db()
        nobody = _child(police, "Nobody", f"Matrix{tag}")
        glass = _child(police, "Glass", f"Matrix{tag}")
        for relationship, person, household in (
            ("own", own, home),
            ("housemate", housemate, home),
            ("restricted", restricted, None),
            ("sealed", sealed, None),
            ("none", nobody, None),
            ("break_glass", glass, None),
        ):
            if household is None:
                household = make_household(
                    [(person, HouseholdMembership.Role.CHILD)], reported_by=police
                )
            subjects[(kind, relationship)] = Subject(
                person, household, f"{person.given_name} {person.family_name}"
            )
    for role, user in users.items():
        if role not in CANNOT_BREAK_GLASS:
            glass = subjects[(ROLE_AGENCY[role], "break_glass")].person
            break_glass_open(
                user=user, person=glass, reason="Matrix test: seen at hospital out of area."
            )
    # The system administrator has no agency; ask about the surgery's people.
    for relationship in RELATIONSHIPS:
        subjects[(None, relationship)] = subjects[("gp", relationship)]
    return World(users=users, subjects=subjects)


def _client(user: User) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------
# Part one: person and household pages


def _person_pages(subject: Subject) -> dict[str, str]:
    pk = subject.person.pk
    pages = {
        "person page": reverse("people:person", args=[pk]),
        "record a concern": reverse("prompts:concern_new", args=[pk]),
        "make a referral": f"{reverse('referrals:new')}?person={pk}",
        "record a conversation": f"{reverse('conversations:new')}?person={pk}",
    }
    try:
        pages["access log"] = reverse("audit:access_log", args=[pk])
    except NoReverseMatch:  # pragma: no cover - the access log is part of the same issue
        pytest.fail("The access log page (audit:access_log) is missing")
    return pages


def _household_pages(subject: Subject) -> dict[str, str]:
    pk = subject.household.pk
    return {
        "family page": reverse("families:family", args=[pk]),
        "family chronology PDF": reverse("events:chronology_pdf", args=[pk]),
        "record a verbal agreement": f"{reverse('agreements:new')}?household={pk}",
        "record a conversation (family)": f"{reverse('conversations:new')}?household={pk}",
    }


def expected_person_page(page: str, role: str, relationship: str) -> int:
    kind = ROLE_AGENCY[role]
    if page == "access log":
        if relationship == "sealed" and role not in SEALED_ROLES:
            return 404
        if role == Role.AUDITOR:
            return 200
        allowed = role in (Role.CSC_MANAGER, Role.PARTNERSHIP_MANAGER)
        return 200 if allowed and sees_person(role, relationship) else 404
    if not sees_person(role, relationship):
        return 404
    if page == "person page":
        return 200
    if page == "make a referral":
        return 200 if may_refer(role, kind) else 403
    return 200 if works_on_cases(role) else 403


def expected_household_page(page: str, role: str, relationship: str) -> int:
    if not opens_household(role, relationship):
        return 404
    if page in ("family page", "family chronology PDF"):
        return 200
    return 200 if works_on_cases(role) else 403


def test_every_person_and_household_page_for_every_role_and_relationship(world: World):
    mismatches: list[str] = []
    checked = 0
    for role, user in world.users.items():
        client = _client(user)
        kind = ROLE_AGENCY[role]
        for relationship in RELATIONSHIPS:
            subject = world.subjects[(kind, relationship)]
            for page, url in _person_pages(subject).items():
                expected = expected_person_page(page, role, relationship)
                status = client.get(url).status_code
                checked += 1
                if status != expected:
                    mismatches.append(f"{role} / {relationship} / {page}: {status}, not {expected}")
            for page, url in _household_pages(subject).items():
                expected = expected_household_page(page, role, relationship)
                status = client.get(url).status_code
                checked += 1
                if status != expected:
                    mismatches.append(f"{role} / {relationship} / {page}: {status}, not {expected}")
    matrix_count.add("person and household pages", checked)
    assert not mismatches, "\n".join(mismatches)
    assert checked == 9 * 6 * 9


def test_restricted_entries_show_only_to_the_named_roles(world: World):
    mismatches = []
    for role, user in world.users.items():
        if not sees_person(role, "restricted"):
            continue
        kind = ROLE_AGENCY[role]
        subject = world.subjects[(kind, "restricted")]
        page = _client(user).get(reverse("people:person", args=[subject.person.pk]))
        html = page.content.decode()
        tag = (kind or "gp").capitalize()
        shown = f"RESTRICTED-ENTRY-{tag}" in html
        if shown != reads_restricted(role):
            mismatches.append(f"{role}: restricted entry shown={shown}")
        if f"OPEN-ENTRY-{tag}" not in html:  # every role that sees the person reads it
            mismatches.append(f"{role}: the open entry is missing")
    matrix_count.add("restricted entries", len(world.users) - 1)
    assert not mismatches, "\n".join(mismatches)


# ---------------------------------------------------------------------------
# Part two: every page without an id


def test_every_page_answers_every_role_and_never_names_a_person_it_may_not_see(world: World):
    pages = pages_without_ids()
    assert len(pages) > 30, pages
    problems: list[str] = []
    checked = 0
    for role, user in world.users.items():
        client = _client(user)
        hidden = [
            subject.name
            for (kind, relationship), subject in world.subjects.items()
            if kind == ROLE_AGENCY[role] and not sees_person(role, relationship)
        ]
        for name, url in [*pages, ("people:search", f"{reverse('people:search')}?q=Matrix")]:
            response = client.get(url)
            checked += 1
            # 400: a form page asked without the person or family it starts from.
            # 401: the JSON API, which a web session never opens (thinkfamily/api/tests
            # ask it with tokens).
            allowed = (200, 302, 400, 403, 404, 405, *((401,) if url.startswith("/api/") else ()))
            if response.status_code not in allowed:
                problems.append(f"{role} {name}: {response.status_code}")
                continue
            if response.get("Content-Type", "").startswith("text/html"):
                html = response.content.decode()
                problems.extend(
                    f"{role} {name}: names {person}" for person in hidden if person in html
                )
    matrix_count.add("pages without ids", checked)
    assert not problems, "\n".join(problems)


def test_search_finds_exactly_the_people_a_role_may_see(world: World):
    mismatches = []
    for role, user in world.users.items():
        kind = ROLE_AGENCY[role]
        tag = (kind or "gp").capitalize()
        html = _client(user).get(reverse("people:search"), {"q": f"Matrix{tag}"}).content.decode()
        for relationship in RELATIONSHIPS:
            subject = world.subjects[(kind, relationship)]
            if (subject.name in html) != sees_person(role, relationship):
                mismatches.append(f"{role} / {relationship}: listed={subject.name in html}")
    matrix_count.add("search", len(world.users) * len(RELATIONSHIPS))
    assert not mismatches, "\n".join(mismatches)
