"""Signing in and out, and the sign-in wall in front of every case record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def practitioner() -> User:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    return make_user(school, username="testy.worker", password=PASSWORD)


def test_sign_in_page_is_open_to_anonymous_users(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "Sign in to Think Family" in response.content.decode()


def test_sign_in_signs_the_user_in_and_goes_to_search(client, practitioner):
    response = client.post(
        reverse("accounts:login"), {"username": "testy.worker", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("people:search")
    page = client.get(reverse("people:search")).content.decode()
    assert "Testwood Primary School" in page
    assert "Sign out" in page


def test_sign_in_is_written_to_the_audit_trail(client, practitioner):
    client.post(reverse("accounts:login"), {"username": "testy.worker", "password": PASSWORD})

    entry = AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN)
    assert entry.actor == practitioner


def test_sign_in_with_a_wrong_password_is_refused_with_an_error_summary(client, practitioner):
    response = client.post(
        reverse("accounts:login"), {"username": "testy.worker", "password": "not-the-password"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a correct username and password" in page
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN).exists()


def test_sign_in_with_empty_fields_names_each_field(client):
    page = client.post(reverse("accounts:login"), {}).content.decode()

    assert 'href="#id_username">Enter your username' in page
    assert 'href="#id_password">Enter your password' in page


def test_sign_in_returns_to_the_page_first_asked_for(client, practitioner):
    response = client.post(
        reverse("accounts:login") + "?next=/people/1/",
        {"username": "testy.worker", "password": PASSWORD, "next": "/people/1/"},
    )

    assert response.url == "/people/1/"


@pytest.mark.parametrize(
    "url", [reverse("people:search"), reverse("people:person", args=[1]), "/households/1/"]
)
def test_anonymous_users_are_redirected_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


def test_sign_out_signs_the_user_out_and_is_audited(client, practitioner):
    client.force_login(practitioner)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    entry = AuditEvent.objects.get(action=AuditEvent.Action.SIGN_OUT)
    assert entry.actor == practitioner


def test_sign_out_by_following_a_link_is_refused(client, practitioner):
    client.force_login(practitioner)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
