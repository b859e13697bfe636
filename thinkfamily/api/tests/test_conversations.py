"""Conversations: the list and one conversation (read), acknowledging or disputing (act)."""

from __future__ import annotations

import pytest
from django.test import Client

from thinkfamily.api.models import ApiToken
from thinkfamily.api.tests.cases import audited, fields_of, get, post, token_for
from thinkfamily.audit.models import AuditEvent
from thinkfamily.conversations.models import Acknowledgement, Conversation
from thinkfamily.conversations.services import Taking
from thinkfamily.conversations.tests.helpers import Team, team, what_if
from thinkfamily.people.models import Person
from thinkfamily.prompts.tests.family import Family, carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def people(family: Family) -> Team:
    return team(family)


@pytest.fixture
def gp_system(family: Family) -> tuple[str, ApiToken]:
    return token_for(family.gp, "read", "act")


@pytest.fixture
def conversation(family: Family, people: Team, gp_system: tuple[str, ApiToken]) -> Conversation:
    """The school's "What If" discussion; the GP's system took part as well as the GP."""
    taking = [Taking(user_id=people.gp.pk), Taking(user_id=gp_system[1].service_user.pk)]
    return what_if(family, people, participants=taking)


def test_the_list_and_one_conversation_are_audited(
    client: Client, family: Family, conversation: Conversation, gp_system: tuple[str, ApiToken]
) -> None:
    token, api_token = gp_system
    status, body = get(client, "/conversations", token)
    assert status == 200 and [i["id"] for i in body["items"]] == [conversation.pk]
    status, body = get(client, f"/conversations/{conversation.pk}", token)
    assert status == 200, body
    assert body["current_version"] == 1 and body["may_acknowledge"] is True
    assert set(body["child_ids"]) == {family.ava.pk, family.ben.pk} and body["outcomes"]
    entries = audited(api_token, AuditEvent.Action.VIEW_CONVERSATION)
    assert len(entries) == 2 and {e.actor_label for e in entries} == {api_token.label}


def test_another_agency_and_a_sealed_family_get_404(
    client: Client, family: Family, conversation: Conversation
) -> None:
    police, _ = token_for(family.police, "read", "act")
    nobody = get(client, "/conversations/999999", police)
    assert get(client, f"/conversations/{conversation.pk}", police) == nobody
    url = f"/conversations/{conversation.pk}/acknowledge"
    assert post(client, url, police, {"version": 1})[0] == 404
    Person.objects.filter(pk__in=[family.ava.pk, family.ben.pk]).update(sealed=True)
    school, _ = token_for(family.school, "read")
    assert get(client, f"/conversations/{conversation.pk}", school)[0] == 404
    assert get(client, "/conversations", school)[1]["items"] == []


def test_acknowledging_once_with_a_key(
    client: Client, conversation: Conversation, gp_system: tuple[str, ApiToken]
) -> None:
    token, api_token = gp_system
    url = f"/conversations/{conversation.pk}/acknowledge"
    first = post(client, url, token, {"version": 1}, **{"Idempotency-Key": "k"})
    again = post(client, url, token, {"version": 1}, **{"Idempotency-Key": "k"})
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert first[1]["answer"] == "acknowledged"
    assert again[2]["Idempotent-Replayed"] == "true"
    assert Acknowledgement.objects.filter(user=api_token.service_user).count() == 1
    assert len(audited(api_token, AuditEvent.Action.ACKNOWLEDGE_CONVERSATION)) == 1
    status, body, _ = post(client, url, token, {"version": 1})
    assert status == 400 and "already" in body["message"]


def test_a_dispute_needs_a_comment_and_the_current_version(
    client: Client, conversation: Conversation, gp_system: tuple[str, ApiToken]
) -> None:
    token, _ = gp_system
    url = f"/conversations/{conversation.pk}/dispute"
    status, body, _ = post(client, url, token, {"version": 1})
    assert status == 400 and fields_of(body) == ["comment"]
    status, body, _ = post(client, url, token, {"version": 2, "comment": "Wrong date."})
    assert status == 409 and "amended" in body["message"]
    status, body, _ = post(client, url, token, {"version": "one"})
    assert status == 422 and fields_of(body) == ["version"]
    status, body, _ = post(client, url, token, {"version": 1, "comment": "Wrong date."})
    assert status == 200 and body["answer"] == "disputed"


def test_who_is_no_participant_or_lacks_the_scope_is_403(
    client: Client, family: Family, conversation: Conversation
) -> None:
    school, _ = token_for(family.school, "read", "act")  # the recording agency; not a participant
    status, body, _ = post(
        client, f"/conversations/{conversation.pk}/acknowledge", school, {"version": 1}
    )
    assert status == 403 and "participants" in body["message"]
    read_only, _ = token_for(family.school, "read")
    status, body, _ = post(
        client, f"/conversations/{conversation.pk}/acknowledge", read_only, {"version": 1}
    )
    assert status == 403 and "act" in body["message"]
    assert get(client, "/conversations", token_for(family.school, "push")[0])[0] == 403


def test_a_system_answers_for_a_participant_of_its_own_agency(
    client: Client, family: Family, people: Team, conversation: Conversation
) -> None:
    """The GP acknowledged the record in the practice's own system, which tells Think Family."""
    token, api_token = token_for(family.gp, "act")
    url = f"/conversations/{conversation.pk}/acknowledge"
    status, body, _ = post(client, url, token, {"version": 1, "on_behalf_of": people.gp.username})
    assert status == 200, body
    acknowledgement = Acknowledgement.objects.get(user=people.gp)
    assert acknowledgement.answer == "acknowledged"
    entry = AuditEvent.objects.get(action=AuditEvent.Action.ACKNOWLEDGE_CONVERSATION)
    assert entry.actor == people.gp
    assert entry.actor_label == f"{people.gp.username} via {api_token.label}"


@pytest.mark.parametrize("who", ["hv", "dsl", "nobody"])
def test_a_system_answers_only_for_its_own_agencys_staff_who_took_part(
    client: Client, family: Family, people: Team, conversation: Conversation, who: str
) -> None:
    """Another agency's participant (the health visitor) or someone unknown is a 422 naming the
    field; one of the agency's staff who took no part (the school's lead, to the school's
    system) is a 403, as on the web."""
    agency = family.school if who == "dsl" else family.gp
    token, _ = token_for(agency, "act")
    username = getattr(people, who).username if who != "nobody" else "no.such.user"
    url = f"/conversations/{conversation.pk}/acknowledge"
    status, body, _ = post(client, url, token, {"version": 1, "on_behalf_of": username})
    if who == "dsl":
        assert status == 403 and "participants" in body["message"]
    else:
        assert status == 422 and fields_of(body) == ["on_behalf_of"]
    assert not Acknowledgement.objects.exists()
