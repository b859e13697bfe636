"""Top-level URLs: each app owns its own under a namespace."""

from django.urls import include, path

from thinkfamily.api.api import api_urls

urlpatterns = [
    path("", include("thinkfamily.accounts.urls")),
    path("", include("thinkfamily.people.urls")),
    path("matching/", include("thinkfamily.matching.urls")),
    path("", include("thinkfamily.prompts.urls")),
    path("", include("thinkfamily.families.urls")),
    path("", include("thinkfamily.events.urls")),
    path("", include("thinkfamily.referrals.urls")),
    path("", include("thinkfamily.conversations.urls")),
    path("", include("thinkfamily.agreements.urls")),
    path("", include("thinkfamily.learning.urls")),
    path("", include("thinkfamily.audit.urls")),
    path("api/v1/", api_urls()),
]
