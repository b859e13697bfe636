"""The read endpoints: authentication, scopes, the access rules, pagination, sync, errors, audit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from thinkfamily.accounts.models import Agency
from thinkfamily.api.management.commands.api_schema import SCHEMA_PATH
from thinkfamily.api.services import api_token_create, api_token_revoke
from thinkfamily.api.tests.conftest import World, assert_error_shape, bearer, call
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_event, make_person_with_record, make_user

PEOPLE = "/api/v1/people"


def test_people_lists_exactly_whom_the_web_app_shows_the_agency(
    client: Client, world: World
) -> None:
    status, body = call(client, PEOPLE, world.token)
    assert status == 200
    ids = {item["id"] for item in body["items"]}
    viewer = make_user(world.school)
    assert ids == set(Person.objects.visible_to(viewer).values_list("id", flat=True))
    assert ids == {world.pupil.pk, world.sibling.pk}  # household rule; not stranger, not sealed
    pupil = next(item for item in body["items"] if item["id"] == world.pupil.pk)
    assert pupil["agency_record_ids"] == list(
        world.pupil.records.values_list("record_id", flat=True)
    )
    sibling = next(item for item in body["items"] if item["id"] == world.sibling.pk)
    assert sibling["agency_record_ids"] == []  # the GP's record is not the school's to see
    assert body["next_cursor"] is None


@pytest.mark.parametrize("who", ["pupil", "sibling"])
def test_person_detail_for_own_and_household_member(client: Client, world: World, who: str) -> None:
    person = getattr(world, who)
    status, body = call(client, f"{PEOPLE}/{person.pk}", world.token)
    assert status == 200
    assert body["id"] == person.pk
    assert len(body["household_ids"]) == 1
    assert body["chronology_readable"] is (who == "pupil")


@pytest.mark.parametrize("who", ["stranger", "sealed"])
@pytest.mark.parametrize("suffix", ["", "/chronology"])
def test_unseeable_person_is_404_like_nobody(
    client: Client, world: World, who: str, suffix: str
) -> None:
    status, body = call(client, f"{PEOPLE}/{getattr(world, who).pk}{suffix}", world.token)
    nobody_status, nobody_body = call(client, f"{PEOPLE}/999999{suffix}", world.token)
    assert (
        (status, body)
        == (nobody_status, nobody_body)
        == (404, {"message": "Not found.", "errors": []})
    )


def test_chronology_newest_first_without_restricted_or_other_agencies_unreadable(
    client: Client, world: World
) -> None:
    old = make_event(world.pupil, world.school, occurred_on=dt.date(2024, 1, 1), summary="old")
    new = make_event(world.pupil, world.gp, occurred_on=dt.date(2024, 5, 1), summary="new")
    make_event(world.pupil, world.gp, occurred_on=dt.date(2024, 6, 1), restricted=True)
    status, body = call(client, f"{PEOPLE}/{world.pupil.pk}/chronology", world.token)
    assert status == 200
    assert [item["id"] for item in body["items"]] == [new.pk, old.pk]
    assert body["items"][0]["agency_code"] == "GP-TEST"


def test_household_members_chronology_is_403_with_the_reason(client: Client, world: World) -> None:
    make_event(world.sibling, world.gp)
    status, body = call(client, f"{PEOPLE}/{world.sibling.pk}/chronology", world.token)
    assert status == 403
    assert_error_shape(body)
    assert "chronology" in body["message"]


def test_chronology_pages_without_duplicates_or_gaps(client: Client, world: World) -> None:
    events = [
        make_event(world.pupil, world.school, occurred_on=dt.date(2024, 1, 1)) for _ in range(4)
    ]
    events += [
        make_event(world.pupil, world.school, occurred_on=dt.date(2023, 1, d)) for d in (1, 2, 3)
    ]
    seen, cursor = [], None
    while True:
        url = f"{PEOPLE}/{world.pupil.pk}/chronology?limit=2" + (
            f"&cursor={cursor}" if cursor else ""
        )
        status, body = call(client, url, world.token)
        assert status == 200 and len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    assert seen == [event.pk for event in expected]


def test_people_pages_without_duplicates_or_gaps(client: Client, world: World) -> None:
    for number in range(9):
        make_person_with_record(world.school, f"P{number}", "Paged", dt.date(2012, 1, 1))
    viewer = make_user(world.school)
    expected = list(
        Person.objects.visible_to(viewer).order_by("updated_at", "id").values_list("id", flat=True)
    )
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{PEOPLE}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, body = call(client, url, world.token)
        assert status == 200
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and len(expected) == 11 and pages == 4


def test_updated_since_returns_people_changed_at_or_after_the_mark(
    client: Client, world: World
) -> None:
    past = timezone.now() - dt.timedelta(days=2)
    Person.objects.filter(pk=world.sibling.pk).update(updated_at=past)
    Person.objects.filter(pk=world.pupil.pk).update(updated_at=past)
    mark = timezone.now() - dt.timedelta(days=1)
    world.pupil.given_name = "Adah"
    world.pupil.save()  # updated now: after the mark
    response = client.get(PEOPLE, {"updated_since": mark.isoformat()}, headers=bearer(world.token))
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [world.pupil.pk]
    assert response.json()["items"][0]["given_name"] == "Adah"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMl0"}, "cursor"),  # base64 of [1,2]: ours in form, not in content
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2024-01-01T00:00:00"}, "updated_since"),  # no time zone
    ],
)
def test_bad_query_is_422_naming_the_field(
    client: Client, world: World, query: dict, field: str
) -> None:
    response = client.get(PEOPLE, query, headers=bearer(world.token))
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert [error["field"] for error in body["errors"]] == [field]


def test_bad_cursor_on_chronology_is_422(client: Client, world: World) -> None:
    status, body = call(client, f"{PEOPLE}/{world.pupil.pk}/chronology?cursor=%%%", world.token)
    assert status == 422 and body["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("url", [PEOPLE, "/api/v1/people/1", "/api/v1/people/1/chronology"])
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer tf_nope_nope", "Basic abc", "Token x"])
def test_missing_unknown_or_malformed_token_is_401(
    client: Client, world: World, url: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 401
    assert_error_shape(response.json())


def test_revoked_token_is_401(client: Client, world: World) -> None:
    assert call(client, PEOPLE, world.token)[0] == 200
    api_token_revoke(prefix=world.token.split("_")[1])
    status, body = call(client, PEOPLE, world.token)
    assert status == 401
    assert_error_shape(body)


@pytest.mark.parametrize("suffix", ["", "/{id}", "/{id}/chronology"])
def test_token_without_read_scope_is_403(client: Client, world: World, suffix: str) -> None:
    push_only = api_token_create(agency=world.school, name="Push only", scopes=["push"]).token
    status, body = call(client, PEOPLE + suffix.format(id=world.pupil.pk), push_only)
    assert status == 403
    assert_error_shape(body)
    assert "read" in body["message"]


def test_each_call_is_audited_as_the_service_user_naming_the_token(
    client: Client, world: World
) -> None:
    make_event(world.pupil, world.school)
    prefix = world.token.split("_")[1]
    for url, action in [
        (PEOPLE, AuditEvent.Action.SEARCH),
        (f"{PEOPLE}/{world.pupil.pk}", AuditEvent.Action.VIEW_PERSON),
        (f"{PEOPLE}/{world.pupil.pk}/chronology", AuditEvent.Action.VIEW_PERSON),
    ]:
        before = AuditEvent.objects.count()
        assert call(client, url, world.token)[0] == 200
        entry = AuditEvent.objects.order_by("-id").first()
        assert AuditEvent.objects.count() == before + 1
        assert entry.action == action
        assert entry.actor.username == "api:SCH-TEST:MIS"
        assert f"tf_{prefix}" in entry.actor_label and world.token not in entry.actor_label
        assert entry.request_id
        if action == AuditEvent.Action.VIEW_PERSON:
            assert (entry.object_type, entry.object_id) == ("person", str(world.pupil.pk))
            assert entry.reason == "agency holds a record of this person"


def test_signed_in_web_session_neither_opens_the_api_nor_is_sent_to_sign_in(
    client: Client, world: World
) -> None:
    client.force_login(make_user(world.school))
    response = client.get(PEOPLE)
    assert response.status_code == 401  # the token is the only sign-in the API knows


@pytest.mark.two_factor
def test_two_factor_middleware_leaves_the_api_to_its_token(client: Client, world: World) -> None:
    client.force_login(make_user(world.school))
    assert call(client, PEOPLE, world.token)[0] == 200


def test_served_openapi_document_is_the_checked_in_one(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(SCHEMA_PATH.read_text()), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_openapi_declares_the_error_responses(db: None) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_another_agencys_token_sees_its_own_people(client: Client, world: World) -> None:
    gp_token = api_token_create(agency=world.gp, name="GP system", scopes=["read"]).token
    status, body = call(client, PEOPLE, gp_token)
    assert status == 200
    ids = {item["id"] for item in body["items"]}
    assert ids == {world.pupil.pk, world.sibling.pk, world.stranger.pk}
    assert Agency.objects.count() == 2
