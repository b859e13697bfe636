"""The demo's token for the school's system: new each run, the one before revoked, and working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from thinkfamily.accounts.models import Agency
from thinkfamily.api.demo import demo_api_token
from thinkfamily.api.models import ApiToken
from thinkfamily.api.tests.conftest import bearer
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.models import HouseholdMembership
from thinkfamily.people.tests.factories import make_agency, make_household, make_person_with_record

pytestmark = pytest.mark.django_db


def test_each_demo_run_issues_a_working_token_and_revokes_the_one_before(client: Client) -> None:
    school = make_agency("SCH-DEMO", Agency.AgencyType.SCHOOL)
    hv = make_agency("HV-DEMO", Agency.AgencyType.HEALTH_VISITING)
    pupil = make_person_with_record(school, "Nell", "Demo", dt.date(2016, 4, 1))
    sibling = make_person_with_record(hv, "Ozzy", "Demo", dt.date(2024, 4, 1))
    home = make_household(
        [(pupil, HouseholdMembership.Role.CHILD), (sibling, HouseholdMembership.Role.CHILD)],
        reported_by=hv,
    )
    family = DemoFamily(pupil=pupil, sibling=sibling, school=school, health_visiting=hv, gp=None)
    first = demo_api_token(family=family)
    second = demo_api_token(family=family)
    assert first.household_id == second.household_id == home.pk
    assert client.get("/api/v1/people", headers=bearer(first.token)).status_code == 401
    answer = client.get(f"/api/v1/households/{home.pk}", headers=bearer(second.token))
    assert answer.status_code == 200
    assert {m["given_name"] for m in answer.json()["members"]} == {"Nell", "Ozzy"}
    tokens = {token.name: token.revoked_at is None for token in ApiToken.objects.all()}
    assert tokens == {"Demo MIS": False, "Demo MIS 2": True}
