"""Finding a person and seeing them: their records, households, visibility and chronology.

The whole-family page of a household is in ``families``.

Each view parses the request, asks a selector (which decides what the viewer
may see and writes the audit entry), and renders. A person or household the
viewer may not see is a 404, exactly like one that does not exist, so a page
never confirms that somebody is on the record.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from thinkfamily.accounts.backends import RECORD_CONCERN
from thinkfamily.accounts.models import User
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
        },
    )
