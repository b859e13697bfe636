"""Chronology exports.

The view parses the request, reads through the selector, renders through
``events.pdf`` and records the export in the audit trail. A household the
viewer may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from thinkfamily.accounts.backends import household_access_reason
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.pdf import chronology_pdf
from thinkfamily.events.selectors import ChronologyFilters, family_chronology
from thinkfamily.people.models import Household
from thinkfamily.people.views import SignedInRequest


@require_safe
@never_cache
def chronology_pdf_download(request: SignedInRequest, pk: int) -> HttpResponse:
    """The household's chronology, filtered as on the family page, as a PDF attachment.

    Never cached: the document is personal information, and each download is
    its own audited export.
    """
    household = Household.objects.filter(pk=pk).first()
    reason = household_access_reason(request.user, household) if household else None
    if household is None or reason is None:
        raise Http404("No household you may see has this id.")
    try:
        filters = ChronologyFilters.from_query(request.GET)
    except ApplicationError as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")

    chronology = family_chronology(
        household=household,
        viewer=request.user,
        person_id=filters.person_id,
        agency_id=filters.agency_id,
        event_type=filters.event_type,
    )
    generated_at = timezone.now()
    pdf = chronology_pdf(
        household=household, chronology=chronology, viewer=request.user, generated_at=generated_at
    )
    # Rendering takes seconds, so the audit entry is written after it: the audit
    # chain's lock (and SQLite's write lock) is then held only for the one insert.
    # The entry is committed before a byte of the document leaves the server.
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        object_type="household",
        object_id=household.pk,
        reason=reason,
        detail={
            "format": "pdf",
            "filters": filters.as_dict(),
            "entries": len(chronology.entries),
            "hidden": chronology.hidden,
            "truncated": chronology.truncated,
        },
    )
    filename = f"family-chronology-{household.pk}-{timezone.localdate(generated_at):%Y-%m-%d}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
