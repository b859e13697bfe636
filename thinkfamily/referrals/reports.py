"""The referral reports: Ofsted's Annex A lists and the partnership's referral measures.

* ``annex_a_page``: a children's social care or partnership manager chooses
  a period and downloads List 1 (contacts) or List 3 (referrals).
* ``annex_a_download``: one list as a CSV attachment; every download is an
  audited export. A date that cannot be read is a 400 naming the field.
* ``referral_measures_page``: for partnership managers, how referrals keep
  the family in the picture, by referring agency and month.

Each page is a 404 to anyone without its permission, as if it did not exist.
Views parse, call ``annex_a`` or ``measures``, and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from thinkfamily.accounts.backends import EXPORT_ANNEX_A, VIEW_REFERRAL_MEASURES
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.people.views import SignedInRequest
from thinkfamily.referrals.annex_a import (
    LIST_1_COLUMNS,
    LIST_3_COLUMNS,
    annex_a_csv,
    annex_a_list_1,
    annex_a_list_3,
)
from thinkfamily.referrals.measures import referral_measures

ANNEX_A_LISTS = {
    1: ("contacts", annex_a_list_1, LIST_1_COLUMNS),
    3: ("referrals", annex_a_list_3, LIST_3_COLUMNS),
}
#: A day as people type it: 2026-04-01 or 1/4/2026.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_DATE_HINT = "For example, 2026-04-01 or 1/4/2026"


class PeriodForm(forms.Form):
    """A period of whole days, both included, from ``start`` to ``end``."""

    start = forms.DateField(
        label="From",
        input_formats=DATE_INPUT_FORMATS,
        help_text=_DATE_HINT,
        error_messages={
            "required": "Enter the first day of the period",
            "invalid": "Enter the first day of the period as a real date, for example 2026-04-01",
        },
    )
    end = forms.DateField(
        label="To",
        input_formats=DATE_INPUT_FORMATS,
        help_text=_DATE_HINT,
        error_messages={
            "required": "Enter the last day of the period",
            "invalid": "Enter the last day of the period as a real date, for example 2026-09-30",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The last day must be the same as or after the first day")
        return cleaned

    @classmethod
    def from_query(cls, query: QueryDict, *, start: dt.date, end: dt.date) -> PeriodForm:
        """The period asked for in the query string, or from ``start`` to ``end`` if none was."""
        if "start" in query or "end" in query:
            return cls(query)
        return cls({"start": start.isoformat(), "end": end.isoformat()})

    def query(self) -> str:
        """The valid period as a query string, for links that keep it."""
        data = QueryDict(mutable=True)
        data["start"] = self.cleaned_data["start"].isoformat()
        data["end"] = self.cleaned_data["end"].isoformat()
        return data.urlencode()


def _months_ago(today: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` calendar months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _same_day_months_ago(today: dt.date, months: int) -> dt.date:
    first = _months_ago(today, months)
    next_first = _months_ago(today, months - 1)
    return first.replace(day=min(today.day, (next_first - first).days))


# ---------------------------------------------------------------------------
# Annex A


@require_safe
def annex_a_page(request: SignedInRequest) -> HttpResponse:
    """Choose a period (by default the six months to today) and download the lists."""
    if not request.user.has_perm(EXPORT_ANNEX_A):
        raise Http404("Only children's social care and partnership managers export Annex A.")
    today = timezone.localdate()
    form = PeriodForm.from_query(request.GET, start=_same_day_months_ago(today, 6), end=today)
    downloads = []
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        for number, (kind, build, _columns) in ANNEX_A_LISTS.items():
            url = reverse("referrals:annex_a_download", args=[number])
            downloads.append(
                {
                    "number": number,
                    "kind": kind,
                    "rows": len(build(start=start, end=end)),
                    "url": f"{url}?{form.query()}",
                }
            )
    return render(
        request,
        "referrals/reports/annex_a.html",
        {"form": form, "downloads": downloads},
        status=200 if form.is_valid() else 400,
    )


@require_safe
@never_cache
def annex_a_download(request: SignedInRequest, number: int) -> HttpResponse:
    """Annex A List ``number`` (1 or 3) for the period in the query, as a CSV attachment.

    Never cached: the list is about children, and each download is its own
    audited export, recorded before a byte of it leaves the server.
    """
    if not request.user.has_perm(EXPORT_ANNEX_A) or number not in ANNEX_A_LISTS:
        raise Http404("No Annex A list you may download has this number.")
    form = PeriodForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(
            f"{name} ({form.fields[name].label}): {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        return HttpResponseBadRequest(
            f"The period could not be read. {problems}.", content_type="text/plain; charset=utf-8"
        )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    _kind, build, columns = ANNEX_A_LISTS[number]
    rows = build(start=start, end=end)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        object_type="annex_a",
        object_id=f"list-{number}",
        reason=f"role: {request.user.get_role_display()}",
        detail={
            "list": number,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": len(rows),
        },
    )
    # The byte-order mark tells a spreadsheet the file is UTF-8 (worker names may not be ASCII).
    body = annex_a_csv(rows, columns).encode("utf-8-sig")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"annex-a-list-{number}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------
# Measures


@require_safe
def referral_measures_page(request: SignedInRequest) -> HttpResponse:
    """The measures for a period: by default the twelve calendar months to today."""
    if not request.user.has_perm(VIEW_REFERRAL_MEASURES):
        raise Http404("Only partnership managers see the referral measures.")
    today = timezone.localdate()
    form = PeriodForm.from_query(request.GET, start=_months_ago(today, 11), end=today)
    measures = None
    if form.is_valid():
        measures = referral_measures(
            viewer=request.user,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            today=today,
        )
    return render(
        request,
        "referrals/reports/measures.html",
        {"form": form, "measures": measures},
        status=200 if form.is_valid() else 400,
    )
