"""The JSON API for agency systems, version 1: token auth, one error shape, read endpoints.

Endpoints are thin: parse, call a selector (``api.selectors``), shape the answer.
Every error, whoever raises it, leaves as ``{"message": ..., "errors": [...]}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import (
    BadCursor,
    chronology_page,
    people_page,
    person_for_api,
)
from thinkfamily.api.services import api_token_authenticate
from thinkfamily.core.errors import ApplicationError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tf_<prefix>_<secret>``; the call runs as the token's service user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = api_token_authenticate(token=token)
        if api_token is not None:
            request.user = api_token.service_user
        return api_token


api = NinjaAPI(
    title="Think Family API",
    version="1",
    description="The JSON API for agency systems. See docs/api.md.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    docs_url=None,
)


# --- The one error shape ---------------------------------------------------------------------


class ErrorDetail(Schema):
    field: str | None = Field(None, description="The input at fault, if any.")
    row: int | None = Field(None, description="The row of a batch at fault, if any.")
    reason: str


class ErrorOut(Schema):
    message: str
    errors: list[ErrorDetail] = []


ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 422)}


def _error(
    request: HttpRequest, status: int, message: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"message": message, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        errors.append(
            {
                "field": ".".join(location) or None,
                "row": None,
                "reason": str(error.get("msg", "is not valid")),
            }
        )
    return _error(request, 422, "The request is not valid.", errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "A valid API token is needed: Authorization: Bearer <token>.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "This token may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(ApplicationError)
def _refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    field = exc.extra.get("field")
    errors = [{"field": str(field), "row": exc.extra.get("row"), "reason": exc.message}]
    return _error(request, 400, exc.message, errors if field else [])


def _require_scope(request: HttpRequest, scope: str) -> ApiToken:
    scope = str(scope)
    api_token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope not in api_token.scopes:
        raise PermissionDenied(f"This token does not have the {scope!r} scope.")
    return api_token


def _bad_cursor() -> ValidationError:
    return ValidationError(
        [{"loc": ("query", "cursor"), "msg": "not a cursor this API gave; start again without one"}]
    )


# --- Schemas ---------------------------------------------------------------------------------


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


class PageQuery(Schema):
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


# --- Endpoints -------------------------------------------------------------------------------


@api.get("/people", response={200: PeoplePage, **ERRORS}, tags=["people"])
def list_people(request: HttpRequest, query: Query[PeopleQuery]) -> dict[str, Any]:
    """The people your agency may see, in order of last change; for syncing with updated_since."""
    api_token = _require_scope(request, ApiToken.Scope.READ)
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
        raise _bad_cursor() from None
    return {
        "items": [_person_out(person, person.own_records) for person in page.items],
        "next_cursor": page.next_cursor,
    }


@api.get("/people/{person_id}", response={200: PersonDetailOut, **ERRORS}, tags=["people"])
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """One person; 404 if there is nobody with this id that your agency may see."""
    api_token = _require_scope(request, ApiToken.Scope.READ)
    found = person_for_api(api_token=api_token, person_id=person_id)
    return {
        **_person_out(found.person, found.own_records),
        "household_ids": found.household_ids,
        "chronology_readable": found.chronology_readable,
    }


@api.get("/people/{person_id}/chronology", response={200: EventsPage, **ERRORS}, tags=["people"])
def get_chronology(request: HttpRequest, person_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    """The person's events your agency may read, newest first."""
    api_token = _require_scope(request, ApiToken.Scope.READ)
    try:
        page = chronology_page(
            api_token=api_token, person_id=person_id, cursor=query.cursor, limit=query.limit
        )
    except BadCursor:
        raise _bad_cursor() from None
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


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, each open to ``LoginRequiredMiddleware``: the token is the sign-in.

    Marking the views ``login_required = False`` (what ``login_not_required``
    does) also lets them past the two-factor middleware, which skips views
    that need no sign-in; no session is ever consulted.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            login_not_required(pattern.callback)
    return patterns, app_name, namespace
