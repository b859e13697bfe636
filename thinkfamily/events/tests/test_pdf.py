"""The chronology PDF: a real A4 document, marked on every page, holding what the viewer read."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from pypdf import PdfReader

from thinkfamily.accounts.models import User
from thinkfamily.events.pdf import SECURITY_MARKING, NoFetching, chronology_pdf
from thinkfamily.events.selectors import family_chronology
from thinkfamily.events.tests.conftest import Family, many_events

pytestmark = pytest.mark.django_db

GENERATED_AT = dt.datetime(2024, 6, 3, 14, 5, tzinfo=dt.UTC)  # 15:05 in London
A4_POINTS = (595, 842)


def render(family: Family, viewer: User, **filters: Any) -> bytes:
    chronology = family_chronology(household=family.household, viewer=viewer, **filters)
    return chronology_pdf(
        household=family.household,
        chronology=chronology,
        viewer=viewer,
        generated_at=GENERATED_AT,
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def first_page(pdf: bytes) -> str:
    """The first page's text with every run of whitespace (line ends too) as one space."""
    return " ".join(pages_text(pdf)[0].split())


@pytest.fixture
def school_dsl(family: Family) -> User:
    user = family.user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    user.first_name, user.last_name = "Foxtrot", "Teacher"
    user.save()
    return user


def test_the_export_is_a_real_a4_pdf(family, school_dsl):
    pdf = render(family, school_dsl)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == A4_POINTS
    assert reader.metadata is not None
    assert reader.metadata.title == "Family chronology — 7 Imaginary Lane, ZZ9 1AA"


def test_the_pdf_says_what_it_is_who_made_it_and_when(family, school_dsl):
    text = first_page(render(family, school_dsl))

    assert "Family chronology — 7 Imaginary Lane, ZZ9 1AA" in text
    assert "Foxtrot Teacher, Testwood Primary School (Designated safeguarding lead)" in text
    assert "3 June 2024 at 15:05" in text
    assert "None: every entry you may read" in text


def test_the_pdf_holds_the_entries_the_viewer_reads_and_not_the_others(family, school_dsl):
    text = first_page(render(family, school_dsl))

    assert "Arrived at school hungry" in text
    assert "Asthma review" in text
    assert "Missed two-year health review" not in text
    assert "Refuge address recorded" not in text
    assert "Restricted health note about Alpha" not in text


def test_the_pdf_says_how_many_entries_are_not_shown_and_why(family, school_dsl):
    text = first_page(render(family, school_dsl))

    assert (
        "5 entries about these people are not shown: they are held by agencies whose records "
        "you may not read, or restricted." in text
    )


def test_the_pdf_states_the_filters_applied(family):
    manager = family.user(family.csc, User.Role.CSC_MANAGER)

    text = first_page(render(family, manager, person_id=family.pupil.pk, event_type="appointment"))

    assert "Person: Alpha Testfamily; Type: Appointment" in text
    assert "Asthma review" in text
    assert "Arrived at school hungry" not in text


def test_an_empty_chronology_says_so(family):
    manager = family.user(family.csc, User.Role.CSC_MANAGER)

    text = first_page(render(family, manager, event_type="referral"))

    assert "There are no entries you may read that match these filters." in text


def test_a_long_chronology_runs_over_pages_each_marked_and_numbered(family):
    many_events(family.preschool_sibling, family.gp, 120, first=dt.date(2025, 1, 1))
    manager = family.user(family.csc, User.Role.CSC_MANAGER)

    pages = pages_text(render(family, manager))

    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert text.count(SECURITY_MARKING) >= 2, f"page {number} lacks its head and foot marking"
        assert f"Page {number} of {len(pages)}" in text
    everything = "".join(pages)
    assert "Routine visit number 1," in everything
    assert "Routine visit number 120," in everything


def test_a_truncated_chronology_says_older_entries_are_left_out(family):
    many_events(family.preschool_sibling, family.gp, 12, first=dt.date(2025, 1, 1))
    manager = family.user(family.csc, User.Role.CSC_MANAGER)

    text = first_page(render(family, manager, limit=10))

    assert "Only the newest 10 entries are included. Older entries exist" in text


def test_household_text_is_escaped_not_read_as_markup(family, school_dsl):
    family.household.address = "<b>7</b> Imaginary Lane & Co"
    family.household.save()

    text = first_page(render(family, school_dsl))

    assert "Family chronology — <b>7</b> Imaginary Lane & Co, ZZ9 1AA" in text


def test_rendering_fetches_nothing():
    with pytest.raises(ValueError, match="loads nothing from outside"):
        NoFetching().fetch("https://example.org/tracker.png")
