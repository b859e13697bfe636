"""Finding a person and seeing them: their records, households, visibility and chronology.

The whole-family page of a household is in ``families``.

Each view parses the request, asks a selector (which decides what the viewer
may see and writes the audit entry), and renders. A person or household the
viewer may not see is a 404, exactly like one that does not exist, so a page
never confirms that somebody is on the record.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import (
    BREAK_GLASS_REASON_PREFIX,
    OPEN_BREAK_GLASS,
    RECORD_CONCERN,
    REVIEW_BREAK_GLASS,
)
from thinkfamily.accounts.break_glass import (
    break_glass_open_by_identifier,
    break_glass_review,
    break_glass_reviews_for,
)
from thinkfamily.accounts.models import BreakGlassAccess, User
from thinkfamily.accounts.policy import break_glass_hours
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.people.models import Person
from thinkfamily.people.selectors import (
    SEARCH_RESULTS_LIMIT,
    person_detail,
    person_search,
)
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.selectors import prompts_about
from thinkfamily.prompts.visibility import visibility_of


class SignedInRequest(HttpRequest):
    """A request that has passed LoginRequiredMiddleware, so its user has signed in."""

    user: User


@require_safe
def search(request: SignedInRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    people = person_search(query=query, viewer=request.user)
    return render(
        request,
        "people/search.html",
        {
            "query": query,
            "results": people,
            "limited": len(people) >= SEARCH_RESULTS_LIMIT,
            "limit": SEARCH_RESULTS_LIMIT,
        },
    )


@require_safe
def person(request: SignedInRequest, pk: int) -> HttpResponse:
    try:
        detail = person_detail(person_id=pk, viewer=request.user)
    except Person.DoesNotExist:
        raise Http404("No person you may see has this id.") from None
    person = detail.person
    today = timezone.localdate()
    return render(
        request,
        "people/person.html",
        {
            "detail": detail,
            "person": person,
            "visibility": visibility_of(
                [person],
                today=today,
                preschool_below_age=think_sibling_rules().preschool_below_age,
            )[person.pk],
            "open_prompts": prompts_about(person=person, viewer=request.user, today=today),
            "may_record_concern": request.user.has_perm(RECORD_CONCERN, person),
            "break_glass": detail.access_reason.startswith(BREAK_GLASS_REASON_PREFIX),
        },
    )


class BreakGlassForm(forms.Form):
    identifier = forms.CharField(
        label="Think Family number, NHS number or unique pupil number",
        required=False,
        max_length=20,
    )
    reason = forms.CharField(
        label="Why must you see this record now?",
        help_text="Your managers read this. Say what has happened and why it cannot wait.",
        required=False,
        widget=forms.Textarea,
        max_length=2000,
    )


@require_http_methods(["GET", "POST"])
def break_glass(request: SignedInRequest) -> HttpResponse:
    """Open the record of someone your agency does not know, for a reason, for a few hours.

    Whether anyone has the number typed is said only after a reason has been
    given and recorded, and a sealed person is "not found" like nobody. Roles
    that may never break glass (auditors, system administrators) are refused
    the form itself.
    """
    if not request.user.has_perm(OPEN_BREAK_GLASS):
        raise PermissionDenied("Only staff who work on cases may open a record by break-glass.")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opening = break_glass_open_by_identifier(
                user=request.user,
                identifier=form.cleaned_data["identifier"] or "",
                reason=form.cleaned_data["reason"] or "",
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.warning(
                request,
                f"You have opened this record by break-glass for {break_glass_hours()} hours. "
                "Every look is recorded, and your managers will review it.",
            )
            return redirect(opening.person)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "people/break_glass.html",
        {"form": form, "hours": break_glass_hours()},
        status=status,
    )


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was it justified?",
        choices=BreakGlassAccess.Outcome.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea)


@require_safe
def break_glass_reviews(request: SignedInRequest) -> HttpResponse:
    """The break-glass openings by the agency's staff, unreviewed first, for its managers."""
    if not request.user.has_perm(REVIEW_BREAK_GLASS):
        raise Http404
    openings = list(break_glass_reviews_for(viewer=request.user)[:200])
    return render(
        request,
        "people/break_glass_reviews.html",
        {"openings": openings, "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
def break_glass_opening(request: SignedInRequest, pk: int) -> HttpResponse:
    """One opening, and the manager's review of it."""
    opening = get_object_or_404(break_glass_reviews_for(viewer=request.user), pk=pk)
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_review(
                opening=opening,
                by=request.user,
                outcome=form.cleaned_data["outcome"] or "",
                note=form.cleaned_data["note"] or "",
            )
        except ApplicationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, "The review is recorded.")
            return redirect("people:break_glass_reviews")
    return render(
        request,
        "people/break_glass_opening.html",
        {"opening": opening, "form": form},
        status=400 if request.method == "POST" else 200,
    )
