"""Reading the audit trail: who has looked at a person's record (a subject access request)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from thinkfamily.accounts.backends import VIEW_ACCESS_LOG, access_reason
from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.conversations.models import Conversation
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.prompts.models import Prompt
from thinkfamily.referrals.models import ReferralChild

#: How each kind of record an entry is about is named in the log, by ``object_type``.
SUBJECTS = {
    "person": "Person",
    "household": "Household",
    "referral": "Referral",
    "prompt": "Prompt",
    "conversation": "Professional conversation",
    "verbal_agreement": "Verbal agreement",
}


def _ids(ids: Iterable[object]) -> list[str]:
    # object_id is text (it holds ids of every kind of record), so compare as text.
    return [str(pk) for pk in ids]


def entries_about(*, person: Person) -> QuerySet[AuditEvent]:
    """Every audit entry about ``person`` or about a record that names them, newest first.

    A person is shown by their own page and merges, but also by the pages of
    the households they have lived in, the referrals and prompts about them,
    the professional conversations and verbal agreements that name them. The
    entry's ``detail`` is not searched (JSON containment is not portable to
    SQLite); the records that name the person are, so a view recorded without
    a list of children is still found.
    """
    about = {
        "person": [str(person.pk)],
        "household": _ids(
            HouseholdMembership.objects.filter(person=person).values_list("household_id", flat=True)
        ),
        "referral": _ids(
            ReferralChild.objects.filter(person=person).values_list("referral_id", flat=True)
        ),
        "prompt": _ids(Prompt.objects.filter(person=person).values_list("pk", flat=True)),
        "conversation": _ids(
            Conversation.objects.filter(children=person).values_list("pk", flat=True)
        ),
        "verbal_agreement": _ids(
            VerbalAgreement.objects.filter(Q(made_with=person) | Q(children=person))
            .values_list("pk", flat=True)
            .distinct()
        ),
    }
    condition = Q()
    for object_type, ids in about.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=ids)
    return (
        AuditEvent.objects.filter(condition)
        .select_related("actor__agency")
        .order_by("-occurred_at", "-id")
    )


def _reading_reason(viewer: User, person: Person) -> str | None:
    """Why ``viewer`` may read this person's access log, for the entry that records it."""
    if not viewer.has_perm(VIEW_ACCESS_LOG, person):
        return None
    if viewer.role == User.Role.AUDITOR:
        return "role: Auditor"
    return access_reason(viewer, person) or f"role: {viewer.get_role_display()}"


def access_log_for(*, person: Person, viewer: User, export: bool = False) -> QuerySet[AuditEvent]:
    """Who has looked at ``person``'s record, and when: the basis of a subject access response.

    Only for a viewer with ``VIEW_ACCESS_LOG`` on the person; anyone else is
    answered ``Person.DoesNotExist``, exactly as if there were nobody with this
    id. Reading the log is itself recorded (``VIEW_ACCESS_LOG``; ``EXPORT``
    when ``export`` is set, for the download sent to the person), before the
    log is read, so the log shows its own reading.
    """
    reason = _reading_reason(viewer, person)
    if reason is None:
        raise Person.DoesNotExist
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.EXPORT if export else AuditEvent.Action.VIEW_ACCESS_LOG,
        object_type="person",
        object_id=person.pk,
        reason=reason,
        detail={"for": "access log", "format": "csv"} if export else {"for": "access log"},
    )
    return entries_about(person=person)


@dataclass(frozen=True)
class AccessLogRow:
    """One line of an access log, in the words a person asking for it would understand."""

    occurred_at: datetime
    who: str
    agency: str
    role: str
    action: str
    subject: str
    reason: str
    request_id: str

    @classmethod
    def of(cls, entry: AuditEvent) -> AccessLogRow:
        actor = entry.actor
        return cls(
            occurred_at=entry.occurred_at,
            who=(actor.get_full_name() or actor.get_username()) if actor else entry.actor_label,
            agency=actor.agency.name if actor is not None and actor.agency else "",
            role=actor.get_role_display() if actor else "",
            action=entry.get_action_display(),
            subject=" ".join(
                part
                for part in (SUBJECTS.get(entry.object_type, entry.object_type), entry.object_id)
                if part
            ),
            reason=entry.reason,
            request_id=entry.request_id,
        )


ACCESS_LOG_CSV_HEADER = [
    "When",
    "Who",
    "Agency",
    "Role",
    "What they did",
    "Record",
    "Why access was allowed",
    "Request id",
]


def access_log_csv_rows(entries: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """The log as CSV rows, header first, read from the database in chunks."""
    yield ACCESS_LOG_CSV_HEADER
    for entry in entries.iterator(chunk_size=2000):
        row = AccessLogRow.of(entry)
        yield [
            timezone.localtime(row.occurred_at).isoformat(timespec="seconds"),
            row.who,
            row.agency,
            row.role,
            row.action,
            row.subject,
            row.reason,
            row.request_id,
        ]
