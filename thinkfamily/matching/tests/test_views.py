"""The review, merge and parallel-record pages, and who may open them.

Thomas Testfamily is the GP's patient; "Tom" is the school's pupil of the
same date of birth. The model thinks they are one child.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.services import people_merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    make_agency,
    make_person_with_record,
    make_record,
    make_user,
)

pytestmark = pytest.mark.django_db


@dataclass
class Situation:
    gp: Agency
    school: Agency
    csc: Agency
    thomas: Person
    tom: Person
    candidate: CandidatePair


@pytest.fixture
def situation() -> Situation:
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    thomas = make_person_with_record(
        gp, "Thomas", "Testfamily", dt.date(2019, 4, 3), nhs=NHS_NUMBERS[0]
    )
    tom = make_person_with_record(school, "Tom", "Testfamily", dt.date(2019, 4, 3))
    candidate = make_candidate(tom.records.get(), thomas.records.get(), probability=0.875)
    return Situation(gp, school, csc, thomas, tom, candidate)


@pytest.fixture
def manager(client, situation: Situation) -> User:
    user = make_user(situation.csc, User.Role.CSC_MANAGER)
    client.force_login(user)
    return user


def merge_of(situation: Situation) -> Merge:
    return people_merge(survivor=situation.thomas, absorbed=situation.tom, rule=Merge.Rule.MODEL)


def manager_only_urls(situation: Situation) -> list[str]:
    merge = merge_of(situation)
    return [
        reverse("matching:review"),
        situation.candidate.get_absolute_url(),
        reverse("matching:merges"),
        reverse("matching:merge_undo", args=[merge.pk]),
    ]


@pytest.mark.parametrize(
    "role",
    [
        User.Role.PRACTITIONER,
        User.Role.DESIGNATED_SAFEGUARDING_LEAD,
        User.Role.CSC_WORKER,
        User.Role.SYSTEM_ADMINISTRATOR,
    ],
)
def test_review_and_merge_pages_are_not_found_for_other_roles(client, situation, role):
    agency = None if role == User.Role.SYSTEM_ADMINISTRATOR else situation.csc
    client.force_login(make_user(agency, role))

    review, candidate, merges, undo = manager_only_urls(situation)
    for url in (review, candidate, merges, undo):
        assert client.get(url).status_code == 404, url
    for url in (candidate, undo):  # the pages with a form
        assert client.post(url, {"decision": "confirm", "reason": "x"}).status_code == 404, url
    assert CandidatePair.objects.get().status == CandidatePair.Status.PENDING
    assert not Merge.objects.get().is_undone


@pytest.mark.parametrize("role", [User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER])
def test_review_and_merge_pages_open_for_managers(client, situation, role):
    client.force_login(make_user(situation.csc, role))
    for url in manager_only_urls(situation):
        assert client.get(url).status_code == 200, url


def test_pages_ask_sign_in_first(client, situation):
    response = client.get(reverse("matching:review"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_navigation_links_to_the_pages_the_user_may_open(client, situation):
    client.force_login(make_user(situation.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD))
    page = client.get(reverse("people:search")).content.decode()
    assert reverse("matching:parallel_records") in page
    assert reverse("matching:review") not in page
    assert reverse("matching:merges") not in page

    client.force_login(make_user(situation.csc, User.Role.PARTNERSHIP_MANAGER))
    page = client.get(reverse("people:search")).content.decode()
    assert reverse("matching:review") in page
    assert reverse("matching:merges") in page


def test_the_review_list_shows_probability_names_dates_of_birth_and_agencies(
    client, manager, situation
):
    page = client.get(reverse("matching:review")).content.decode()
    assert "87.5%" in page
    assert "Tom Testfamily" in page and "Thomas Testfamily" in page
    assert "Born 3 April 2019" in page
    assert "Testwood Primary School" in page and "Testwood Medical Practice" in page
    assert situation.candidate.get_absolute_url() in page


def test_the_pair_page_shows_the_records_side_by_side_and_each_comparison(
    client, manager, situation
):
    page = client.get(situation.candidate.get_absolute_url()).content.decode()
    assert "Are these the same person?" in page
    assert "Given name" in page and "Differs" in page
    assert "Nickname or short form" not in page  # levels are shown as the engine wrote them
    assert "nickname or short form" in page
    assert "+3.21" in page and "\u22122.40" in page
    assert "For a match" in page and "Against" in page
    assert 'type="radio"' in page and 'name="decision"' in page


def test_confirming_merges_them_and_opens_the_person_with_both_records(client, manager, situation):
    response = client.post(
        situation.candidate.get_absolute_url(), {"decision": "confirm", "note": ""}, follow=True
    )
    assert response.redirect_chain[-1][0] == situation.thomas.get_absolute_url()
    page = response.content.decode()
    assert "The two records are now one person." in page
    assert "Testwood Primary School" in page and "Testwood Medical Practice" in page
    assert not Person.objects.filter(pk=situation.tom.pk).exists()


def test_rejecting_without_a_note_shows_the_error_summary(client, manager, situation):
    response = client.post(situation.candidate.get_absolute_url(), {"decision": "reject"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#id_note"' in page
    assert "Enter how you know these are different people" in page
    assert CandidatePair.objects.get().status == CandidatePair.Status.PENDING


def test_no_decision_shows_the_error_summary_linked_to_the_first_radio(client, manager, situation):
    page = client.post(situation.candidate.get_absolute_url(), {}).content.decode()
    assert 'href="#id_decision"' in page
    assert 'id="id_decision"' in page


def test_rejecting_with_a_note_and_deferring_return_to_the_list(client, manager, situation):
    url = situation.candidate.get_absolute_url()
    response = client.post(url, {"decision": "defer"})
    assert response.url == reverse("matching:review")
    assert CandidatePair.objects.get().status == CandidatePair.Status.DEFERRED

    client.post(url, {"decision": "reject", "note": "Cousins"})
    assert CandidatePair.objects.get().status == CandidatePair.Status.REJECTED
    page = client.get(url).content.decode()
    assert "Different people" in page and 'name="decision"' not in page


def test_a_refused_merge_is_shown_in_the_error_summary(client, manager, situation):
    situation.tom.records.update(nhs_number=NHS_NUMBERS[1])
    page = client.post(
        situation.candidate.get_absolute_url(), {"decision": "confirm"}
    ).content.decode()
    assert "There is a problem" in page
    assert "different NHS numbers" in page


def test_the_merges_page_links_to_undo_each_merge_still_standing(client, manager, situation):
    merge = merge_of(situation)
    page = client.get(reverse("matching:merges")).content.decode()
    assert situation.thomas.get_absolute_url() in page
    assert "Linkage model" in page
    assert reverse("matching:merge_undo", args=[merge.pk]) in page


def test_undoing_a_merge_asks_for_a_reason_then_makes_two_people_again(client, manager, situation):
    merge = merge_of(situation)
    url = reverse("matching:merge_undo", args=[merge.pk])
    page = client.get(url).content.decode()
    assert "Tom Testfamily" in page and "Testwood Primary School" in page

    page = client.post(url, {"reason": ""}).content.decode()
    assert "Enter why you are undoing this merge" in page
    assert Person.objects.filter(pk=situation.tom.pk).count() == 0

    response = client.post(url, {"reason": "Cousins of one name"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("matching:merges")
    assert "are two people again" in response.content.decode()
    assert Person.objects.filter(pk=situation.tom.pk).exists()
    assert reverse("matching:merge_undo", args=[merge.pk]) not in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UNMERGE).count() == 1


def test_an_undo_that_must_wait_says_why_and_offers_no_form(client, manager, situation):
    first = merge_of(situation)
    other = make_person_with_record(situation.gp, "Bravo", "Testfamily", None)
    people_merge(survivor=situation.thomas, absorbed=other, rule=Merge.Rule.MANUAL)

    page = client.get(reverse("matching:merge_undo", args=[first.pk])).content.decode()
    assert "Undo later merges first" in page
    assert 'name="reason"' not in page


def test_parallel_records_page_lists_the_agency_own_parallel_records(client, situation):
    make_record(situation.school, situation.tom, given="Thom", record_id="CPOMS-7")
    make_record(situation.gp, situation.thomas, record_id="GP-OLD-1")
    client.force_login(make_user(situation.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD))

    page = client.get(reverse("matching:parallel_records")).content.decode()
    assert "Tom Testfamily" in page and "CPOMS-7" in page
    assert "Thomas Testfamily" not in page and "GP-OLD-1" not in page


def test_parallel_records_page_is_not_found_for_a_system_administrator(client, situation):
    client.force_login(make_user(None, User.Role.SYSTEM_ADMINISTRATOR))
    assert client.get(reverse("matching:parallel_records")).status_code == 404
