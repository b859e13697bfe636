"""Clerical review, merges and parallel records.

Each view asks the access backend (``request.user.has_perm``) first: the
review and merge pages are for children's social care and partnership
managers, and to anyone else they answer 404, as a person page does, so
they do not even confirm the pages exist. Then the view parses the form,
calls a service or selector, and renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from thinkfamily.accounts.backends import REVIEW_CANDIDATE, UNDO_MERGE, VIEW_PARALLEL_RECORDS
from thinkfamily.core.errors import ApplicationError
from thinkfamily.matching.forms import CandidateDecisionForm, MergeUndoForm
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.selectors import (
    candidate_detail,
    candidates_for_review,
    merge_undo_preview,
    merges_recent,
    parallel_records_for,
)
from thinkfamily.matching.services import (
    candidate_confirm,
    candidate_defer,
    candidate_reject,
    merge_undo,
)
from thinkfamily.people.views import SignedInRequest

_NOT_FOUND = "No page you may see is here."


@require_safe
def review_list(request: SignedInRequest) -> HttpResponse:
    if not request.user.has_perm(REVIEW_CANDIDATE):
        raise Http404(_NOT_FOUND)
    candidates = candidates_for_review(viewer=request.user)
    return render(request, "matching/review_list.html", {"candidates": candidates})


@require_http_methods(["GET", "HEAD", "POST"])
def candidate(request: SignedInRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(REVIEW_CANDIDATE):
        raise Http404(_NOT_FOUND)
    pair = get_object_or_404(CandidatePair, pk=pk)
    if not request.user.has_perm(REVIEW_CANDIDATE, pair):
        raise Http404(_NOT_FOUND)
    form = CandidateDecisionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
        try:
            if decision == CandidateDecisionForm.CONFIRM:
                merge = candidate_confirm(candidate=pair, by=request.user, note=note)
                messages.success(request, "The two records are now one person.")
                return redirect(merge.survivor)
            if decision == CandidateDecisionForm.REJECT:
                candidate_reject(candidate=pair, by=request.user, note=note)
                messages.success(request, "Recorded as different people.")
            else:
                candidate_defer(candidate=pair, by=request.user, note=note)
                messages.success(request, "Deferred: the pair stays on the list.")
            return redirect("matching:review")
        except ApplicationError as error:
            form.add_error(None, error.message)
        pair.refresh_from_db()
    detail = candidate_detail(candidate=pair, viewer=request.user)
    return render(
        request,
        "matching/candidate.html",
        {"detail": detail, "candidate": pair, "form": form},
    )


@require_safe
def merges(request: SignedInRequest) -> HttpResponse:
    if not request.user.has_perm(UNDO_MERGE):
        raise Http404(_NOT_FOUND)
    return render(request, "matching/merges.html", {"merges": merges_recent(viewer=request.user)})


@require_http_methods(["GET", "HEAD", "POST"])
def merge_undo_page(request: SignedInRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(UNDO_MERGE):
        raise Http404(_NOT_FOUND)
    merge = get_object_or_404(Merge, pk=pk)
    if not request.user.has_perm(UNDO_MERGE, merge):
        raise Http404(_NOT_FOUND)
    form = MergeUndoForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            restored = merge_undo(merge=merge, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Merge undone: {restored} and {merge.survivor} are two people again.",
            )
            return redirect("matching:merges")
        merge.refresh_from_db()
    preview = merge_undo_preview(merge=merge, viewer=request.user)
    return render(request, "matching/merge_undo.html", {"preview": preview, "form": form})


@require_safe
def parallel_records(request: SignedInRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PARALLEL_RECORDS):
        raise Http404(_NOT_FOUND)
    people = parallel_records_for(viewer=request.user)
    return render(request, "matching/parallel_records.html", {"people": people})
