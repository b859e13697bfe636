"""Pushing records, relationships and events (scope ``push``): the extract import, item by item.

An agency system sends what its extract would carry, as JSON. Every push goes
through ``extracts.services.rows_import``, the same validation, linkage,
household forming and Think Sibling prompting as an extract folder, whole or
not at all. The agency is the token's: items carry no agency code, and a
system can write only its own agency's records.

Fields are text as the extract's CSV cells hold them (dates ``YYYY-MM-DD``,
date-times ISO 8601), so a value is judged by the contract's own parsers and
refused with the same reason; the yes/no columns are JSON booleans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict

from thinkfamily.api.base import ERRORS, require_scope
from thinkfamily.api.idempotency import Answer, answer_once
from thinkfamily.api.models import ApiToken
from thinkfamily.extracts.reader import RowError
from thinkfamily.extracts.services import ImportResult, rows_import
from thinkfamily.people.models import AgencyRecord, Person

router = Router(tags=["push"])

MAX_RECORDS = 5_000
MAX_RELATIONSHIPS = 5_000
MAX_EVENTS = 10_000


class _Item(Schema):
    model_config = ConfigDict(extra="forbid")


class RecordIn(_Item):
    """One person as your agency knows them (``records.csv``)."""

    record_id: str = Field(description="Your agency's own id for this person.")
    given_name: str
    family_name: str
    other_names: str | None = Field(None, description="Middle names, aliases; `;`-separated.")
    date_of_birth: str | None = Field(None, description="YYYY-MM-DD.")
    unborn: bool | None = None
    sex: str | None = Field(None, description="F, M or U.")
    nhs_number: str | None = None
    upn: str | None = None
    address: str | None = None
    postcode: str | None = None
    household_ref: str | None = None


class RelationshipIn(_Item):
    """``record_id`` is the ``relationship`` of ``related_record_id`` (``relationships.csv``)."""

    record_id: str
    related_record_id: str
    relationship: str = Field(
        description="parent, child, sibling, half_sibling, step_sibling, partner, carer or "
        "household_member."
    )
    start_date: str | None = Field(None, description="YYYY-MM-DD.")
    end_date: str | None = Field(None, description="YYYY-MM-DD.")


class EventIn(_Item):
    """Something that happened to a person your agency knows (``events.csv``)."""

    record_id: str = Field(description="The record the event is about.")
    event_id: str = Field(description="Your agency's own id for this event.")
    event_type: str = Field(
        description="contact, concern, referral, visit, appointment, missed_appointment, "
        "attendance, incident, assessment or note."
    )
    occurred_at: str = Field(description="YYYY-MM-DD or an ISO 8601 date-time.")
    seen_in_person: bool | None = None
    category: str | None = Field(
        None,
        description="For concerns: neglect, physical, emotional, sexual, domestic_abuse, "
        "exploitation or other.",
    )
    summary: str | None = None
    restricted: bool | None = None


class BatchIn(_Item):
    """Records, relationships and events pushed together: all written, or none."""

    records: list[RecordIn] = Field([], max_length=MAX_RECORDS)
    relationships: list[RelationshipIn] = Field([], max_length=MAX_RELATIONSHIPS)
    events: list[EventIn] = Field([], max_length=MAX_EVENTS)


class PushedRecord(Schema):
    record_id: str
    person_id: int | None = Field(
        description="The person the record is now linked to; null if your agency may not see "
        "them (a sealed record)."
    )


class PushOut(Schema):
    import_run_id: int
    records: list[PushedRecord] = Field(description="Each pushed record and its person.")
    counts: dict[str, int] = Field(description="What the push changed, as an import counts it.")


def _cells(item: _Item) -> dict[str, str]:
    """An item as the cells of its extract row: None is an empty cell, booleans yes/no."""
    cells = {}
    for name, value in item.model_dump(exclude_unset=True).items():
        if isinstance(value, bool):
            cells[name] = "yes" if value else "no"
        else:
            cells[name] = "" if value is None else str(value)
    return cells


def _as_rows(
    api_token: ApiToken, items: Sequence[_Item], *, with_type: bool = False
) -> list[dict[str, str]]:
    agency = api_token.agency
    fixed = {"agency_code": agency.code}
    if with_type:
        fixed["agency_type"] = agency.agency_type
    return [{**fixed, **_cells(item)} for item in items]


def _error(error: RowError, single: bool) -> dict[str, Any]:
    if single:
        return {"field": error.column or None, "row": None, "reason": error.reason}
    field = f"{error.file}.{error.column}" if error.column else error.file
    return {"field": field, "row": error.line, "reason": error.reason}


def _push(
    request: HttpRequest,
    *,
    records: Sequence[RecordIn] = (),
    relationships: Sequence[RelationshipIn] = (),
    events: Sequence[EventIn] = (),
    single: bool,
) -> HttpResponse:
    api_token = require_scope(request, ApiToken.Scope.PUSH)

    def write() -> Answer:
        result: ImportResult = rows_import(
            source=f"{api_token.label}: {request.method} {request.path}",
            records=_as_rows(api_token, list(records), with_type=True),
            relationships=_as_rows(api_token, list(relationships)),
            events=_as_rows(api_token, list(events)),
            started_by=api_token.service_user,
        )
        if not result.written:
            errors = [_error(error, single) for error in result.errors]
            problems = f"{len(errors)} problem{'' if len(errors) == 1 else 's'}"
            noun = "item was" if single else f"batch was ({problems})"
            return 422, {"message": f"Nothing was written: the {noun} not valid.", "errors": errors}
        # A record's person is named only if the system may see them (never a sealed person).
        persons = dict(
            AgencyRecord.objects.filter(
                agency=api_token.agency,
                record_id__in=[record.record_id for record in records],
                person__in=Person.objects.visible_to(api_token.service_user),
            ).values_list("record_id", "person_id")
        )
        return 200, {
            "import_run_id": result.run.pk,
            "records": [
                {"record_id": record.record_id, "person_id": persons.get(record.record_id)}
                for record in records
            ],
            "counts": result.counts,
        }

    return answer_once(request, write)


PUSH_ANSWERS = {200: PushOut, **ERRORS}


@router.post("/records", response=PUSH_ANSWERS)
def push_record(request: HttpRequest, body: RecordIn) -> HttpResponse:
    """Add or update one of your agency's records; it is linked to a person at once."""
    return _push(request, records=[body], single=True)


@router.post("/relationships", response=PUSH_ANSWERS)
def push_relationship(request: HttpRequest, body: RelationshipIn) -> HttpResponse:
    """Add or update a relationship between two of your agency's records."""
    return _push(request, relationships=[body], single=True)


@router.post("/events", response=PUSH_ANSWERS)
def push_event(request: HttpRequest, body: EventIn) -> HttpResponse:
    """Add or update an event; a concern raises Think Sibling prompts for the family at once."""
    return _push(request, events=[body], single=True)


@router.post("/batch", response=PUSH_ANSWERS)
def push_batch(request: HttpRequest, body: BatchIn) -> HttpResponse:
    """Push records, relationships and events together: every item is written, or none is.

    Each error names its list and field (``events.occurred_at``) and its
    ``row``, the item's index in that list from 0.
    """
    if not (body.records or body.relationships or body.events):
        raise ValidationError(
            [{"loc": (), "msg": "the batch is empty: give records, relationships or events"}]
        )
    return _push(
        request,
        records=body.records,
        relationships=body.relationships,
        events=body.events,
        single=False,
    )
