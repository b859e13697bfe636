"""The chronology PDF download, and the includes the family page shows the chronology with.

The family is in ``conftest``.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.events.selectors import family_chronology
from thinkfamily.events.tests.conftest import Family, many_events

pytestmark = pytest.mark.django_db


def pdf_url(family: Family, query: str = "") -> str:
    return reverse("events:chronology_pdf", args=[family.household.pk]) + query


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT))


# The download


def test_the_download_is_a_pdf_attachment_named_for_the_household_and_day(client, family):
    signed_in(client, family.user(family.school))

    response = client.get(pdf_url(family))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="family-chronology-{family.household.pk}-{today}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]


def test_the_download_holds_only_what_the_viewer_may_read(client, family):
    signed_in(client, family.user(family.school))

    text = pdf_text(client.get(pdf_url(family)).content)

    assert "Arrived at school hungry" in text
    assert "Missed two-year health review" not in text
    assert "5 entries about these people are not shown" in text


def test_the_download_applies_the_pages_filters(client, family):
    signed_in(client, family.user(family.csc, User.Role.CSC_MANAGER))

    response = client.get(pdf_url(family, f"?person={family.pupil.pk}&agency=&type=appointment"))

    text = pdf_text(response.content)
    assert "Person: Alpha Testfamily; Type: Appointment" in text
    assert "Asthma review" in text
    assert "Arrived at school hungry" not in text


def test_the_export_is_audited_with_its_reason_filters_and_size(client, family):
    user = family.user(family.school)
    signed_in(client, user)

    client.get(pdf_url(family, "?type=concern"))

    (export,) = exports()
    assert export.actor == user
    assert (export.object_type, export.object_id) == ("household", str(family.household.pk))
    assert export.reason == "agency knows a member of this household"
    assert export.detail == {
        "format": "pdf",
        "filters": {"person": None, "agency": None, "type": "concern"},
        "entries": 1,
        "hidden": 5,
        "truncated": False,
    }


# Refusals


def test_a_user_whose_agency_knows_nobody_in_the_household_gets_404(client, family):
    outsider = family.user(family.police)
    family.mother.records.filter(agency=family.police).delete()
    signed_in(client, outsider)

    response = client.get(pdf_url(family))

    assert response.status_code == 404
    assert exports() == []


def test_a_household_that_does_not_exist_gets_the_same_404(client, family):
    signed_in(client, family.user(family.csc, User.Role.CSC_MANAGER))

    response = client.get(reverse("events:chronology_pdf", args=[family.household.pk + 1000]))

    assert response.status_code == 404


def test_a_system_administrator_gets_404(client, family):
    admin = User.objects.create(username="admin-test", role=User.Role.SYSTEM_ADMINISTRATOR)
    signed_in(client, admin)

    assert client.get(pdf_url(family)).status_code == 404


def test_someone_not_signed_in_is_sent_to_sign_in(client, family):
    response = client.get(pdf_url(family))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?person=abc", "The person filter must be the number of a person"),
        ("?agency=1.5", "The agency filter must be the number of an agency"),
        ("?type=burglary", "The event type filter must be one of"),
    ],
)
def test_bad_filters_get_400_with_a_clear_message_and_no_export(client, family, query, message):
    signed_in(client, family.user(family.school))

    response = client.get(pdf_url(family, query))

    assert response.status_code == 400
    assert response.content.decode().startswith(message)
    assert exports() == []


def test_bad_filters_from_someone_without_access_still_get_404(client, family):
    admin = User.objects.create(username="admin-test", role=User.Role.SYSTEM_ADMINISTRATOR)
    signed_in(client, admin)

    assert client.get(pdf_url(family, "?person=abc")).status_code == 404


def test_the_download_refuses_post(client, family):
    signed_in(client, family.user(family.school))

    assert client.post(pdf_url(family)).status_code == 405


@pytest.mark.parametrize("extra_events", [0, 200])
def test_the_number_of_queries_does_not_grow_with_the_record(
    client, family, django_assert_max_num_queries, extra_events
):
    many_events(family.preschool_sibling, family.gp, extra_events, first=dt.date(2025, 1, 1))
    many_events(family.pupil, family.school, extra_events, first=dt.date(2025, 1, 1))
    signed_in(client, family.user(family.school))

    # Session and user; household and access; four for the chronology; the
    # viewer's agency; the audit entry (savepoint, last entry, insert, release, and on
    # PostgreSQL the trail's lock first); the session's idle expiry pushed back
    # (savepoint, update, release).
    chain_lock = 1 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(16 + chain_lock):
        response = client.get(pdf_url(family))
    assert response.status_code == 200


# The includes the family page uses


def render_include(template: str, family: Family, viewer: User, **context: object) -> str:
    chronology = family_chronology(household=family.household, viewer=viewer)
    return render_to_string(
        template, {"chronology": chronology, "household": family.household, **context}
    )


def test_the_table_lists_entries_with_seen_tags_and_the_hidden_note(family):
    html = render_include(
        "events/includes/chronology_table.html", family, family.user(family.school)
    )

    assert "Arrived at school hungry" in html
    assert "Seen</strong>" in html
    assert "5 entries from other agencies or restricted are not shown to you." in html


def test_the_table_links_only_the_people_the_viewer_may_open(family):
    html = render_include(
        "events/includes/chronology_table.html",
        family,
        family.user(family.school),
        openable_person_ids={family.pupil.pk},
    )

    assert f'href="/people/{family.pupil.pk}/"' in html


def test_the_table_links_nobody_without_openable_people(family):
    html = render_include(
        "events/includes/chronology_table.html", family, family.user(family.school)
    )

    assert 'href="/people/' not in html


def test_the_table_says_when_there_is_nothing_to_read(family):
    admin = User.objects.create(username="admin-test", role=User.Role.SYSTEM_ADMINISTRATOR)

    html = render_include("events/includes/chronology_table.html", family, admin)

    assert "There are no entries you may read." in html
    assert "<table" not in html


def test_the_table_says_when_the_chronology_is_cut_short(family):
    many_events(family.pupil, family.school, 501, first=dt.date(2025, 1, 1))

    html = render_include(
        "events/includes/chronology_table.html", family, family.user(family.school)
    )

    assert "Only the newest 500 entries are shown." in html


def test_the_filter_form_offers_the_choices_and_keeps_the_current_ones(family):
    viewer = family.user(family.csc, User.Role.CSC_MANAGER)
    chronology = family_chronology(
        household=family.household, viewer=viewer, person_id=family.pupil.pk, event_type="note"
    )

    html = render_to_string(
        "events/includes/chronology_filters.html",
        {"chronology": chronology, "household": family.household},
    )

    assert '<form method="get">' in html
    assert '<label class="govuk-label" for="chronology-person">Person</label>' in html
    assert f'<option value="{family.pupil.pk}" selected>Alpha Testfamily</option>' in html
    assert '<option value="note" selected>Note</option>' in html
    assert f'<option value="{family.police.pk}">Testshire Police</option>' in html
    assert f'href="{pdf_url(family, f"?person={family.pupil.pk}&amp;type=note")}"' in html
    assert ">Filter</button>" in html
