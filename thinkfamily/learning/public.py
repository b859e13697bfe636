"""The public page of published findings: what the partnership has chosen to tell everyone.

Anyone may read it without signing in, so this selector reads only the fields
written for publication, named one by one in the ``*_FIELDS`` tuples below and
fetched with ``.values()``: a review's public title, kind, publication date,
public summary and themes; the text of the findings, lessons and
recommendations marked published; a recommendation's addressees and public
progress statement; and, to say how far its action plan has got, each
action's RAG, due date and nothing else.

It never reads a review's register title, the child's pseudonym, the linked
person, the agencies involved, an action's description or owner, evidence
or compliance checks. Because the fields are listed rather than the models
loaded, a field added to a model later is not published until someone adds
it here on purpose; the tests plant secrets in every other field and check
none reaches the page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from thinkfamily.learning.models import CaseReview, PlanAction, Recommendation, ReviewItem
from thinkfamily.learning.timescales import RagStatus, action_rag, recommendation_rag
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES

__all__ = [
    "IS_PUBLISHED",
    "PUBLIC_ACTION_FIELDS",
    "PUBLIC_ITEM_FIELDS",
    "PUBLIC_RECOMMENDATION_FIELDS",
    "PUBLIC_REVIEW_FIELDS",
    "PublicItem",
    "PublicRecommendation",
    "PublicReview",
    "published_review",
    "published_reviews",
]

#: The only fields of a review the public page reads.
PUBLIC_REVIEW_FIELDS = ("pk", "kind", "public_title", "public_summary", "published_on", "themes")
#: The only fields of a finding or lesson it reads (published ones only).
PUBLIC_ITEM_FIELDS = ("review_id", "kind", "position", "text")
#: The only fields of a recommendation it reads (published ones only).
PUBLIC_RECOMMENDATION_FIELDS = (
    "pk", "review_id", "number", "text", "addressees", "public_progress"
)  # fmt: skip
#: The only fields of an action it reads: enough for the RAG, never what the action is.
PUBLIC_ACTION_FIELDS = ("recommendation_id", "rag", "due_on")

#: A review is public once it has a publication date, and a draft never is.
IS_PUBLISHED = Q(published_on__isnull=False) & ~Q(status=CaseReview.Status.DRAFT)


@dataclass(frozen=True)
class PublicItem:
    """A published key finding or lesson learnt, in the review's words."""

    kind: str
    position: int
    text: str


@dataclass(frozen=True)
class PublicRecommendation:
    """A published recommendation, whom it addresses, and how far its action plan has got."""

    number: int
    text: str
    addressee_labels: list[str]
    rag: RagStatus
    actions_complete: int
    actions_total: int
    public_progress: str


@dataclass(frozen=True)
class PublicReview:
    """A published review as the public page shows it."""

    pk: int
    kind_label: str
    title: str
    summary: str
    published_on: dt.date
    theme_labels: list[str]
    findings: list[PublicItem]
    lessons: list[PublicItem]
    recommendations: list[PublicRecommendation]


def _public_reviews(review_ids: list[int] | None, today: dt.date) -> list[PublicReview]:
    reviews = CaseReview.objects.filter(IS_PUBLISHED)
    if review_ids is not None:
        reviews = reviews.filter(pk__in=review_ids)
    rows = list(reviews.order_by("-published_on", "-pk").values(*PUBLIC_REVIEW_FIELDS))
    ids = [row["pk"] for row in rows]
    items: dict[int, list[PublicItem]] = defaultdict(list)
    for item in (
        ReviewItem.objects.filter(review_id__in=ids, is_published=True)
        .order_by("review_id", "kind", "position")
        .values(*PUBLIC_ITEM_FIELDS)
    ):
        items[item["review_id"]].append(
            PublicItem(kind=item["kind"], position=item["position"], text=item["text"])
        )
    recommendation_rows = list(
        Recommendation.objects.filter(review_id__in=ids, is_published=True)
        .order_by("review_id", "number")
        .values(*PUBLIC_RECOMMENDATION_FIELDS)
    )
    statuses: dict[int, list[RagStatus]] = defaultdict(list)
    for action in PlanAction.objects.filter(
        recommendation_id__in=[row["pk"] for row in recommendation_rows]
    ).values(*PUBLIC_ACTION_FIELDS):
        statuses[action["recommendation_id"]].append(
            action_rag(rag=action["rag"], due_on=action["due_on"], today=today)
        )
    recommendations: dict[int, list[PublicRecommendation]] = defaultdict(list)
    for row in recommendation_rows:
        plan = statuses[row["pk"]]
        recommendations[row["review_id"]].append(
            PublicRecommendation(
                number=row["number"],
                text=row["text"],
                addressee_labels=[
                    ADDRESSEES[key].label for key in row["addressees"] or [] if key in ADDRESSEES
                ],
                rag=recommendation_rag(plan),
                actions_complete=sum(1 for status in plan if status is RagStatus.COMPLETE),
                actions_total=len(plan),
                public_progress=row["public_progress"],
            )
        )
    kinds = dict(CaseReview.Kind.choices)
    return [
        PublicReview(
            pk=row["pk"],
            kind_label=str(kinds.get(row["kind"], row["kind"])),
            title=row["public_title"],
            summary=row["public_summary"],
            published_on=row["published_on"],
            theme_labels=[THEMES[key].label for key in row["themes"] or [] if key in THEMES],
            findings=[i for i in items[row["pk"]] if i.kind == ReviewItem.Kind.FINDING],
            lessons=[i for i in items[row["pk"]] if i.kind == ReviewItem.Kind.LESSON],
            recommendations=recommendations[row["pk"]],
        )
        for row in rows
    ]


def published_reviews(*, today: dt.date | None = None) -> list[PublicReview]:
    """Every published review, most recently published first. Needs no viewer: it is public."""
    return _public_reviews(None, today or timezone.localdate())


def published_review(*, review_id: int, today: dt.date | None = None) -> PublicReview:
    """One published review; ``CaseReview.DoesNotExist`` if it is unknown or not published."""
    found = _public_reviews([review_id], today or timezone.localdate())
    if not found:
        raise CaseReview.DoesNotExist
    return found[0]
