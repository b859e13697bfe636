"""The register's changes: who may make them, what each refuses (naming the field), and that a
refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.learning.models import (
    Briefing,
    CaseReview,
    ComplianceCheck,
    Evidence,
    PlanAction,
    Recommendation,
    ReviewItem,
)
from thinkfamily.learning.services import (
    EVIDENCE_MAX_BYTES,
    ReviewDates,
    action_update,
    briefing_write,
    compliance_check_record,
    evidence_add,
    recommendation_indicators_set,
    review_confirm,
    review_draft_record,
    review_publish,
    review_update,
    session_record,
)
from thinkfamily.learning.tests.helpers import (
    a_recommendation,
    a_review,
    an_action,
    partnership_manager,
    reference_draft,
    reviewer,
    school,
    today,
)
from thinkfamily.people.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def refused(call, **fields_named):
    with pytest.raises(ApplicationError) as caught:
        call()
    for field in fields_named:
        assert field in caught.value.extra, caught.value.extra
    return caught.value


# ---------------------------------------------------------------------------
# The register


def test_a_partnership_manager_enters_a_review_and_the_entry_is_audited():
    review = a_review()
    assert review.status == CaseReview.Status.OPEN
    assert review.themes == ["new_partner", "sibling"]  # the vocabulary's order
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.RECORD_REVIEW).get()
    assert entry.object_id == str(review.pk)


@pytest.mark.parametrize(
    "role",
    [User.Role.REVIEWER, User.Role.PRACTITIONER, User.Role.CSC_MANAGER, User.Role.AUDITOR],
)
def test_only_a_partnership_manager_may_add_to_the_register(role):
    someone = make_user(school(), role)
    refused(lambda: a_review(by=someone))
    assert not CaseReview.objects.exists()


def test_a_review_refuses_each_problem_by_its_field():
    error = refused(
        lambda: a_review(
            kind="inquest",
            title=" ",
            child_pseudonym="",
            themes=["sibling", "astrology"],
            subject_id=987654,
            dates=ReviewDates(
                became_aware_on=today() - dt.timedelta(days=3),
                notified_on=today() - dt.timedelta(days=5),
                period_start=today() - dt.timedelta(days=10),
                period_end=today() - dt.timedelta(days=20),
                incident_on=today() + dt.timedelta(days=1),
            ),
        ),
        kind=1, title=1, child_pseudonym=1, themes=1, subject=1, notified_on=1, period_end=1,
        incident_on=1,
    )  # fmt: skip
    assert "astrology" in error.extra["themes"]
    assert not CaseReview.objects.exists()


def test_a_reference_is_used_once():
    manager = partnership_manager()
    a_review(by=manager)
    refused(lambda: a_review(by=manager), reference=1)


def test_a_review_is_closed_only_when_every_action_is_complete():
    manager = partnership_manager()
    review = a_review(by=manager)
    action = an_action(a_recommendation(review), by=manager)

    def close():
        return review_update(
            review=review, by=manager, kind=review.kind, status=CaseReview.Status.CLOSED,
            title=review.title, child_pseudonym=review.child_pseudonym,
            dates=ReviewDates(), agency_ids=[], themes=[], subject_id=None,
        )  # fmt: skip

    refused(close, status=1)
    evidence_add(action=action, by=manager, kind="text", text="Briefed 14 of 14 DSLs.")
    action_update(action=action, by=manager, rag="complete")
    assert close().status == CaseReview.Status.CLOSED


def test_the_reference_review_is_drafted_exactly_as_the_document_says_and_then_confirmed():
    manager = partnership_manager()
    review = review_draft_record(
        by=manager, draft=reference_draft(), reference="LEGACY-H", kind="scr",
        source_name="serious-case-review-H.txt",
    )  # fmt: skip
    assert review.status == CaseReview.Status.DRAFT
    numbers = list(review.recommendations.values_list("number", "addressees"))
    assert numbers == [
        (1, ["partnership"]),
        (2, ["cafcass"]),
        (3, ["partnership"]),
        (4, ["childrens_social_care"]),
        (5, ["education"]),
        (6, ["partnership"]),
    ]
    lessons = review.items.filter(kind=ReviewItem.Kind.LESSON)
    assert lessons.count() == 8
    assert "“Think Sibling”" in set(lessons.values_list("text", flat=True))
    # A draft is not on the register until a person confirms it, with the pseudonym.
    refused(
        lambda: review_confirm(review=review, by=manager, child_pseudonym=""), child_pseudonym=1
    )
    confirmed = review_confirm(review=review, by=manager, child_pseudonym="Child H")
    assert confirmed.status == CaseReview.Status.OPEN
    refused(lambda: review_confirm(review=review, by=manager, child_pseudonym="H"), status=1)


def test_a_draft_cannot_be_published():
    manager = partnership_manager()
    review = review_draft_record(
        by=manager, draft=reference_draft(), reference="LEGACY-H", kind="scr", source_name="h.txt"
    )
    refused(
        lambda: review_publish(
            review=review, by=manager, public_title="Child H", public_summary="Summary",
            published_item_ids=[], published_recommendation_ids=[], public_progress={},
            published=True,
        ),
        published=1,
    )  # fmt: skip
    review.refresh_from_db()
    assert review.published_on is None


def test_the_database_refuses_a_published_review_without_public_text():
    review = a_review()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseReview.objects.filter(pk=review.pk).update(published_on=today())


def test_publishing_marks_only_the_chosen_items_and_withdrawing_unpublishes_the_review():
    manager = partnership_manager()
    review = a_review(by=manager)
    first, second = a_recommendation(review, 1), a_recommendation(review, 2)
    finding = ReviewItem.objects.create(review=review, kind="finding", position=1, text="Seen.")
    published = review_publish(
        review=review, by=manager, public_title="Learning from Child Q",
        public_summary="What the partnership learnt.", published_item_ids=[finding.pk],
        published_recommendation_ids=[second.pk], public_progress={second.pk: "Under way."},
        published=True,
    )  # fmt: skip
    assert published.published_on == today()
    assert list(Recommendation.objects.filter(is_published=True)) == [second]
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.public_progress == "Under way." and first.public_progress == ""
    withdrawn = review_publish(
        review=review, by=manager, public_title="Learning from Child Q",
        public_summary="What the partnership learnt.", published_item_ids=[],
        published_recommendation_ids=[], public_progress={}, published=False,
    )  # fmt: skip
    assert withdrawn.published_on is None


# ---------------------------------------------------------------------------
# Indicators, actions, evidence and checks


def test_indicators_are_chosen_from_the_registry_with_targets():
    manager = partnership_manager()
    recommendation = a_recommendation(a_review(by=manager))
    chosen = recommendation_indicators_set(
        recommendation=recommendation, by=manager,
        targets={"sibling_prompts_answered_in_time": 95, "agreements_reviewed_on_time": None},
    )  # fmt: skip
    assert {(c.indicator_code, c.target) for c in chosen} == {
        ("sibling_prompts_answered_in_time", 95.0),
        ("agreements_reviewed_on_time", 90.0),  # the indicator's default target
    }
    refused(
        lambda: recommendation_indicators_set(
            recommendation=recommendation, by=manager, targets={"number_of_hugs": 50}
        ),
        indicators=1,
    )
    refused(
        lambda: recommendation_indicators_set(
            recommendation=recommendation, by=manager,
            targets={"sibling_prompts_answered_in_time": 120},
        ),
        target_sibling_prompts_answered_in_time=1,
    )  # fmt: skip
    # Choosing again replaces the choice.
    recommendation_indicators_set(
        recommendation=recommendation, by=manager, targets={"agreements_reviewed_on_time": 80}
    )
    assert list(recommendation.indicators.values_list("indicator_code", "target")) == [
        ("agreements_reviewed_on_time", 80.0)
    ]


def test_an_action_needs_what_who_and_a_due_date_not_in_the_past():
    manager = partnership_manager()
    recommendation = a_recommendation(a_review(by=manager))
    refused(
        lambda: an_action(
            recommendation, by=manager, description="", owner_agency_id=None, due_in_days=-1
        ),
        description=1, owner_agency=1, due_on=1,
    )  # fmt: skip
    refused(lambda: an_action(recommendation, by=manager, owner_username="nobody"), owner=1)
    elsewhere = make_user(partnership_manager().agency, User.Role.MANAGER)
    error = refused(
        lambda: an_action(recommendation, by=manager, owner_username=elsewhere.username), owner=1
    )
    assert "does not work for Brookfield School" in error.extra["owner"]
    assert not PlanAction.objects.exists()


def test_an_action_is_completed_only_with_evidence_and_keeps_its_completion_date():
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    refused(lambda: action_update(action=action, by=manager, rag="complete"), rag=1)
    evidence_add(action=action, by=manager, kind="link", url="https://example.org/briefing")
    done = action_update(
        action=action, by=manager, rag="complete", today=today() - dt.timedelta(days=2)
    )
    assert done.completed_on == today() - dt.timedelta(days=2)
    again = action_update(action=action, by=manager, rag="complete")
    assert again.completed_on == today() - dt.timedelta(days=2)
    reopened = action_update(action=action, by=manager, rag="amber")
    assert reopened.completed_on is None


def test_the_database_refuses_a_complete_action_without_a_completion_date():
    action = an_action(a_recommendation(a_review()))
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanAction.objects.filter(pk=action.pk).update(rag="complete")


def test_the_owning_agencys_leads_and_the_owner_update_an_action_and_nobody_else():
    manager = partnership_manager()
    dsl = make_user(school(), User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    teacher = make_user(school(), User.Role.PRACTITIONER)
    owner = make_user(school(), User.Role.PRACTITIONER)
    action = an_action(
        a_recommendation(a_review(by=manager)), by=manager, owner_username=owner.username
    )
    assert action_update(action=action, by=dsl, rag="amber").rag == "amber"
    assert action_update(action=action, by=owner, rag="green").rag == "green"
    for outsider in (teacher, reviewer(), make_user(partnership_manager().agency, "manager")):
        refused(lambda outsider=outsider: action_update(action=action, by=outsider, rag="red"))
    assert PlanAction.objects.get(pk=action.pk).rag == "green"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("minutes.exe", b"MZ\x90\x00", "must be a"),
        ("minutes.pdf", b"<html>not a pdf</html>", "is not a PDF"),
        ("photo.png", b"GIF89a", "is not a PNG"),
        ("notes.txt", b"\xff\xfe\x00\x00binary\x00\x81\x82" * 10, "is not a text file"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_an_evidence_file_is_checked_for_its_type(name, content, problem):
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    error = refused(
        lambda: evidence_add(
            action=action, by=manager, kind="file", upload=SimpleUploadedFile(name, content)
        ),
        file=1,
    )
    assert problem in error.extra["file"]
    assert not Evidence.objects.exists()


def test_an_evidence_file_larger_than_the_limit_is_refused():
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * EVIDENCE_MAX_BYTES)
    error = refused(
        lambda: evidence_add(action=action, by=manager, kind="file", upload=big), file=1
    )
    assert "smaller than 10 MB" in error.extra["file"]


def test_an_evidence_file_is_stored_under_a_name_of_our_own_and_shown_under_its_own():
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    evidence = evidence_add(
        action=action, by=manager, kind="file",
        upload=SimpleUploadedFile("../../etc/Briefing <notes>.pdf", b"%PDF-1.7\nbody"),
    )  # fmt: skip
    assert evidence.file_name == "Briefing <notes>.pdf"  # Django keeps only the base name
    assert evidence.file.name.startswith(f"learning/evidence/{action.pk}/")
    assert ".." not in evidence.file.name and evidence.file.name.endswith(".pdf")
    with evidence.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.7\nbody"


@pytest.mark.parametrize(
    ("kind", "fields", "named"),
    [
        ("text", {"text": "  "}, "text"),
        ("link", {"url": "javascript:alert(1)"}, "url"),
        ("link", {"url": "not a link"}, "url"),
        ("video", {}, "kind"),
    ],
)
def test_evidence_of_each_kind_needs_its_content(kind, fields, named):
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    refused(lambda: evidence_add(action=action, by=manager, kind=kind, **fields), **{named: 1})


def test_a_check_short_of_compliant_needs_what_was_found_and_a_next_check():
    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    panel = reviewer()
    refused(
        lambda: compliance_check_record(
            action=action, by=panel, checked_on=today(), result="partly", note="",
            next_check_on=None,
        ),
        note=1, next_check_on=1,
    )  # fmt: skip
    refused(
        lambda: compliance_check_record(
            action=action, by=panel, checked_on=today() + dt.timedelta(days=1),
            result="compliant", note="", next_check_on=today(),
        ),
        checked_on=1, next_check_on=1,
    )  # fmt: skip
    check = compliance_check_record(
        action=action, by=panel, checked_on=today(), result="partly",
        note="Two of five schools had briefed their staff.",
        next_check_on=today() + dt.timedelta(days=28),
    )  # fmt: skip
    assert check.checked_by == panel
    practitioner = make_user(school(), User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    refused(
        lambda: compliance_check_record(
            action=action, by=practitioner, checked_on=today(), result="compliant", note="",
            next_check_on=None,
        )
    )  # fmt: skip
    assert ComplianceCheck.objects.count() == 1


# ---------------------------------------------------------------------------
# Briefings and sessions


BRIEFING = {
    "title": "Think Sibling",
    "background": "A two-year-old was nearly invisible to professionals.",
    "why_it_matters": "Preschool children are seen by fewer professionals.",
    "findings": "Each agency looked at the individual it worked with.",
    "what_to_do": "When you worry about one child, think about every child in the family.",
    "questions": "Who else lives with this child?\nWhen did anyone last see the youngest?",
}


def test_a_briefing_has_every_part_of_the_seven_minute_shape():
    manager = partnership_manager()
    briefing = briefing_write(by=manager, fields=BRIEFING)
    assert briefing.question_list == [
        "Who else lives with this child?",
        "When did anyone last see the youngest?",
    ]
    refused(
        lambda: briefing_write(
            by=manager, fields={**BRIEFING, "why_it_matters": "", "questions": ""}
        ),
        why_it_matters=1, questions=1,
    )  # fmt: skip


def test_a_briefing_too_long_for_one_page_is_refused():
    manager = partnership_manager()
    long = {**BRIEFING, "background": "word " * 700}
    error = refused(lambda: briefing_write(by=manager, fields=long), __all__=1)
    assert "one page" in error.message
    assert not Briefing.objects.exists()


def test_only_a_partnership_manager_writes_a_briefing():
    refused(lambda: briefing_write(by=reviewer(), fields=BRIEFING))


def test_a_lead_records_sessions_for_their_own_agency_only():
    manager = partnership_manager()
    briefing = briefing_write(by=manager, fields=BRIEFING)
    dsl = make_user(school(), User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    session = session_record(
        briefing=briefing, by=dsl, delivered_on=today(), agency_id=school().pk,
        audience="Teaching staff", attendance=23,
    )  # fmt: skip
    assert session.attendance == 23
    refused(
        lambda: session_record(
            briefing=briefing, by=dsl, delivered_on=today(), agency_id=manager.agency_id,
            audience="Partnership staff", attendance=4,
        )
    )  # fmt: skip
    refused(
        lambda: session_record(
            briefing=briefing, by=manager, delivered_on=today() + dt.timedelta(days=1),
            agency_id=school().pk, audience=" ", attendance=0,
        ),
        delivered_on=1, audience=1, attendance=1,
    )  # fmt: skip
