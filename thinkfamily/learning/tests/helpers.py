"""The register for tests: a partnership, its managers and reviewers, and a review of "Child H"
drafted from the reference review in the shared folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.ingest import draft_from_file
from thinkfamily.learning.models import CaseReview, PlanAction, Recommendation
from thinkfamily.learning.services import ReviewDates, action_add, review_record
from thinkfamily.people.tests.factories import make_agency, make_user

#: The reference review, in the shared folder beside the project. Tests that need it fail
#: (never skip) when it is missing: see the setting THINKFAMILY_REFERENCE_REVIEW.
REFERENCE_REVIEW: Path = settings.THINKFAMILY_REFERENCE_REVIEW
assert REFERENCE_REVIEW.exists(), (
    f"The reference review is not at {REFERENCE_REVIEW}: set THINKFAMILY_REFERENCE_REVIEW"
)


def today() -> dt.date:
    return timezone.localdate()


def partnership_agency() -> Agency:
    return make_agency("LSCP", Agency.AgencyType.OTHER, "Northshire Safeguarding Partnership")


def partnership_manager() -> User:
    return make_user(partnership_agency(), User.Role.PARTNERSHIP_MANAGER)


def reviewer() -> User:
    return make_user(partnership_agency(), User.Role.REVIEWER)


def school() -> Agency:
    return make_agency("SCH-BROOKFIELD", Agency.AgencyType.SCHOOL, "Brookfield School")


def a_review(by: User | None = None, **changes: object) -> CaseReview:
    """A rapid review of Child Q, notified last week."""
    values: dict = {
        "by": by or partnership_manager(),
        "reference": "NSCP-2026-01",
        "kind": CaseReview.Kind.RAPID_REVIEW,
        "title": "Rapid review: Child Q",
        "child_pseudonym": "Child Q",
        "dates": ReviewDates(
            became_aware_on=today() - dt.timedelta(days=14),
            notified_on=today() - dt.timedelta(days=10),
        ),
        "themes": ["sibling", "new_partner"],
    }
    values.update(changes)
    return review_record(**values)


def a_recommendation(review: CaseReview, number: int = 1, **changes: object) -> Recommendation:
    values: dict = {
        "review": review,
        "number": number,
        "text": "The partnership ensures that the message Think Sibling is disseminated.",
        "addressees": ["partnership"],
    }
    values.update(changes)
    return Recommendation.objects.create(**values)


def an_action(
    recommendation: Recommendation, *, by: User | None = None, agency: Agency | None = None,
    due_in_days: int = 30, **changes: object,
) -> PlanAction:  # fmt: skip
    values: dict = {
        "recommendation": recommendation,
        "by": by or partnership_manager(),
        "description": "Brief every school's designated safeguarding lead on Think Sibling.",
        "owner_agency_id": (agency or school()).pk,
        "due_on": today() + dt.timedelta(days=due_in_days),
    }
    values.update(changes)
    return action_add(**values)


def reference_draft():
    return draft_from_file(REFERENCE_REVIEW)
