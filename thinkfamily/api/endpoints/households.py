"""A household as the family page shows its members (scope ``read``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from thinkfamily.api.base import ERRORS, require_scope
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors_cases import household_for_api

router = Router(tags=["households"])


class MemberOut(Schema):
    person_id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    unborn: bool
    child: bool
    roles: list[str] = Field(description="Each role an agency reported them in: parent, child…")
    age_band: str
    preschool: bool
    agency_count: int = Field(description="How many agencies hold a record of them.")
    last_seen_at: dt.datetime | None = Field(description="Last seen in person by a professional.")
    may_open: bool = Field(description="Whether /people/{person_id} will answer for them.")
    open_prompts: int = Field(description="How many Think Family prompts about them are open.")


class HouseholdOut(Schema):
    id: int
    members: list[MemberOut] = Field(description="Who lives here now, as the family page lists.")


@router.get("/households/{household_id}", response={200: HouseholdOut, **ERRORS})
def get_household(request: HttpRequest, household_id: int) -> dict[str, Any]:
    """Who lives in the household now; 404 if there is none with this id your agency may see."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    found = household_for_api(api_token=api_token, household_id=household_id)
    return {
        "id": found.household.pk,
        "members": [
            {
                "person_id": m.person.pk,
                "given_name": m.person.given_name,
                "family_name": m.person.family_name,
                "date_of_birth": m.person.date_of_birth,
                "unborn": m.person.unborn,
                "child": m.child,
                "roles": m.roles,
                "age_band": m.visibility.age_band,
                "preschool": m.visibility.preschool,
                "agency_count": m.visibility.agency_count,
                "last_seen_at": m.visibility.last_seen_at,
                "may_open": m.may_open,
                "open_prompts": m.open_prompts,
            }
            for m in found.members
        ],
    }
