"""The conversation pages: recording, answering, amending, closing actions, worklist, compliance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.conversations.models import Acknowledgement, Action, Conversation
from thinkfamily.conversations.services import conversation_acknowledge
from thinkfamily.conversations.tests.helpers import Team, team, what_if
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import Family, carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def people(family: Family) -> Team:
    return team(family)


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record_form(family: Family, people: Team, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "what_if",
        "held_on": timezone.localdate().strftime("%d %m %Y"),
        "children": [str(family.ava.pk), str(family.ben.pk)],
        "participants": f"{people.gp.username}\n{people.hv.username}",
        "others": "PC Ada Moss, County Police",
        "status": "advice_given",
        "outcomes": "School will offer Ava breakfast club daily.\nThe health visitor will weigh "
        "Ben this week.",
        "action_1": "Weigh Ben at home.",
        "action_1_agency": str(family.hv.pk),
        "action_1_due_on": (timezone.localdate() + dt.timedelta(days=7)).strftime("%d %m %Y"),
    }
    data.update(changes)
    return data


def test_recording_from_the_family_page_lists_the_children_ticked(
    family: Family, people: Team
) -> None:
    url = reverse("conversations:new") + f"?household={family.home.pk}"
    page = _as(people.dsl).get(url)
    assert page.status_code == 200
    assert "Ava Carter" in page.text and "Ben Carter" in page.text
    response = _as(people.dsl).post(url, _record_form(family, people))
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == conversation.get_absolute_url()
    assert conversation.household == family.home
    assert conversation.participants.count() == 3
    assert conversation.actions.get().owner_agency == family.hv


def test_a_record_with_an_unknown_participant_and_an_unowned_action_is_refused_by_name(
    family: Family, people: Team
) -> None:
    url = reverse("conversations:new") + f"?household={family.home.pk}"
    response = _as(people.dsl).post(
        url, _record_form(family, people, participants="no.such.person", action_1_agency="")
    )
    assert response.status_code == 400
    assert "No one has the username “no.such.person”" in response.text
    response = _as(people.dsl).post(
        url, _record_form(family, people, action_1_agency="", status="", outcomes="agreed")
    )
    assert response.status_code == 400
    assert "Action 1 needs the agency that owns it" in response.text
    assert "Select what the conversation came to" in response.text
    assert "is not a sentence" in response.text
    assert not Conversation.objects.exists()


def test_recording_about_a_family_one_may_not_see_is_not_found(family: Family) -> None:
    outsider = make_user(family.police)
    url = reverse("conversations:new") + f"?household={family.dads.pk}"
    assert _as(outsider).get(url).status_code == 404


def test_the_gp_acknowledges_and_the_health_visitor_disputes_on_the_record_page(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    url = conversation.get_absolute_url()
    page = _as(people.gp).get(url)
    assert "Your answer to version 1" in page.text
    assert _as(people.gp).post(url, {"version": 1, "answer": "acknowledged"}).status_code == 302
    refused = _as(people.hv).post(url, {"version": 1, "answer": "disputed", "comment": ""})
    assert refused.status_code == 400
    assert "Enter what is inaccurate in the record" in refused.text
    disputed = _as(people.hv).post(
        url, {"version": 1, "answer": "disputed", "comment": "Wrong week."}
    )
    assert disputed.status_code == 302
    again = _as(people.gp).post(url, {"version": 1, "answer": "acknowledged"})
    assert again.status_code == 403
    assert "already acknowledged or disputed version 1" in again.text
    assert Acknowledgement.objects.count() == 2
    assert "Version 1 of this record is disputed" in _as(people.dsl).get(url).text


def test_amending_makes_a_new_version_and_old_versions_stay_on_the_page(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    amend = reverse("conversations:amend", args=[conversation.pk])
    assert _as(people.gp).get(amend).status_code == 403
    response = _as(people.dsl).post(
        amend,
        {"version": 1, "status": "decision_made", "summary": "",
         "outcomes": "The health visitor will weigh Ben next week."},
    )  # fmt: skip
    assert response.status_code == 302
    page = _as(people.gp).get(conversation.get_absolute_url())
    assert "Version 2 (current)" in page.text
    assert "Earlier versions" in page.text
    assert "School will offer Ava a place at breakfast club every day." in page.text
    assert "Your answer to version 2" in page.text
    stale = _as(people.dsl).post(
        amend, {"version": 1, "status": "advice_given", "outcomes": "Anything at all here."}
    )
    assert stale.status_code == 409


def test_an_action_is_closed_from_the_record_page_only_by_those_who_may(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    action = conversation.actions.get()
    url = reverse("conversations:action_close", args=[action.pk])
    assert _as(people.gp).post(url, {"outcome": "done", "text": "x"}).status_code == 403
    missing = _as(people.hv).post(url, {"outcome": "done", "text": ""})
    assert missing.status_code == 400
    assert "Enter what was done (the evidence)" in missing.text
    assert _as(people.hv).post(url, {"outcome": "done", "text": "Weighed."}).status_code == 302
    assert Action.objects.get().state == "done"


def test_the_record_page_is_not_found_for_an_agency_that_took_no_part(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    outsider = _as(make_user(family.police))
    assert outsider.get(conversation.get_absolute_url()).status_code == 404
    answer = outsider.post(
        conversation.get_absolute_url(), {"version": 1, "answer": "acknowledged"}
    )
    assert answer.status_code == 404


def test_the_worklist_and_the_family_page_show_what_waits(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    page = _as(people.gp).get(reverse("conversations:worklist"))
    assert "Records for you to acknowledge" in page.text
    assert conversation.get_absolute_url() in page.text
    family_page = _as(people.dsl).get(family.home.get_absolute_url())
    assert "Not yet acknowledged by everyone" in family_page.text


def test_the_compliance_page_is_for_partnership_managers_only(family: Family, people: Team) -> None:
    what_if(family, people)
    url = reverse("conversations:compliance")
    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    page = _as(manager).get(url)
    assert page.status_code == 200
    assert "Brookfield School" in page.text
    assert _as(people.dsl).get(url).status_code == 403


def test_recording_from_a_child_lists_the_child_first_and_is_refused_to_read_only_roles(
    family: Family, people: Team
) -> None:
    url = reverse("conversations:new") + f"?person={family.ben.pk}"
    page = _as(people.dsl).get(url)
    assert page.status_code == 200
    assert page.text.index("Ben Carter") < page.text.index("Ava Carter")
    reviewer = make_user(family.csc, User.Role.REVIEWER)
    assert _as(reviewer).get(url).status_code == 403
    assert _as(people.dsl).get(reverse("conversations:new")).status_code == 400


def test_an_action_can_name_the_person_who_owns_it_and_an_unknown_one_is_refused(
    family: Family, people: Team
) -> None:
    url = reverse("conversations:new") + f"?household={family.home.pk}"
    unknown = _as(people.dsl).post(url, _record_form(family, people, action_1_owner="nobody"))
    assert unknown.status_code == 400
    assert "No one has the username “nobody”" in unknown.text
    assert not Conversation.objects.exists()
    named = _as(people.dsl).post(
        url, _record_form(family, people, action_1_owner=people.hv.username)
    )
    assert named.status_code == 302
    assert Conversation.objects.get().actions.get().owner_user == people.hv


def test_actions_can_be_added_when_amending_without_making_a_new_version(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    current = conversation.versions.get(number=1)
    amend = reverse("conversations:amend", args=[conversation.pk])
    unowned = _as(people.dsl).post(
        amend,
        {"version": 1, "status": current.status, "summary": current.summary,
         "outcomes": "\n".join(current.outcomes), "action_1": "Book a home visit."},
    )  # fmt: skip
    assert unowned.status_code == 400
    assert conversation.actions.count() == 1
    added = _as(people.dsl).post(
        amend,
        {"version": 1, "status": current.status, "summary": current.summary,
         "outcomes": "\n".join(current.outcomes), "action_1": "Book a home visit.",
         "action_1_agency": str(family.hv.pk), "action_1_owner": people.hv.username,
         "action_1_due_on": (timezone.localdate() + dt.timedelta(days=5)).strftime("%d %m %Y")},
    )  # fmt: skip
    assert added.status_code == 302
    conversation.refresh_from_db()
    assert conversation.current_version == 1
    new = conversation.actions.get(description="Book a home visit.")
    assert new.owner_agency == family.hv and new.owner_user == people.hv


def test_a_sealed_child_is_not_named_on_the_record_and_a_record_about_them_alone_is_not_found(
    family: Family, people: Team
) -> None:
    both = what_if(family, people)
    bens = what_if(family, people, children=[family.ben])
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    gp = _as(people.gp)
    page = gp.get(both.get_absolute_url())
    assert page.status_code == 200
    assert "Ava Carter" in page.text and "Ben Carter" not in page.text
    assert gp.get(bens.get_absolute_url()).status_code == 404
    worklist = gp.get(reverse("conversations:worklist"))
    assert both.get_absolute_url() in worklist.text
    assert bens.get_absolute_url() not in worklist.text and "Ben Carter" not in worklist.text
    manager = _as(make_user(family.csc, User.Role.CSC_MANAGER))
    assert "Ben Carter" in manager.get(bens.get_absolute_url()).text
