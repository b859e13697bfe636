"""Two-factor sign-in: enrolling an authenticator app, then a code at every sign-in."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

SEARCH = reverse("people:search")
CODE_PAGE = reverse("accounts:two_factor")


@pytest.fixture
def practitioner() -> User:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    return make_user(school, username="testy.worker", password=PASSWORD)


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {current_code(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in_with_password(client) -> object:
    return client.post(
        reverse("accounts:login"), {"username": "testy.worker", "password": PASSWORD}
    )


def test_a_password_alone_does_not_sign_the_user_in_fully(client, practitioner):
    enrolled(practitioner)

    response = sign_in_with_password(client)

    assert response.status_code == 302
    assert response.url.startswith(CODE_PAGE)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN).exists()
    refused = client.get(SEARCH)
    assert refused.status_code == 302
    assert refused.url == f"{CODE_PAGE}?next=%2Fpeople%2F" or refused.url.startswith(CODE_PAGE)


def test_first_sign_in_shows_the_secret_as_text_link_and_qr_code(client, practitioner):
    sign_in_with_password(client)

    page = client.get(CODE_PAGE).content.decode()

    device = TOTPDevice.objects.get(user=practitioner)
    assert not device.confirmed
    assert "Set up your authenticator app" in page
    assert "otpauth://totp/Think%20Family%3Atesty.worker?secret=" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    assert device.config_url.split("secret=")[1].startswith(secret)


def test_reloading_the_enrolment_page_keeps_the_same_secret(client, practitioner):
    sign_in_with_password(client)
    client.get(CODE_PAGE)
    client.get(CODE_PAGE)

    assert TOTPDevice.objects.filter(user=practitioner).count() == 1


def test_enrolment_with_a_wrong_code_is_refused(client, practitioner):
    sign_in_with_password(client)
    client.get(CODE_PAGE)
    device = TOTPDevice.objects.get(user=practitioner)

    response = client.post(CODE_PAGE, {"code": wrong_code(device), "next": SEARCH})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "The code is not correct" in page
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(SEARCH).status_code == 302


def test_enrolment_with_the_right_code_confirms_the_app_and_signs_in(client, practitioner):
    sign_in_with_password(client)
    client.get(CODE_PAGE)
    device = TOTPDevice.objects.get(user=practitioner)

    response = client.post(CODE_PAGE, {"code": current_code(device), "next": SEARCH})

    assert response.status_code == 302
    assert response.url == SEARCH
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(SEARCH)
    assert page.status_code == 200
    assert "Testwood Primary School" in page.content.decode()
    assert AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN).actor == practitioner


def test_an_enrolled_user_is_asked_for_the_code_not_shown_the_secret(client, practitioner):
    device = enrolled(practitioner)
    sign_in_with_password(client)

    page = client.get(CODE_PAGE).content.decode()

    assert "Enter the code from your authenticator app" in page
    assert "otpauth://" not in page
    assert device.key not in page


def test_sign_in_with_the_right_code_goes_to_the_page_first_asked_for(client, practitioner):
    device = enrolled(practitioner)
    client.post(
        reverse("accounts:login") + "?next=/people/1/",
        {"username": "testy.worker", "password": PASSWORD, "next": "/people/1/"},
    )

    response = client.post(CODE_PAGE, {"code": current_code(device), "next": "/people/1/"})

    assert response.url == "/people/1/"
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_wrong_code_is_refused_with_an_error(client, practitioner):
    device = enrolled(practitioner)
    sign_in_with_password(client)

    response = client.post(CODE_PAGE, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert client.get(SEARCH).status_code == 302


@pytest.mark.parametrize(
    ("code", "message"),
    [("", "Enter the 6-digit code"), ("12ab56", "Enter the code as 6 digits")],
)
def test_a_missing_or_malformed_code_names_the_problem(client, practitioner, code, message):
    enrolled(practitioner)
    sign_in_with_password(client)

    page = client.post(CODE_PAGE, {"code": code}).content.decode()

    assert 'href="#id_code">' + message in page


def test_a_code_cannot_be_used_twice(client, practitioner):
    device = enrolled(practitioner)
    sign_in_with_password(client)
    code = current_code(device)
    client.post(CODE_PAGE, {"code": code})
    client.post(reverse("accounts:logout"))
    sign_in_with_password(client)

    response = client.post(CODE_PAGE, {"code": code})

    assert response.status_code == 200
    assert client.get(SEARCH).status_code == 302


def test_someone_elses_code_does_not_verify(client, practitioner):
    enrolled(practitioner)
    other = make_user(practitioner.agency, username="other.worker")
    other_device = enrolled(other)
    sign_in_with_password(client)

    client.post(CODE_PAGE, {"code": current_code(other_device)})

    assert client.get(SEARCH).status_code == 302


def test_the_menu_is_hidden_until_the_code_is_given(client, practitioner):
    enrolled(practitioner)
    sign_in_with_password(client)

    page = client.get(CODE_PAGE).content.decode()

    assert 'aria-label="Menu"' not in page
    assert "Sign out" in page


def test_an_unverified_user_can_still_sign_out(client, practitioner):
    enrolled(practitioner)
    sign_in_with_password(client)

    response = client.post(reverse("accounts:logout"))

    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_the_public_findings_page_needs_no_code(client, practitioner):
    enrolled(practitioner)
    sign_in_with_password(client)

    response = client.get(reverse("learning:public"))

    assert response.status_code == 200


def test_a_session_without_a_second_factor_is_sent_to_the_code_page(client, practitioner):
    client.force_login(practitioner)

    response = client.get(reverse("people:person", args=[1]))

    assert response.status_code == 302
    assert response.url == f"{CODE_PAGE}?next=%2Fpeople%2F1%2F"


def test_a_system_administrator_needs_a_code_too(client):
    admin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR, username="testy.admin")
    client.force_login(admin)

    assert client.get(SEARCH).url.startswith(CODE_PAGE)


def test_the_code_page_will_not_send_the_user_to_another_site(client, practitioner):
    device = enrolled(practitioner)
    sign_in_with_password(client)

    response = client.post(CODE_PAGE, {"code": current_code(device), "next": "https://evil.test/"})

    assert response.url == SEARCH


def test_enforcement_can_be_switched_off_by_setting(client, practitioner, settings):
    settings.THINKFAMILY_REQUIRE_TWO_FACTOR = False

    response = sign_in_with_password(client)

    assert response.url == SEARCH
    assert client.get(SEARCH).status_code == 200
