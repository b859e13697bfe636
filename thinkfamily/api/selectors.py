"""What the API reads: the web app's own querysets, paged by opaque cursors, each read audited.

Every read is made as the token's service user through ``Person.objects.visible_to``,
``Event.objects.visible_to`` and ``accounts.backends``: the API has no access rule of its own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Prefetch, Q, QuerySet
from django.http import Http404

from thinkfamily.accounts.backends import access_reason, reads_chronology_of
from thinkfamily.api.models import ApiToken
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.events.models import Event
from thinkfamily.people.models import AgencyRecord, Household, Person


class BadCursor(ValueError):
    """A cursor that this API did not write."""


def cursor_encode(moment: dt.datetime, pk: int) -> str:
    """The opaque cursor after the item at (``moment``, ``pk``)."""
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    """The (moment, id) a cursor stands for; ``BadCursor`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, pk = json.loads(raw)
        moment = dt.datetime.fromisoformat(moment_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadCursor("not a cursor this API gave") from None
    if not isinstance(pk, int) or isinstance(pk, bool) or moment.tzinfo is None:
        raise BadCursor("not a cursor this API gave")
    return moment, pk


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


M = TypeVar("M", bound=Model)


def cursor_page(
    objects: QuerySet[M],
    *,
    moment_field: str,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> Page:
    """``limit`` of ``objects`` after ``cursor``, in a stable order: ``moment_field`` then
    id, oldest first (or newest first). Raises ``BadCursor`` for a cursor this API did not
    give. Every list of the API pages through here."""
    after, order = ("lt", "-") if newest_first else ("gt", "")
    if cursor:
        moment, pk = cursor_decode(cursor)
        objects = objects.filter(
            Q(**{f"{moment_field}__{after}": moment})
            | Q(**{moment_field: moment, f"pk__{after}": pk})
        )
    rows = list(objects.order_by(f"{order}{moment_field}", f"{order}pk")[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(
        items=rows[:limit],
        next_cursor=cursor_encode(getattr(last, moment_field), last.pk) if last else None,
    )


def people_page(
    *,
    api_token: ApiToken,
    updated_since: dt.datetime | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """The people the caller may see, oldest change first, ``limit`` at a time; audited as a search.

    Each person carries ``own_records``: the caller agency's records of them.
    Raises ``BadCursor`` for a cursor this API did not give.
    """
    viewer = api_token.service_user
    people: QuerySet[Person] = Person.objects.visible_to(viewer)
    if updated_since is not None:
        people = people.filter(updated_at__gte=updated_since)
    own = AgencyRecord.objects.filter(agency_id=api_token.agency_id).order_by("record_id")
    page = cursor_page(
        people.prefetch_related(Prefetch("records", queryset=own, to_attr="own_records")),
        moment_field="updated_at",
        cursor=cursor,
        limit=limit,
    )
    audit_record(
        actor=viewer,
        actor_label=api_token.label,
        action=AuditEvent.Action.SEARCH,
        reason="search within the viewer's access",
        detail={
            "api": "GET /api/v1/people",
            "updated_since": updated_since.isoformat() if updated_since else None,
            "cursor": cursor or None,
            "results": len(page.items),
        },
    )
    return page


@dataclass(frozen=True)
class ApiPerson:
    person: Person
    own_records: list[AgencyRecord]
    household_ids: list[int]
    chronology_readable: bool


def _visible_person(api_token: ApiToken, person_id: int) -> tuple[Person, str]:
    """The person and why the caller may see them; ``Http404`` exactly as for nobody."""
    person = Person.objects.filter(pk=person_id).first()
    reason = access_reason(api_token.service_user, person) if person is not None else None
    if person is None or reason is None:
        raise Http404("No person with this id.")
    return person, reason


def _audit_look(
    api_token: ApiToken, person: Person, reason: str, detail: dict[str, object]
) -> None:
    """A look at one person through the API, as the token's service user."""
    audit_record(
        actor=api_token.service_user,
        actor_label=api_token.label,
        action=AuditEvent.Action.VIEW_PERSON,
        object_type="person",
        object_id=person.pk,
        reason=reason,
        detail=detail,
    )


def person_for_api(*, api_token: ApiToken, person_id: int) -> ApiPerson:
    """One person the caller may see, with the current households the caller may open; audited."""
    viewer = api_token.service_user
    person, reason = _visible_person(api_token, person_id)
    household_ids = list(
        Household.objects.visible_to(viewer)
        .filter(memberships__person=person, memberships__end_date__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )
    own_records = list(person.records.filter(agency_id=api_token.agency_id).order_by("record_id"))
    _audit_look(api_token, person, reason, {"api": "GET /api/v1/people/{id}"})
    return ApiPerson(
        person=person,
        own_records=own_records,
        household_ids=household_ids,
        chronology_readable=reads_chronology_of(viewer, person),
    )


def chronology_page(*, api_token: ApiToken, person_id: int, cursor: str | None, limit: int) -> Page:
    """The person's events the caller may read, newest first; audited as a look at the person.

    A person the caller may not see is a ``Http404``; one they may see but
    whose chronology their agency may not read (a household member known
    only to exist) is ``PermissionDenied`` (403).
    """
    viewer = api_token.service_user
    person, reason = _visible_person(api_token, person_id)
    if not reads_chronology_of(viewer, person):
        raise PermissionDenied(
            "Your agency may know this person exists but may not read their chronology."
        )
    page = cursor_page(
        Event.objects.filter(person=person).visible_to(viewer).select_related("agency"),
        moment_field="occurred_at",
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
    _audit_look(
        api_token,
        person,
        reason,
        {
            "api": "GET /api/v1/people/{id}/chronology",
            "cursor": cursor or None,
            "events": len(page.items),
        },
    )
    return page
