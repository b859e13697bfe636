"""``thinkfamily demo-code USERNAME``: the current sign-in code of a demo login.

The demo's stand-in for an authenticator app. It only reads devices named "demo",
which only ``thinkfamily demo_setup`` creates, so it gives nothing for a real account.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.two_factor import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current two-factor sign-in code of a demo login (demo accounts only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="A demo login, e.g. dsl, hv or partnership")

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(
                f"{username} is not a demo login: demo-code only gives codes for the logins "
                "`thinkfamily demo_setup` creates."
            )
        # A code is accepted once; if this step's has been used, the next step's is
        # accepted too (one step of clock drift is allowed).
        for steps_ahead in (0, 1):
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = time.time() + steps_ahead * device.step
            if totp.t() > device.last_t:
                self.stdout.write(f"{totp.token():0{device.digits}d}")
                return
        raise CommandError("That code has just been used: wait 30 seconds and run this again.")
