"""The whole-family page, as a practitioner, children's social care and a stranger see it."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.people.tests.factories import make_agency, make_event, make_user
from thinkfamily.prompts.services import sibling_prompts_raise
from thinkfamily.prompts.tests.family import carter_family, concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school, timezone.localdate())])
    return family


def page_for(client, user, family, query=""):
    client.force_login(user)
    return client.get(family.home.get_absolute_url() + query)


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_children_are_listed_youngest_first_with_visibility_then_adults_with_when_they_joined(
    client, family
):
    HouseholdMembership.objects.filter(person=family.finn).update(start_date=dt.date(2026, 9, 1))
    make_event(family.ava, family.school, occurred_on=dt.date(2026, 11, 2), seen_in_person=True)
    text = page_for(client, make_user(family.hv), family).text

    children = section(text, "<caption", "Adults")
    assert children.index("Baby Carter") < children.index("Ben Carter") < children.index("Ava")
    assert "Never seen in person" in children
    assert "Last seen in person 2 November 2026" in children
    adults = section(text, ">Adults<", "Family chronology")
    assert "Finn Doyle" in adults and "1 September 2026" in adults


def test_the_genogram_draws_the_household_and_relatives_elsewhere(client, family):
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    text = page_for(client, worker, family).text
    svg = text[text.index("<svg") : text.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # well-formed
    for name in ("Jade Carter", "Finn Doyle", "Ava Carter", "Ben Carter", "Leon Carter",
                 "Gus Doyle"):  # fmt: skip
        assert name in svg
    assert "Concern" in svg  # Ava
    words = section(text, "The family in words", "</details>")
    assert "Leon Carter, male, 31 years old, lives elsewhere." in words
    assert "Ava Carter is the child of Jade Carter and Leon Carter." in words
    assert "Jade Carter and Leon Carter are separated." in words
    assert "Jade Carter and Finn Doyle are a couple." in words


def test_relatives_the_viewer_may_not_see_are_drawn_but_not_named(client, family):
    text = page_for(client, make_user(family.hv), family).text
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "Leon Carter" not in svg and "Gus Doyle" not in svg
    assert "Not shown to you" in svg
    assert "Ben Carter" in svg


def test_open_prompts_about_the_family_are_shown_to_the_agencies_they_went_to(client, family):
    text = page_for(client, make_user(family.hv), family).text
    assert "Open prompts about this family" in text
    prompts = section(text, "Open prompts about this family", "Family chronology")
    assert "Ben Carter" in prompts
    assert "Baby Carter" not in prompts  # routed to midwifery and CSC, not health visiting


def test_the_merged_chronology_can_be_filtered_by_person_and_links_to_the_pdf(client, family):
    make_event(family.ben, family.hv, summary="Weighed at clinic.", occurred_on=dt.date(2026, 9, 1))
    make_event(family.jade, family.gp, summary="Asthma review.", occurred_on=dt.date(2026, 8, 1))
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    everything = page_for(client, worker, family).text
    assert "Weighed at clinic." in everything and "Asthma review." in everything
    only_ben = page_for(client, worker, family, f"?person={family.ben.pk}").text
    assert "Weighed at clinic." in only_ben and "Asthma review." not in only_ben
    assert f"/households/{family.home.pk}/chronology.pdf?person={family.ben.pk}" in only_ben


def test_a_bad_filter_is_a_400_naming_it(client, family):
    response = page_for(client, make_user(family.hv), family, "?person=abc")
    assert response.status_code == 400
    assert "person filter" in response.text


def test_people_who_left_are_shown_with_when(client, family):
    HouseholdMembership.objects.filter(person=family.finn).update(end_date=dt.date(2026, 10, 1))
    text = page_for(client, make_user(family.hv), family).text
    left = section(text, "No longer living here", "</table>")
    assert "Finn Doyle" in left and "1 October 2026" in left


def test_the_family_page_is_audited_and_hidden_from_an_agency_that_knows_nobody_there(
    client, family
):
    hv = make_user(family.hv)
    assert page_for(client, hv, family).status_code == 200
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_HOUSEHOLD)
    assert entry.actor == hv and entry.object_id == str(family.home.pk)
    stranger = make_user(make_agency("HOUSING-EAST", "housing"))
    assert page_for(client, stranger, family).status_code == 404
    assert (
        page_for(client, make_user(None, User.Role.SYSTEM_ADMINISTRATOR), family).status_code == 404
    )


def test_the_family_page_reads_a_bounded_number_of_queries(
    client, family, django_assert_max_num_queries
):
    for day in range(1, 29):
        make_event(family.ben, family.hv, occurred_on=dt.date(2026, 2, day), seen_in_person=True)
    client.force_login(make_user(family.hv))
    with django_assert_max_num_queries(45):
        assert client.get(family.home.get_absolute_url()).status_code == 200


def test_a_sealed_child_is_no_part_of_the_family_page_but_to_the_sealed_record_roles(
    client, family
):
    make_event(family.ben, family.hv, summary="Weighed at clinic.", occurred_on=dt.date(2026, 9, 1))
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    text = page_for(client, worker, family).text
    assert "Ben Carter" not in text and "Weighed at clinic." not in text
    words = section(text, "The family in words", "</details>")
    assert "Ava Carter is the child of Jade Carter and Leon Carter." in words
    assert "Not shown to you" not in words  # not drawn at all, not drawn unnamed
    assert f'value="{family.ben.pk}"' not in text  # not in the chronology's person filter
    only_ben = page_for(client, worker, family, f"?person={family.ben.pk}").text
    assert "Weighed at clinic." not in only_ben
    manager = page_for(client, make_user(family.csc, User.Role.CSC_MANAGER), family).text
    assert "Ben Carter" in manager and "Weighed at clinic." in manager
