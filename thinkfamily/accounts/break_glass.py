"""Break-glass: opening a person's record outside one's relationship, and reviewing it after.

``break_glass_open`` is the only way to see a person one's agency does not
know. It needs a reason, lasts ``accounts.policy.break_glass_hours``, is
written to the audit trail as a break-glass opening, and every look during
it carries the reason (``accounts.backends.access_reason``). Managers of the
user's agency then review each opening (``break_glass_review``): the review
list is the check that the door is used only when it must be.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from thinkfamily.accounts.backends import OPEN_BREAK_GLASS, REVIEW_BREAK_GLASS
from thinkfamily.accounts.models import BreakGlassAccess, User
from thinkfamily.accounts.policy import (
    break_glass_hours,
    break_glass_min_reason,
    sealed_person_roles,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.people.models import Person

__all__ = [
    "break_glass_open",
    "break_glass_open_by_identifier",
    "break_glass_review",
    "break_glass_reviews_for",
    "person_for_break_glass",
]


def person_for_break_glass(*, identifier: str) -> Person | None:
    """The person a break-glass request names: by Think Family number, NHS number or UPN.

    Returns None when nobody matches, and for a sealed person (whom break-glass
    never opens), so the form says the same thing in both cases.
    """
    text = identifier.replace(" ", "").strip()
    if not text:
        return None
    query = Q(nhs_number=text) | Q(upn=text.upper())
    if text.isdigit() and len(text) < 10:
        query |= Q(pk=int(text))
    return Person.objects.filter(query, sealed=False).first()


def _check_may_open(user: User, reason: str) -> None:
    if not user.has_perm(OPEN_BREAK_GLASS):
        raise ApplicationError("Only staff who work on cases may open a record by break-glass.")
    minimum = break_glass_min_reason()
    if len(reason.strip()) < minimum:
        raise ApplicationError(
            "Say why you must see this record now",
            extra={
                "reason": f"Give a reason of at least {minimum} characters: it is read by your "
                "managers"
            },
        )


@transaction.atomic
def break_glass_open_by_identifier(*, user: User, identifier: str, reason: str) -> BreakGlassAccess:
    """The break-glass page's request: the reason is judged before anyone is looked up, so
    whether a person has the number typed is said only once a real reason is on record."""
    _check_may_open(user, reason)
    person = person_for_break_glass(identifier=identifier)
    if person is None:
        raise ApplicationError(
            "Not found", extra={"identifier": "Nobody you may open has this number"}
        )
    return break_glass_open(user=user, person=person, reason=reason)


@transaction.atomic
def break_glass_open(
    *, user: User, person: Person, reason: str, now: dt.datetime | None = None
) -> BreakGlassAccess:
    """Open ``person``'s record to ``user`` for a few hours, for the reason given.

    Refused to anyone who does not work on cases, for a sealed person (unless
    the user's role may see sealed records, in which case there is no glass to
    break), and for a reason shorter than the partnership's minimum.
    """
    now = now or timezone.now()
    _check_may_open(user, reason)
    if person.sealed and user.role not in sealed_person_roles():
        raise ApplicationError("This record cannot be opened.")
    opening = BreakGlassAccess.objects.create(
        user=user,
        person=person,
        reason=reason.strip(),
        opened_at=now,
        expires_at=now + dt.timedelta(hours=break_glass_hours()),
    )
    audit_record(
        actor=user,
        action=AuditEvent.Action.BREAK_GLASS,
        object_type="person",
        object_id=person.pk,
        reason=reason.strip()[:300],
        detail={"break_glass": True, "expires_at": opening.expires_at.isoformat()},
    )
    return opening


def break_glass_reviews_for(*, viewer: User) -> QuerySet[BreakGlassAccess]:
    """The openings by staff of the viewer's agency, unreviewed first; empty for other roles.

    A manager never reviews their own opening.
    """
    if viewer.agency_id is None or not viewer.has_perm(REVIEW_BREAK_GLASS):
        return BreakGlassAccess.objects.none()
    return (
        BreakGlassAccess.objects.filter(user__agency_id=viewer.agency_id)
        .exclude(user=viewer)
        .select_related("user", "person", "reviewed_by")
        .order_by("reviewed_at", "-opened_at")
    )


@transaction.atomic
def break_glass_review(
    *, opening: BreakGlassAccess, by: User, outcome: str, note: str
) -> BreakGlassAccess:
    """Record a manager's judgement of an opening: justified, or not (with what follows)."""
    opening = BreakGlassAccess.objects.select_for_update().get(pk=opening.pk)
    if not break_glass_reviews_for(viewer=by).filter(pk=opening.pk).exists():
        raise ApplicationError(
            "Only a manager of the agency whose member of staff broke the glass may review it, "
            "and never their own."
        )
    problems: dict[str, str] = {}
    if opening.reviewed_at is not None:
        problems["outcome"] = "This opening has already been reviewed"
    elif outcome not in BreakGlassAccess.Outcome.values:
        problems["outcome"] = "Select whether the opening was justified"
    elif outcome == BreakGlassAccess.Outcome.NOT_JUSTIFIED and not note.strip():
        problems["note"] = "Say what will follow"
    if problems:
        raise ApplicationError(
            "The review could not be recorded: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )
    opening.reviewed_by = by
    opening.reviewed_at = timezone.now()
    opening.outcome = outcome
    opening.review_note = note.strip()
    opening.save(update_fields=["reviewed_by", "reviewed_at", "outcome", "review_note"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.REVIEW_BREAK_GLASS,
        object_type="break_glass",
        object_id=opening.pk,
        detail={"outcome": outcome, "person": opening.person_id, "user": opening.user_id},
    )
    return opening
