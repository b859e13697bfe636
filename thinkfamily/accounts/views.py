"""Signing in (password, then a code from an authenticator app) and out, each audited.

Django's own views do the password and the session; these add the GOV.UK forms,
the second step (thinkfamily/accounts/two_factor.py) and the audit entry, written in
the same transaction as the session change it records. A sign-in is audited once the
user is fully signed in: after the code when two-factor sign-in is required.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django_otp import login as otp_login

from thinkfamily.accounts.forms import SignInForm, TwoFactorCodeForm
from thinkfamily.accounts.models import User
from thinkfamily.accounts.two_factor import (
    confirmed_device_for,
    qr_code_svg,
    secret_for_typing,
    totp_enrolment_confirm,
    totp_enrolment_start,
    two_factor_required_for,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record


def _signed_in(request: HttpRequest, user: User) -> None:
    """The user is now fully signed in: audit it, and forget their earlier failures."""
    audit_record(actor=user, action=AuditEvent.Action.SIGN_IN)
    AxesProxyHandler.reset_attempts(
        ip_address=get_client_ip_address(request), username=user.get_username()
    )


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        with transaction.atomic():
            response = super().form_valid(form)
            if two_factor_required_for(user):
                query = urlencode({"next": self.get_success_url()})
                return redirect(f"{reverse('accounts:two_factor')}?{query}")
            _signed_in(self.request, user)
        return response


class TwoFactorView(View):
    """The second step: enrol an authenticator app (first time), or type its current code."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_verified():  # type: ignore[union-attr]
            return redirect(self._next_url())
        return self._render(TwoFactorCodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            return self._locked_out(request, credentials)
        form = TwoFactorCodeForm(request.POST)
        if form.is_valid():
            device = confirmed_device_for(user) or totp_enrolment_start(user=user)
            code = form.cleaned_data["code"]
            # django-otp also slows guessing down: after a wrong code, the next is refused
            # unchecked for a second, then two, four…
            allowed, _ = device.verify_is_allowed()
            with transaction.atomic():
                if not allowed:
                    accepted = False
                elif device.confirmed:
                    accepted = device.verify_token(code)
                else:
                    accepted = totp_enrolment_confirm(device=device, token=code)
                if accepted:
                    otp_login(request, device)
                    _signed_in(request, user)
                    return redirect(self._next_url())
            form.add_error(
                "code",
                "The code is not correct: enter the code your authenticator app shows now"
                if allowed
                else "Too many wrong codes: wait a few seconds, then enter the newest code",
            )
        # A wrong, empty or mistyped code counts towards the lock-out like a wrong password.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return self._locked_out(request, credentials)
        return self._render(form)

    def _locked_out(self, request: HttpRequest, credentials: dict[str, str]) -> HttpResponse:
        logout(request)
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        return HttpResponse(status=429)  # replaced by the "locked" page (AxesMiddleware)

    def _next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return candidate
        return reverse(settings.LOGIN_REDIRECT_URL)

    def _render(self, form: TwoFactorCodeForm) -> HttpResponse:
        user: User = self.request.user  # type: ignore[assignment]
        context: dict[str, object] = {"form": form, "next": self._next_url()}
        if confirmed_device_for(user) is None:
            device = totp_enrolment_start(user=user)
            context |= {
                "secret": secret_for_typing(device),
                "otpauth_uri": device.config_url,
                "qr_code": qr_code_svg(device.config_url),
            }
        enrolling = "secret" in context
        template = f"accounts/two_factor_{'enrol' if enrolling else 'code'}.html"
        return render(self.request, template, context)


# Not behind sign-in: a session that has already expired still signs out quietly.
@method_decorator(login_not_required, name="dispatch")
class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        with transaction.atomic():
            if request.user.is_authenticated:
                audit_record(actor=request.user, action=AuditEvent.Action.SIGN_OUT)
            return super().post(request, *args, **kwargs)
