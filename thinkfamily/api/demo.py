"""The demo's agency system: a token for the demo school's MIS, to try the JSON API with."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from thinkfamily.api.models import ApiToken
from thinkfamily.api.services import api_token_create, api_token_revoke
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.models import HouseholdMembership

DEMO_SYSTEM = "Demo MIS"


@dataclass(frozen=True)
class DemoApi:
    token: str
    household_id: int | None


@transaction.atomic
def demo_api_token(*, family: DemoFamily) -> DemoApi:
    """A new token (push and read) for the demo school's MIS; earlier demo tokens revoked.

    A token is shown only once, so each run of the demo issues its own
    (``Demo MIS 2``, ``Demo MIS 3``…) and revokes the ones before it.
    """
    earlier = ApiToken.objects.filter(agency=family.school, name__startswith=DEMO_SYSTEM)
    for api_token in earlier.filter(revoked_at__isnull=True):
        api_token_revoke(prefix=api_token.prefix)
    number = earlier.count() + 1
    issued = api_token_create(
        agency=family.school,
        name=DEMO_SYSTEM if number == 1 else f"{DEMO_SYSTEM} {number}",
        scopes=[ApiToken.Scope.PUSH, ApiToken.Scope.READ],
    )
    home = (
        HouseholdMembership.objects.filter(person=family.pupil, end_date__isnull=True)
        .values_list("household_id", flat=True)
        .first()
    )
    return DemoApi(token=issued.token, household_id=home)
