"""The authorisation matrix for the JSON API: every endpoint, by every role and relationship.

An agency system calls the API with a token whose service user holds one role
in the system's agency (``api.services.SYSTEM_ROLES``). Each of the nine roles
is taken in turn:

- a role a system may hold gets a token (scopes read, push and act) in the
  agency part one gives that role, and every operation of the API's own
  OpenAPI document is asked about each of the six subjects of part one (own,
  housemate, none, restricted, sealed, break-glass);
- a role no system may hold (sealed records, the partnership-wide roles, the
  system administrator) is refused a token, and that refusal is the case
  checked.

The expected answer comes from the rules of part one (``sees_person``,
``opens_household``) and the access table of ``docs/security.md``, never from
the access backend. A system never breaks glass (it is a named person's
decision, with a reason), so the break-glass subject is to a token what
"none" is. Every operation must have an entry in ``API_ACCESS``: a new
endpoint without one fails the test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.agreements.tests.helpers import bens_feeding
from thinkfamily.api.services import SYSTEM_ROLES, api_token_create
from thinkfamily.conversations.tests.helpers import team, what_if
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.tests import matrix_count
from thinkfamily.core.tests.test_authorization_matrix import (
    FAMILY_WIDE,
    RELATIONSHIPS,
    ROLE_AGENCY,
    SEALED_ROLES,
    Subject,
    World,
    make_world,
    opens_household,
    sees_person,
)
from thinkfamily.core.tests.test_authorization_objects import READERS
from thinkfamily.events.models import Event
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.people.tests.factories import make_household, make_person_with_record
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import concern_record, sibling_prompts_raise
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.tests.helpers import gp_refers

pytestmark = pytest.mark.django_db

Role = User.Role


# ---------------------------------------------------------------------------
# The rules, for a system acting in a role


def token_sees(role: str, relationship: str) -> bool:
    """As a person in the role sees them, except that a system never breaks glass."""
    if relationship == "break_glass":
        return role in FAMILY_WIDE
    return sees_person(role, relationship)


def token_opens_household(role: str, relationship: str) -> bool:
    return opens_household(role, relationship)


def token_reads_chronology(role: str, relationship: str) -> int:
    """200 for the agency's own people (and every family for family-wide roles); a household
    member is known to exist but their chronology is not the agency's to read (403)."""
    if not token_sees(role, relationship):
        return 404
    if relationship == "housemate" and role not in FAMILY_WIDE:
        return 403
    return 200


def token_sees_prompt(role: str, relationship: str) -> bool:
    """A prompt about the subject is routed to the agencies that know the subject: the role's
    own agency for own, restricted and sealed subjects, the police for the rest. Family-wide
    roles read every prompt; a prompt about a sealed person is none outside the sealed roles."""
    if relationship == "sealed" and role not in SEALED_ROLES:
        return False
    return role in FAMILY_WIDE or relationship in ("own", "restricted", "sealed")


def prompt_sent_to(role: str, relationship: str) -> bool:
    """Whether the prompt about the subject was sent to the role's agency: the agencies that
    know the subject, and children's social care when it knows the family (it knows the
    housemate's household through its own child)."""
    if relationship in ("own", "restricted", "sealed"):
        return True
    return relationship == "housemate" and ROLE_AGENCY[role] == "csc"


def token_lists_prompt(role: str, relationship: str) -> bool:
    """The prompts list is the agency's worklist, as on the web: the prompts sent to the
    agency (for every role, family-wide ones too), never one about a sealed person."""
    return relationship != "sealed" and prompt_sent_to(role, relationship)


def answers_prompt(role: str, relationship: str) -> int:
    """A prompt is answered by an agency it was sent to (403 for a family-wide reader it was
    not sent to); one the system may not see is 404."""
    if not token_sees_prompt(role, relationship):
        return 404
    return 200 if prompt_sent_to(role, relationship) else 403


def pushes_event_for(role: str, relationship: str) -> int:
    """A system names only its own agency's records: the own, restricted and sealed subjects
    are records of the role's agency (an extract would record their events too); anyone else
    is "no record of your agency" (422)."""
    return 200 if relationship in ("own", "restricted", "sealed") else 422


def _status(allowed: bool) -> int:
    return 200 if allowed else 404


# ---------------------------------------------------------------------------
# The world: part one's, with a token per role and a prompt about every subject


@dataclass
class ApiWorld:
    world: World
    tokens: dict[str, str]  # role → token, for the roles a system may hold
    refused: dict[str, str]  # role → why a token was refused
    prompts: dict[tuple[str | None, str], Prompt]


def _record_id(subject: Subject, agency_id: int) -> str | None:
    record = subject.person.records.filter(agency_id=agency_id).first()
    return record.record_id if record else None


@pytest.fixture
def api_world() -> ApiWorld:
    world = make_world()
    tokens: dict[str, str] = {}
    refused: dict[str, str] = {}
    for role, user in world.users.items():
        try:
            if user.agency is None:
                raise ApplicationError("A token belongs to an agency; this role has none.")
            issued = api_token_create(
                agency=user.agency,
                name=f"Matrix {role}",
                scopes=["read", "push", "act"],
                role=role,
            )
        except ApplicationError as error:
            refused[role] = error.message
        else:
            tokens[role] = issued.token
    # A recent concern about a new child living with each subject prompts the subject. The
    # sealed subject is given a second home for it, so that its own household stays one
    # where only a sealed person lives.
    police = Agency.objects.get(code="POLICE-M")
    concerns = []
    homes_done: set[int] = set()
    for (kind, relationship), subject in world.subjects.items():
        if kind is None or subject.household.pk in homes_done:
            continue
        homes_done.add(subject.household.pk)
        child = make_person_with_record(police, "Concern", "Child", dt.date(2018, 1, 1))
        home = subject.household
        if relationship == "sealed":
            home = make_household(
                [(subject.person, HouseholdMembership.Role.CHILD)], reported_by=police
            )
        HouseholdMembership.objects.create(
            household=home, person=child, role=HouseholdMembership.Role.CHILD, reported_by=police
        )
        concerns.append(
            Event.objects.create(
                person=child,
                agency=police,
                event_type=Event.EventType.CONCERN,
                category="neglect",
                occurred_at=timezone.now() - dt.timedelta(hours=1),
                summary="Matrix concern",
            )
        )
    sibling_prompts_raise(concerns=concerns)
    prompts = {
        key: Prompt.objects.get(person=subject.person, kind=Prompt.Kind.SIBLING)
        for key, subject in world.subjects.items()
    }
    return ApiWorld(world=world, tokens=tokens, refused=refused, prompts=prompts)


# ---------------------------------------------------------------------------
# The table: for each operation, how to ask it about a subject and what to expect


@dataclass(frozen=True)
class Ask:
    method: str
    url: Callable[[ApiWorld, str, Subject, Prompt], str]
    expected: Callable[[str, str], int]
    body: Callable[[ApiWorld, str, Subject], dict[str, Any]] | None = None
    #: For a list: whether the subject (by person id) must appear in it, instead of a status.
    lists: Callable[[str, str], bool] | None = None


def _person(w: ApiWorld, role: str, s: Subject, p: Prompt) -> str:
    return f"/people/{s.person.pk}"


def _event_for(w: ApiWorld, role: str, s: Subject) -> dict[str, Any]:
    agency = w.world.users[role].agency
    return {
        "record_id": _record_id(s, agency.pk) or f"not-ours-{s.person.pk}",
        "event_id": f"matrix-{role}-{s.person.pk}",
        "event_type": "note",
        "occurred_at": "2026-09-01",
    }


def _relationship_for(w: ApiWorld, role: str, s: Subject) -> dict[str, Any]:
    """The subject's record (if the agency has one) as a sibling of the agency's own child
    (the restricted subject's, when the subject is that child)."""
    event = _event_for(w, role, s)
    kind = ROLE_AGENCY[role]
    other = w.world.subjects[
        (kind, "restricted" if s is w.world.subjects[(kind, "own")] else "own")
    ]
    related = _record_id(other, w.world.users[role].agency.pk)
    return {"record_id": event["record_id"], "related_record_id": related,
            "relationship": "sibling"}  # fmt: skip


API_ACCESS: dict[str, Ask] = {
    "list_people": Ask("GET", lambda w, r, s, p: "/people?limit=200", lambda r, x: 200,
                       lists=token_sees),
    "get_person": Ask("GET", _person, lambda r, x: _status(token_sees(r, x))),
    "get_chronology": Ask("GET", lambda w, r, s, p: f"/people/{s.person.pk}/chronology",
                          token_reads_chronology),
    "get_household": Ask("GET", lambda w, r, s, p: f"/households/{s.household.pk}",
                         lambda r, x: _status(token_opens_household(r, x))),
    "list_prompts": Ask("GET", lambda w, r, s, p: "/prompts?limit=200", lambda r, x: 200,
                        lists=token_lists_prompt),
    "get_prompt": Ask("GET", lambda w, r, s, p: f"/prompts/{p.pk}",
                      lambda r, x: _status(token_sees_prompt(r, x))),
    # Writes come after every read (households are re-formed when records are pushed).
    "answer_prompt": Ask("POST", lambda w, r, s, p: f"/prompts/{p.pk}/answer", answers_prompt,
                         body=lambda w, r, s: {"response": "no_concern",
                                               "note": "Matrix: considered, no concern."}),
    "push_event": Ask("POST", lambda w, r, s, p: "/events", pushes_event_for, body=_event_for),
    "push_batch": Ask("POST", lambda w, r, s, p: "/batch", pushes_event_for,
                      body=lambda w, r, s: {"events": [_event_for(w, r, s)]}),
    "push_relationship": Ask("POST", lambda w, r, s, p: "/relationships", pushes_event_for,
                             body=_relationship_for),
    # A new record is always the system's own agency's: the same answer about anyone.
    "push_record": Ask("POST", lambda w, r, s, p: "/records", lambda r, x: 200,
                       body=lambda w, r, s: {"record_id": f"new-{r}-{s.person.pk}",
                                             "given_name": "New", "family_name": "Record"}),
}  # fmt: skip
#: Operations about one record of the Carter family rather than about a subject: asked in
#: test_every_api_operation_on_the_carter_familys_records.
RECORD_OPERATIONS = frozenset({
    "get_referral", "list_referrals", "get_conversation", "list_conversations",
    "get_agreement", "list_agreements", "acknowledge_conversation", "dispute_conversation",
    "referral_acknowledge_step", "referral_close_step", "referral_confirm_awareness_step",
    "referral_decide_step", "referral_manager_confirm_step",
    "referral_record_visit_intention_step",
})  # fmt: skip


def _api_operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) for every operation of the API's OpenAPI document."""
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    return {
        operation["operationId"]: (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
    }


def test_the_api_table_names_every_operation():
    operations = _api_operations()
    missing = sorted(set(operations) - API_ACCESS.keys() - RECORD_OPERATIONS)
    gone = sorted((API_ACCESS.keys() | RECORD_OPERATIONS) - set(operations))
    assert not missing, (
        f"API operations with no entry in API_ACCESS: {missing}. Add each, with what every "
        "role must get about each subject, to thinkfamily/core/tests/"
        "test_authorization_matrix_api.py."
    )
    assert not gone, f"API_ACCESS names operations the API no longer has: {gone}"


def _ids_listed(client: Client, url: str, token: str, key: str) -> set[int]:
    body = client.get(f"/api/v1{url}", headers={"Authorization": f"Bearer {token}"}).json()
    return {item[key] for item in body["items"]}


def _in_order(api_world: ApiWorld) -> list[tuple[str, str, Ask]]:
    """Every (role, operation) of the systems: all reads first, then the writes in the
    table's order, so that no write changes what a read is asked about."""
    pairs = [(role, name, ask) for name, ask in API_ACCESS.items() for role in api_world.tokens]
    return sorted(pairs, key=lambda pair: pair[2].method != "GET")


def test_every_api_operation_for_every_role_and_relationship(api_world: ApiWorld):
    client = Client()
    mismatches: list[str] = []
    checked = 0
    for role in ROLE_AGENCY:
        if role in api_world.refused:
            if role in SYSTEM_ROLES and api_world.world.users[role].agency is not None:
                mismatches.append(f"{role}: a system may hold this role, but was refused")
            checked += 1
            continue
        if role not in SYSTEM_ROLES:
            mismatches.append(f"{role}: a system was given a role no system may hold")
    for role, name, ask in _in_order(api_world):
        token = api_world.tokens[role]
        kind = ROLE_AGENCY[role]
        for relationship in RELATIONSHIPS:
            subject = api_world.world.subjects[(kind, relationship)]
            prompt = api_world.prompts[(kind, relationship)]
            url = ask.url(api_world, role, subject, prompt)
            checked += 1
            if ask.lists is not None:
                key = "person_id" if name == "list_prompts" else "id"
                listed = subject.person.pk in _ids_listed(client, url, token, key)
                if listed != ask.lists(role, relationship):
                    mismatches.append(f"{role} / {relationship} / {name}: listed={listed}")
                continue
            headers = {"Authorization": f"Bearer {token}"}
            if ask.method == "GET":
                response = client.get(f"/api/v1{url}", headers=headers)
            else:
                body = ask.body(api_world, role, subject) if ask.body else {}
                response = client.post(
                    f"/api/v1{url}",
                    data=json.dumps(body),
                    content_type="application/json",
                    headers=headers,
                )
            expected = ask.expected(role, relationship)
            if response.status_code != expected:
                mismatches.append(
                    f"{role} / {relationship} / {name}: {response.status_code}, "
                    f"not {expected} ({response.content[:200]!r})"
                )
            if name == "answer_prompt":  # open again, for the next system to answer
                Prompt.objects.filter(pk=prompt.pk).update(
                    status=Prompt.Status.OPEN, response="", answered_by=None,
                    answered_for=None, answered_at=None, note="", action_taken="",
                )  # fmt: skip
    matrix_count.add("API operations", checked)
    assert not mismatches, "\n".join(mismatches)
    assert set(api_world.tokens) == {
        Role.PRACTITIONER,
        Role.DESIGNATED_SAFEGUARDING_LEAD,
        Role.MANAGER,
        Role.CSC_WORKER,
    }


def _person_ids_in(answer: Any) -> set[int]:
    """Every ``person_id`` anywhere in a JSON answer."""
    found: set[int] = set()
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key == "person_id" and isinstance(value, int):
                found.add(value)
            found |= _person_ids_in(value)
    elif isinstance(answer, list):
        for value in answer:
            found |= _person_ids_in(value)
    return found


def test_no_answer_of_the_api_names_a_sealed_person_to_a_system(api_world: ApiWorld):
    """Crawl every list as each system: no sealed subject's id or name appears anywhere."""
    client = Client()
    sealed = [
        subject.person
        for (kind, relationship), subject in api_world.world.subjects.items()
        if relationship == "sealed" and kind is not None
    ]
    assert all(isinstance(person, Person) and person.sealed for person in sealed)
    operations = _api_operations()
    lists = [path for method, path in operations.values() if method == "GET" and "{" not in path]
    problems = []
    for role, token in api_world.tokens.items():
        for path in lists:
            response = client.get(
                f"{path}?limit=200",
                headers={"Authorization": f"Bearer {token}"},
            )
            text = response.content.decode()
            named = _person_ids_in(response.json())
            for person in sealed:
                if f"{person.given_name} {person.family_name}" in text or person.pk in named:
                    problems.append(f"{role} {path}: names sealed person {person.pk}")
    matrix_count.add("API lists crawled for sealed people", len(api_world.tokens) * len(lists))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------
# The Carter family's records, by the systems of the agencies around them


#: A version no record has reached: every action asked with it is refused before anything
#: is written, by the first rule it breaks.
STALE = 1_000_000


def _acts_on(operation: str, who: str) -> int:
    """The answer to an action with a stale version, for a system that reads the record."""
    if operation == "referral_manager_confirm_step":
        return 409 if who == "gp manager" else 403  # a manager of the referring agency
    if operation.startswith("referral_"):
        return 409 if who == "csc worker" else 403  # the receiving social care team
    return 403  # acknowledging a conversation: its participants, never a system


def _filled(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A body with every required field of an operation's request schema given a value."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    values: dict[str, Any] = {}
    for name in schema.get("required", []):
        spec = schema["properties"][name]
        kind = spec.get("type") or next(
            (option.get("type") for option in spec.get("anyOf", []) if option.get("type")), "string"
        )
        values[name] = {"integer": STALE, "boolean": False, "array": [], "object": {}}.get(
            kind, "Matrix: recorded by the agency system."
        )
    return values


def test_every_api_operation_on_the_carter_familys_records():
    """Each record operation, asked by the systems of six agencies around the Carter family.

    Who reads each record is the web table of ``test_authorization_objects`` (``READERS``;
    children's social care's worker sees every family). A system that may not read the
    record gets 404 from every operation on it and never finds it in a list; a reader gets
    200 from a read and finds it in the list (the agreements register lists only the
    recording agency's). Each action is asked with a version long out of date, so that
    nothing changes between askers and the answer says exactly who may act: 409 (stale, to
    someone who may take the step: ``docs/referrals.md``), 403 (a reader who may not: a
    referral's steps are the receiving social care team's, its confirmation a manager's of
    the referring agency; a conversation is acknowledged by its participants, and a
    system's service user is never one), 404 (not a reader).
    """
    family = carter_family()
    people = team(family)
    concern_record(
        person=family.ava, by=people.dsl, occurred_at=timezone.now(), category="neglect",
        summary="Hungry at breakfast club.",
    )  # fmt: skip
    records = {
        "referral": gp_refers(family).pk,
        "conversation": what_if(family, people).pk,
        "agreement": bens_feeding(family).pk,
    }
    systems = {
        "school dsl": (family.school, Role.DESIGNATED_SAFEGUARDING_LEAD),
        "gp practitioner": (family.gp, Role.PRACTITIONER),
        "gp manager": (family.gp, Role.MANAGER),
        "health visitor": (family.hv, Role.PRACTITIONER),
        "police": (family.police, Role.PRACTITIONER),
        "csc worker": (family.csc, Role.CSC_WORKER),
    }
    tokens = {
        who: api_token_create(
            agency=agency, name=f"Carter {who}", scopes=["read", "act"], role=role
        ).token
        for who, (agency, role) in systems.items()
    }
    document = Client().get("/api/v1/openapi.json").json()
    components = document["components"]["schemas"]
    operations = {
        operation["operationId"]: (method.upper(), path, operation)
        for path, by_method in document["paths"].items()
        for method, operation in by_method.items()
        if operation["operationId"] in RECORD_OPERATIONS
    }
    assert set(operations) == RECORD_OPERATIONS
    client = Client()
    mismatches: list[str] = []
    checked = 0
    for who, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for name, (method, path, operation) in sorted(operations.items()):
            kind = next(kind for kind in records if f"/{kind}s" in path)
            reader = who == "csc worker" or who in READERS[kind]
            checked += 1
            if "{" not in path:
                listed = records[kind] in {
                    item["id"] for item in client.get(path, headers=headers).json()["items"]
                }
                # The agreements register is the recording agency's, as on the web.
                if listed != (who == "health visitor" if kind == "agreement" else reader):
                    mismatches.append(f"{who} / {name}: listed={listed}")
                continue
            url = path.replace(f"{{{kind}_id}}", str(records[kind]))
            if method == "GET":
                status = client.get(url, headers=headers).status_code
                if status != (200 if reader else 404):
                    mismatches.append(f"{who} / {name}: {status}, not {200 if reader else 404}")
                continue
            request_body = operation.get("requestBody", {}).get("content", {})
            schema = request_body.get("application/json", {}).get("schema", {})
            status = client.post(
                url,
                data=json.dumps(_filled(schema, components)),
                content_type="application/json",
                headers=headers,
            ).status_code
            expected = _acts_on(name, who) if reader else 404
            if status != expected:
                mismatches.append(f"{who} / {name}: {status}, not {expected}")
    matrix_count.add("API operations on records", checked)
    assert not mismatches, "\n".join(mismatches)
    assert checked == len(systems) * len(RECORD_OPERATIONS)
