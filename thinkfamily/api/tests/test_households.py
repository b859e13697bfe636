"""GET /households/{id}: the members the family page lists, to whom the caller may see."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.api.tests.cases import audited, get, token_for
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import concern_record, prompt_answer
from thinkfamily.prompts.tests.family import Family, carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


def test_the_household_lists_its_members_now_and_is_audited(client: Client, family: Family) -> None:
    token, api_token = token_for(family.school, "read")
    status, body = get(client, f"/households/{family.home.pk}", token)
    assert status == 200, body
    members = {m["person_id"]: m for m in body["members"]}
    home = {family.jade.pk, family.finn.pk, family.ava.pk, family.ben.pk, family.unborn.pk}
    assert set(members) == home
    assert members[family.ava.pk]["may_open"] is True and members[family.ava.pk]["child"] is True
    assert "child" in members[family.ben.pk]["roles"]
    (entry,) = audited(api_token, AuditEvent.Action.VIEW_HOUSEHOLD)
    assert entry.object_id == str(family.home.pk) and entry.actor_label == api_token.label


def test_a_sealed_member_is_no_member(client: Client, family: Family) -> None:
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    token, _ = token_for(family.school, "read")
    status, body = get(client, f"/households/{family.home.pk}", token)
    assert status == 200
    assert family.ben.pk not in {m["person_id"] for m in body["members"]}


def test_a_household_the_agency_may_not_open_is_404_like_nobody(
    client: Client, family: Family
) -> None:
    token, _ = token_for(family.hv, "read")  # the health visitor knows only Ben, at home
    assert get(client, f"/households/{family.dads.pk}", token) == get(
        client, "/households/999999", token
    )
    assert get(client, "/households/999999", token) == (
        404,
        {"message": "Not found.", "errors": []},
    )


def test_the_household_of_a_sealed_child_alone_is_404(client: Client, family: Family) -> None:
    Person.objects.filter(pk=family.gus.pk).update(sealed=True)
    token, _ = token_for(family.school, "read")
    assert get(client, f"/households/{family.finns.pk}", token)[0] == 404


def test_without_the_read_scope_it_is_403(client: Client, family: Family) -> None:
    token, _ = token_for(family.school, "push")
    status, body = get(client, f"/households/{family.home.pk}", token)
    assert status == 403 and "read" in body["message"]


def test_each_member_says_how_many_prompts_about_them_are_open(
    client: Client, family: Family
) -> None:
    """The school may know that Ben, whose record is not its to read, has a prompt open."""
    concern_record(
        person=family.ava,
        by=make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD),
        occurred_at=timezone.now(),
        category="neglect",
        summary="Hungry at breakfast club.",
    )
    token, _ = token_for(family.school, "read")
    status, body = get(client, f"/households/{family.home.pk}", token)
    assert status == 200
    members = {m["person_id"]: m for m in body["members"]}
    assert members[family.ben.pk]["open_prompts"] == 1
    assert members[family.ava.pk]["open_prompts"] == 0
    prompt_answer(
        prompt=Prompt.objects.get(person=family.ben),
        by=make_user(family.gp),
        response=Prompt.Response.NO_CONCERN,
        action_taken="",
        note="Seen at the surgery last week; thriving.",
        referral=None,
    )
    body = get(client, f"/households/{family.home.pk}", token)[1]
    assert {m["person_id"]: m["open_prompts"] for m in body["members"]}[family.ben.pk] == 0
