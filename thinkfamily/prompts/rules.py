"""The partnership's Think Sibling settings, with the defaults the case review suggests.

Set in Django settings as ``THINK_SIBLING = {"CONCERN_WINDOW_DAYS": 90, ...}``
(or the environment variables named in ``thinkfamily/settings.py``); anything
left out takes the default here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.conf import settings


@dataclass(frozen=True)
class ThinkSiblingRules:
    """How the prompts behave.

    Attributes:
        concern_window_days: a concern this recent still reaches a child who
            joins the family later (through linkage, an import or a move).
        response_working_days: a prompt unanswered for longer is overdue.
        not_seen_days: a child not seen in person by any professional for
            longer is on the invisible-children report.
        preschool_below_age: children younger than this (and unborn children)
            are preschool, and come first.
        new_partner_days: a partner relationship that started this recently
            is a new adult in the children's lives.
    """

    concern_window_days: int = 90
    response_working_days: int = 5
    not_seen_days: int = 90
    preschool_below_age: int = 5
    new_partner_days: int = 90


def think_sibling_rules() -> ThinkSiblingRules:
    """The rules in force: Django's ``THINK_SIBLING`` setting over the defaults."""
    configured = getattr(settings, "THINK_SIBLING", {})
    names = {f.name: f.name.upper() for f in fields(ThinkSiblingRules)}
    unknown = set(configured) - set(names.values())
    if unknown:
        raise ValueError(f"Unknown THINK_SIBLING settings: {', '.join(sorted(unknown))}")
    return ThinkSiblingRules(
        **{name: int(configured[key]) for name, key in names.items() if key in configured}
    )
