"""Conversation pieces other pages show: the family page's section, and a GOV.UK select."""

from __future__ import annotations

from typing import Any

from django import forms, template

from thinkfamily.accounts.backends import READ_ONLY_ROLES
from thinkfamily.accounts.models import User
from thinkfamily.conversations.selectors import family_conversations
from thinkfamily.people.models import Household

register = template.Library()


@register.inclusion_tag("conversations/includes/family_section.html", takes_context=True)
def conversations_for_family(context: dict[str, Any], household: Household) -> dict[str, Any]:
    """The household's records not yet acknowledged by all, disputed ones, and overdue actions,
    as the signed-in user may read them (``{% conversations_for_family household %}``)."""
    user = context["request"].user
    return {
        "household": household,
        "summary": family_conversations(household=household, viewer=user),
        "may_record": _works_on_cases(user),
    }


@register.inclusion_tag("conversations/includes/select.html")
def govuk_select(field: forms.BoundField) -> dict[str, object]:
    """A choice field as a GOV.UK select (``govuk-select``) with its label, hint and error."""
    value = str(field.value() or "")
    return {
        "name": field.html_name,
        "id": field.id_for_label,
        "label": str(field.label),
        "hint": str(field.help_text),
        "error": str(field.errors[0]) if field.errors else "",
        "options": [
            {"value": str(v), "label": str(label), "selected": str(v) == value}
            for v, label in field.field.choices  # type: ignore[attr-defined]
        ],
    }


def _works_on_cases(user: User) -> bool:
    """Reviewers, auditors and administrators read but never record."""
    return user.is_active and user.agency_id is not None and user.role not in READ_ONLY_ROLES
