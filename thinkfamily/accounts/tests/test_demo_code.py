"""The demo's stand-in for an authenticator app: ``thinkfamily demo-code USERNAME``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.models import Agency
from thinkfamily.core.demo import DEMO_PASSWORD, demo_users_create
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]


def demo_code(username: str) -> str:
    out = io.StringIO()
    call_command("demo_code", username, stdout=out)
    return out.getvalue().strip()


def test_every_demo_login_is_enrolled_and_signs_in_with_the_printed_code(client):
    make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Demo School")
    logins = demo_users_create()
    assert {login.username for login in logins} >= {"dsl", "police", "partnership"}
    assert TOTPDevice.objects.filter(name="demo", confirmed=True).count() == len(logins)

    client.post(reverse("accounts:login"), {"username": "dsl", "password": DEMO_PASSWORD})
    response = client.post(reverse("accounts:two_factor"), {"code": demo_code("dsl")})

    assert response.url == reverse("people:search")
    assert client.get(reverse("people:search")).status_code == 200


def test_running_the_demo_set_up_again_keeps_the_authenticator():
    make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Demo School")
    demo_users_create()
    key = TOTPDevice.objects.get(user__username="dsl").key

    demo_users_create()

    assert TOTPDevice.objects.get(user__username="dsl").key == key


def test_demo_code_refuses_an_account_that_is_not_a_demo_login():
    user = make_user(make_agency("SCH-1", Agency.AgencyType.SCHOOL, "School"), username="real")
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    with pytest.raises(CommandError, match="not a demo login"):
        demo_code("real")


def test_demo_code_refuses_an_unknown_username():
    with pytest.raises(CommandError, match="not a demo login"):
        demo_code("nobody")
