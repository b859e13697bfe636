"""Verbal agreements: your agency's register and any one your agency may see (scope ``read``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from thinkfamily.api.base import ERRORS, PageQuery, bad_cursor, require_scope
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import BadCursor
from thinkfamily.api.selectors_cases import ApiAgreement, agreement_for_api, agreements_page

router = Router(tags=["agreements"])


class AgreementOut(Schema):
    id: int
    status: str
    household_id: int
    recording_agency: str = Field(description="The recording agency's code.")
    made_with_ids: list[int] = Field(description="The family members, those you may see.")
    child_ids: list[int] = Field(description="The children it concerns, those you may see.")
    agreed: str
    need: str
    if_not_kept: str
    made_on: dt.date
    review_on: dt.date
    may_act: bool


class AgreementsPage(Schema):
    items: list[AgreementOut]
    next_cursor: str | None


def _agreement_out(found: ApiAgreement) -> dict[str, Any]:
    agreement = found.agreement
    return {
        "id": agreement.pk,
        "status": agreement.status,
        "household_id": agreement.household_id,
        "recording_agency": agreement.recording_agency.code,
        "made_with_ids": [p.pk for p in found.made_with],
        "child_ids": [p.pk for p in found.children],
        "agreed": agreement.agreed,
        "need": agreement.need,
        "if_not_kept": agreement.if_not_kept,
        "made_on": agreement.made_on,
        "review_on": agreement.review_on,
        "may_act": found.may_act,
    }


@router.get("/agreements", response={200: AgreementsPage, **ERRORS})
def list_agreements(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Your agency's register: the active agreements it recorded, oldest first."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    try:
        page = agreements_page(api_token=api_token, cursor=query.cursor, limit=query.limit)
    except BadCursor:
        raise bad_cursor() from None
    return {"items": [_agreement_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.get("/agreements/{agreement_id}", response={200: AgreementOut, **ERRORS})
def get_agreement(request: HttpRequest, agreement_id: int) -> dict[str, Any]:
    """One agreement; 404 if there is none with this id your agency may see."""
    api_token = require_scope(request, ApiToken.Scope.READ)
    return _agreement_out(agreement_for_api(api_token=api_token, agreement_id=agreement_id))
