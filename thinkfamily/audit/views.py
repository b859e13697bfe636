"""A person's access log: who has looked at their record, on screen and as a CSV download."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from thinkfamily.audit.selectors import AccessLogRow, access_log_csv_rows, access_log_for
from thinkfamily.people.models import Person

ROWS_PER_PAGE = 50


def _log(request: HttpRequest, pk: int, *, export: bool):
    person = get_object_or_404(Person, pk=pk)
    try:
        return person, access_log_for(person=person, viewer=request.user, export=export)  # type: ignore[arg-type]
    except Person.DoesNotExist:
        raise Http404 from None  # as if there were nobody with this id


def access_log(request: HttpRequest, pk: int) -> HttpResponse:
    person, entries = _log(request, pk, export=False)
    page = Paginator(entries, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/access_log.html",
        {"person": person, "page": page, "rows": [AccessLogRow.of(e) for e in page]},
    )


def access_log_csv(request: HttpRequest, pk: int) -> HttpResponse:
    person, entries = _log(request, pk, export=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"access-log-person-{person.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(access_log_csv_rows(entries))
    return response
