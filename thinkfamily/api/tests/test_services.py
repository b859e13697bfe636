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
from thinkfamily.audit.models import AuditEvent
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


@pytest.mark.parametrize(
    "role",
    [
        User.Role.CSC_MANAGER,
        User.Role.PARTNERSHIP_MANAGER,
        User.Role.REVIEWER,
        User.Role.AUDITOR,
        User.Role.SYSTEM_ADMINISTRATOR,
    ],
)
def test_a_system_may_not_act_in_a_sealed_or_partnership_wide_role(role: str) -> None:
    csc = make_agency("CSC-A", Agency.AgencyType.CSC)
    with pytest.raises(ApplicationError) as refused:
        api_token_create(agency=csc, name="Case system", scopes=["read"], role=role)
    assert refused.value.extra == {"field": "role"}
    assert not ApiToken.objects.exists()
    assert not User.objects.filter(username__startswith="api:").exists()


def test_only_a_social_care_system_acts_as_a_social_care_worker() -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    with pytest.raises(ApplicationError):
        api_token_create(agency=school, name="MIS", scopes=["read"], role=User.Role.CSC_WORKER)
    csc = make_agency("CSC-A", Agency.AgencyType.CSC)
    issued = api_token_create(
        agency=csc, name="Case system", scopes=["read"], role=User.Role.CSC_WORKER
    )
    assert issued.api_token.service_user.role == User.Role.CSC_WORKER


def test_issuing_and_revoking_are_audited_naming_the_token_never_its_secret() -> None:
    school = make_agency("SCH-A", Agency.AgencyType.SCHOOL)
    admin = User.objects.create(username="admin.a", role=User.Role.SYSTEM_ADMINISTRATOR)
    issued = api_token_create(agency=school, name="MIS", scopes=["read", "push"], by=admin)
    api_token_revoke(prefix=issued.api_token.prefix, by=admin)
    issue, revoke = AuditEvent.objects.filter(object_type="api_token").order_by("id")
    assert (issue.action, revoke.action) == (
        AuditEvent.Action.ISSUE_TOKEN,
        AuditEvent.Action.REVOKE_TOKEN,
    )
    assert issue.actor == revoke.actor == admin
    assert issue.detail == {
        "token": f"tf_{issued.api_token.prefix}",
        "agency": "SCH-A",
        "name": "MIS",
        "scopes": ["push", "read"],
        "role": "practitioner",
    }
    secret = issued.token.split("_", 2)[2]
    assert all(secret not in str(event.detail) for event in (issue, revoke))


def test_the_command_issues_a_token_in_a_role_and_audits_the_revoke() -> None:
    make_agency("DSL-SCH", Agency.AgencyType.SCHOOL)
    out = StringIO()
    call_command(
        "api_token", "create", "--agency", "DSL-SCH", "--name", "CPOMS", "--scope", "read",
        "--role", "dsl", stdout=out,
    )  # fmt: skip
    api_token = ApiToken.objects.get()
    assert api_token.service_user.role == User.Role.DESIGNATED_SAFEGUARDING_LEAD
    assert "acting as dsl" in out.getvalue()
    call_command("api_token", "revoke", api_token.prefix, stdout=StringIO())
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.REVOKE_TOKEN, actor_label="system: api-token command"
    ).exists()
