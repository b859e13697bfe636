"""Issuing, showing once, hashing, revoking API tokens, and the command that does it."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thinkfamily.accounts.models import Agency, User
from thinkfamily.api.models import ApiToken
from thinkfamily.api.services import api_token_authenticate, api_token_create, api_token_revoke
from thinkfamily.core.errors import ApplicationError
from thinkfamily.people.tests.factories import make_agency

pytestmark = pytest.mark.django_db


def test_token_is_kept_only_as_its_hash_with_a_practitioner_service_user() -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    issued = api_token_create(agency=school, name="MIS", scopes=["read"])
    token = issued.api_token
    assert issued.token.startswith(f"tf_{token.prefix}_")
    assert token.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(issued.token.split("_", 2)[2] in str(value) for value in stored.values())
    user = token.service_user
    assert user.username == "api:SCH-A:MIS"
    assert (user.agency, user.role) == (school, User.Role.PRACTITIONER)
    assert not user.has_usable_password()
    assert api_token_authenticate(token=issued.token) == token


def test_unknown_scope_and_duplicate_name_are_refused() -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    with pytest.raises(ApplicationError):
        api_token_create(agency=school, name="MIS", scopes=["write"])
    api_token_create(agency=school, name="MIS", scopes=["read"])
    with pytest.raises(ApplicationError):
        api_token_create(agency=school, name="MIS", scopes=["read"])


@pytest.mark.parametrize("token", ["", "tf_", "tf_abc", "xx_abc_def", "tf_abcd1234_wrong"])
def test_malformed_or_unknown_tokens_authenticate_nobody(token: str) -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    api_token_create(agency=school, name="MIS", scopes=["read"])
    assert api_token_authenticate(token=token) is None


def test_revoked_token_authenticates_nobody_and_its_user_is_deactivated() -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    issued = api_token_create(agency=school, name="MIS", scopes=["read"])
    api_token_revoke(prefix=issued.api_token.prefix)
    assert api_token_authenticate(token=issued.token) is None
    issued.api_token.service_user.refresh_from_db()
    assert not issued.api_token.service_user.is_active
    with pytest.raises(ApplicationError):
        api_token_revoke(prefix=issued.api_token.prefix)


def test_command_prints_the_token_once_and_list_never_shows_it() -> None:
    make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    out = StringIO()
    call_command(
        "api_token", "create", "--agency", "SCH-A", "--name", "MIS", "--scope", "read", stdout=out
    )
    token = out.getvalue().splitlines()[0]
    assert token.startswith("tf_")
    assert "only time the token is shown" in out.getvalue()
    prefix = token.split("_")[1]
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert f"tf_{prefix}" in listing.getvalue() and token not in listing.getvalue()
    assert "live" in listing.getvalue()
    call_command("api_token", "revoke", prefix, stdout=StringIO())
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "revoked" in listing.getvalue()


def test_command_refuses_an_unknown_agency() -> None:
    with pytest.raises(CommandError, match="No agency"):
        call_command("api_token", "create", "--agency", "NOPE", "--name", "MIS", "--scope", "read")
