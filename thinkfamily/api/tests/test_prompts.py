"""Prompts: the worklist and one prompt (read), and answering one (act)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from thinkfamily.accounts.models import Agency
from thinkfamily.api.models import IdempotentRequest
from thinkfamily.api.tests.cases import audited, fields_of, get, post, token_for
from thinkfamily.api.tests.conftest import assert_error_shape
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_agency
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.selectors import agency_worklist
from thinkfamily.prompts.services import sibling_prompts_raise
from thinkfamily.prompts.tests.family import Family, carter_family, concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school, dt.date.today())])
    return family


def _routed_to(family: Family) -> tuple[Prompt, Family]:
    """A prompt routed to the health visitor (about Ben)."""
    return Prompt.objects.routed_to(family.hv.pk).get(person=family.ben), family


def test_the_list_is_the_agency_worklist_and_is_audited(client: Client, family: Family) -> None:
    token, api_token = token_for(family.hv, "read")
    status, body = get(client, "/prompts", token)
    assert status == 200, body
    web = {row.prompt.pk for row in agency_worklist(viewer=api_token.service_user)}
    assert {item["id"] for item in body["items"]} == web and web
    entries = audited(api_token, AuditEvent.Action.VIEW_WORKLIST)
    assert entries[0].actor_label == api_token.label  # the API's; the web worklist's follows


def test_the_list_filters_by_person_and_status(client: Client, family: Family) -> None:
    token, _ = token_for(family.gp, "read")
    status, body = get(client, "/prompts", token, person_id=family.ben.pk)
    assert status == 200 and {i["person_id"] for i in body["items"]} <= {family.ben.pk}
    status, body = get(client, "/prompts", token, status="answered")
    assert status == 200 and body["items"] == []
    status, body = get(client, "/prompts", token, status="lost")
    assert status == 422 and fields_of(body) == ["status"]


def test_one_prompt_and_its_audit(client: Client, family: Family) -> None:
    prompt, _ = _routed_to(family)
    token, api_token = token_for(family.hv, "read")
    status, body = get(client, f"/prompts/{prompt.pk}", token)
    assert status == 200, body
    assert body["person_id"] == family.ben.pk and body["may_answer"] is True
    (entry,) = audited(api_token, AuditEvent.Action.VIEW_PROMPT)
    assert entry.object_id == str(prompt.pk) and entry.actor_label == api_token.label


def test_another_agencys_prompt_and_a_sealed_persons_are_404(
    client: Client, family: Family
) -> None:
    prompt, _ = _routed_to(family)
    police, _ = token_for(family.police, "read", "act")
    nobody = get(client, "/prompts/999999", police)
    assert get(client, f"/prompts/{prompt.pk}", police) == nobody
    assert (
        post(client, f"/prompts/{prompt.pk}/answer", police, {"response": "no_concern"})[0] == 404
    )
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    hv, _ = token_for(family.hv, "read")
    assert get(client, f"/prompts/{prompt.pk}", hv)[0] == 404
    assert prompt.pk not in {i["id"] for i in get(client, "/prompts", hv)[1]["items"]}


def test_answering_names_each_field_at_fault(client: Client, family: Family) -> None:
    prompt, _ = _routed_to(family)
    token, _ = token_for(family.hv, "act")
    status, body, _ = post(client, f"/prompts/{prompt.pk}/answer", token, {"response": "maybe"})
    assert status == 400
    assert_error_shape(body)
    assert fields_of(body) == ["response", "note"]
    status, body, _ = post(
        client,
        f"/prompts/{prompt.pk}/answer",
        token,
        {"response": "referral_made", "note": "x", "referral": 999999},
    )
    assert status == 400 and fields_of(body) == ["referral"]
    status, body, _ = post(client, f"/prompts/{prompt.pk}/answer", token, {"note": "x"})
    assert status == 422 and fields_of(body) == ["response"]
    assert Prompt.objects.get(pk=prompt.pk).status == Prompt.Status.OPEN


def test_answering_once_with_a_key_answers_the_same_on_retry(
    client: Client, family: Family
) -> None:
    prompt, _ = _routed_to(family)
    token, api_token = token_for(family.hv, "act")
    answer = {"response": "no_concern", "note": "Seen at clinic; thriving."}
    first = post(client, f"/prompts/{prompt.pk}/answer", token, answer, **{"Idempotency-Key": "a1"})
    again = post(client, f"/prompts/{prompt.pk}/answer", token, answer, **{"Idempotency-Key": "a1"})
    assert first[0] == again[0] == 200, first[1]
    assert first[1] == again[1] and first[1]["status"] == "answered"
    assert again[2]["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.filter(token=api_token).count() == 1
    (answered,) = audited(api_token, AuditEvent.Action.ANSWER_PROMPT)
    # Written by the prompts service itself, and still naming the token that called.
    assert answered.actor_label == api_token.label
    # Without the key, a second answer is the service's refusal.
    status, body, _ = post(client, f"/prompts/{prompt.pk}/answer", token, answer)
    assert status == 400 and "already answered" in body["message"]


def test_answering_needs_the_act_scope_and_an_agency_it_went_to(
    client: Client, family: Family
) -> None:
    prompt, _ = _routed_to(family)
    read_only, _ = token_for(family.hv, "read")
    answer = {"response": "no_concern", "note": "n"}
    status, body, _ = post(client, f"/prompts/{prompt.pk}/answer", read_only, answer)
    assert status == 403 and "act" in body["message"]
    # Another social care service's system sees every family's prompts (a family-wide role),
    # but answers only those sent to its own agency.
    elsewhere = make_agency("CSC-ELSEWHERE", Agency.AgencyType.CSC)
    overseer, _ = token_for(elsewhere, "act", role="csc_worker")
    status, body, _ = post(client, f"/prompts/{prompt.pk}/answer", overseer, answer)
    assert status == 403, body
