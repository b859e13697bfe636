"""The Annex A and referral measures pages: who may see them, the download, and bad periods."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.tests.factories import make_agency, make_user
from thinkfamily.referrals.annex_a import LIST_3_COLUMNS, annex_a_csv, annex_a_list_3
from thinkfamily.referrals.tests import test_annex_a, test_measures

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-02", "end": "2026-09-14"}
REFUSED_ROLES = [User.Role.CSC_WORKER, User.Role.PRACTITIONER, User.Role.AUDITOR]


@pytest.fixture
def annex_case() -> test_annex_a.Case:
    return test_annex_a.Case()


@pytest.fixture
def measures_case() -> test_measures.Case:
    return test_measures.Case()


def signed_in(client, user):
    client.force_login(user)
    return client


def download_url(number: int) -> str:
    return reverse("referrals:annex_a_download", args=[number])


# --- Annex A ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER])
def test_a_manager_chooses_a_period_and_sees_a_download_link_for_each_list(
    client, annex_case, role
):
    manager = make_user(annex_case.family.csc, role)
    page = signed_in(client, manager).get(reverse("referrals:annex_a"), PERIOD)
    assert page.status_code == 200
    assert "Download List 1, contacts (CSV, 3 rows)" in page.text
    assert "Download List 3, referrals (CSV, 2 rows)" in page.text
    assert f'href="{download_url(3)}?start=2026-03-02&amp;end=2026-09-14"' in page.text
    # Showing how many rows there are exports nothing.
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_annex_a_page_offers_the_six_months_to_today_by_default(client, annex_case):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    page = signed_in(client, manager).get(reverse("referrals:annex_a"))
    assert page.status_code == 200
    today = timezone.localdate()
    start, end = (page.context["form"].cleaned_data[name] for name in ("start", "end"))
    assert end == today
    assert (today.year * 12 + today.month) - (start.year * 12 + start.month) == 6
    assert start.day == today.day or (start.day < today.day and start.month == 2)
    assert "Download List 1, contacts" in page.text


def test_the_download_is_the_list_as_a_csv_attachment_and_an_audited_export(client, annex_case):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    response = signed_in(client, manager).get(download_url(3), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="annex-a-list-3-2026-03-02-2026-09-14.csv"'
    )
    rows = annex_a_list_3(start=test_annex_a.START, end=test_annex_a.END)
    assert response.content == b"\xef\xbb\xbf" + annex_a_csv(rows, LIST_3_COLUMNS).encode()
    assert "no-cache" in response["Cache-Control"]
    entry = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (entry.actor, entry.object_type, entry.object_id) == (manager, "annex_a", "list-3")
    assert entry.detail == {"list": 3, "from": "2026-03-02", "to": "2026-09-14", "rows": 2}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-02-30", "end": "2026-03-31"}, "start (From): Enter the first day"),
        ({"start": "2026-03-01"}, "end (To): Enter the last day of the period"),
        ({"start": "2026-09-14", "end": "2026-03-02"}, "end (To): The last day must be"),
    ],
)
def test_a_download_with_a_period_it_cannot_read_is_a_400_naming_the_field(
    client, annex_case, query, message
):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    response = signed_in(client, manager).get(download_url(1), query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_day_may_be_typed_the_british_way(client, annex_case):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    response = signed_in(client, manager).get(download_url(1), {"start": "2/3/2026",
                                                                 "end": "14/09/2026"})  # fmt: skip
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").count("\r\n") == 4  # the header and 3 contacts


def test_the_page_shows_what_is_wrong_with_the_period(client, annex_case):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    page = signed_in(client, manager).get(reverse("referrals:annex_a"), {"start": "soon"})
    assert page.status_code == 400
    assert "There is a problem" in page.text
    assert "Enter the first day of the period as a real date" in page.text
    assert "Download List 1, contacts" not in page.text


def test_there_is_no_list_2(client, annex_case):
    manager = make_user(annex_case.family.csc, User.Role.CSC_MANAGER)
    assert signed_in(client, manager).get(download_url(2), PERIOD).status_code == 404


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_annex_a_is_refused_to_those_who_do_not_make_the_return(client, annex_case, role):
    user = make_user(annex_case.family.csc if role != User.Role.PRACTITIONER else
                     annex_case.family.gp, role)  # fmt: skip
    browser = signed_in(client, user)
    assert browser.get(reverse("referrals:annex_a"), PERIOD).status_code == 404
    assert browser.get(download_url(1), PERIOD).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_annex_a_asks_a_visitor_to_sign_in(client):
    response = client.get(download_url(1), PERIOD)
    assert response.status_code == 302 and "next=" in response["Location"]


# --- measures ---------------------------------------------------------------------------


def test_a_partnership_manager_sees_the_measures_by_agency_and_month(client, measures_case):
    manager = make_user(make_agency("LSCP", "other", "Safeguarding Partnership"),
                        User.Role.PARTNERSHIP_MANAGER)  # fmt: skip
    page = signed_in(client, manager).get(
        reverse("referrals:measures"), {"start": "2026-04-01", "end": "2026-05-31"}
    )
    assert page.status_code == 200
    text = page.text
    assert "6 referrals made from 1 April 2026 to 31 May 2026" in text
    assert "Acacia Surgery" in text and "Brookfield School" in text
    assert "April 2026" in text and "May 2026" in text
    assert "1 of 2 (50.0%)" in text  # the GP's April acknowledgements in time
    assert "2 (33.3%)" in text  # not told because of the risk of harm, of all 6
    assert "2 of 3 (66.7%)" in text  # … of the 3 not told
    assert "1 of 5 (20.0%)" in text  # acknowledged in time, of the 5 received
    assert "0 of 0 (\N{EN DASH})" in text  # the GP's May referral has not been received
    assert "2 overdue" in text  # both of the school's unacknowledged May referrals, by now
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_WORKLIST)
    assert entry.object_type == "referral_measures"


def test_the_measures_default_to_the_twelve_months_to_today(client, measures_case):
    manager = make_user(measures_case.family.csc, User.Role.PARTNERSHIP_MANAGER)
    page = signed_in(client, manager).get(reverse("referrals:measures"))
    assert page.status_code == 200
    today = timezone.localdate()
    start, end = (page.context["form"].cleaned_data[name] for name in ("start", "end"))
    assert end == today and start.day == 1
    assert (today.year * 12 + today.month) - (start.year * 12 + start.month) == 11


def test_the_measures_page_shows_what_is_wrong_with_the_period(client, measures_case):
    manager = make_user(measures_case.family.csc, User.Role.PARTNERSHIP_MANAGER)
    page = signed_in(client, manager).get(
        reverse("referrals:measures"), {"start": "2026-05-31", "end": "2026-04-01"}
    )
    assert page.status_code == 400
    assert "The last day must be the same as or after the first day" in page.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_WORKLIST).exists()


@pytest.mark.parametrize("role", [*REFUSED_ROLES, User.Role.CSC_MANAGER])
def test_the_measures_are_refused_to_all_but_partnership_managers(client, measures_case, role):
    family = measures_case.family
    user = make_user(family.csc if role != User.Role.PRACTITIONER else family.school, role)
    page = signed_in(client, user).get(reverse("referrals:measures"))
    assert page.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_WORKLIST).exists()
