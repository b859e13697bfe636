"""Worklists of prompts, one prompt and its answer, the invisible-children report,
response rates, and the form for recording a concern.

Views parse, call a service or selector, and render. A prompt the viewer may
not read is a 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import RECORD_CONCERN, VIEW_PERSON, VIEW_RESPONSE_RATES
from thinkfamily.core.errors import ApplicationError
from thinkfamily.people.models import Person
from thinkfamily.people.views import SignedInRequest
from thinkfamily.prompts.forms import ConcernForm, PromptAnswerForm
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.selectors import (
    agency_worklist,
    invisible_children,
    prompt_detail,
    prompt_to_answer,
    referrals_for_answer,
    response_rates,
)
from thinkfamily.prompts.services import concern_record, prompt_answer

_NOT_FOUND = "No prompt you may see has this id."


@require_safe
def worklist(request: SignedInRequest) -> HttpResponse:
    overdue_only = request.GET.get("show") == "overdue"
    rows = agency_worklist(viewer=request.user, overdue_only=overdue_only)
    return render(
        request,
        "prompts/worklist.html",
        {
            "rows": rows,
            "overdue_only": overdue_only,
            "overdue_count": sum(row.overdue for row in rows),
            "rules": think_sibling_rules(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def prompt(request: SignedInRequest, pk: int) -> HttpResponse:
    referrals = referrals_for_answer(prompt_id=pk, viewer=request.user)
    form = PromptAnswerForm(request.POST if request.method == "POST" else None, referrals=referrals)
    if form.is_valid():
        try:
            answered = prompt_answer(
                prompt=prompt_to_answer(prompt_id=pk, viewer=request.user),
                by=request.user,
                response=form.cleaned_data["response"],
                action_taken=form.cleaned_data["action_taken"],
                note=form.cleaned_data["note"],
                referral=form.chosen_referral(),
            )
        except Prompt.DoesNotExist:
            raise Http404(_NOT_FOUND) from None
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Answered: {answered.get_response_display()}.")
            return redirect("prompts:worklist")
    try:
        detail = prompt_detail(prompt_id=pk, viewer=request.user)
    except Prompt.DoesNotExist:
        raise Http404(_NOT_FOUND) from None
    return render(
        request,
        "prompts/prompt.html",
        {"detail": detail, "prompt": detail.prompt, "form": form},
        status=200 if not form.errors else 400,
    )


@require_safe
def invisible_children_page(request: SignedInRequest) -> HttpResponse:
    rows = invisible_children(viewer=request.user)
    return render(
        request,
        "prompts/invisible_children.html",
        {"rows": rows, "rules": think_sibling_rules()},
    )


@require_safe
def response_rates_page(request: SignedInRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_RESPONSE_RATES):
        raise Http404("Only partnership managers see response rates.")
    try:
        days = max(1, min(int(request.GET.get("days", "90")), 3650))
    except ValueError:
        days = 90
    since = timezone.localdate() - dt.timedelta(days=days)
    rows = response_rates(viewer=request.user, since=since)
    return render(
        request,
        "prompts/response_rates.html",
        {"rows": rows, "since": since, "days": days, "rules": think_sibling_rules()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def concern_new(request: SignedInRequest, pk: int) -> HttpResponse:
    person = Person.objects.filter(pk=pk).first()
    if person is None or not request.user.has_perm(VIEW_PERSON, person):
        raise Http404("No person you may see has this id.")
    if not request.user.has_perm(RECORD_CONCERN, person):
        raise PermissionDenied("Your role may not record concerns.")
    initial = {"occurred_on": timezone.localdate().isoformat(), "restricted": "no"}
    form = ConcernForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            result = concern_record(
                person=person,
                by=request.user,
                occurred_at=form.occurred_at(),
                category=form.cleaned_data["category"],
                summary=form.cleaned_data["summary"],
                seen_in_person=form.cleaned_data["seen_in_person"] == "yes",
                restricted=form.cleaned_data["restricted"] == "yes",
            )
        except ApplicationError as error:
            for field, message in error.extra.items():
                form.add_error(field if field in form.fields else None, str(message))
            if not error.extra:
                form.add_error(None, error.message)
        else:
            prompted = len(result.prompts.created) + len(result.prompts.added_to)
            messages.success(
                request,
                f"Concern recorded. {prompted} other child{'ren' if prompted != 1 else ''} in "
                "the family will be considered by the agencies that know them."
                if prompted
                else "Concern recorded.",
            )
            return redirect(person)
    return render(
        request,
        "prompts/concern_new.html",
        {"person": person, "form": form},
        status=200 if not form.errors else 400,
    )
