"""Two-factor sign-in: a time-based code (TOTP, RFC 6238) from an authenticator app.

Every account that can open a case record needs it — every active user with an
agency, and the system administrators who manage the accounts — unless
``THINKFAMILY_REQUIRE_TWO_FACTOR`` is off (never in production). A user signs in
with their password, then either enrols (first time: the secret is shown as text,
as an ``otpauth://`` link and as a QR code drawn here, never by an outside
service) or types the 6-digit code; only then is the session verified
(``django_otp.login``).
"""

from __future__ import annotations

import io
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.models import User

#: The name of the device an account enrols; demo devices are named DEMO_DEVICE_NAME.
DEVICE_NAME = "Authenticator app"
DEMO_DEVICE_NAME = "demo"


def two_factor_required_for(user: User) -> bool:
    """Whether ``user`` must give a code before seeing anything: everyone with case access."""
    if not settings.THINKFAMILY_REQUIRE_TWO_FACTOR or not user.is_active:
        return False
    return user.agency_id is not None or user.role == User.Role.SYSTEM_ADMINISTRATOR


def confirmed_device_for(user: User) -> TOTPDevice | None:
    """The user's enrolled authenticator, if they have finished enrolling one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device a user is enrolling; the same one until they confirm it.

    Reusing it means reloading the page does not change the secret under the user's feet.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm ``device`` if ``token`` is its current code; return whether it was."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per account: any other half-finished enrolment is dropped.
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    return True


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, as authenticator apps ask for it by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(uri: str) -> str:
    """An inline SVG QR code of ``uri`` (no script, no style attribute: allowed by the CSP)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgns=True,
        title="QR code of the secret, for your authenticator app",
        svgclass="tf-qr-code",
        lineclass=None,
    )
    return buffer.getvalue().decode("utf-8")
