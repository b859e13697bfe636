"""Pushing records, relationships and events through the API: the extract import's rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from thinkfamily.accounts.models import Agency
from thinkfamily.api.models import IdempotentRequest
from thinkfamily.api.services import api_token_create
from thinkfamily.api.tests.conftest import assert_error_shape, bearer
from thinkfamily.audit.models import AuditEvent
from thinkfamily.events.models import Event
from thinkfamily.extracts.models import ImportRun
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person
from thinkfamily.people.tests.factories import make_agency
from thinkfamily.prompts.models import Prompt

pytestmark = pytest.mark.django_db

ADDRESS = {"address": "4 Willow Row", "postcode": "ZZ1 4WR"}


@pytest.fixture
def school_token() -> str:
    school = make_agency("SCH-PUSH", Agency.AgencyType.SCHOOL)
    return api_token_create(agency=school, name="MIS", scopes=["push", "read"]).token


@pytest.fixture
def gp_token() -> str:
    gp = make_agency("GP-PUSH", Agency.AgencyType.GP)
    return api_token_create(agency=gp, name="Clinical", scopes=["push"]).token


def post(client: Client, url: str, token: str, body: Any, **headers: str) -> tuple[int, dict]:
    response = client.post(
        f"/api/v1{url}",
        data=json.dumps(body),
        content_type="application/json",
        headers={**bearer(token), **headers},
    )
    return response.status_code, response.json()


def today_at(hour: int) -> str:
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def pupil(record_id: str = "P-1", **extra: Any) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "given_name": "Mia",
        "family_name": "Fernsby",
        "date_of_birth": "2016-02-11",
        "sex": "F",
        **ADDRESS,
        **extra,
    }


def family_at_the_surgery(client: Client, gp_token: str) -> None:
    """The surgery knows a mother and her toddler at the pupil's address."""
    status, body = post(
        client,
        "/batch",
        gp_token,
        {
            "records": [
                {
                    "record_id": "G-1",
                    "given_name": "Jo",
                    "family_name": "Fernsby",
                    "date_of_birth": "1991-07-30",
                    "sex": "F",
                    **ADDRESS,
                },
                {
                    "record_id": "G-2",
                    "given_name": "Alfie",
                    "family_name": "Fernsby",
                    "date_of_birth": str(timezone.localdate() - dt.timedelta(days=2 * 365)),
                    "sex": "M",
                    **ADDRESS,
                },
            ],
            "relationships": [
                {"record_id": "G-1", "related_record_id": "G-2", "relationship": "parent"}
            ],
        },
    )
    assert status == 200, body


def test_a_pushed_record_is_linked_to_a_person_and_the_push_audited(
    client: Client, school_token: str
) -> None:
    status, body = post(client, "/records", school_token, pupil())
    assert status == 200, body
    (pushed,) = body["records"]
    record = AgencyRecord.objects.get(agency__code="SCH-PUSH", record_id="P-1")
    assert pushed == {"record_id": "P-1", "person_id": record.person_id}
    assert body["counts"]["records_created"] == 1
    run = ImportRun.objects.get(pk=body["import_run_id"])
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.started_by.username == "api:SCH-PUSH:MIS"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.IMPORT, object_id=str(run.pk), actor=run.started_by
    ).exists()


def test_a_pushed_concern_raises_prompts_for_the_preschool_sibling(
    client: Client, school_token: str, gp_token: str
) -> None:
    family_at_the_surgery(client, gp_token)
    assert post(client, "/records", school_token, pupil())[0] == 200
    concern = {
        "record_id": "P-1",
        "event_id": "E-1",
        "event_type": "concern",
        "category": "neglect",
        "occurred_at": today_at(9),
        "seen_in_person": True,
        "summary": "Arrived hungry three days running.",
    }
    status, body = post(client, "/events", school_token, concern)
    assert status == 200, body
    assert body["counts"]["sibling_prompts_created"] == 1
    toddler = AgencyRecord.objects.get(agency__code="GP-PUSH", record_id="G-2").person
    prompt = Prompt.objects.get(kind=Prompt.Kind.SIBLING)
    assert prompt.person == toddler
    assert HouseholdMembership.objects.filter(person=toddler, end_date__isnull=True).exists()


def test_a_bad_item_is_422_naming_the_field_and_nothing_is_written(
    client: Client, school_token: str
) -> None:
    status, body = post(client, "/records", school_token, pupil(nhs_number="1234567890"))
    assert status == 422
    assert_error_shape(body)
    assert body["errors"][0]["field"] == "nhs_number"
    assert body["errors"][0]["row"] is None
    assert "1234567890" in body["errors"][0]["reason"]
    assert not AgencyRecord.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED


def test_a_batch_with_a_bad_row_at_the_end_writes_nothing(
    client: Client, school_token: str
) -> None:
    events = [
        {
            "record_id": f"P-{n}",
            "event_id": f"E-{n}",
            "event_type": "attendance",
            "occurred_at": f"2026-09-0{n}",
        }
        for n in range(1, 4)
    ]
    events[-1]["occurred_at"] = "2026-02-30"
    batch = {
        "records": [pupil(f"P-{n}", given_name=f"Pupil{n}") for n in range(1, 4)],
        "events": events,
    }
    status, body = post(client, "/batch", school_token, batch)
    assert status == 422, body
    assert body["errors"] == [
        {"field": "events.occurred_at", "row": 2, "reason": body["errors"][0]["reason"]}
    ]
    assert "2026-02-30" in body["errors"][0]["reason"]
    assert not AgencyRecord.objects.exists()
    assert not Event.objects.exists()


def test_batch_errors_from_the_contract_and_from_the_database_name_list_field_and_row(
    client: Client, school_token: str
) -> None:
    batch = {
        "records": [pupil("P-1"), pupil("P-1", given_name="Twice")],
        "events": [
            {
                "record_id": "P-404",
                "event_id": "E-1",
                "event_type": "concern",
                "occurred_at": "2026-09-01",
            }
        ],
    }
    status, body = post(client, "/batch", school_token, batch)
    assert status == 422
    where = {(error["field"], error["row"]) for error in body["errors"]}
    assert where == {("records.record_id", 0), ("records.record_id", 1), ("events.record_id", 0)}


@pytest.mark.parametrize(
    ("item", "field", "row"),
    [
        ({"records": [pupil(), pupil("P-2", agency_code="GP-PUSH")]}, "records.agency_code", 1),
        ({"records": [{"record_id": "P-1", "family_name": "X"}]}, "records.given_name", 0),
        (
            {
                "events": [
                    {
                        "record_id": "P-1",
                        "event_id": "E",
                        "event_type": "note",
                        "occurred_at": "2026-09-01",
                        "restricted": "perhaps",
                    }
                ]
            },
            "events.restricted",
            0,
        ),
        ({"surprise": []}, "surprise", None),
    ],
)
def test_a_batch_that_breaks_the_schema_is_422_naming_field_and_row(
    client: Client, school_token: str, item: dict, field: str, row: int | None
) -> None:
    status, body = post(client, "/batch", school_token, item)
    assert status == 422
    assert_error_shape(body)
    assert [(error["field"], error["row"]) for error in body["errors"]] == [(field, row)]
    assert not AgencyRecord.objects.exists()


@pytest.mark.parametrize("url", ["/records", "/batch"])
def test_a_body_that_is_not_json_is_400_in_the_one_error_shape(
    client: Client, school_token: str, url: str
) -> None:
    """Ninja refuses it before the endpoint runs; its refusal must not leave as ``{"detail"}``."""
    response = client.post(
        f"/api/v1{url}", data=b"{not json", content_type="application/json",
        headers=bearer(school_token),
    )  # fmt: skip
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert not AgencyRecord.objects.exists()


def test_a_retry_with_the_same_key_gives_the_first_answer_and_writes_nothing_more(
    client: Client, school_token: str
) -> None:
    first = client.post(
        "/api/v1/records",
        data=json.dumps(pupil()),
        content_type="application/json",
        headers={**bearer(school_token), "Idempotency-Key": "push-0001"},
    )
    again = client.post(
        "/api/v1/records",
        data=json.dumps(pupil()),
        content_type="application/json",
        headers={**bearer(school_token), "Idempotency-Key": "push-0001"},
    )
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ImportRun.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1


def test_a_retried_refusal_is_the_same_refusal(client: Client, school_token: str) -> None:
    bad = pupil(sex="Q")
    first = post(client, "/records", school_token, bad, **{"Idempotency-Key": "k-bad"})
    again = post(client, "/records", school_token, bad, **{"Idempotency-Key": "k-bad"})
    assert first == again
    assert first[0] == 422
    assert ImportRun.objects.count() == 1


def test_a_key_reused_for_a_different_request_is_422(client: Client, school_token: str) -> None:
    assert post(client, "/records", school_token, pupil(), **{"Idempotency-Key": "k"})[0] == 200
    status, body = post(
        client, "/records", school_token, pupil(given_name="Changed"), **{"Idempotency-Key": "k"}
    )
    assert status == 422
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert AgencyRecord.objects.get().given_name == "Mia"


def test_keys_belong_to_their_token(client: Client, school_token: str, gp_token: str) -> None:
    gp_pupil = {**pupil(), "record_id": "G-9"}
    assert post(client, "/records", school_token, pupil(), **{"Idempotency-Key": "k"})[0] == 200
    status, body = post(client, "/records", gp_token, gp_pupil, **{"Idempotency-Key": "k"})
    assert status == 200, body
    assert AgencyRecord.objects.count() == 2


def test_without_a_key_a_repeated_push_changes_nothing(client: Client, school_token: str) -> None:
    assert post(client, "/records", school_token, pupil())[0] == 200
    status, body = post(client, "/records", school_token, pupil())
    assert status == 200
    assert body["counts"]["records_created"] == 0
    assert body["counts"]["records_unchanged"] == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 201, "tab\there"])
def test_an_unusable_key_is_422(client: Client, school_token: str, key: str) -> None:
    status, body = post(client, "/records", school_token, pupil(), **{"Idempotency-Key": key})
    assert status == 422
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert not AgencyRecord.objects.exists()


def test_pushing_needs_the_push_scope(client: Client) -> None:
    school = make_agency("SCH-READ", Agency.AgencyType.SCHOOL)
    token = api_token_create(agency=school, name="Reader", scopes=["read"]).token
    status, body = post(client, "/records", token, pupil())
    assert status == 403
    assert "push" in body["message"]
    assert not ImportRun.objects.exists()


def test_a_token_over_its_rate_is_429_until_the_next_minute(
    client: Client, school_token: str, gp_token: str, settings: Any
) -> None:
    settings.THINKFAMILY_API_RATE_PER_MINUTE = 3
    answers = [client.get("/api/v1/people", headers=bearer(school_token)) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert_error_shape(answers[-1].json())
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    # Another token has its own count.
    assert post(client, "/records", gp_token, {**pupil(), "record_id": "G-1"})[0] == 200


def test_a_pushed_record_of_a_sealed_person_does_not_name_the_person(
    client: Client, school_token: str
) -> None:
    assert post(client, "/records", school_token, pupil())[0] == 200
    record = AgencyRecord.objects.get()
    Person.objects.filter(pk=record.person_id).update(sealed=True)
    status, body = post(client, "/records", school_token, pupil(address="5 Willow Row"))
    assert status == 200, body
    assert body["records"] == [{"record_id": "P-1", "person_id": None}]


def test_an_empty_batch_is_422_and_runs_no_import(client: Client, school_token: str) -> None:
    status, body = post(client, "/batch", school_token, {"records": [], "events": []})
    assert status == 422
    assert "empty" in body["errors"][0]["reason"]
    assert not ImportRun.objects.exists()


def test_a_push_of_events_alone_links_nobody_and_reforms_no_household(
    client: Client, school_token: str, gp_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events change nobody's identity or family: the push stays cheap however big the county."""
    family_at_the_surgery(client, gp_token)
    assert post(client, "/records", school_token, pupil())[0] == 200

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an events-only push must not relink or re-form households")

    monkeypatch.setattr("thinkfamily.extracts.services.records_link", refuse)
    monkeypatch.setattr("thinkfamily.extracts.services.households_rebuild", refuse)
    concern = {"record_id": "P-1", "event_id": "E-9", "event_type": "concern",
               "category": "neglect", "occurred_at": today_at(8)}  # fmt: skip
    status, body = post(client, "/events", school_token, concern)
    assert status == 200, body
    assert body["counts"]["sibling_prompts_created"] == 1
    # Pushed again, the concern prompts nobody twice.
    status, body = post(client, "/events", school_token, concern)
    assert body["counts"]["sibling_prompts_created"] == 0
    assert Prompt.objects.count() == 1
