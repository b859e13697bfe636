"""The access settings a partnership chooses, read in one place.

The rules themselves live in ``accounts.backends`` and the ``visible_to``
querysets; these are the knobs a partnership's data protection officer sets
(``docs/security.md`` has the table):

``THINKFAMILY_RESTRICTED_EVENT_ROLES``
    Roles in the *recording* agency that read its restricted events (a refuge
    address, sexual health, an ongoing police investigation). Children's social
    care managers read every agency's restricted events as well.
``THINKFAMILY_SEALED_PERSON_ROLES``
    Roles that still see a sealed person (for example a child after adoption).
    Nobody else sees that the person exists, break-glass included.
``THINKFAMILY_HOUSEHOLD_MEMBERS``
    ``"summary"`` (the default): an agency sees that the other members of a
    household it knows exist, with their age, visibility and open prompts, but
    not other agencies' entries about them. ``"none"``: an agency sees only the
    people it holds a record of.
``THINKFAMILY_BREAK_GLASS_HOURS`` and ``THINKFAMILY_BREAK_GLASS_MIN_REASON``
    How long a break-glass opening lasts, and the fewest characters of reason.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_RESTRICTED_EVENT_ROLES = ("dsl", "manager", "csc_manager")
DEFAULT_SEALED_PERSON_ROLES = ("csc_manager",)


def restricted_event_roles() -> frozenset[str]:
    return frozenset(
        getattr(settings, "THINKFAMILY_RESTRICTED_EVENT_ROLES", DEFAULT_RESTRICTED_EVENT_ROLES)
    )


def sealed_person_roles() -> frozenset[str]:
    return frozenset(
        getattr(settings, "THINKFAMILY_SEALED_PERSON_ROLES", DEFAULT_SEALED_PERSON_ROLES)
    )


def household_members_visible() -> bool:
    """Whether an agency sees the other members of the households it knows."""
    level = getattr(settings, "THINKFAMILY_HOUSEHOLD_MEMBERS", "summary")
    if level not in ("summary", "none"):
        raise ValueError(
            f'THINKFAMILY_HOUSEHOLD_MEMBERS must be "summary" or "none", not {level!r}'
        )
    return level == "summary"


def break_glass_hours() -> int:
    return int(getattr(settings, "THINKFAMILY_BREAK_GLASS_HOURS", 4))


def break_glass_min_reason() -> int:
    return int(getattr(settings, "THINKFAMILY_BREAK_GLASS_MIN_REASON", 20))
