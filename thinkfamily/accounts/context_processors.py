"""What every page needs to know about the signed-in user's sign-in."""

from __future__ import annotations

from django.http import HttpRequest

from thinkfamily.accounts.two_factor import two_factor_required_for


def sign_in(request: HttpRequest) -> dict[str, bool]:
    """``signed_in_fully``: signed in, and past the code step if it applies (shows the menu)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signed_in_fully": False}
    verified = getattr(user, "is_verified", lambda: False)()
    return {"signed_in_fully": verified or not two_factor_required_for(user)}
