"""The referral pages: making a referral, one referral and its next step, and the worklist.

Views parse, call a service or selector, and render. A referral, child or
household the viewer may not see is a 404, like one that does not exist.
A step that is refused shows why in the error summary, never a 500: 400 for
an answer that is incomplete (each message against its question), 403 for a
step the viewer may not take, 409 for a page overtaken by someone else's step.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import REFERRAL_HANDLING_ROLES
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.people.models import Household, Person
from thinkfamily.people.views import SignedInRequest
from thinkfamily.referrals.forms import STEP_FORMS, MakeReferralForm, StepForm
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.selectors import (
    STEPS_BY_NAME,
    NextStep,
    may_refer,
    referral_detail,
    referral_start,
    referral_worklist,
    referrals_made,
)
from thinkfamily.referrals.services import (
    referral_acknowledge,
    referral_close,
    referral_confirm_family_awareness,
    referral_decide,
    referral_make,
    referral_manager_confirm,
    referral_record_visit_intention,
)

_NOT_FOUND = "No referral you may see has this id."

#: The service each step's form calls, by the step's name.
_SERVICES: dict[str, Callable[..., Referral]] = {
    "manager_confirm": referral_manager_confirm,
    "acknowledge": referral_acknowledge,
    "confirm_awareness": referral_confirm_family_awareness,
    "decide": referral_decide,
    "record_visit_intention": referral_record_visit_intention,
    "close": referral_close,
}

#: The banner after each step.
_DONE = {
    "manager_confirm": "Confirmed. The referral has been sent to children's social care.",
    "acknowledge": "Referral acknowledged to the referrer.",
    "confirm_awareness": "Family's awareness confirmed with the referrer.",
    "decide": "Decision recorded for each child.",
    "record_visit_intention": "Visit intention recorded.",
    "close": "Referral closed. The referrer can now see the outcome.",
}


# ---------------------------------------------------------------------------
# Making a referral


def _start_ids(query: QueryDict) -> tuple[int | None, int | None]:
    """The household or child a referral starts from (``?household=`` or ``?person=``)."""

    def number(name: str) -> int | None:
        text = query.get(name) or ""
        return int(text) if text.isdigit() else None

    return number("household"), number("person")


@require_http_methods(["GET", "HEAD", "POST"])
def referral_new(request: SignedInRequest) -> HttpResponse:
    """Make a referral about the children of a household (``?household=``) or of a child's
    homes (``?person=``): every child listed, kept unless the referrer says why not."""
    household_id, person_id = _start_ids(request.GET)
    if household_id is None and person_id is None:
        return HttpResponseBadRequest(
            "Start a referral from a child's page or their family's page (Make a referral)."
        )
    try:
        start = referral_start(viewer=request.user, household_id=household_id, person_id=person_id)
    except (Household.DoesNotExist, Person.DoesNotExist):
        raise Http404("No child or family you may see has this id.") from None
    if not start.children:
        return HttpResponseBadRequest("No child lives here now, so there is no one to refer.")
    if not any(may_refer(request.user, child) for child in start.children):
        raise PermissionDenied("You may not refer these children to children's social care.")
    form = MakeReferralForm(
        request.POST if request.method == "POST" else None, children=start.children
    )
    if form.is_valid():
        try:
            referral = referral_make(
                by=request.user,
                household=start.household,
                children=form.children_on_referral(),
                concerns=form.cleaned_data["concerns"],
                categories=form.cleaned_data["categories"],
                done_so_far=form.cleaned_data["done_so_far"],
                family_informed=form.family_informed_answer(),
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(
                request,
                "Waiting for a manager to confirm why the family was not told."
                if referral.status == Referral.Status.AWAITING_MANAGER
                else "Sent to children's social care.",
            )
            return redirect(referral)
    return render(
        request,
        "referrals/referral_new.html",
        {"start": start, "form": form},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------
# One referral and its next step


def _step_form(step: NextStep, referral: Referral, data: QueryDict | None = None) -> StepForm:
    return STEP_FORMS[step.name](data, referral=referral)


def _refusal_status(referral_id: int, step: NextStep, posted_version: int) -> int:
    """The status for a step the service refused as a whole: 409 when the referral has moved
    on from the page the step was posted from (a newer version, or another status); else
    403, the service having found that the user may not take it after all."""
    current = Referral.objects.get(pk=referral_id)
    if current.version != posted_version or current.status != step.from_status:
        return 409
    return 403


def _take_step(request: SignedInRequest, referral: Referral) -> tuple[StepForm | None, str, int]:
    """Take the posted step; answer (the form with its errors, a refusal, the status).

    Success is status 302 (the caller redirects), with no form.
    """
    step = STEPS_BY_NAME.get(request.POST.get("step", ""))
    if step is None:
        return None, "Choose a step from the referral page.", 400
    if not request.user.has_perm(step.perm, referral):
        return None, step.refusal, 403
    form = _step_form(step, referral, request.POST)
    if not form.is_valid():
        return form, "", 400
    version = form.cleaned_data["version"]
    try:
        _SERVICES[step.name](
            referral=referral, by=request.user, version=version, **form.arguments()
        )
    except ApplicationError as error:
        if error.extra:
            errors_onto_form(form, error)
            return form, "", 400
        return None, error.message, _refusal_status(referral.pk, step, version)
    messages.success(request, _DONE[step.name])
    return None, "", 302


@require_http_methods(["GET", "HEAD", "POST"])
def referral(request: SignedInRequest, pk: int) -> HttpResponse:
    """One referral: what was sent, what has happened, what is due, and the one next step the
    viewer may take (posted back here with the version the page showed)."""
    form: StepForm | None = None
    refusal = ""
    status = 200
    if request.method == "POST":
        visible = (
            Referral.objects.visible_to(request.user)
            .hiding_sealed_from(request.user)
            .filter(pk=pk)
            .first()
        )
        if visible is None:
            raise Http404(_NOT_FOUND)
        form, refusal, status = _take_step(request, visible)
        if status == 302:
            return redirect(visible)
    try:
        detail = referral_detail(referral_id=pk, viewer=request.user)
    except Referral.DoesNotExist:
        raise Http404(_NOT_FOUND) from None
    if form is None and detail.next_step and detail.may_take_next_step:
        # A fresh form at the referral's version now, also after a refused step.
        form = _step_form(detail.next_step, detail.referral)
    return render(
        request,
        "referrals/referral.html",
        {
            "detail": detail,
            "referral": detail.referral,
            "form": form,
            "form_step": STEPS_BY_NAME[form.step] if form else None,
            "refusal": refusal,
        },
        status=status,
    )


# ---------------------------------------------------------------------------
# The worklist


@require_safe
def worklist(request: SignedInRequest) -> HttpResponse:
    """Children's social care's open referrals, and the referrals the viewer's agency made."""
    today = timezone.localdate()
    received = referral_worklist(viewer=request.user, today=today)
    made = referrals_made(viewer=request.user)
    return render(
        request,
        "referrals/worklist.html",
        {
            "handles_referrals": request.user.role in REFERRAL_HANDLING_ROLES,
            "received": received,
            "overdue_count": sum(row.overdue for row in received),
            "made": made,
            "awaiting_you": sum(row.awaiting_you for row in made),
        },
    )
