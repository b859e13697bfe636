"""The briefing pages: the list, writing and changing a briefing, the briefing page with its
session form, recording a session, the one-page PDF and reach by agency.

Each action is refused (403) to those who may not take it; a briefing is not found (404) by
someone who may not read briefings; a refused form comes back (400) with each message
against its question.
"""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.learning.models import Briefing, BriefingSession, CaseReview
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db

LIST = reverse("learning:briefings")
NEW = reverse("learning:briefing_new")
REACH = reverse("learning:reach")
FIELDS = {
    "title": "Think Sibling",
    "background": "Child H lived with her mother's new partner and two preschool siblings.",
    "why_it_matters": "The siblings were not seen by any agency.",
    "findings": "No practitioner asked who lived in the home.",
    "what_to_do": "Ask who lives in the home at every contact, and see every child.",
    "questions": "Who lives here?\nWhen did you last see each child?",
}


def typed(day: dt.date) -> str:
    return f"{day:%d %m %Y}"


@pytest.fixture
def partnership() -> Agency:
    return make_agency("LSCP", Agency.AgencyType.OTHER, "Northshire Safeguarding Partnership")


@pytest.fixture
def school() -> Agency:
    return make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Brookfield School")


@pytest.fixture
def gp() -> Agency:
    return make_agency("GP-1", Agency.AgencyType.GP, "Elm Tree Surgery")


@pytest.fixture
def manager(partnership) -> User:
    return make_user(partnership, User.Role.PARTNERSHIP_MANAGER)


@pytest.fixture
def practitioner(school) -> User:
    return make_user(school, User.Role.PRACTITIONER)


@pytest.fixture
def lead(school) -> User:
    return make_user(school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)


@pytest.fixture
def admin() -> User:
    return make_user(None, User.Role.SYSTEM_ADMINISTRATOR)


@pytest.fixture
def briefing(manager) -> Briefing:
    return Briefing.objects.create(written_by=manager, **FIELDS)


def test_every_member_of_staff_lists_briefings_and_only_the_partnership_writes_them(
    client, practitioner, manager, briefing
):
    client.force_login(practitioner)
    page = client.get(LIST).content.decode()
    assert "Think Sibling" in page and "Write a briefing" not in page
    assert ">Briefings</a>" in page  # the navigation item
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, FIELDS).status_code == 403
    client.force_login(manager)
    assert "Write a briefing" in client.get(LIST).content.decode()


def test_staff_without_an_agency_may_not_list_or_read_briefings(client, admin, briefing):
    client.force_login(admin)
    assert client.get(LIST).status_code == 403
    assert client.get(briefing.get_absolute_url()).status_code == 404
    assert client.get(reverse("learning:briefing_pdf", args=[briefing.pk])).status_code == 404


def test_writing_a_briefing_linked_to_a_review(client, manager):
    review = CaseReview.objects.create(
        reference="NSCP-2025-07", kind=CaseReview.Kind.LCSPR, title="Register title",
        child_pseudonym="Child H", created_by=manager,
    )  # fmt: skip
    client.force_login(manager)
    page = client.get(f"{NEW}?review={review.pk}").content.decode()
    assert "Review NSCP-2025-07" in page and 'value="Register title"' not in page
    response = client.post(f"{NEW}?review={review.pk}", FIELDS)
    briefing = Briefing.objects.get()
    assert response.status_code == 302 and response["Location"] == briefing.get_absolute_url()
    assert briefing.review == review and briefing.written_by == manager
    assert client.get(f"{NEW}?review=999999").status_code == 404
    assert client.get(f"{NEW}?review=abc").status_code == 404


def test_a_refused_briefing_comes_back_with_each_problem_against_its_question(client, manager):
    client.force_login(manager)
    response = client.post(NEW, {**FIELDS, "why_it_matters": "", "questions": " "})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter why it matters" in page and "Enter at least one question to reflect on" in page
    response = client.post(NEW, {**FIELDS, "findings": "word " * 700})
    assert response.status_code == 400 and "it must fit on one page" in response.content.decode()
    assert not Briefing.objects.exists()


def test_changing_a_briefing_is_the_partnerships(client, manager, practitioner, briefing):
    edit = reverse("learning:briefing_edit", args=[briefing.pk])
    client.force_login(practitioner)
    assert client.get(edit).status_code == 403
    assert client.post(edit, {**FIELDS, "title": "Changed"}).status_code == 403
    client.force_login(manager)
    assert 'value="Think Sibling"' in client.get(edit).content.decode()
    response = client.post(edit, {**FIELDS, "title": "Think Sibling, again"})
    assert response.status_code == 302
    briefing.refresh_from_db()
    assert briefing.title == "Think Sibling, again"
    assert client.get(reverse("learning:briefing_edit", args=[999999])).status_code == 404


def test_the_briefing_page_shows_the_five_parts_and_the_session_form_only_to_leads(
    client, practitioner, lead, briefing
):
    client.force_login(practitioner)
    page = client.get(briefing.get_absolute_url()).content.decode()
    for heading in ("Background", "Why it matters", "Findings", "What to do",
                    "Questions to reflect on"):  # fmt: skip
        assert heading in page
    assert "When did you last see each child?" in page
    assert "Record a session" not in page and "Change the briefing" not in page
    client.force_login(lead)
    page = client.get(briefing.get_absolute_url()).content.decode()
    assert "Record a session" in page and "Brookfield School" in page
    assert "Elm Tree Surgery" not in page  # only their own agency


def test_a_lead_records_a_session_for_their_own_agency(client, lead, school, gp, briefing):
    client.force_login(lead)
    url = reverse("learning:briefing_sessions", args=[briefing.pk])
    answers = {"delivered_on": typed(timezone.localdate()), "agency": school.pk,
               "audience": "Designated leads", "attendance": "12"}  # fmt: skip
    response = client.post(url, answers)
    assert response.status_code == 302 and response["Location"] == briefing.get_absolute_url()
    session = BriefingSession.objects.get()
    assert (session.agency, session.attendance, session.recorded_by) == (school, 12, lead)
    # Another agency's session is not theirs to record.
    response = client.post(url, {**answers, "agency": gp.pk})
    assert response.status_code == 400 and BriefingSession.objects.count() == 1


def test_a_refused_session_comes_back_with_each_problem_against_its_question(
    client, manager, gp, briefing
):
    client.force_login(manager)
    url = reverse("learning:briefing_sessions", args=[briefing.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(url, {"delivered_on": typed(tomorrow), "agency": gp.pk, "audience": "",
                                 "attendance": "0"})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "The session must not be in the future" in page
    assert "Enter who the session was for" in page and "at least 1" in page
    response = client.post(url, {"delivered_on": "31 02 2026", "attendance": "many"})
    page = response.content.decode()
    assert "Enter the date as day month year" in page and "as a number" in page
    assert not BriefingSession.objects.exists()


def test_recording_a_session_is_refused_to_a_practitioner(client, practitioner, school, briefing):
    client.force_login(practitioner)
    url = reverse("learning:briefing_sessions", args=[briefing.pk])
    answers = {"delivered_on": typed(timezone.localdate()), "agency": school.pk,
               "audience": "Staff", "attendance": "3"}  # fmt: skip
    assert client.post(url, answers).status_code == 403
    assert client.get(url).status_code == 405
    assert not BriefingSession.objects.exists()


def test_the_pdf_is_one_page_with_the_five_parts_and_is_audited(client, practitioner, briefing):
    client.force_login(practitioner)
    response = client.get(reverse("learning:briefing_pdf", args=[briefing.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for heading in ("Background", "Why it matters", "Findings", "What to do",
                    "Questions to reflect on", "OFFICIAL", "Think Family partnership"):  # fmt: skip
        assert heading in text, heading
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.object_type, event.object_id) == (
        practitioner,
        "briefing",
        str(briefing.pk),
    )


def test_reach_is_for_the_partnership_and_review_panel(
    client, manager, practitioner, lead, partnership, school, gp, briefing
):
    BriefingSession.objects.create(
        briefing=briefing, agency=school, attendance=9, audience="Staff",
        delivered_on=timezone.localdate(), recorded_by=manager,
    )  # fmt: skip
    for user in (practitioner, lead):
        client.force_login(user)
        assert client.get(REACH).status_code == 403
    client.force_login(make_user(partnership, User.Role.REVIEWER))
    assert client.get(REACH).status_code == 200
    client.force_login(manager)
    page = client.get(REACH, {"briefing": briefing.pk}).content.decode()
    assert "Brookfield School" in page and "1 session, 9 attended" in page
    assert "Elm Tree Surgery" in page.split('id="not-reached"')[1]
    assert client.get(REACH, {"briefing": 999999}).status_code == 404
    assert client.get(REACH, {"briefing": "x"}).status_code == 404
