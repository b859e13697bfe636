"""Issuing, revoking and checking API tokens, and counting their calls."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.api.models import ApiCallWindow, ApiToken
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError

TOKEN_PREFIX = "tf"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def service_username(*, agency: Agency, name: str) -> str:
    return f"api:{agency.code}:{name}"


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its one and only showing of the secret."""

    api_token: ApiToken
    token: str


#: The roles an agency system may act in: case-working roles of its own agency. Sealed
#: records (children's social care managers) and the partnership-wide roles are for named
#: people only, and a system administrator sees no case data at all.
SYSTEM_ROLES = (
    User.Role.PRACTITIONER,
    User.Role.DESIGNATED_SAFEGUARDING_LEAD,
    User.Role.MANAGER,
    User.Role.CSC_WORKER,
)


def api_token_create(
    *,
    agency: Agency,
    name: str,
    scopes: list[str],
    role: str = User.Role.PRACTITIONER,
    by: User | None = None,
) -> IssuedToken:
    """Issue a token for an agency system, with its service user; the token is returned once.

    The service user holds ``role`` (one of ``SYSTEM_ROLES``; a practitioner
    unless the partnership decides otherwise) in ``agency``, with an unusable
    password, so the system sees exactly what a person in that role of that
    agency sees and can never sign in to the web. The issue is audited.
    """
    name = name.strip()
    if not name:
        raise ApplicationError("A token needs the agency system's name.", extra={"field": "name"})
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if not scopes or unknown:
        raise ApplicationError(
            f"Scopes must be drawn from {', '.join(ApiToken.Scope.values)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + ".",
            extra={"field": "scope"},
        )
    if role not in SYSTEM_ROLES:
        raise ApplicationError(
            f"An agency system may act as {', '.join(SYSTEM_ROLES)}; not as {role!r}.",
            extra={"field": "role"},
        )
    if role == User.Role.CSC_WORKER and agency.agency_type != Agency.AgencyType.CSC:
        raise ApplicationError(
            f"Only a children's social care agency's system may act as {role}; "
            f"{agency.code} is {agency.agency_type}.",
            extra={"field": "role"},
        )
    username = service_username(agency=agency, name=name)
    if (
        ApiToken.objects.filter(agency=agency, name=name).exists()
        or User.objects.filter(username=username).exists()
    ):
        raise ApplicationError(
            f"{agency.code} already has a system called {name!r}.", extra={"field": "name"}
        )
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        service_user = User(
            username=username,
            first_name=name[:150],
            last_name="(API)",
            agency=agency,
            role=role,
        )
        service_user.set_unusable_password()
        service_user.save()
        api_token = ApiToken.objects.create(
            name=name,
            agency=agency,
            service_user=service_user,
            scopes=sorted(set(scopes)),
            prefix=prefix,
            token_hash=_hash(token),
            created_by=by,
        )
        _audit(api_token, AuditEvent.Action.ISSUE_TOKEN, by)
    return IssuedToken(api_token=api_token, token=token)


def _audit(api_token: ApiToken, action: str, by: User | None) -> None:
    audit_record(
        actor=by,
        actor_label="" if by else "system: api-token command",
        action=action,
        object_type="api_token",
        object_id=api_token.pk,
        detail={
            "token": f"tf_{api_token.prefix}",
            "agency": api_token.agency.code,
            "name": api_token.name,
            "scopes": api_token.scopes,
            "role": api_token.service_user.role,
        },
    )


def api_token_revoke(*, prefix: str, by: User | None = None) -> ApiToken:
    """Revoke a token at once; its service user is deactivated with it. Audited."""
    api_token = (
        ApiToken.objects.select_related("service_user").filter(prefix=prefix.strip()).first()
    )
    if api_token is None:
        raise ApplicationError(f"No token has the prefix {prefix!r}.", extra={"field": "prefix"})
    if api_token.revoked_at is not None:
        raise ApplicationError(f"Token tf_{prefix} was already revoked.")
    with transaction.atomic():
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        api_token.service_user.is_active = False
        api_token.service_user.save(update_fields=["is_active"])
        _audit(api_token, AuditEvent.Action.REVOKE_TOKEN, by)
    return api_token


def api_token_authenticate(*, token: str) -> ApiToken | None:
    """The live token this secret belongs to, its use recorded; None if unknown or revoked."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    api_token = (
        ApiToken.objects.select_related("agency", "service_user")
        .filter(prefix=parts[1], token_hash=_hash(token), revoked_at__isnull=True)
        .first()
    )
    if api_token is None or not api_token.service_user.is_active:
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    api_token.last_used_at = now
    return api_token


def api_calls_count(*, api_token: ApiToken, minute: int) -> int:
    """Count one more call by ``api_token`` in ``minute`` (since the epoch); return the count.

    One statement (insert, or add one on conflict, returning the count), so
    concurrent calls each see their own count. The first call of a minute
    clears the token's earlier minutes.
    """
    table = ApiCallWindow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, minute, calls) VALUES (%s, %s, 1) "
            f"ON CONFLICT (token_id, minute) DO UPDATE SET calls = {table}.calls + 1 "
            "RETURNING calls",
            [api_token.pk, minute],
        )
        (calls,) = cursor.fetchone()
    if calls == 1:
        ApiCallWindow.objects.filter(token=api_token, minute__lt=minute).delete()
    return int(calls)
