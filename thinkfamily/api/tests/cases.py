"""The Carter family (``prompts.tests.family``) and the tokens of the agencies around it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from thinkfamily.accounts.models import Agency, User
from thinkfamily.api.models import ApiToken
from thinkfamily.api.services import api_token_create
from thinkfamily.api.tests.conftest import bearer
from thinkfamily.audit.models import AuditEvent


def token_for(agency: Agency, *scopes: str, role: str = "") -> tuple[str, ApiToken]:
    """A token of ``agency``'s system, acting in ``role`` (a practitioner unless said)."""
    issued = api_token_create(
        agency=agency,
        name=f"System {'+'.join(scopes)} {role}",
        scopes=list(scopes),
        role=role or User.Role.PRACTITIONER,
    )
    return issued.token, issued.api_token


def get(client: Client, url: str, token: str, **query: Any) -> tuple[int, dict]:
    response = client.get(f"/api/v1{url}", query, headers=bearer(token))
    return response.status_code, response.json()


def post(
    client: Client, url: str, token: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict, Any]:
    response = client.post(
        f"/api/v1{url}",
        data=json.dumps(body),
        content_type="application/json",
        headers={**bearer(token), **headers},
    )
    return response.status_code, response.json(), response


def audited(api_token: ApiToken, action: str) -> list[AuditEvent]:
    """The audit entries of ``action`` written as the token's service user, oldest first."""
    return list(
        AuditEvent.objects.filter(actor=api_token.service_user, action=action).order_by("id")
    )


def fields_of(body: dict) -> list[str | None]:
    return [error["field"] for error in body["errors"]]
