"""Nothing but the second step of signing in until a signed-in user has given their code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from thinkfamily.accounts.two_factor import two_factor_required_for

#: Views that a signed-in but unverified user may still reach: the code step itself.
TWO_FACTOR_VIEW_NAMES = frozenset({"accounts:two_factor"})


class TwoFactorRequiredMiddleware:
    """Send a signed-in user who has not given a code to the code (or enrolment) page.

    Goes after ``LoginRequiredMiddleware`` and django-otp's ``OTPMiddleware``. Pages
    open without sign-in (``login_not_required``: the sign-in page, sign-out, the
    public published findings) stay open; static files never reach Django's views.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in TWO_FACTOR_VIEW_NAMES:
            return None
        if not two_factor_required_for(user):
            return None
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:two_factor')}?{query}")
