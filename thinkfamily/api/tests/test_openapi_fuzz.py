"""Schemathesis against the API's own OpenAPI document: no server errors, no answer off the schema.

The schema is read from the app in this process (``api.get_openapi_schema``),
so every operation mounted when the suite runs is fuzzed, whoever added it.
Each operation gets one pytest test (``schema.parametrize``) with a bounded,
derandomised number of generated requests (``MAX_EXAMPLES``), sent through
Django's test ``Client`` so they run inside pytest-django's test database and
transaction, authenticated with a real token of a school (scopes read, push
and act) over a small family. Every answer must pass:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: the status is one the operation declares;
- ``content_type_conformance``: the content type is the one declared for it;
- ``response_schema_conformance``: the body validates against its schema.

Integer path parameters named ``*_id`` are sometimes swapped for the id of
something that exists (a person, a household, ...), so that the answers of
found things are checked too, not only 404s.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from thinkfamily.accounts.models import Agency
from thinkfamily.api.api import api
from thinkfamily.api.services import api_token_create
from thinkfamily.events.models import Event
from thinkfamily.people.models import AgencyRecord, HouseholdMembership
from thinkfamily.people.tests.factories import make_agency, make_household, make_person_with_record

PREFIX = "/api/v1"
#: Generated requests per operation (and phase): bounded so the suite stays quick on both databases.
MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=PREFIX))


@dataclass
class Fuzzing:
    client: Client
    token: str
    #: Existing primary keys by model name (``person``, ``household``, ...).
    ids: dict[str, list[int]]


@pytest.fixture
def fuzzing(db: None, client: Client, settings: Any) -> Fuzzing:
    """A school and a surgery sharing a family of two children, a concern and a token."""
    # Hypothesis sends hundreds of calls within a minute; the limit has its own tests.
    settings.THINKFAMILY_API_RATE_PER_MINUTE = 1_000_000
    school = make_agency("SCH-FUZZ", Agency.AgencyType.SCHOOL)
    gp = make_agency("GP-FUZZ", Agency.AgencyType.GP)
    pupil = make_person_with_record(school, "Ada", "Fuzzby", dt.date(2015, 3, 1))
    sibling = make_person_with_record(gp, "Bea", "Fuzzby", dt.date(2021, 6, 2))
    make_person_with_record(gp, "Cy", "Elsewhere", dt.date(2016, 1, 5))
    make_household(
        [(pupil, HouseholdMembership.Role.CHILD), (sibling, HouseholdMembership.Role.CHILD)],
        reported_by=gp,
    )
    token = api_token_create(agency=school, name="MIS", scopes=["read", "push", "act"]).token
    status = client.post(
        f"{PREFIX}/events",
        data={
            "record_id": AgencyRecord.objects.get(person=pupil).record_id,
            "event_id": "E-FUZZ-1",
            "event_type": Event.EventType.CONCERN,
            "category": Event.Category.NEGLECT,
            "occurred_at": dt.date.today().isoformat(),
            "summary": "Came to school hungry.",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).status_code
    assert status == 200
    ids = {
        str(model._meta.model_name): list(
            model._default_manager.order_by("pk").values_list("pk", flat=True)[:50]
        )
        for model in apps.get_models()
        if model.__module__.startswith("thinkfamily.")
    }
    return Fuzzing(client, token, {name: pks for name, pks in ids.items() if pks})


def _existing_ids(case: schemathesis.Case, fuzzing: Fuzzing) -> None:
    """Point some generated ``*_id`` path parameters at things that exist, deterministically."""
    for name, value in (case.path_parameters or {}).items():
        if not (name.endswith("_id") and isinstance(value, int)) or value % 3 == 0:
            continue
        pks = fuzzing.ids.get(name.removesuffix("_id").replace("_", ""))
        if pks:
            case.path_parameters[name] = pks[value % len(pks)]


def _send(case: schemathesis.Case, fuzzing: Fuzzing) -> schemathesis.Response:
    """Send the case through Django's test Client; answer as schemathesis's own Response."""
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver", headers={"Authorization": f"Bearer {fuzzing.token}"}
    )
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        cookies=kwargs.get("cookies"),
    ).prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    path = prepared.path_url.split("?", 1)
    started = time.perf_counter()
    response = fuzzing.client.generic(
        prepared.method or "GET",
        prepared.path_url,
        data=body,
        content_type=str(prepared.headers.get("Content-Type", "application/octet-stream")),
        headers={
            name: value
            for name, value in prepared.headers.items()
            if name.lower() not in {"content-type", "content-length"}
        },
        QUERY_STRING=path[1] if len(path) > 1 else "",
    )
    elapsed = time.perf_counter() - started
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.items():
        headers.setdefault(name, []).append(value)
    return schemathesis.Response(
        status_code=response.status_code,
        headers=headers,
        content=response.content,
        request=prepared,
        elapsed=elapsed,
        verify=False,
        message=response.reason_phrase,
    )


def test_the_schema_has_operations() -> None:
    """The fuzzing below covers something: the people and push operations at least."""
    operation_ids = {
        result.ok().definition.raw.get("operationId")  # type: ignore[union-attr]
        for result in schema.get_all_operations()
    }
    assert {"list_people", "get_person", "push_record", "push_batch"} <= operation_ids


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_answers_within_its_schema(
    case: schemathesis.Case, fuzzing: Fuzzing
) -> None:
    _existing_ids(case, fuzzing)
    response = _send(case, fuzzing)
    case.validate_response(response, checks=CHECKS)
