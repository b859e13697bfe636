"""The register of case reviews: the list, adding a review by hand or from its published
document, one review, its integrated chronology, its publication, a recommendation with its
action plan and indicators, an action with its evidence and checks, the overdue lists and
the list of indicators.

Views parse, call a service or selector, and render. The register is the
partnership's: anyone who may not see it gets a 404, as if it did not exist;
an action the viewer may see but not take is a 403 with the reason; a refused
form comes back (400) with each of the service's messages against its field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import (
    CHECK_COMPLIANCE,
    MANAGE_CASE_REVIEWS,
    UPDATE_PLAN_ACTION,
    VIEW_CASE_REVIEWS,
    VIEW_PLAN_ACTION,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.learning import selectors, services
from thinkfamily.learning.forms import (
    ActionForm,
    CheckForm,
    ConfirmForm,
    EvidenceForm,
    IndicatorsForm,
    IngestForm,
    PublicationForm,
    RagForm,
    RecommendationForm,
    ReviewForm,
)
from thinkfamily.learning.indicators import INDICATORS
from thinkfamily.learning.ingest import IngestError, draft_from_bytes
from thinkfamily.learning.models import CaseReview, Evidence, PlanAction, Recommendation
from thinkfamily.people.views import SignedInRequest


def _register_or_404(request: SignedInRequest) -> None:
    if not request.user.has_perm(VIEW_CASE_REVIEWS):
        raise Http404


def _manager_or_403(request: SignedInRequest) -> None:
    if not request.user.has_perm(MANAGE_CASE_REVIEWS):
        raise PermissionDenied("Only a partnership manager may change the register.")


def _review_or_404(request: SignedInRequest, pk: int) -> CaseReview:
    _register_or_404(request)
    return get_object_or_404(CaseReview, pk=pk)


def _audit_view(request: SignedInRequest, obj: object, **detail: object) -> None:
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW_REVIEW,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "pk", ""),
        reason=f"role: {request.user.get_role_display()}",
        detail=dict(detail),
    )


def _review_fields(form: ReviewForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "kind": data.get("kind") or "",
        "title": data.get("title") or "",
        "child_pseudonym": data.get("child_pseudonym") or "",
        "dates": services.ReviewDates(
            **{name: data.get(f"{name}_date") for name in ReviewForm.DATE_FIELDS}
        ),
        "agency_ids": [int(pk) for pk in data.get("agencies") or ()],
        "themes": list(data.get("themes") or ()),
        "subject_id": data.get("subject"),
    }


@require_safe
def register(request: SignedInRequest) -> HttpResponse:
    """Every review, its clocks and its plan's progress; what is overdue, at the top."""
    _register_or_404(request)
    kind = request.GET.get("kind", "")
    rows = selectors.register_rows(kind=kind if kind in CaseReview.Kind.values else "")
    overdue = selectors.overdue_lists(viewer=request.user)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="case_review_register",
        detail={"reviews": len(rows)},
    )
    return render(
        request,
        "learning/register.html",
        {"rows": rows, "overdue": overdue, "kinds": CaseReview.Kind.choices, "kind": kind},
    )


@require_http_methods(["GET", "POST"])
def review_new(request: SignedInRequest) -> HttpResponse:
    """Enter a review by hand: a notification as soon as an incident is known."""
    _register_or_404(request)
    _manager_or_403(request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_record(
                by=request.user,
                reference=form.cleaned_data.get("reference") or "",
                **_review_fields(form),
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, f"{review.reference} is on the register.")
            return redirect(review)
    status = 400 if request.method == "POST" else 200
    return render(request, "learning/review_form.html", {"form": form, "new": True}, status=status)


@require_http_methods(["GET", "POST"])
def review_ingest(request: SignedInRequest) -> HttpResponse:
    """Draft a register entry from a published review: a person then confirms it."""
    _register_or_404(request)
    _manager_or_403(request)
    form = IngestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["document"]
        try:
            draft = draft_from_bytes(document.read(), filename=document.name or "review")
            review = services.review_draft_record(
                by=request.user,
                draft=draft,
                reference=form.cleaned_data.get("reference") or "",
                kind=form.cleaned_data.get("kind") or "",
                source_name=document.name or "",
            )
        except IngestError as error:
            form.add_error("document", str(error))
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(
                request,
                f"Drafted {len(draft.recommendations)} recommendations, {len(draft.lessons)} "
                f"lessons and {len(draft.findings)} findings from {document.name}. Check them "
                "against the document, then confirm.",
            )
            return redirect(review)
    status = 400 if request.method == "POST" else 200
    return render(request, "learning/ingest.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def review(request: SignedInRequest, pk: int) -> HttpResponse:
    """One review: its clocks, findings, lessons, recommendations and their progress.

    A draft from a document shows what was read from it and the form to confirm it.
    """
    review = _review_or_404(request, pk)
    confirm_form = ConfirmForm(request.POST or None)
    if request.method == "POST":
        _manager_or_403(request)
        if confirm_form.is_valid():
            try:
                services.review_confirm(
                    review=review,
                    by=request.user,
                    child_pseudonym=confirm_form.cleaned_data.get("child_pseudonym") or "",
                )
            except ApplicationError as error:
                errors_onto_form(confirm_form, error)
            else:
                messages.success(request, f"{review.reference} is confirmed on the register.")
                return redirect(review)
    _audit_view(request, review)
    detail = selectors.review_detail(review=review)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "learning/review.html",
        {"detail": detail, "review": review, "confirm_form": confirm_form},
        status=status,
    )


def _review_initial(review: CaseReview) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "reference": review.reference,
        "kind": review.kind,
        "status": review.status,
        "title": review.title,
        "child_pseudonym": review.child_pseudonym,
        "subject": review.subject_id or "",
        "agencies": [str(pk) for pk in review.agencies.values_list("pk", flat=True)],
        "themes": list(review.themes),
    }
    for name in ReviewForm.DATE_FIELDS:
        day = getattr(review, name)
        initial[name] = f"{day.day} {day.month} {day.year}" if day else ""
    return initial


@require_http_methods(["GET", "POST"])
def review_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _manager_or_403(request)
    form = ReviewForm(request.POST or None, initial=_review_initial(review), with_status=True)
    form.fields["reference"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.review_update(
                review=review,
                by=request.user,
                status=form.cleaned_data.get("status") or "",
                **_review_fields(form),
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, f"{review.reference} is updated.")
            return redirect(review)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "learning/review_form.html", {"form": form, "review": review}, status=status
    )


@require_safe
def review_chronology(request: SignedInRequest, pk: int) -> HttpResponse:
    """The integrated multi-agency chronology for the review period, as the viewer may read it."""
    review = _review_or_404(request, pk)
    chronology = selectors.review_chronology(review=review, viewer=request.user)
    _audit_view(
        request, review, chronology=True, events=len(chronology.entries), hidden=chronology.hidden
    )
    return render(request, "learning/chronology.html", {"review": review, "chronology": chronology})


@require_http_methods(["GET", "POST"])
def publication(request: SignedInRequest, pk: int) -> HttpResponse:
    """Choose what of the review the public page shows, and publish or withdraw it."""
    review = _review_or_404(request, pk)
    _manager_or_403(request)
    initial = {
        "published": "yes" if review.is_published else "no",
        "public_title": review.public_title,
        "public_summary": review.public_summary,
        "items": [str(i.pk) for i in review.items.all() if i.is_published],
        "recommendations": [str(r.pk) for r in review.recommendations.all() if r.is_published],
    } | {f"progress_{r.pk}": r.public_progress for r in review.recommendations.all()}
    form = PublicationForm(request.POST or None, initial=initial, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_publish(
                review=review,
                by=request.user,
                public_title=form.cleaned_data.get("public_title") or "",
                public_summary=form.cleaned_data.get("public_summary") or "",
                published_item_ids=[int(pk) for pk in form.cleaned_data.get("items") or ()],
                published_recommendation_ids=[
                    int(pk) for pk in form.cleaned_data.get("recommendations") or ()
                ],
                public_progress=form.public_progress(),
                published=form.cleaned_data.get("published") == "yes",
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(
                request,
                f"{review.reference} is published."
                if form.cleaned_data.get("published") == "yes"
                else f"{review.reference} is not published.",
            )
            return redirect(review)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "learning/publication.html", {"form": form, "review": review}, status=status
    )


@require_http_methods(["GET", "POST"])
def recommendation(request: SignedInRequest, pk: int) -> HttpResponse:
    """A recommendation: its action plan, the indicators that measure it, and their forms."""
    _register_or_404(request)
    recommendation = get_object_or_404(Recommendation.objects.select_related("review"), pk=pk)
    chosen = {c.indicator_code: c.target for c in recommendation.indicators.all()}
    forms_by_name: dict[str, Any] = {
        "text": RecommendationForm(
            initial={"text": recommendation.text, "addressees": recommendation.addressees}
        ),
        "action": ActionForm(),
        "indicators": IndicatorsForm(
            initial={"indicators": list(chosen)} | {f"target_{c}": t for c, t in chosen.items()},
            recommendation=recommendation,
        ),
    }
    status = 200
    if request.method == "POST":
        _manager_or_403(request)
        which = request.POST.get("form", "")
        try:
            if which == "action":
                form = forms_by_name["action"] = ActionForm(request.POST)
                if form.is_valid():
                    services.action_add(
                        recommendation=recommendation,
                        by=request.user,
                        description=form.cleaned_data.get("description") or "",
                        owner_agency_id=int(form.cleaned_data.get("owner_agency") or 0) or None,
                        owner_username=form.cleaned_data.get("owner") or "",
                        due_on=form.cleaned_data.get("due_on_date"),
                    )
                    messages.success(request, "The action is added to the plan.")
                    return redirect(recommendation)
            elif which == "indicators":
                form = forms_by_name["indicators"] = IndicatorsForm(
                    request.POST, recommendation=recommendation
                )
                if form.is_valid():
                    services.recommendation_indicators_set(
                        recommendation=recommendation, by=request.user, targets=form.targets()
                    )
                    messages.success(request, "The indicators are saved.")
                    return redirect(recommendation)
            elif which == "text":
                form = forms_by_name["text"] = RecommendationForm(request.POST)
                if form.is_valid():
                    services.recommendation_update(
                        recommendation=recommendation,
                        by=request.user,
                        text=form.cleaned_data.get("text") or "",
                        addressees=list(form.cleaned_data.get("addressees") or ()),
                    )
                    messages.success(request, "The recommendation is saved.")
                    return redirect(recommendation)
            else:
                raise Http404
        except ApplicationError as error:
            errors_onto_form(form, error)
        status = 400
    _audit_view(request, recommendation)
    detail = selectors.recommendation_detail(recommendation=recommendation)
    return render(
        request,
        "learning/recommendation.html",
        {"recommendation": recommendation, "detail": detail, "forms": forms_by_name},
        status=status,
    )


@require_safe
def actions(request: SignedInRequest) -> HttpResponse:
    """Overdue clocks, actions and compliance checks; and the viewer's agency's open actions."""
    overdue = selectors.overdue_lists(viewer=request.user)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="plan_actions",
        detail={
            "overdue_actions": len(overdue.actions),
            "agency_actions": len(overdue.agency_actions),
        },
    )
    return render(
        request,
        "learning/actions.html",
        {"overdue": overdue, "sees_register": request.user.has_perm(VIEW_CASE_REVIEWS)},
    )


@require_http_methods(["GET", "POST"])
def action(request: SignedInRequest, pk: int) -> HttpResponse:
    """An action: its status, evidence and checks; the owner's and the checker's forms."""
    action = get_object_or_404(PlanAction.objects.select_related("recommendation__review"), pk=pk)
    if not request.user.has_perm(VIEW_PLAN_ACTION, action):
        raise Http404
    forms_by_name: dict[str, Any] = {
        "rag": RagForm(initial={"rag": action.rag}),
        "evidence": EvidenceForm(),
        "check": CheckForm(),
    }
    status = 200
    if request.method == "POST":
        which = request.POST.get("form", "")
        if which in ("rag", "evidence") and not request.user.has_perm(UPDATE_PLAN_ACTION, action):
            raise PermissionDenied(
                "Only the owning agency's managers, the action's owner or a partnership manager "
                "may update this action."
            )
        if which == "check" and not request.user.has_perm(CHECK_COMPLIANCE):
            raise PermissionDenied("Only a partnership manager or a reviewer may record a check.")
        try:
            if which == "rag":
                form = forms_by_name["rag"] = RagForm(request.POST)
                if form.is_valid():
                    services.action_update(
                        action=action, by=request.user, rag=form.cleaned_data.get("rag") or ""
                    )
                    messages.success(request, "The action's status is saved.")
                    return redirect(action)
            elif which == "evidence":
                form = forms_by_name["evidence"] = EvidenceForm(request.POST, request.FILES)
                if form.is_valid():
                    services.evidence_add(
                        action=action,
                        by=request.user,
                        kind=form.cleaned_data.get("kind") or "",
                        text=form.cleaned_data.get("text") or "",
                        url=form.cleaned_data.get("url") or "",
                        upload=form.cleaned_data.get("file"),
                    )
                    messages.success(request, "The evidence is added.")
                    return redirect(action)
            elif which == "check":
                form = forms_by_name["check"] = CheckForm(request.POST)
                if form.is_valid():
                    services.compliance_check_record(
                        action=action,
                        by=request.user,
                        checked_on=form.cleaned_data.get("checked_on_date"),
                        result=form.cleaned_data.get("result") or "",
                        note=form.cleaned_data.get("note") or "",
                        next_check_on=form.cleaned_data.get("next_check_on_date"),
                    )
                    messages.success(request, "The compliance check is recorded.")
                    return redirect(action)
            else:
                raise Http404
        except ApplicationError as error:
            errors_onto_form(form, error)
        status = 400
    _audit_view(request, action)
    return render(
        request,
        "learning/action.html",
        {
            "row": selectors.action_detail(action=action),
            "forms": forms_by_name,
            "may_update": request.user.has_perm(UPDATE_PLAN_ACTION, action),
            "may_check": request.user.has_perm(CHECK_COMPLIANCE),
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_safe
def evidence_file(request: SignedInRequest, pk: int) -> FileResponse:
    """An uploaded evidence file, to those who may see its action; downloaded, never rendered."""
    evidence = get_object_or_404(Evidence.objects.select_related("action"), pk=pk, kind="file")
    if not request.user.has_perm(VIEW_PLAN_ACTION, evidence.action):
        raise Http404
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        object_type="evidence",
        object_id=evidence.pk,
        detail={"action": evidence.action_id},
    )
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name or "evidence"
    )


@require_safe
def indicators(request: SignedInRequest) -> HttpResponse:
    """Every indicator defined, with its figure now against its default target and its trend."""
    _register_or_404(request)
    views = [selectors.indicator_view(code=code) for code in INDICATORS]
    return render(request, "learning/indicators.html", {"indicators": views})
