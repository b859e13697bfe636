"""Lock-out (django-axes): five failures for one username from one address lock it out."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.client_ip import client_ip_address
from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.tests.test_two_factor import current_code, wrong_code
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SEARCH = reverse("people:search")
CODE_PAGE = reverse("accounts:two_factor")


@pytest.fixture
def practitioner() -> User:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    return make_user(school, username="testy.worker", password=PASSWORD)


def fail(client, times: int, username: str = "testy.worker") -> None:
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "not-the-password"})


def test_lock_out_is_five_failures_for_thirty_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_four_failures_do_not_lock_the_account(client, practitioner):
    fail(client, 4)

    response = client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == SEARCH


def test_the_fifth_failure_shows_the_locked_page(client, practitioner):
    fail(client, 4)

    response = client.post(LOGIN, {"username": "testy.worker", "password": "not-the-password"})

    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert "locked for 30 minutes" in page


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, practitioner):
    fail(client, 5)

    response = client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_for_that_username_only(client, practitioner):
    make_user(practitioner.agency, username="other.worker", password=PASSWORD)
    fail(client, 5)

    response = client.post(LOGIN, {"username": "other.worker", "password": PASSWORD})

    assert response.status_code == 302


def test_the_lock_is_for_that_address_only(client, practitioner):
    fail(client, 5)

    response = client.post(
        LOGIN, {"username": "testy.worker", "password": PASSWORD}, REMOTE_ADDR="192.0.2.44"
    )

    assert response.status_code == 302


def test_the_lock_ends_after_thirty_minutes(client, practitioner):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time.replace(
        year=2000
    ))  # fmt: skip

    response = client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    assert response.status_code == 302


def test_a_successful_sign_in_resets_the_failures(client, practitioner):
    fail(client, 4)
    client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})
    client.post(reverse("accounts:logout"))

    fail(client, 4)
    response = client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == SEARCH


@pytest.mark.two_factor
def test_wrong_codes_count_towards_the_lock_out_and_sign_the_user_out(client, practitioner):
    device = TOTPDevice.objects.create(user=practitioner, name="app", confirmed=True)
    fail(client, 3)
    client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})
    client.post(CODE_PAGE, {"code": wrong_code(device)})

    response = client.post(CODE_PAGE, {"code": wrong_code(device)})

    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session
    refused = client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})
    assert refused.status_code == 429


@pytest.mark.two_factor
def test_a_password_alone_does_not_reset_the_failures(client, practitioner):
    """Otherwise a stolen password would buy four more guesses at the code each time."""
    TOTPDevice.objects.create(user=practitioner, name="app", confirmed=True)
    fail(client, 4)

    client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    assert AccessAttempt.objects.get().failures_since_start == 4


@pytest.mark.two_factor
def test_the_right_code_resets_the_failures(client, practitioner):
    device = TOTPDevice.objects.create(user=practitioner, name="app", confirmed=True)
    fail(client, 4)
    client.post(LOGIN, {"username": "testy.worker", "password": PASSWORD})

    client.post(CODE_PAGE, {"code": current_code(device)})

    assert not AccessAttempt.objects.exists()
    assert client.get(SEARCH).status_code == 200


def test_the_client_address_is_remote_addr_without_trusted_proxies(settings):
    settings.THINKFAMILY_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )

    assert client_ip_address(request) == "198.51.100.9"


def test_behind_one_proxy_a_forged_forwarded_for_entry_is_ignored(settings):
    settings.THINKFAMILY_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )

    assert client_ip_address(request) == "203.0.113.7"


def test_behind_two_proxies_the_outer_proxys_entry_is_used(settings):
    settings.THINKFAMILY_TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.2"
    )

    assert client_ip_address(request) == "203.0.113.7"
