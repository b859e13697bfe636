"""The JSON API for agency systems, version 1: the routers mounted, and its URLs.

Endpoints are thin: parse, call a selector or the web app's own service,
shape the answer. ``api.base`` holds the API object, token auth and the one
error shape; ``api.endpoints`` the endpoints, one router per subject.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern

from thinkfamily.api.base import api
from thinkfamily.api.endpoints import (
    agreements,
    conversations,
    households,
    people,
    prompts,
    push,
    referrals,
)

api.add_router("", people.router)
api.add_router("", push.router)
api.add_router("", households.router)
api.add_router("", prompts.router)
api.add_router("", referrals.router)
api.add_router("", conversations.router)
api.add_router("", agreements.router)

__all__ = ["api", "api_urls"]


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, each open to ``LoginRequiredMiddleware``: the token is the sign-in.

    Marking the views ``login_required = False`` (what ``login_not_required``
    does) also lets them past the two-factor middleware, which skips views
    that need no sign-in; no session is ever consulted.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            login_not_required(pattern.callback)
    return patterns, app_name, namespace
