"""People and their chronologies, as the caller's agency may see them (scope ``read``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from thinkfamily.api.base import (
    DEFAULT_LIMIT,
    ERRORS,
    MAX_LIMIT,
    PageQuery,
    bad_cursor,
    require_scope,
)
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import BadCursor, chronology_page, people_page, person_for_api

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    unborn: bool
    sex: str = Field(description="M, F, U or empty when not known.")
    nhs_number: str | None
    upn: str | None
    updated_at: dt.datetime
    agency_record_ids: list[str] = Field(description="The caller agency's own record ids.")


class PeoplePage(Schema):
    items: list[PersonOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


class PersonDetailOut(PersonOut):
    household_ids: list[int] = Field(description="Current households the caller may open.")
    chronology_readable: bool = Field(description="Whether /chronology will answer for them.")


class EventOut(Schema):
    id: int
    occurred_at: dt.datetime
    event_type: str
    category: str
    agency_code: str
    summary: str
    seen_in_person: bool
    restricted: bool


class EventsPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class PeopleQuery(Schema):
    updated_since: dt.datetime | None = Field(
        None, description="ISO 8601 with a time zone: people changed at or after it."
    )
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _person_out(person: Any, own_records: list[Any]) -> dict[str, Any]:
    return {
        "id": person.pk,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "unborn": person.unborn,
        "sex": person.sex,
        "nhs_number": person.nhs_number,
        "upn": person.upn,
        "updated_at": person.updated_at,
        "agency_record_ids": [record.record_id for record in own_records],
    }


@router.get("/people", response={200: PeoplePage, **ERRORS})
def list_people(request: HttpRequest, query: Query[PeopleQuery]) -> dict[str, Any]:
    """The people your agency may see, in order of last change; for syncing with updated_since."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    if query.updated_since is not None and query.updated_since.tzinfo is None:
        raise ValidationError(
            [{"loc": ("query", "updated_since"), "msg": "give a time zone (Z or +01:00)"}]
        )
    try:
        page = people_page(
            api_token=api_token,
            updated_since=query.updated_since,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return {
        "items": [_person_out(person, person.own_records) for person in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/people/{person_id}", response={200: PersonDetailOut, **ERRORS})
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """One person; 404 if there is nobody with this id that your agency may see."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    found = person_for_api(api_token=api_token, person_id=person_id)
    return {
        **_person_out(found.person, found.own_records),
        "household_ids": found.household_ids,
        "chronology_readable": found.chronology_readable,
    }


@router.get("/people/{person_id}/chronology", response={200: EventsPage, **ERRORS})
def get_chronology(request: HttpRequest, person_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    """The person's events your agency may read, newest first."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    try:
        page = chronology_page(
            api_token=api_token, person_id=person_id, cursor=query.cursor, limit=query.limit
        )
    except BadCursor:
        raise bad_cursor() from None
    return {
        "items": [
            {
                "id": event.pk,
                "occurred_at": event.occurred_at,
                "event_type": event.event_type,
                "category": event.category,
                "agency_code": event.agency.code,
                "summary": event.summary,
                "seen_in_person": event.seen_in_person,
                "restricted": event.restricted,
            }
            for event in page.items
        ],
        "next_cursor": page.next_cursor,
    }
