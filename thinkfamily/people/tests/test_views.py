"""The search, person and household pages, seen by users of different agencies.

The family: Alpha Testfamily is a pupil at Testwood Primary and a patient of
Testwood Medical Practice; her preschool brother Bravo and their mother
Charlie are known only to the GP. Delta Unrelated is known only to the police.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
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

pytestmark = pytest.mark.django_db

Role = HouseholdMembership.Role


@dataclass
class Family:
    school: Agency
    gp: Agency
    police: Agency
    pupil: Person
    preschool_sibling: Person
    mother: Person
    stranger: Person
    household: Household


@pytest.fixture
def family() -> Family:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    police = make_agency("POL-TEST", Agency.AgencyType.POLICE, "Testshire Police")
    pupil = make_person_with_record(
        school, "Alpha", "Testfamily", dt.date(2016, 4, 3), nhs=NHS_NUMBERS[0], sex="F"
    )
    make_record(gp, pupil)
    preschool_sibling = make_person_with_record(
        gp, "Bravo", "Testfamily", dt.date(2023, 9, 1), nhs=NHS_NUMBERS[1], sex="M"
    )
    mother = make_person_with_record(
        gp, "Charlie", "Testfamily", dt.date(1990, 1, 20), nhs=NHS_NUMBERS[2], sex="F"
    )
    stranger = make_person_with_record(
        police, "Delta", "Unrelated", dt.date(1985, 6, 6), nhs=NHS_NUMBERS[3]
    )
    household = make_household(
        [(mother, Role.PARENT), (pupil, Role.CHILD), (preschool_sibling, Role.CHILD)],
        reported_by=gp,
        address="7 Imaginary Lane",
        postcode="ZZ9 1AA",
    )
    return Family(school, gp, police, pupil, preschool_sibling, mother, stranger, household)


@pytest.fixture
def school_user(client, family: Family) -> User:
    user = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    client.force_login(user)
    return user


def search(client, query: str) -> str:
    response = client.get(reverse("people:search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


# Search


def test_search_page_explains_what_can_be_searched(client, school_user):
    page = client.get(reverse("people:search")).content.decode()

    assert "Search for a person" in page
    assert "NHS number" in page
    assert "No people found" not in page


def test_search_finds_a_visible_person_by_name(client, school_user, family):
    page = search(client, "alpha testfam")

    assert "Alpha Testfamily" in page
    assert family.pupil.get_absolute_url() in page
    assert "3 April 2016" in page


@pytest.mark.parametrize("typed", ["03/04/2016", "2016-04-03", "3/4/2016"])
def test_search_finds_a_visible_person_by_date_of_birth(client, school_user, typed):
    page = search(client, typed)

    assert "Alpha Testfamily" in page
    assert "Charlie Testfamily" not in page


def test_search_finds_a_visible_person_by_nhs_number(client, school_user, family):
    page = search(client, "943 476 5919")

    assert "Alpha Testfamily" in page
    assert "Bravo Testfamily" not in page


def test_search_counts_the_agencies_that_know_each_person(client, school_user, family):
    page = search(client, "Alpha")

    row = page[page.index("Alpha Testfamily") :].split("</tr>")[0]
    assert '<td class="govuk-table__cell">2</td>' in row


def test_search_does_not_list_a_person_the_viewer_may_not_see(client, school_user, family):
    page = search(client, "Delta Unrelated")

    assert family.stranger.get_absolute_url() not in page
    assert "People found" not in page
    assert "No people found" in page


def test_search_is_written_to_the_audit_trail(client, school_user):
    search(client, "Testfamily")

    entry = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).get()
    assert entry.actor == school_user
    assert entry.detail["query"] == "Testfamily"


def test_system_administrator_finds_nobody(client, family):
    client.force_login(make_user(None, User.Role.SYSTEM_ADMINISTRATOR))

    assert "No people found" in search(client, "Testfamily")


# Person page


def test_person_page_shows_records_households_and_chronology(client, school_user, family):
    make_event(
        family.pupil,
        family.school,
        event_type="concern",
        category="neglect",
        occurred_on=dt.date(2024, 3, 14),
        summary="Arrived hungry and without a coat.",
        seen_in_person=True,
    )

    page = client.get(family.pupil.get_absolute_url()).content.decode()

    assert "Alpha Testfamily" in page
    assert "9434765919" in page
    assert "Testwood Primary School" in page
    assert "Testwood Medical Practice" in page
    assert "7 Imaginary Lane" in page
    assert family.household.get_absolute_url() in page
    assert "14 March 2024" in page
    assert "Arrived hungry and without a coat." in page
    assert "Neglect" in page


def test_viewing_a_person_is_written_to_the_audit_trail(client, school_user, family):
    client.get(family.pupil.get_absolute_url())

    entry = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSON).get()
    assert entry.actor == school_user
    assert entry.object_id == str(family.pupil.pk)
    assert entry.reason == "agency holds a record of this person"


def test_person_outside_the_viewers_access_is_not_found(client, school_user, family):
    response = client.get(family.stranger.get_absolute_url())

    assert response.status_code == 404
    assert "Delta" not in response.content.decode()


def test_person_who_does_not_exist_is_not_found(client, school_user):
    assert client.get(reverse("people:person", args=[999_999])).status_code == 404


def test_school_sees_preschool_sibling_of_its_pupil_but_not_the_siblings_gp_events(
    client, school_user, family
):
    make_event(
        family.preschool_sibling,
        family.gp,
        event_type="missed_appointment",
        summary="Did not attend the two-year review.",
    )

    response = client.get(family.preschool_sibling.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Bravo Testfamily" in page
    assert "Did not attend the two-year review." not in page
    assert "1 chronology entry held by other agencies is not shown to you" in page


def test_restricted_events_are_hidden_from_other_agencies_and_counted(client, family):
    make_event(family.pupil, family.gp, summary="Routine immunisation.")
    make_event(family.pupil, family.gp, summary="Refuge address given.", restricted=True)
    make_event(family.pupil, family.gp, summary="Disclosure to GP.", restricted=True)
    client.force_login(make_user(family.school))

    page = client.get(family.pupil.get_absolute_url()).content.decode()

    assert "Routine immunisation." in page
    assert "Refuge address given." not in page
    assert "Disclosure to GP." not in page
    assert "2 restricted entries are not shown to you" in page


def test_restricted_events_are_shown_to_the_named_roles_of_the_agency_that_recorded_them(
    client, family
):
    make_event(family.pupil, family.gp, summary="Refuge address given.", restricted=True)
    client.force_login(make_user(family.gp))  # a practitioner: not a named role
    hidden = client.get(family.pupil.get_absolute_url()).content.decode()
    assert "Refuge address given." not in hidden
    client.force_login(make_user(family.gp, User.Role.MANAGER))

    page = client.get(family.pupil.get_absolute_url()).content.decode()

    assert "Refuge address given." in page
    assert "Restricted" in page
    assert "not shown to you" not in page


def test_parallel_record_in_one_agency_is_flagged(client, school_user, family):
    make_record(family.school, family.pupil, given="Alfa", record_id="SCH-OLD-SYSTEM-1")

    page = client.get(family.pupil.get_absolute_url()).content.decode()

    assert "Parallel record" in page
    assert "Testwood Primary School holds 2 records of this person" in page


def test_person_without_a_parallel_record_is_not_flagged(client, school_user, family):
    page = client.get(family.pupil.get_absolute_url()).content.decode()

    # (The navigation links to the agency's "Parallel records" list on every page.)
    assert "tf-tag--parallel-record" not in page
    assert "records of this person: a parallel record" not in page


def test_unborn_child_shows_the_expected_date(client, family):
    unborn = make_person_with_record(
        family.gp, "Echo", "Testfamily", dt.date(2031, 2, 1), unborn=True
    )
    client.force_login(make_user(family.gp))

    page = client.get(unborn.get_absolute_url()).content.decode()

    assert "Unborn, expected 1 February 2031" in page


def test_pages_refuse_anything_but_reading(client, school_user, family):
    assert client.post(reverse("people:search")).status_code == 405
    assert client.post(family.pupil.get_absolute_url()).status_code == 405
