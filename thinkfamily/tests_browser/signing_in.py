"""Signing in through the real form, with the second factor, for every browser test.

Each test user gets an authenticator (a TOTP device with a known key) the first time,
and the helper types the code an app would show now (``django_otp.oath.TOTP``), so the
browser tests sign in exactly as a practitioner does, with two-factor sign-in on.
"""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from thinkfamily.accounts.models import User
from thinkfamily.people.tests.factories import PASSWORD

#: The known secret of every browser test user's authenticator (hex, as django-otp keeps it).
KNOWN_KEY = "3132333435363738393031323334353637383930"


def authenticator_for(username: str) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled with the known key if they have none."""
    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Browser test", key=KNOWN_KEY, confirmed=True
        )
    return device


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app would show now, as the site will accept it.

    A code is accepted once (django-otp remembers the last time step used), and the
    site allows one step of clock drift: so when this step's code has been used (a test
    signs in twice within 30 seconds), the next step's is given, and failing that the
    helper waits for a fresh step.
    """
    device.refresh_from_db()
    while True:
        for steps_ahead in (0, 1):
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = time.time() + steps_ahead * device.step
            if totp.t() > device.last_t:
                return f"{totp.token():0{device.digits}d}"
        time.sleep(1)


def type_code(page: Page, code: str) -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").or_(
        page.get_by_role("button", name="Confirm and continue")
    ).click()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in as ``username`` with the password and the code from their authenticator."""
    device = authenticator_for(username)
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Enter the code from your authenticator app")
    ).to_be_visible()
    type_code(page, code_for(device))
    expect(page.get_by_text("Signed in as")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Think Family")).to_be_visible()
