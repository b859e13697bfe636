"""The whole-family page.

Parses the chronology filters, asks ``family_view`` (which decides what the
viewer may see and audits the read) and renders. A household the viewer may
not open is a 404, exactly as one that does not exist; a malformed filter is
a 400 that names it.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_safe

from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.selectors import ChronologyFilters
from thinkfamily.families.selectors import family_view
from thinkfamily.people.models import Household
from thinkfamily.people.views import SignedInRequest


@require_safe
def family(request: SignedInRequest, pk: int) -> HttpResponse:
    try:
        filters = ChronologyFilters.from_query(request.GET)
    except ApplicationError as error:
        return HttpResponseBadRequest(error.message)
    try:
        view = family_view(
            household_id=pk,
            viewer=request.user,
            person_id=filters.person_id,
            agency_id=filters.agency_id,
            event_type=filters.event_type,
        )
    except Household.DoesNotExist:
        raise Http404("No household you may see has this id.") from None
    return render(
        request,
        "families/family.html",
        {
            "view": view,
            "household": view.household,
            "chronology": view.chronology,
            "openable_person_ids": {
                m.person.pk for m in view.children + view.adults if m.viewer_may_open
            },
        },
    )
