"""``{% access_log_link person %}``: a link to a person's access log, for those who may read it."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from thinkfamily.accounts.backends import VIEW_ACCESS_LOG

register = template.Library()


@register.simple_tag(takes_context=True)
def access_log_link(context: dict[str, Any], person: Any) -> SafeString | str:
    """The link, or nothing: a viewer who may not read the log is not told it exists."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.has_perm(VIEW_ACCESS_LOG, person):
        return ""
    return format_html(
        '<a class="govuk-link" href="{}">Who has looked at this record</a>',
        reverse("audit:access_log", args=[person.pk]),
    )
