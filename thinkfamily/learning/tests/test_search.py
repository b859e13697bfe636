"""Search across the learning, on both databases (SQLite's FTS5 index and PostgreSQL's full-text
search): what each viewer may find, themes, stemming, the index kept in step with changes,
and the audit entry.

Run on SQLite (the default) and again with DATABASE_URL pointing at PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.learning.models import Briefing, CaseReview, Recommendation, ReviewItem
from thinkfamily.learning.search import FTS_TABLE, learning_search, search_index_refresh
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db
SEARCH = reverse("learning:search")


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def manager() -> User:
    agency = make_agency("LSCP", Agency.AgencyType.OTHER, "Northshire Safeguarding Partnership")
    return make_user(agency, User.Role.PARTNERSHIP_MANAGER)


@pytest.fixture
def practitioner() -> User:
    return make_user(make_agency("SCH-1", Agency.AgencyType.SCHOOL), User.Role.PRACTITIONER)


def review(by: User, reference: str, *, published: bool, themes: list[str], **fields) -> CaseReview:
    values = {
        "reference": reference,
        "kind": CaseReview.Kind.RAPID_REVIEW,
        "title": f"Register title {reference}",
        "child_pseudonym": "Child X",
        "themes": themes,
        "created_by": by,
    }
    if published:
        values |= {"public_title": f"Published {reference}", "public_summary": "A summary.",
                   "published_on": today()}  # fmt: skip
    return CaseReview.objects.create(**(values | fields))


def item(review: CaseReview, text: str, *, published: bool, position: int = 1) -> ReviewItem:
    return ReviewItem.objects.create(
        review=review, kind=ReviewItem.Kind.FINDING, position=position, text=text,
        is_published=published,
    )  # fmt: skip


@pytest.fixture
def reviews(manager):
    """A: published, new partner and preschool siblings; B: published, new partner, no sibling
    theme; C: not published, new partner and sibling, with a briefing."""
    a = review(
        manager, "A", published=True, themes=["new_partner", "sibling", "preschool_children"],
        public_summary="The mother's new partner moved in; the preschool siblings were not seen.",
    )  # fmt: skip
    item(a, "Nobody asked about the new partners in the home.", published=True)
    item(a, "Hidden finding about a pelican.", published=False, position=2)
    Recommendation.objects.create(
        review=a, number=1, text="Ask about every adult in the household.", is_published=True
    )
    b = review(manager, "B", published=True, themes=["new_partner"],
               public_summary="A new partner was not known to the school.")  # fmt: skip
    c = review(manager, "C", published=False, themes=["new_partner", "sibling"],
               title="Register title C: the new partner")  # fmt: skip
    item(c, "The new partner had a history of violence.", published=False)
    briefing = Briefing.objects.create(
        review=c, title="Who is the new partner?", background="A mother's new partner moved in.",
        why_it_matters="Children were harmed.", findings="No agency asked.",
        what_to_do="Ask who lives at home.", questions="Who lives here?", written_by=manager,
    )  # fmt: skip
    return {"A": a, "B": b, "C": c, "briefing": briefing}


def titles(found) -> list[str]:
    return [result.title for result in found.results]


def test_a_practitioner_finds_every_published_review_on_new_partners_and_siblings(
    client, practitioner, reviews
):
    client.force_login(practitioner)
    response = client.get(SEARCH, {"q": "new partner", "theme": ["sibling"]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Published A" in page
    assert "Published B" not in page  # no sibling theme
    assert "Register title" not in page  # C is not published, and titles are the register's
    assert "<mark>partner;</mark>" in page or "<mark>partner</mark>" in page
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).latest("id")
    assert event.actor == practitioner
    assert event.detail["query"] == "new partner" and event.detail["themes"] == ["sibling"]
    assert event.detail["results"] == 1


def test_a_practitioner_finds_only_published_learning_and_briefings(practitioner, reviews):
    found = learning_search(viewer=practitioner, query="new partner")
    assert not found.whole_register
    assert set(titles(found)) == {"Published A", "Published B", "Who is the new partner?"}
    a = next(result for result in found.results if result.title == "Published A")
    labels = {part.label for part in a.parts}
    assert labels == {"Published title and summary", "Key finding 1"}
    assert "Preschool children" in " ".join(a.theme_labels) or len(a.theme_labels) == 3
    # An unpublished finding is never searched for a practitioner.
    assert titles(learning_search(viewer=practitioner, query="pelican")) == []


def test_the_partnership_searches_the_whole_register(manager, reviews):
    found = learning_search(viewer=manager, query="new partner", themes=["sibling"])
    assert found.whole_register
    assert set(titles(found)) == {"A: Register title A", "C: Register title C: the new partner"}
    c = next(result for result in found.results if result.review_id == reviews["C"].pk)
    assert {part.label for part in c.parts} == {
        "Title on the register", "Key finding 1", "Briefing: Who is the new partner?",
    }  # fmt: skip
    assert titles(learning_search(viewer=manager, query="pelican")) == ["A: Register title A"]


def test_words_are_stemmed_and_every_word_must_appear(practitioner, reviews):
    assert "Published A" in titles(learning_search(viewer=practitioner, query="partners"))
    assert titles(learning_search(viewer=practitioner, query="partner flamingo")) == []
    found = learning_search(viewer=practitioner, query='"preschool siblings" or school')
    assert set(titles(found)) == {"Published A", "Published B"}


def test_themes_alone_list_every_review_with_all_of_them(practitioner, manager, reviews):
    found = learning_search(viewer=practitioner, query="", themes=["new_partner", "sibling"])
    assert titles(found) == ["Published A"]
    found = learning_search(viewer=manager, query="", themes=["sibling"])
    assert set(titles(found)) == {"A: Register title A", "C: Register title C: the new partner"}


def test_a_review_changed_after_indexing_is_found_by_its_new_words(manager, reviews):
    c = reviews["C"]
    CaseReview.objects.filter(pk=c.pk).update(title="A giraffe in the register")
    finding = c.items.get()
    finding.text = "The lodger had a history of violence."
    finding.save()
    found = learning_search(viewer=manager, query="giraffe")
    assert [result.review_id for result in found.results] == [c.pk]
    assert titles(learning_search(viewer=manager, query="lodger")) == [
        "C: A giraffe in the register"
    ]
    c_parts = [
        r for r in learning_search(viewer=manager, query="new partner").results
        if r.review_id == c.pk
    ]  # fmt: skip
    assert {part.label for part in c_parts[0].parts} == {"Briefing: Who is the new partner?"}
    finding.delete()
    assert learning_search(viewer=manager, query="lodger").results == []


def test_snippets_are_escaped(manager, reviews):
    item(reviews["B"], "<script>alert(1)</script> the partner", published=True, position=9)
    found = learning_search(viewer=manager, query="partner")
    snippets = " ".join(str(part.snippet) for r in found.results for part in r.parts)
    assert "<script>" not in snippets and "&lt;script&gt;" in snippets


def test_each_database_keeps_its_own_index_and_sqlites_mends_lost_triggers(manager, reviews):
    """PostgreSQL: GIN indexes on the tables themselves. SQLite: an FTS5 table kept in step by
    triggers, which a rebuild restores and a search notices are missing. One test for both
    databases, so neither run skips it."""
    if connection.vendor == "postgresql":
        indexes = import_module(
            "thinkfamily.learning.migrations.0002_review_search"
        ).POSTGRESQL_INDEXES
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%gin%'")
            found = dict(cursor.fetchall())
        for name, _, _ in indexes:
            assert name in found and "to_tsvector" in found[name], name
        search_index_refresh()  # nothing to rebuild: the indexes are on the tables
        assert titles(learning_search(viewer=manager, query="pelican")) == ["A: Register title A"]
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
    assert learning_search(viewer=manager, query="giraffe").results == []
    assert learning_search(viewer=manager, query="pelican").results == []
    search_index_refresh()
    assert titles(learning_search(viewer=manager, query="pelican")) == ["A: Register title A"]
    # A table rebuilt by a later migration loses its triggers; the search notices and mends.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER learning_reviewitem_search_update")
    finding = reviews["A"].items.get(position=2)
    finding.text = "Hidden finding about an emu."
    finding.save()
    assert titles(learning_search(viewer=manager, query="emu")) == ["A: Register title A"]


def test_search_is_refused_to_staff_without_an_agency_and_needs_signing_in(client, reviews):
    admin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR)
    assert client.get(SEARCH, {"q": "partner"}).status_code == 302
    client.force_login(admin)
    assert client.get(SEARCH, {"q": "partner"}).status_code == 403
    assert learning_search(viewer=admin, query="partner").results == []


def test_the_search_page_without_a_query_shows_the_form_and_audits_nothing(client, practitioner):
    client.force_login(practitioner)
    page = client.get(SEARCH).content.decode()
    assert "Words to search for" in page and "Babies and pre-school children" in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).exists()
