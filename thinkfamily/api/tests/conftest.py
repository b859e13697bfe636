"""A school's system with a read token, and the people it may and may not see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from thinkfamily.accounts.models import Agency
from thinkfamily.api.services import api_token_create
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.people.tests.factories import (
    make_agency,
    make_household,
    make_person_with_record,
)


@dataclass
class World:
    school: Agency
    gp: Agency
    pupil: Person
    sibling: Person
    stranger: Person
    sealed: Person
    token: str


@pytest.fixture
def world(db: None) -> World:
    school = make_agency("SCH-TEST", Agency.AgencyType.SCHOOL)
    gp = make_agency("GP-TEST", Agency.AgencyType.GP)
    pupil = make_person_with_record(school, "Ada", "Example", dt.date(2015, 3, 1))
    sibling = make_person_with_record(gp, "Bea", "Example", dt.date(2021, 6, 2))
    make_household(
        [(pupil, HouseholdMembership.Role.CHILD), (sibling, HouseholdMembership.Role.CHILD)],
        reported_by=gp,
    )
    stranger = make_person_with_record(gp, "Cy", "Elsewhere", dt.date(2016, 1, 5))
    sealed = make_person_with_record(school, "Dee", "Sealed", dt.date(2014, 9, 9))
    Person.objects.filter(pk=sealed.pk).update(sealed=True)
    token = api_token_create(agency=school, name="MIS", scopes=["read"]).token
    return World(school, gp, pupil, sibling, stranger, sealed, token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client: Client, url: str, token: str) -> tuple[int, dict]:
    response = client.get(url, headers=bearer(token))
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"message", "errors"}
    assert isinstance(body["message"], str) and body["message"]
    for error in body["errors"]:
        assert set(error) == {"field", "row", "reason"}
