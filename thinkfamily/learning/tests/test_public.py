"""The public page of published findings: open without signing in, and showing only what the
partnership published.

A published review is planted with secrets in every field that is not for
publication (its register title, the child's pseudonym, the linked person's
name, unpublished findings and recommendations, action descriptions,
evidence and compliance notes); none may reach the public HTML, and the
selector must not even read them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.models import (
    CaseReview,
    ComplianceCheck,
    Evidence,
    PlanAction,
    Recommendation,
    ReviewItem,
)
from thinkfamily.learning.public import published_review, published_reviews
from thinkfamily.people.tests.factories import make_agency, make_person_with_record, make_user

pytestmark = pytest.mark.django_db

SECRETS = (
    "Zebracrossing register title",
    "Child Quokka",
    "Marmaduke",
    "Fenwickshire",
    "Walrus unpublished finding",
    "Kittiwake unpublished lesson",
    "Axolotl unpublished recommendation",
    "Narwhal action description",
    "Okapi evidence note",
    "Ibis compliance note",
)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def manager() -> User:
    agency = make_agency("LSCP", Agency.AgencyType.OTHER, "Northshire Safeguarding Partnership")
    return make_user(agency, User.Role.PARTNERSHIP_MANAGER)


@pytest.fixture
def published(manager: User) -> CaseReview:
    school = make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Brookfield School")
    child = make_person_with_record(school, "Marmaduke", "Fenwickshire", dt.date(2020, 1, 1))
    review = CaseReview.objects.create(
        reference="NSCP-2025-07",
        kind=CaseReview.Kind.LCSPR,
        status=CaseReview.Status.OPEN,
        title="Zebracrossing register title",
        child_pseudonym="Child Quokka",
        subject=child,
        themes=["new_partner", "sibling"],
        public_title="When a new partner moves in",
        public_summary="Agencies did not ask who else lived in the home.",
        published_on=today() - dt.timedelta(days=3),
        created_by=manager,
    )
    review.agencies.set([school])
    items = [
        (ReviewItem.Kind.FINDING, 1, "Practitioners did not ask about the new partner.", True),
        (ReviewItem.Kind.FINDING, 2, "Walrus unpublished finding", False),
        (ReviewItem.Kind.LESSON, 1, "Think sibling: see every child in the home.", True),
        (ReviewItem.Kind.LESSON, 2, "Kittiwake unpublished lesson", False),
    ]
    for kind, position, text, is_published in items:
        ReviewItem.objects.create(
            review=review, kind=kind, position=position, text=text, is_published=is_published
        )
    recommendation = Recommendation.objects.create(
        review=review,
        number=1,
        text="Every agency asks who lives in the household at each contact.",
        addressees=["all_agencies", "health"],
        is_published=True,
        public_progress="Two of the agencies have changed their forms.",
    )
    Recommendation.objects.create(
        review=review, number=2, text="Axolotl unpublished recommendation", is_published=False
    )
    done = PlanAction.objects.create(
        recommendation=recommendation,
        description="Narwhal action description",
        owner_agency=school,
        due_on=today() - dt.timedelta(days=10),
        rag=PlanAction.Rag.COMPLETE,
        completed_on=today() - dt.timedelta(days=12),
        created_by=manager,
    )
    PlanAction.objects.create(
        recommendation=recommendation,
        description="Narwhal action description two",
        owner_agency=school,
        due_on=today() + dt.timedelta(days=30),
        rag=PlanAction.Rag.AMBER,
        created_by=manager,
    )
    Evidence.objects.create(
        action=done, kind=Evidence.Kind.TEXT, text="Okapi evidence note", added_by=manager
    )
    ComplianceCheck.objects.create(
        action=done,
        checked_by=manager,
        checked_on=today(),
        result=ComplianceCheck.Result.COMPLIANT,
        note="Ibis compliance note",
    )
    return review


def test_the_published_findings_show_only_what_was_published_to_a_signed_out_visitor(
    client, published
):
    for url in (reverse("learning:public"), reverse("learning:public_review", args=[published.pk])):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert "When a new partner moves in" in page
        assert "Local child safeguarding practice review" in page
        for secret in SECRETS:
            assert secret not in page, (url, secret)
        # No navigation for a visitor who has not signed in.
        assert "govuk-service-navigation" not in page and "Sign out" not in page


def test_a_published_review_shows_its_published_findings_lessons_and_progress(client, published):
    page = client.get(reverse("learning:public_review", args=[published.pk])).content.decode()
    assert "Agencies did not ask who else lived in the home." in page
    assert "Practitioners did not ask about the new partner." in page
    assert "Think sibling: see every child in the home." in page
    assert "Every agency asks who lives in the household at each contact." in page
    assert "All agencies, Health" in page
    assert "1 of 2 actions complete" in page
    assert "Amber" in page  # the least advanced open action
    assert "Two of the agencies have changed their forms." in page
    assert "New partners" in page or "new partner" in page.lower()


def test_an_unpublished_review_is_not_found_on_the_public_page(client, published, manager):
    CaseReview.objects.filter(pk=published.pk).update(published_on=None)
    assert client.get(reverse("learning:public_review", args=[published.pk])).status_code == 404
    assert (
        "When a new partner moves in" not in client.get(reverse("learning:public")).content.decode()
    )
    assert client.get(reverse("learning:public_review", args=[999999])).status_code == 404


def test_a_signed_in_member_of_staff_sees_the_same_public_page(client, published, manager):
    client.force_login(manager)
    page = client.get(reverse("learning:public_review", args=[published.pk])).content.decode()
    assert "When a new partner moves in" in page
    assert "Zebracrossing register title" not in page


def test_the_selector_never_reads_a_field_that_is_not_for_publication(published):
    with CaptureQueriesContext(connection) as queries:
        reviews = published_reviews()
        one = published_review(review_id=published.pk)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    for column in ('."title"', "child_pseudonym", "subject_id", "description", "owner_id",
                   "learning_evidence", "learning_compliancecheck", "reference"):  # fmt: skip
        assert column not in sql, column
    assert [review.title for review in reviews] == ["When a new partner moves in"]
    assert [item.text for item in one.findings] == [
        "Practitioners did not ask about the new partner."
    ]
    assert [r.number for r in one.recommendations] == [1]
    assert (one.recommendations[0].actions_complete, one.recommendations[0].actions_total) == (1, 2)
    assert one.theme_labels and all(isinstance(label, str) for label in one.theme_labels)
