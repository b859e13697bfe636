"""Prompts routed to your agency (scope ``read``) and answering them (scope ``act``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from thinkfamily.accounts.backends import ANSWER_PROMPT
from thinkfamily.api.base import DEFAULT_LIMIT, ERRORS, MAX_LIMIT, bad_cursor, require_scope
from thinkfamily.api.endpoints.acting import act_once
from thinkfamily.api.idempotency import Answer
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import BadCursor
from thinkfamily.api.selectors_cases import prompt_for_api, prompt_visible, prompts_page
from thinkfamily.core.errors import ApplicationError
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import prompt_answer
from thinkfamily.referrals.models import Referral

router = Router(tags=["prompts"])


class PromptOut(Schema):
    id: int
    kind: str = Field(description="sibling or new_adult.")
    person_id: int
    household_id: int | None
    reason: str
    preschool: bool
    raised_at: dt.datetime
    due_on: dt.date
    overdue: bool
    status: str = Field(description="open or answered.")
    response: str = Field(description="no_concern, action_taken, referral_made; empty if open.")
    answered_at: dt.datetime | None
    answered_for: str | None = Field(description="The code of the agency that answered.")


class PromptDetailOut(PromptOut):
    may_answer: bool = Field(description="Whether POST /prompts/{id}/answer may answer it.")


class PromptsPage(Schema):
    items: list[PromptOut]
    next_cursor: str | None


class PromptsQuery(Schema):
    person_id: int | None = None
    status: Prompt.Status = Field(
        Prompt.Status.OPEN, description="open (the worklist) or answered."
    )
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(description="no_concern, action_taken or referral_made.")
    note: str = ""
    action_taken: str = Field("", description="What was done; needed for action_taken.")
    referral: int | None = Field(
        None, description="For referral_made: the id of the referral your agency made."
    )


def _prompt_out(prompt: Prompt) -> dict[str, Any]:
    return {
        "id": prompt.pk,
        "kind": prompt.kind,
        "person_id": prompt.person_id,
        "household_id": prompt.household_id,
        "reason": prompt.reason,
        "preschool": prompt.preschool,
        "raised_at": prompt.raised_at,
        "due_on": prompt.due_on,
        "overdue": prompt.is_overdue_on(timezone.localdate()),
        "status": prompt.status,
        "response": prompt.response,
        "answered_at": prompt.answered_at,
        "answered_for": prompt.answered_for.code if prompt.answered_for else None,
    }


@router.get("/prompts", response={200: PromptsPage, **ERRORS})
def list_prompts(request: HttpRequest, query: Query[PromptsQuery]) -> dict[str, Any]:
    """The prompts routed to your agency (the worklist: open ones unless ?status=answered)."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    try:
        page = prompts_page(
            api_token=api_token,
            person_id=query.person_id,
            status=query.status,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return {"items": [_prompt_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get("/prompts/{prompt_id}", response={200: PromptDetailOut, **ERRORS})
def get_prompt(request: HttpRequest, prompt_id: int) -> dict[str, Any]:
    """One prompt; 404 if there is none with this id your agency may see."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    found = prompt_for_api(api_token=api_token, prompt_id=prompt_id)
    return {**_prompt_out(found.prompt), "may_answer": found.may_answer}


@router.post("/prompts/{prompt_id}/answer", response={200: PromptOut, **ERRORS})
def answer_prompt(request: HttpRequest, prompt_id: int, body: AnswerIn) -> HttpResponse:
    """Answer a prompt for your agency, as the prompt page does; once per prompt."""
    api_token = require_scope(request, ApiToken.Scope.ACT)
    prompt = prompt_visible(api_token=api_token, prompt_id=prompt_id)
    if not api_token.service_user.has_perm(ANSWER_PROMPT, prompt):
        raise PermissionDenied("Only someone in an agency this prompt was sent to may answer it.")

    def write() -> Answer:
        referral = None
        if body.referral is not None:
            referral = Referral.objects.filter(pk=body.referral).first()
            if referral is None:
                raise ApplicationError(
                    "The prompt could not be answered.",
                    extra={
                        "referral": "Choose a referral your agency made with this child kept on it."
                    },
                )
        answered = prompt_answer(
            prompt=prompt,
            by=api_token.service_user,
            response=body.response,
            note=body.note,
            action_taken=body.action_taken,
            referral=referral,
        )
        return 200, _prompt_out(answered)

    return act_once(request, write)
