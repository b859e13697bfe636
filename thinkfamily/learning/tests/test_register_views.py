"""The register's pages: who may open them (404 for anyone outside the register), who may
change them (403), and a partnership manager's whole round from a published report to an
action complete with evidence and a compliance check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.learning.models import CaseReview, ComplianceCheck, Evidence, PlanAction
from thinkfamily.learning.tests.helpers import (
    REFERENCE_REVIEW,
    a_recommendation,
    a_review,
    an_action,
    partnership_manager,
    reviewer,
    school,
    today,
)
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def typed(day: dt.date) -> str:
    return f"{day.day} {day.month} {day.year}"


def test_the_whole_round_from_a_published_report_to_a_checked_action(client):
    manager = partnership_manager()
    client.force_login(manager)

    # Upload the reference review: a draft with its six recommendations.
    response = client.post(
        reverse("learning:review_ingest"),
        {
            "document": SimpleUploadedFile("scr-h.txt", REFERENCE_REVIEW.read_bytes()),
            "reference": "LEGACY-H",
            "kind": "scr",
        },
    )
    review = CaseReview.objects.get(reference="LEGACY-H")
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Draft to confirm" in page
    assert "Cafcass to consider" in page and "Education settings review" in page

    response = client.post(review.get_absolute_url(), {"child_pseudonym": "Child H"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == CaseReview.Status.OPEN

    # Recommendation 6 (Think Sibling): an action, and an indicator to follow.
    six = review.recommendations.get(number=6)
    response = client.post(
        six.get_absolute_url(),
        {
            "form": "action",
            "description": "Brief every school's DSL on Think Sibling.",
            "owner_agency": school().pk,
            "due_on": typed(today() + dt.timedelta(days=60)),
        },
    )
    assert response.status_code == 302
    response = client.post(
        six.get_absolute_url(),
        {
            "form": "indicators",
            "indicators": ["sibling_prompts_answered_in_time"],
            "target_sibling_prompts_answered_in_time": "95",
        },
    )
    assert response.status_code == 302
    page = client.get(six.get_absolute_url()).content.decode()
    assert "Sibling prompts answered" in page and "<svg" in page and "Target 95%" in page

    # The school's DSL adds evidence and completes the action; the panel checks it.
    action = PlanAction.objects.get(recommendation=six)
    dsl = make_user(school(), User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    client.force_login(dsl)
    assert client.get(action.get_absolute_url()).status_code == 200
    response = client.post(
        action.get_absolute_url(),
        {
            "form": "evidence",
            "kind": "file",
            "file": SimpleUploadedFile("register.pdf", b"%PDF-1.7\nattendance"),
        },
    )
    assert response.status_code == 302
    assert client.post(action.get_absolute_url(), {"form": "rag", "rag": "complete"}).status_code
    action.refresh_from_db()
    assert action.rag == "complete"
    evidence = Evidence.objects.get()
    download = client.get(reverse("learning:evidence_file", args=[evidence.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.7\nattendance"
    assert 'attachment; filename="register.pdf"' in download["Content-Disposition"]

    client.force_login(reviewer())
    response = client.post(
        action.get_absolute_url(),
        {"form": "check", "checked_on": typed(today()), "result": "compliant", "note": ""},
    )
    assert response.status_code == 302
    assert ComplianceCheck.objects.get().result == "compliant"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_REVIEW).exists()


@pytest.mark.parametrize(
    "role",
    [User.Role.PRACTITIONER, User.Role.DESIGNATED_SAFEGUARDING_LEAD, User.Role.CSC_MANAGER],
)
def test_the_register_is_a_404_to_anyone_outside_the_partnership_and_its_panel(client, role):
    review = a_review()
    recommendation = a_recommendation(review)
    client.force_login(make_user(school(), role))
    for url in (
        reverse("learning:register"),
        review.get_absolute_url(),
        reverse("learning:chronology", args=[review.pk]),
        recommendation.get_absolute_url(),
        reverse("learning:indicators"),
        reverse("learning:review_new"),
    ):
        assert client.get(url).status_code == 404, url


def test_a_reviewer_reads_the_register_but_may_not_change_it(client):
    review = a_review()
    recommendation = a_recommendation(review)
    client.force_login(reviewer())
    assert client.get(reverse("learning:register")).status_code == 200
    assert client.get(review.get_absolute_url()).status_code == 200
    assert client.get(reverse("learning:review_new")).status_code == 403
    assert client.get(reverse("learning:publication", args=[review.pk])).status_code == 403
    response = client.post(
        recommendation.get_absolute_url(), {"form": "text", "text": "Changed", "addressees": []}
    )
    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.text != "Changed"


def test_an_action_is_a_404_to_staff_of_other_agencies_and_a_403_to_update_for_a_reader(client):
    action = an_action(a_recommendation(a_review()))
    elsewhere = make_agency("GP-1", Agency.AgencyType.GP, "Elm Surgery")
    client.force_login(make_user(elsewhere, User.Role.MANAGER))
    assert client.get(action.get_absolute_url()).status_code == 404
    # A teacher at the owning school reads the action, and may not update it.
    client.force_login(make_user(school(), User.Role.PRACTITIONER))
    assert client.get(action.get_absolute_url()).status_code == 200
    assert client.post(action.get_absolute_url(), {"form": "rag", "rag": "red"}).status_code == 403
    client.force_login(reviewer())
    assert client.get(action.get_absolute_url()).status_code == 200
    assert client.post(action.get_absolute_url(), {"form": "rag", "rag": "red"}).status_code == 403


def test_a_refused_form_comes_back_with_each_problem_against_its_field(client):
    client.force_login(partnership_manager())
    response = client.post(reverse("learning:review_new"), {"reference": "", "kind": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the partnership&#x27;s reference for the review" in page
    assert "Select the kind of review" in page
    response = client.post(reverse("learning:review_new"), {"period_start": "31 2 2026"})
    assert "Enter the date as day month year" in response.content.decode()
    assert not CaseReview.objects.exists()


def test_an_unreadable_document_is_refused_by_name_and_nothing_is_drafted(client):
    client.force_login(partnership_manager())
    response = client.post(
        reverse("learning:review_ingest"),
        {
            "document": SimpleUploadedFile("review.pdf", b"not really a pdf"),
            "reference": "X-1",
            "kind": "lcspr",
        },
    )
    assert response.status_code == 400
    assert "review.pdf" in response.content.decode() or "PDF" in response.content.decode()
    assert not CaseReview.objects.exists()


def test_overdue_actions_and_checks_surface_for_the_partnership_manager(client):
    manager = partnership_manager()
    late = an_action(a_recommendation(a_review(by=manager)), by=manager)
    PlanAction.objects.filter(pk=late.pk).update(due_on=today() - dt.timedelta(days=3))
    client.force_login(manager)
    page = client.get(reverse("learning:actions")).content.decode()
    assert "Actions past their due date" in page and escape(late.description) in page
    # The register's own list shows the overdue count and the late notification clock.
    CaseReview.objects.update(notified_on=None)
    page = client.get(reverse("learning:register")).content.decode()
    assert "1 action overdue" in page
    assert "Overdue" in page
