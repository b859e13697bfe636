"""Referrals your agency made or received (scope ``read``), and their steps (scope ``act``).

Each step is a POST on ``/referrals/{id}/<step>`` calling the same service as
the referral page, with the ``version`` the caller last read: a step taken
from an out-of-date read is refused with 409, as the page refuses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from thinkfamily.accounts.models import User
from thinkfamily.api.base import ERRORS, ErrorOut, PageQuery, bad_cursor, require_scope
from thinkfamily.api.endpoints.acting import act_once
from thinkfamily.api.idempotency import Answer
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import BadCursor
from thinkfamily.api.selectors_cases import (
    ApiReferral,
    referral_for_api,
    referral_visible,
    referrals_page,
)
from thinkfamily.core.errors import ApplicationError
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.selectors import STEPS_BY_NAME
from thinkfamily.referrals.services import (
    referral_acknowledge,
    referral_close,
    referral_confirm_family_awareness,
    referral_decide,
    referral_manager_confirm,
    referral_record_visit_intention,
)

router = Router(tags=["referrals"])

#: A step answers with the referral as it now is, or 409 when the referral had moved on.
STEP_ANSWERS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


class ReferralOut(Schema):
    id: int
    status: str
    version: int = Field(description="Pass back as `version` when taking the next step.")
    referring_agency: str = Field(description="The referring agency's code.")
    to_agency: str
    referred_at: dt.datetime
    categories: list[str]
    concerns: str
    child_ids: list[int] = Field(description="Children kept on it whom your agency may see.")
    next_step: str | None = Field(description="The step it waits for: the POST to take it.")
    may_take_next_step: bool
    outcome_feedback: str = Field(description="Empty until it is closed, unless you received it.")


class ReferralsPage(Schema):
    items: list[ReferralOut]
    next_cursor: str | None


class _StepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The version you last read.")


class NoteIn(_StepIn):
    note: str = ""


class AwarenessIn(_StepIn):
    family_aware: bool
    telling_decision: str = Field("", description="Needed when the family is not aware.")
    telling_reason: str = ""
    note: str = ""


class ChildDecisionIn(Schema):
    person_id: int
    decision: str
    reasons: str


class DecideIn(_StepIn):
    decisions: list[ChildDecisionIn] = Field(description="One for each child kept on it.")
    strategy_discussion_on: dt.date | None = None


class VisitIntentionIn(_StepIn):
    communicated: bool
    communicated_on: dt.date | None = None
    how: str = ""
    reason_not: str = ""


class CloseIn(_StepIn):
    outcome_feedback: str


def _referral_out(found: ApiReferral) -> dict[str, Any]:
    referral = found.referral
    return {
        "id": referral.pk,
        "status": referral.status,
        "version": referral.version,
        "referring_agency": referral.referring_agency.code,
        "to_agency": referral.to_agency.code,
        "referred_at": referral.referred_at,
        "categories": list(referral.categories),
        "concerns": referral.concerns,
        "child_ids": [p.pk for p in found.children],
        "next_step": found.next_step.name if found.next_step else None,
        "may_take_next_step": found.may_take_next_step,
        "outcome_feedback": referral.outcome_feedback if found.shows_outcome else "",
    }


@router.get("/referrals", response={200: ReferralsPage, **ERRORS})
def list_referrals(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The referrals your agency made, and the open ones it received; oldest first."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    try:
        page = referrals_page(api_token=api_token, cursor=query.cursor, limit=query.limit)
    except BadCursor:
        raise bad_cursor() from None
    return {"items": [_referral_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get("/referrals/{referral_id}", response={200: ReferralOut, **ERRORS})
def get_referral(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    """One referral; 404 if there is none with this id your agency may see."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    return _referral_out(referral_for_api(api_token=api_token, referral_id=referral_id))


def _step(
    request: HttpRequest,
    referral_id: int,
    name: str,
    version: int,
    take: Callable[[Referral, User], Referral],
) -> HttpResponse:
    """Take step ``name`` with the service ``take``, as the referral page takes it: 403 for
    someone who may not take it, 409 when the referral moved on from ``version``, 400 naming
    each field the service found at fault."""
    api_token = require_scope(request, ApiToken.Scope.ACT)
    referral = referral_visible(api_token=api_token, referral_id=referral_id)
    step = STEPS_BY_NAME[name]
    if not api_token.service_user.has_perm(step.perm, referral):
        raise PermissionDenied(step.refusal)

    def write() -> Answer:
        take(referral, api_token.service_user)
        return 200, _referral_out(referral_for_api(api_token=api_token, referral_id=referral_id))

    def refusal_status(error: ApplicationError) -> int:
        if error.extra:
            return 400
        current = Referral.objects.get(pk=referral_id)
        if current.version != version or current.status != step.from_status:
            return 409
        return 403

    return act_once(request, write, refusal_status=refusal_status)


@router.post(
    "/referrals/{referral_id}/manager_confirm", response={200: ReferralOut, **STEP_ANSWERS}
)
def referral_manager_confirm_step(
    request: HttpRequest, referral_id: int, body: NoteIn
) -> HttpResponse:
    """A manager of the referring agency confirms why the family was not told."""
    return _step(
        request,
        referral_id,
        "manager_confirm",
        body.version,
        lambda r, by: referral_manager_confirm(
            referral=r, by=by, version=body.version, note=body.note
        ),
    )


@router.post("/referrals/{referral_id}/acknowledge", response={200: ReferralOut, **STEP_ANSWERS})
def referral_acknowledge_step(request: HttpRequest, referral_id: int, body: NoteIn) -> HttpResponse:
    """Children's social care acknowledges the referral to the referrer."""
    return _step(
        request,
        referral_id,
        "acknowledge",
        body.version,
        lambda r, by: referral_acknowledge(referral=r, by=by, version=body.version, note=body.note),
    )


@router.post(
    "/referrals/{referral_id}/confirm_awareness", response={200: ReferralOut, **STEP_ANSWERS}
)
def referral_confirm_awareness_step(
    request: HttpRequest, referral_id: int, body: AwarenessIn
) -> HttpResponse:
    """Children's social care confirms with the referrer whether the family knows."""
    return _step(
        request,
        referral_id,
        "confirm_awareness",
        body.version,
        lambda r, by: referral_confirm_family_awareness(
            referral=r,
            by=by,
            version=body.version,
            family_aware=body.family_aware,
            telling_decision=body.telling_decision,
            telling_reason=body.telling_reason,
            note=body.note,
        ),
    )


@router.post("/referrals/{referral_id}/decide", response={200: ReferralOut, **STEP_ANSWERS})
def referral_decide_step(request: HttpRequest, referral_id: int, body: DecideIn) -> HttpResponse:
    """Children's social care decides for each child kept on the referral, with reasons.

    A refusal names ``decision_<person_id>``, ``reasons_<person_id>``,
    ``decisions`` or ``strategy_discussion_on``."""
    decisions = {d.person_id: (d.decision, d.reasons) for d in body.decisions}
    return _step(
        request,
        referral_id,
        "decide",
        body.version,
        lambda r, by: referral_decide(
            referral=r,
            by=by,
            version=body.version,
            decisions=decisions,
            strategy_discussion_on=body.strategy_discussion_on,
        ),
    )


@router.post(
    "/referrals/{referral_id}/record_visit_intention", response={200: ReferralOut, **STEP_ANSWERS}
)
def referral_record_visit_intention_step(
    request: HttpRequest, referral_id: int, body: VisitIntentionIn
) -> HttpResponse:
    """Children's social care records whether the family was told it intends to visit."""
    return _step(
        request,
        referral_id,
        "record_visit_intention",
        body.version,
        lambda r, by: referral_record_visit_intention(
            referral=r,
            by=by,
            version=body.version,
            communicated=body.communicated,
            communicated_on=body.communicated_on,
            how=body.how,
            reason_not=body.reason_not,
        ),
    )


@router.post("/referrals/{referral_id}/close", response={200: ReferralOut, **STEP_ANSWERS})
def referral_close_step(request: HttpRequest, referral_id: int, body: CloseIn) -> HttpResponse:
    """Children's social care closes the referral, feeding back the outcome."""
    return _step(
        request,
        referral_id,
        "close",
        body.version,
        lambda r, by: referral_close(
            referral=r, by=by, version=body.version, outcome_feedback=body.outcome_feedback
        ),
    )
