"""Conversations between professionals your agency may read (scope ``read``), and a
participant's acknowledgement or dispute of one (scope ``act``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict

from thinkfamily.accounts.backends import ACKNOWLEDGE_CONVERSATION
from thinkfamily.accounts.models import User
from thinkfamily.api.base import ERRORS, ErrorOut, PageQuery, bad_cursor, require_scope
from thinkfamily.api.endpoints.acting import act_once
from thinkfamily.api.idempotency import Answer
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import BadCursor
from thinkfamily.api.selectors_cases import (
    ApiConversation,
    conversation_for_api,
    conversation_visible,
    conversations_page,
    current_outcomes,
)
from thinkfamily.audit.context import label_actor_for_request
from thinkfamily.conversations.models import Conversation
from thinkfamily.conversations.services import conversation_acknowledge, conversation_dispute
from thinkfamily.core.errors import ApplicationError

router = Router(tags=["conversations"])


class ConversationOut(Schema):
    id: int
    kind: str
    held_at: dt.datetime
    recording_agency: str = Field(description="The recording agency's code.")
    household_id: int | None
    child_ids: list[int] = Field(description="The children it is about whom your agency may see.")
    current_version: int = Field(description="Pass as `version` to acknowledge or dispute.")
    circulated_at: dt.datetime
    may_acknowledge: bool


class ConversationDetailOut(ConversationOut):
    status: str = Field(description="The current version's status.")
    outcomes: list[str] = Field(description="The current version's agreed outcomes.")


class ConversationsPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class AcknowledgeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The version you read (current_version).")
    comment: str = ""
    on_behalf_of: str | None = Field(
        None,
        description="The username of the participant, one of your agency's staff, for whom "
        "your system answers (they acknowledged or disputed it in your system). Without it, "
        "the system answers as itself, if it is a participant.",
    )


class AcknowledgementOut(Schema):
    conversation_id: int
    version: int
    answer: str = Field(description="acknowledged or disputed.")
    comment: str
    at: dt.datetime


def _conversation_out(found: ApiConversation) -> dict[str, Any]:
    conversation = found.conversation
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "held_at": conversation.held_at,
        "recording_agency": conversation.recording_agency.code,
        "household_id": conversation.household_id,
        "child_ids": [p.pk for p in found.children],
        "current_version": conversation.current_version,
        "circulated_at": conversation.circulated_at,
        "may_acknowledge": found.may_acknowledge,
    }


@router.get("/conversations", response={200: ConversationsPage, **ERRORS})
def list_conversations(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Conversations your agency recorded or took part in, oldest recorded first."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    try:
        page = conversations_page(api_token=api_token, cursor=query.cursor, limit=query.limit)
    except BadCursor:
        raise bad_cursor() from None
    return {"items": [_conversation_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/conversations/{conversation_id}", response={200: ConversationDetailOut, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """One conversation; 404 if there is none with this id your agency may read."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    found = conversation_for_api(api_token=api_token, conversation_id=conversation_id)
    status, outcomes = current_outcomes(found.conversation)
    return {**_conversation_out(found), "status": status, "outcomes": outcomes}


def _member_of_staff(api_token: ApiToken, username: str) -> User:
    """The active account of the token's agency called ``username``, for whom the system
    answers; its entries on the audit trail say so (``<username> via api token …``)."""
    user = User.objects.filter(
        username=username, agency_id=api_token.agency_id, is_active=True
    ).first()
    if user is None or user.pk == api_token.service_user_id:
        raise ValidationError(
            [{"loc": ("body", "body", "on_behalf_of"), "msg": "is not one of your agency's staff"}]
        )
    label_actor_for_request(user_id=user.pk, label=f"{user.username} via {api_token.label}")
    return user


def _answer(
    request: HttpRequest, conversation_id: int, body: AcknowledgeIn, *, dispute: bool
) -> HttpResponse:
    api_token = require_scope(request, ApiToken.Scope.ACT)
    conversation = conversation_visible(api_token=api_token, conversation_id=conversation_id)
    by = api_token.service_user
    if body.on_behalf_of is not None:
        by = _member_of_staff(api_token, body.on_behalf_of)
    if not by.has_perm(ACKNOWLEDGE_CONVERSATION, conversation):
        raise PermissionDenied(
            "Only the participants with an account may acknowledge or dispute this record."
        )
    answer = conversation_dispute if dispute else conversation_acknowledge

    def write() -> Answer:
        row = answer(conversation=conversation, by=by, version=body.version, comment=body.comment)
        return 200, {
            "conversation_id": conversation.pk,
            "version": body.version,
            "answer": row.answer,
            "comment": row.comment,
            "at": row.at,
        }

    def refusal_status(error: ApplicationError) -> int:
        if error.extra:
            return 400
        current = Conversation.objects.get(pk=conversation_id).current_version
        return 409 if current != body.version else 400

    return act_once(request, write, refusal_status=refusal_status)


ANSWERS: dict[int, Any] = {200: AcknowledgementOut, **ERRORS, 409: ErrorOut}


@router.post("/conversations/{conversation_id}/acknowledge", response=ANSWERS)
def acknowledge_conversation(
    request: HttpRequest, conversation_id: int, body: AcknowledgeIn
) -> HttpResponse:
    """A participant confirms the current version is an accurate record; 409 if amended since."""
    return _answer(request, conversation_id, body, dispute=False)


@router.post("/conversations/{conversation_id}/dispute", response=ANSWERS)
def dispute_conversation(
    request: HttpRequest, conversation_id: int, body: AcknowledgeIn
) -> HttpResponse:
    """A participant disputes the current version, saying in `comment` what is wrong."""
    return _answer(request, conversation_id, body, dispute=True)
