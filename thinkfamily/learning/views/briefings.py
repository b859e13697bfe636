"""The briefing pages: the list, writing and rewriting a 7-minute briefing, one briefing with
its sessions (and the form to record one), its one-page PDF, and reach by agency.

Views parse, call a service or selector, and render. A briefing the viewer
may not read is a 404, like one that does not exist; an action the viewer
may not take is a 403 with the reason; a refused form comes back (400) with
each of the service's messages against its question.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from thinkfamily.accounts.backends import (
    VIEW_BRIEFINGS,
    VIEW_CASE_REVIEWS,
    WRITE_BRIEFING,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.learning import dissemination
from thinkfamily.learning.dissemination import (
    BriefingDetail,
    briefing_detail,
    briefing_list,
    briefing_reach,
    review_date,
    session_agencies,
)
from thinkfamily.learning.forms_briefings import BriefingForm, SessionForm
from thinkfamily.learning.models import Briefing, CaseReview
from thinkfamily.learning.services import BRIEFING_FIELDS, briefing_write, session_record
from thinkfamily.people.views import SignedInRequest


def _detail_or_404(request: SignedInRequest, pk: int) -> BriefingDetail:
    try:
        return briefing_detail(briefing_id=pk, viewer=request.user)
    except Briefing.DoesNotExist:
        raise Http404("No briefing you may read has this id.") from None


@require_safe
def briefings(request: SignedInRequest) -> HttpResponse:
    """Every 7-minute briefing, newest first, with its sessions and attendance so far."""
    if not request.user.has_perm(VIEW_BRIEFINGS):
        raise PermissionDenied("Briefings are for staff of the partnership's agencies.")
    return render(
        request,
        "learning/briefings.html",
        {
            "briefings": briefing_list(viewer=request.user),
            "may_write": request.user.has_perm(WRITE_BRIEFING),
            "may_see_reach": request.user.has_perm(VIEW_CASE_REVIEWS),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def briefing_new(request: SignedInRequest) -> HttpResponse:
    """Write a briefing; ``?review=<pk>`` links it to that review (and prefills nothing)."""
    if not request.user.has_perm(WRITE_BRIEFING):
        raise PermissionDenied("Only a partnership manager may write a briefing.")
    text = request.GET.get("review") or ""
    review = None
    if text:
        review = CaseReview.objects.filter(pk=int(text)).first() if text.isdigit() else None
        if review is None or not request.user.has_perm(VIEW_CASE_REVIEWS):
            raise Http404("No review on the register has this id.")
    form = BriefingForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            briefing = briefing_write(by=request.user, fields=form.cleaned_data, review=review)
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "Briefing saved.")
            return redirect(briefing)
    return render(
        request,
        "learning/briefing_form.html",
        {"form": form, "review": review, "briefing": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def briefing_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """Rewrite a briefing (partnership managers)."""
    detail = _detail_or_404(request, pk)
    if not detail.may_edit:
        raise PermissionDenied("Only a partnership manager may change a briefing.")
    record = detail.briefing
    form = BriefingForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(record, name) for name in BRIEFING_FIELDS},
    )
    if form.is_valid():
        try:
            briefing_write(by=request.user, fields=form.cleaned_data, briefing=record)
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "Briefing saved.")
            return redirect(record)
    return render(
        request,
        "learning/briefing_form.html",
        {"form": form, "review": record.review, "briefing": record},
        status=400 if form.errors else 200,
    )


def _briefing_page(
    request: SignedInRequest, detail: BriefingDetail, form: SessionForm | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "learning/briefing.html",
        {
            "detail": detail,
            "briefing": detail.briefing,
            "review_date": review_date(detail.briefing.review),
            "session_form": form,
        },
        status=status,
    )


@require_safe
def briefing(request: SignedInRequest, pk: int) -> HttpResponse:
    """One briefing in its five parts, the sessions that delivered it, and the form to record
    a session for those who may."""
    detail = _detail_or_404(request, pk)
    form = None
    if detail.may_record_session:
        form = SessionForm(agencies=session_agencies(viewer=request.user))
    return _briefing_page(request, detail, form)


@require_POST
def briefing_sessions(request: SignedInRequest, pk: int) -> HttpResponse:
    """Record a session that delivered the briefing: when, to which agency's staff, how many."""
    detail = _detail_or_404(request, pk)
    if not detail.may_record_session:
        raise PermissionDenied(
            "Only a partnership manager, or a manager or safeguarding lead for their own "
            "agency, may record a session."
        )
    form = SessionForm(request.POST, agencies=session_agencies(viewer=request.user))
    if form.is_valid():
        answers = form.cleaned_data
        try:
            session_record(
                briefing=detail.briefing,
                by=request.user,
                delivered_on=answers["delivered_on_date"],
                agency_id=answers["agency_id"],
                audience=answers["audience"],
                attendance=answers["attendance_count"],
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "Session recorded.")
            return redirect(detail.briefing)
    return _briefing_page(request, detail, form, status=400)


@require_safe
@never_cache
def briefing_pdf(request: SignedInRequest, pk: int) -> HttpResponse:
    """The briefing as one page of A4, to print for a team; each download an audited export."""
    detail = _detail_or_404(request, pk)
    record = detail.briefing
    pdf = dissemination.briefing_pdf(briefing=record)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        object_type="briefing",
        object_id=record.pk,
        detail={"format": "pdf", "title": record.title},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"7-minute-briefing-{record.pk}-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def reach(request: SignedInRequest) -> HttpResponse:
    """Reach by agency (the partnership and its review panel): sessions, attendance, briefings
    delivered and the last session, with the agencies not yet reached; ``?briefing=<pk>``
    for one briefing."""
    if not request.user.has_perm(VIEW_CASE_REVIEWS):
        raise PermissionDenied("Only the partnership and its review panel may see reach.")
    text = request.GET.get("briefing") or ""
    if text and not text.isdigit():
        raise Http404("No briefing has this id.")
    try:
        result = briefing_reach(viewer=request.user, briefing_id=int(text) if text else None)
    except Briefing.DoesNotExist:
        raise Http404("No briefing has this id.") from None
    return render(
        request,
        "learning/reach.html",
        {
            "reach": result,
            "briefings": Briefing.objects.order_by("title").only("pk", "title"),
            "chosen": result.briefing.pk if result.briefing else None,
        },
    )
