"""The reads that carry the learning to practitioners (``learning.dissemination``): the briefing
list and page, whom a session may be recorded for, reach by agency counted exactly on a
hand-built set, and the one-page PDF of a briefing at the longest a briefing may be.
"""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.dissemination import (
    briefing_detail,
    briefing_list,
    briefing_pdf,
    briefing_reach,
    partnership_name,
    session_agencies,
)
from thinkfamily.learning.models import Briefing, BriefingSession, CaseReview
from thinkfamily.learning.services import BRIEFING_FIELDS, BRIEFING_MAX_WORDS, briefing_write
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db

SENTENCE = (
    "Practitioners did not ask who else lived in the household, so the preschool siblings "
    "and the mother's new partner were invisible to every agency involved."
)
HEADINGS = ("Background", "Why it matters", "Findings", "What to do", "Questions to reflect on")


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def partnership() -> Agency:
    return make_agency("LSCP", Agency.AgencyType.OTHER, "Northshire Safeguarding Partnership")


@pytest.fixture
def manager(partnership) -> User:
    return make_user(partnership, User.Role.PARTNERSHIP_MANAGER)


@pytest.fixture
def school() -> Agency:
    return make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Brookfield School")


@pytest.fixture
def gp() -> Agency:
    return make_agency("GP-1", Agency.AgencyType.GP, "Elm Tree Surgery")


@pytest.fixture
def police() -> Agency:
    return make_agency("POL-1", Agency.AgencyType.POLICE, "Northshire Police")


def a_briefing(by: User, title: str = "Think Sibling", review: CaseReview | None = None):
    return Briefing.objects.create(
        review=review, title=title, background="Child H lived with a new partner.",
        why_it_matters="Siblings were not seen.", findings="No one asked who lived there.",
        what_to_do="Ask who lives at home.", questions="Who lives here?\nWho have you seen?",
        written_by=by,
    )  # fmt: skip


def session(briefing: Briefing, agency: Agency, attendance: int, days_ago: int, by: User):
    return BriefingSession.objects.create(
        briefing=briefing, agency=agency, attendance=attendance, audience="Team meeting",
        delivered_on=today() - dt.timedelta(days=days_ago), recorded_by=by,
    )  # fmt: skip


def test_reach_by_agency_is_counted_exactly_and_shows_the_gaps(
    manager, partnership, school, gp, police, django_assert_max_num_queries
):
    first, second = a_briefing(manager, "First"), a_briefing(manager, "Second")
    session(first, school, 10, 30, manager)
    session(first, school, 5, 20, manager)
    session(second, school, 7, 10, manager)
    session(second, gp, 4, 5, manager)
    with django_assert_max_num_queries(2):  # one grouped query, one for the agencies
        reach = briefing_reach(viewer=manager)
    rows = {row.agency.code: row for row in reach.reached}
    assert [row.agency.code for row in reach.reached] == ["SCH-1", "GP-1"]  # most attended first
    school_row, gp_row = rows["SCH-1"], rows["GP-1"]
    assert (school_row.sessions, school_row.attendance, school_row.briefings) == (3, 22, 2)
    assert school_row.last_session_on == today() - dt.timedelta(days=10)
    assert (gp_row.sessions, gp_row.attendance, gp_row.briefings) == (1, 4, 1)
    assert gp_row.last_session_on == today() - dt.timedelta(days=5)
    assert {agency.code for agency in reach.not_reached} == {"LSCP", "POL-1"}
    assert (reach.total_sessions, reach.total_attendance) == (4, 26)

    only_first = briefing_reach(viewer=manager, briefing_id=first.pk)
    assert [(r.agency.code, r.sessions, r.attendance, r.briefings) for r in only_first.reached] == [
        ("SCH-1", 2, 15, 1)
    ]
    assert only_first.reached[0].last_session_on == today() - dt.timedelta(days=20)
    assert {agency.code for agency in only_first.not_reached} == {"LSCP", "GP-1", "POL-1"}


def test_reach_is_the_partnerships_and_review_panels_only(manager, partnership, school):
    session(a_briefing(manager), school, 3, 1, manager)
    reviewer = make_user(partnership, User.Role.REVIEWER)
    assert briefing_reach(viewer=reviewer).total_attendance == 3
    for role in (User.Role.PRACTITIONER, User.Role.DESIGNATED_SAFEGUARDING_LEAD):
        reach = briefing_reach(viewer=make_user(school, role))
        assert reach.reached == [] and reach.not_reached == []
    with pytest.raises(Briefing.DoesNotExist):
        briefing_reach(viewer=manager, briefing_id=999999)


def test_every_member_of_staff_reads_briefings_and_leads_record_sessions_for_their_agency(
    manager, school, gp
):
    briefing = a_briefing(manager)
    session(briefing, school, 6, 2, manager)
    practitioner = make_user(school, User.Role.PRACTITIONER)
    lead = make_user(school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    admin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR)

    seen = briefing_detail(briefing_id=briefing.pk, viewer=practitioner)
    assert seen.total_attendance == 6 and not seen.may_edit and not seen.may_record_session
    assert not seen.may_see_review
    assert briefing_detail(briefing_id=briefing.pk, viewer=lead).may_record_session
    assert briefing_detail(briefing_id=briefing.pk, viewer=manager).may_edit
    with pytest.raises(Briefing.DoesNotExist):
        briefing_detail(briefing_id=briefing.pk, viewer=admin)

    assert session_agencies(viewer=lead) == [school]
    assert session_agencies(viewer=practitioner) == []
    assert set(session_agencies(viewer=manager)) == set(Agency.objects.all())

    listed = list(briefing_list(viewer=practitioner))
    assert [(b.title, b.session_count, b.attendance) for b in listed] == [("Think Sibling", 1, 6)]
    assert list(briefing_list(viewer=admin)) == []


def _maximum_briefing() -> dict[str, str]:
    """A briefing of exactly BRIEFING_MAX_WORDS words, in the five parts and a title."""
    sentence = SENTENCE.split()
    fields = {"title": "Think Sibling: every child in the household, every adult in the home"}
    words_left = BRIEFING_MAX_WORDS - len(fields["title"].split())
    questions = [
        "Who lives in the home, and who visits it?",
        "When did you last see each child, and where?",
        "What would the youngest child tell you about a day at home?",
        "Who else knows this family, and have you spoken to them?",
        "What do you know about the new partner, and how do you know it?",
        "What would make you escalate, and to whom?",
    ]
    fields["questions"] = "\n".join(questions)
    words_left -= len(fields["questions"].split())
    parts = ("background", "why_it_matters", "findings", "what_to_do")
    share = words_left // len(parts)
    for index, name in enumerate(parts):
        count = share if index < len(parts) - 1 else words_left - share * (len(parts) - 1)
        text = [sentence[i % len(sentence)] for i in range(count)]
        # Paragraphs, as a writer would break them.
        fields[name] = "\n\n".join(" ".join(text[i : i + 45]) for i in range(0, count, 45))
    assert sum(len(fields[name].split()) for name in BRIEFING_FIELDS) == BRIEFING_MAX_WORDS
    return fields


def test_the_longest_briefing_allowed_prints_on_one_page_of_a4(manager, settings):
    settings.THINKFAMILY_PARTNERSHIP_NAME = "Northshire Safeguarding Children Partnership"
    review = CaseReview.objects.create(
        reference="NSCP-2025-07", kind=CaseReview.Kind.LCSPR, title="Register title",
        child_pseudonym="Child H", report_completed_on=dt.date(2026, 3, 4), created_by=manager,
    )  # fmt: skip
    briefing = briefing_write(by=manager, fields=_maximum_briefing(), review=review)
    pdf = briefing_pdf(briefing=briefing)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = " ".join(reader.pages[0].extract_text().split())
    for heading in HEADINGS:
        assert heading in text, heading
    assert "OFFICIAL" in text and "OFFICIAL-SENSITIVE" not in text
    assert "Think Sibling: every child in the household" in text
    assert "NSCP-2025-07" in text and "4 March 2026" in text
    assert "Northshire Safeguarding Children Partnership" in text
    assert "Register title" not in text and "Child H" not in text


def test_the_partnership_name_has_a_default(settings):
    if hasattr(settings, "THINKFAMILY_PARTNERSHIP_NAME"):
        del settings.THINKFAMILY_PARTNERSHIP_NAME
    assert partnership_name() == "Think Family partnership"
    settings.THINKFAMILY_PARTNERSHIP_NAME = "Northshire Partnership"
    assert partnership_name() == "Northshire Partnership"
