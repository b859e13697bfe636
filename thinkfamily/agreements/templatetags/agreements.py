"""The "Verbal agreements" section of a family's page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from thinkfamily.agreements.selectors import family_agreements
from thinkfamily.people.models import Household

register = template.Library()


@register.inclusion_tag("agreements/includes/family_section.html", takes_context=True)
def family_verbal_agreements(context: dict[str, Any], household: Household) -> dict[str, Any]:
    """The household's active agreements the signed-in user may see, those overdue a review and
    those shared with nobody, and a link to record one."""
    user = context["request"].user
    return {
        "summary": family_agreements(household=household, viewer=user),
        "household": household,
        "today": timezone.localdate(),
    }
