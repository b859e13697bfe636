"""The published findings, open to everyone without signing in, and search across the learning
for signed-in staff.

The public pages are exempt from the sign-in every other page needs
(``login_not_required``) and read only through ``learning.public``, which
reads only the fields written for publication. A review that is not
published is a 404 there, exactly like one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from thinkfamily.accounts.backends import VIEW_BRIEFINGS
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.learning.dissemination import partnership_name
from thinkfamily.learning.forms_briefings import LearningSearchForm
from thinkfamily.learning.models import CaseReview
from thinkfamily.learning.public import published_review, published_reviews
from thinkfamily.learning.search import learning_search
from thinkfamily.learning.vocabulary import THEMES
from thinkfamily.people.views import SignedInRequest


@login_not_required
@require_safe
def public(request: HttpRequest) -> HttpResponse:
    """Every review the partnership has published: what it found and how the change is going."""
    return render(
        request,
        "learning/public.html",
        {"reviews": published_reviews(), "partnership": partnership_name()},
    )


@login_not_required
@require_safe
def public_review(request: HttpRequest, pk: int) -> HttpResponse:
    """One published review: its summary, published findings and lessons, and recommendations
    with their progress."""
    try:
        review = published_review(review_id=pk)
    except CaseReview.DoesNotExist:
        raise Http404("No published review has this id.") from None
    return render(
        request,
        "learning/public_review.html",
        {"review": review, "partnership": partnership_name()},
    )


@require_safe
def search(request: SignedInRequest) -> HttpResponse:
    """Search the learning by words and themes; each search is recorded in the audit trail
    with what was asked and how many results it gave."""
    if not request.user.has_perm(VIEW_BRIEFINGS):
        raise PermissionDenied("Searching the learning is for staff of the partnership's agencies.")
    form = LearningSearchForm(request.GET)
    form.is_valid()  # unknown themes and overlong words are left out, not refused
    query = form.cleaned_data.get("q") or ""
    themes = [key for key in request.GET.getlist("theme") if key in THEMES]
    found = learning_search(viewer=request.user, query=query, themes=themes)
    if found.searched:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.SEARCH,
            object_type="case_review",
            detail={
                "query": found.query,
                "themes": found.themes,
                "results": len(found.results),
                "scope": "register" if found.whole_register else "published",
            },
        )
    return render(
        request,
        "learning/search.html",
        {"found": found, "form": form},
    )
