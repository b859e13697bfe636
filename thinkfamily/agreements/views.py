"""The verbal agreement pages: the register, recording one, one agreement (with its share,
sign-off and review forms), the partnership's settings and the compliance figures.

Views parse, call a service or selector, and render. An agreement or
household the viewer may not see is a 404, like one that does not exist; a
refused form comes back (400) with each of the service's messages against
its question; an action the viewer may not take is a 403 with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import (
    ACT_ON_AGREEMENT,
    CHANGE_AGREEMENT_POLICY,
    RECORD_AGREEMENT,
    VIEW_AGREEMENT_COMPLIANCE,
    household_access_reason,
)
from thinkfamily.agreements.forms import PolicyForm, RecordAgreementForm, ReviewForm, ShareForm
from thinkfamily.agreements.models import AgreementPolicy, VerbalAgreement
from thinkfamily.agreements.selectors import (
    agreement_compliance,
    agreement_detail,
    agreement_network,
    agreement_register,
)
from thinkfamily.agreements.services import (
    agreement_policy_update,
    agreement_record,
    agreement_review,
    agreement_share,
    agreement_sign_off,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.people.models import Household, Person, people_visible_among
from thinkfamily.people.views import SignedInRequest


@require_safe
def register(request: SignedInRequest) -> HttpResponse:
    """The agency's verbal agreements: reviews overdue and due, shared with nobody, awaiting
    sign-off."""
    user = request.user
    return render(
        request,
        "agreements/register.html",
        {
            "register": agreement_register(viewer=user),
            "today": timezone.localdate(),
            "may_change_policy": user.has_perm(CHANGE_AGREEMENT_POLICY),
            "may_see_compliance": user.has_perm(VIEW_AGREEMENT_COMPLIANCE),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def agreement_new(request: SignedInRequest) -> HttpResponse:
    """Record a verbal agreement with the family living in ``?household=``; the partnership's
    local expectations are shown beside the form."""
    text = request.GET.get("household") or ""
    household = Household.objects.filter(pk=int(text)).first() if text.isdigit() else None
    if household is None or household_access_reason(request.user, household) is None:
        raise Http404("No family you may see has this id.")
    if not request.user.has_perm(RECORD_AGREEMENT, household):
        raise PermissionDenied("You may not record a verbal agreement for this family.")
    today = timezone.localdate()
    living = Person.objects.filter(
        memberships__household=household, memberships__end_date__isnull=True
    ).distinct()
    may_see = people_visible_among(request.user, [p.pk for p in living])
    people = sorted((p for p in living if p.pk in may_see), key=lambda p: p.given_name)
    policy = AgreementPolicy.current()
    form = RecordAgreementForm(
        request.POST if request.method == "POST" else None,
        adults=[p for p in people if not p.is_child_on(today)],
        children=[p for p in people if p.is_child_on(today)],
        max_weeks=policy.max_weeks_to_review,
    )
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW_HOUSEHOLD,
        object_type="household",
        object_id=household.pk,
        reason=household_access_reason(request.user, household) or "",
        detail={"for": "recording a verbal agreement"},
    )
    status = 200
    if form.is_valid():
        try:
            agreement = agreement_record(
                by=request.user,
                household=household,
                made_with_ids=form.ids("made_with"),
                children_ids=form.ids("children"),
                agreed=form.cleaned_data["agreed"],
                need=form.cleaned_data["need"],
                if_not_kept=form.cleaned_data["if_not_kept"],
                made_on=form.cleaned_data["made_on_date"],
                review_on=form.cleaned_data["review_on_date"],
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "Verbal agreement recorded.")
            return redirect(agreement)
    if form.errors:
        status = 400
    return render(
        request,
        "agreements/new.html",
        {"form": form, "household": household, "policy": policy},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def agreement(request: SignedInRequest, pk: int) -> HttpResponse:
    """One agreement; its share, sign-off and review forms for those who may use them."""
    try:
        detail = agreement_detail(agreement_id=pk, viewer=request.user)
    except VerbalAgreement.DoesNotExist:
        raise Http404("No verbal agreement you may see has this id.") from None
    record = detail.agreement
    may_share = request.user.has_perm(ACT_ON_AGREEMENT, record)
    network = agreement_network(agreement=record, viewer=request.user) if may_share else []
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if action else None
    share_form = ShareForm(data if action == "share" else None, network=network, prefix="share")
    review_form = ReviewForm(data if action == "review" else None, prefix="review")
    if action in ("share", "review") and not may_share:
        raise PermissionDenied("Only staff of the agency that recorded this agreement may do this.")
    if action == "sign_off" and not detail.may_sign_off:
        raise PermissionDenied(
            "Only a manager or designated safeguarding lead of the recording agency, other than "
            "the person who recorded it, may sign off an agreement awaiting sign-off."
        )
    refusal = ""
    try:
        if action == "share" and share_form.is_valid():
            agreement_share(
                agreement=record,
                by=request.user,
                person_id=share_form.person_id(),
                how=share_form.cleaned_data["how"],
                shared_on=share_form.cleaned_data["shared_on_date"],
            )
            messages.success(request, "Sharing recorded.")
            return redirect(record)
        if action == "review" and review_form.is_valid():
            answers = review_form.cleaned_data
            agreement_review(
                agreement=record,
                by=request.user,
                outcome=answers["outcome"],
                note=answers["note"],
                reviewed_on=answers["reviewed_on_date"],
                next_review_on=answers["next_review_on_date"],
            )
            messages.success(request, "Review recorded.")
            return redirect(record)
        if action == "sign_off":
            agreement_sign_off(agreement=record, by=request.user)
            messages.success(request, "Agreement signed off.")
            return redirect(record)
    except ApplicationError as error:
        if error.extra:
            errors_onto_form(share_form if action == "share" else review_form, error)
        else:
            refusal = error.message
    status = 400 if refusal or share_form.errors or review_form.errors else 200
    return render(
        request,
        "agreements/agreement.html",
        {
            "detail": detail,
            "agreement": record,
            "share_form": share_form,
            "review_form": review_form,
            "refusal": refusal,
            "error_form": {"share": share_form, "review": review_form}.get(action),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def policy(request: SignedInRequest) -> HttpResponse:
    """The partnership's settings for verbal agreements (partnership managers only)."""
    if not request.user.has_perm(CHANGE_AGREEMENT_POLICY):
        raise PermissionDenied("Only partnership managers may change these settings.")
    current = AgreementPolicy.current()
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={
            "max_weeks_to_review": current.max_weeks_to_review,
            "sign_off_required": "yes" if current.sign_off_required else "no",
            "local_expectations": current.local_expectations,
        },
    )
    if form.is_valid():
        try:
            agreement_policy_update(
                by=request.user,
                max_weeks_to_review=form.cleaned_data["max_weeks_to_review"],
                sign_off_required=form.cleaned_data["sign_off_required"] == "yes",
                local_expectations=form.cleaned_data["local_expectations"],
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("agreements:policy")
    return render(
        request,
        "agreements/policy.html",
        {"form": form, "policy": current},
        status=400 if form.errors else 200,
    )


@require_safe
def compliance(request: SignedInRequest) -> HttpResponse:
    """By recording agency and month: agreements naming a need, shared, reviewed on time."""
    if not request.user.has_perm(VIEW_AGREEMENT_COMPLIANCE):
        raise PermissionDenied("Only partnership managers may see agreement compliance.")
    return render(
        request, "agreements/compliance.html", {"rows": agreement_compliance(viewer=request.user)}
    )
