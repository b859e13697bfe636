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

Part two asks every page that takes no id (``site_pages.pages_without_ids``), as
each role, and compares the status with ``PAGE_ACCESS``: a table of every page
and the answer each role must get, written from ``docs/security.md`` and the
documents it points to, with the backend's permission named beside each entry
(not computed by asking the backend). A page is ``EVERYONE`` (200 to every
role: no case data, or a list filtered to the viewer), ``Only(roles)`` (200 to
those roles; 404, or 403 where the page says why, to the others; 403 to roles
that read the page's subject but may not take its action), a ``Redirect`` (302,
and the Location is checked), or ``StartsFrom`` a child or a family: asked bare
(400, or 404 for a family form), and asked about the role's own child or
household (404 if the role may not see them, 403 if it sees them but may not
act, 200 if it may). A page missing from the table fails the test, and so does
an entry for a page that no longer exists. The JSON API under ``/api/`` is
asked with tokens by its own tests; a web session gets 401 from every endpoint
(405 from a POST-only one, which refuses the method before any token), except
the pages in ``API_EXCEPTIONS`` (the OpenAPI document, public: 200; the API's
root: 404). On every HTML page, the names of the people the role may not see,
in any agency, appear nowhere (the search page also searched for them by name).

The number of cases checked is printed at the end of the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    return make_world()


def make_world() -> World:
    """The agencies, a user in every role, and the six subjects of every agency kind."""
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
# Part two: every page without an id, and the answer each role must get
#
# Written from docs/security.md and the documents it points to (referrals.md,
# conversations-and-agreements.md, think-sibling.md, learning.md, linkage.md),
# with the permission each page asks of accounts/backends.py named beside it.
# Not computed by asking the backend: if the code and this table disagree, the
# test fails.

ALL_ROLES = frozenset(ROLE_AGENCY)
#: Everyone with an agency: the system administrator has none, and no case data.
WITH_AGENCY = ALL_ROLES - {Role.SYSTEM_ADMINISTRATOR}
#: The case review register's readers (learning.view_reviews): the partnership and its panel.
REGISTER_READERS = frozenset({Role.PARTNERSHIP_MANAGER, Role.REVIEWER})
#: Who reviews break-glass openings (accounts.review_break_glass).
BREAK_GLASS_REVIEWERS = frozenset(
    {Role.MANAGER, Role.DESIGNATED_SAFEGUARDING_LEAD, Role.CSC_MANAGER}
)
#: Who decides whether two records are one person (matching.review_candidate, undo_merge).
LINKAGE_DECIDERS = frozenset({Role.CSC_MANAGER, Role.PARTNERSHIP_MANAGER})
PARTNERSHIP = frozenset({Role.PARTNERSHIP_MANAGER})


@dataclass(frozen=True)
class Fixed:
    """The same status for every role (a page with no case data, or one filtered to the
    viewer, answers 200; the JSON API answers a web session 401)."""

    status: int

    def expected(self, role: str) -> int:
        return self.status


@dataclass(frozen=True)
class Only:
    """200 to the roles allowed; 403 to the roles that may see the page's subject but not
    take its action; ``otherwise`` (404, or 403 where the page says why) to everyone else."""

    allowed: frozenset[str]
    otherwise: int = 404
    forbidden: frozenset[str] = frozenset()

    def expected(self, role: str) -> int:
        if role in self.allowed:
            return 200
        return 403 if role in self.forbidden else self.otherwise


@dataclass(frozen=True)
class Redirect:
    """302 to the page named, for every role."""

    to: str

    def expected(self, role: str) -> int:
        return 302


@dataclass(frozen=True)
class StartsFrom:
    """A form that starts from a child (``?person=``) or a family (``?household=``).

    Asked bare it answers ``bare`` for every role. Asked about the role's agency's own child
    (or that child's household), it answers 404 if the role may not see them, 200 if it may
    take the action, 403 if it sees them but its role may not.
    """

    param: str
    bare: int
    may_act: Callable[[str], bool]

    def expected(self, role: str) -> int:
        sees = sees_person if self.param == "person" else opens_household
        if not sees(role, "own"):
            return 404
        return 200 if self.may_act(role) else 403


EVERYONE = Fixed(200)

PAGE_ACCESS: dict[str, Fixed | Only | Redirect | StartsFrom] = {
    # Signing in: a user already signed in is sent on to the search page.
    "accounts:login": Redirect("people:search"),
    "accounts:two_factor": EVERYONE,  # the code step of signing in; no case data
    # Search lists only the people the role may see (test_search_finds_exactly_...).
    "people:search": EVERYONE,
    # Break-glass is never open to auditors or administrators (accounts.open_break_glass).
    "people:break_glass": Only(WITH_AGENCY - {Role.AUDITOR}, otherwise=403),
    "people:break_glass_reviews": Only(BREAK_GLASS_REVIEWERS),  # accounts.review_break_glass
    "matching:review": Only(LINKAGE_DECIDERS),  # matching.review_candidate
    "matching:merges": Only(LINKAGE_DECIDERS),  # matching.undo_merge
    "matching:parallel_records": Only(WITH_AGENCY),  # the agency's own records
    # Worklists and registers filtered to the viewer's agency and the people it may see.
    "prompts:worklist": EVERYONE,
    "prompts:invisible_children": EVERYONE,
    "referrals:worklist": EVERYONE,
    "conversations:worklist": EVERYONE,
    "agreements:register": EVERYONE,
    "learning:actions": EVERYONE,  # the register's overdue lists only for its readers
    "prompts:response_rates": Only(PARTNERSHIP),  # prompts.view_response_rates
    "referrals:annex_a": Only(LINKAGE_DECIDERS),  # referrals.export_annex_a: CSC and LSCP managers
    "referrals:measures": Only(PARTNERSHIP),  # referrals.view_measures
    # Anyone working on cases who may see a child refers them, except children's social care.
    "referrals:new": StartsFrom(
        "person", bare=400, may_act=lambda role: may_refer(role, ROLE_AGENCY[role])
    ),
    "conversations:new": StartsFrom("person", bare=400, may_act=works_on_cases),
    "conversations:compliance": Only(PARTNERSHIP, otherwise=403),
    # A verbal agreement with a family: a bare form names no family, so "not found".
    "agreements:new": StartsFrom("household", bare=404, may_act=works_on_cases),
    "agreements:policy": Only(PARTNERSHIP, otherwise=403),  # agreements.change_policy
    "agreements:compliance": Only(PARTNERSHIP, otherwise=403),  # agreements.view_compliance
    # docs/learning.md, "Who may do what": the register is 404 to everyone but its readers,
    # and changing it is the partnership manager's (403 to the panel, which reads it).
    "learning:register": Only(REGISTER_READERS),
    "learning:indicators": Only(REGISTER_READERS),
    "learning:review_new": Only(PARTNERSHIP, forbidden=frozenset({Role.REVIEWER})),
    "learning:review_ingest": Only(PARTNERSHIP, forbidden=frozenset({Role.REVIEWER})),
    "learning:reach": Only(REGISTER_READERS, otherwise=403),
    "learning:briefings": Only(WITH_AGENCY, otherwise=403),  # learning.view_briefings
    "learning:search": Only(WITH_AGENCY, otherwise=403),
    "learning:briefing_new": Only(PARTNERSHIP, otherwise=403),  # learning.write_briefing
    "learning:public": EVERYONE,  # published findings: public, no sign-in
}

#: The JSON API (``/api/``) is asked with tokens by thinkfamily/api/tests; a web session
#: never opens it. Every endpoint without an id answers a session 401 (a POST-only one 405:
#: the method is refused before any token is asked for, as the API's own OpenAPI document
#: says which methods each path takes), except these:
API_EXCEPTIONS: dict[str, Fixed] = {
    "api-v1:openapi-json": EVERYONE,  # the API's schema: public, no data
    "api-v1:api-root": Fixed(404),  # nothing at the API's root (no browsable docs)
}


def sees_subject(role: str, kind: str | None, subject_kind: str | None, relationship: str) -> bool:
    """Whether a role in an agency of ``kind`` sees a subject set up for ``subject_kind``:
    its own agency's people as the table says; another agency's people only if its role
    sees whole families (they stand in no relationship to its agency)."""
    if subject_kind == kind or role in FAMILY_WIDE:
        return sees_person(role, relationship)
    return False


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _api_get_paths() -> set[str]:
    """The API paths that take a GET, from the API's own OpenAPI document."""
    paths = Client().get(reverse("api-v1:openapi-json")).json()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def _cases(
    name: str, url: str, role: str, world: World, api_get_paths: set[str]
) -> list[tuple[str, str, int, str | None]]:
    """(label, URL, expected status, expected Location) for one page and role."""
    if _is_api(url):
        if name in API_EXCEPTIONS:
            return [(name, url, API_EXCEPTIONS[name].expected(role), None)]
        return [(name, url, 401 if url in api_get_paths else 405, None)]
    rule = PAGE_ACCESS[name]
    if isinstance(rule, Redirect):
        return [(name, url, 302, reverse(rule.to))]
    if isinstance(rule, StartsFrom):
        subject = world.subjects[(ROLE_AGENCY[role], "own")]
        pk = subject.person.pk if rule.param == "person" else subject.household.pk
        return [
            (f"{name} (bare)", url, rule.bare, None),
            (f"{name}?{rule.param}=own", f"{url}?{rule.param}={pk}", rule.expected(role), None),
        ]
    return [(name, url, rule.expected(role), None)]


def _unlisted_pages() -> list[str]:
    return sorted(
        name for name, url in pages_without_ids() if not _is_api(url) and name not in PAGE_ACCESS
    )


def test_the_access_table_names_every_page_without_an_id():
    pages = {name for name, _url in pages_without_ids()}
    missing = _unlisted_pages()
    gone = sorted((PAGE_ACCESS.keys() | API_EXCEPTIONS.keys()) - pages)
    assert not missing, (
        f"Pages with no entry in PAGE_ACCESS: {missing}. Add each, with the answer each role "
        "must get (from docs/security.md and the app's own document), to PAGE_ACCESS in "
        "thinkfamily/core/tests/test_authorization_matrix.py."
    )
    assert not gone, f"PAGE_ACCESS or API_EXCEPTIONS names pages that no longer exist: {gone}"


def test_every_page_answers_every_role_as_the_table_says_and_never_names_a_hidden_person(
    world: World,
):
    pages = pages_without_ids()
    assert len(pages) > 30, pages
    unlisted = _unlisted_pages()
    assert not unlisted, f"Add these pages to PAGE_ACCESS first: {unlisted}"
    api_get_paths = _api_get_paths()
    searched = ("people:search", f"{reverse('people:search')}?q=Matrix")
    problems: list[str] = []
    checked = 0
    for role, user in world.users.items():
        client = _client(user)
        kind = ROLE_AGENCY[role]
        seen = {
            subject.name
            for (subject_kind, relationship), subject in world.subjects.items()
            if sees_subject(role, kind, subject_kind, relationship)
        }
        # Every person the role may not see, in any agency (the administrator's subjects
        # are the surgery's, listed twice: a name seen under one key is not hidden).
        hidden = sorted({subject.name for subject in world.subjects.values()} - seen)
        for name, url in [*pages, searched]:
            for label, asked, expected, location in _cases(name, url, role, world, api_get_paths):
                response = client.get(asked)
                checked += 1
                if response.status_code != expected:
                    problems.append(f"{role} {label}: {response.status_code}, not {expected}")
                    continue
                if location is not None and response["Location"] != location:
                    problems.append(f"{role} {label}: to {response['Location']}, not {location}")
                if response.get("Content-Type", "").startswith("text/html"):
                    html = response.content.decode()
                    problems.extend(
                        f"{role} {label}: names {person}" for person in hidden if person in html
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
