"""Clerical review: a manager decides whether two records the model was unsure of are one person.

Three decisions, each audited: *confirm* ("the same person") merges the two
records' people; *reject* ("different people") is permanent and needs a
note saying why; *defer* leaves the pair for later. Only a pair still
waiting (pending or deferred) can be decided, and only by the roles the
access backend allows (``matching.review_candidate``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.backends import REVIEW_CANDIDATE
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.retry import retrying_atomic
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.services.merging import people_merge
from thinkfamily.people.models import AgencyRecord, Person
from thinkfamily.prompts.services import prompts_reconcile


def _open_candidate(candidate: CandidatePair, *, by: User) -> CandidatePair:
    """The pair, locked and re-read, if ``by`` may decide it and it is still waiting."""
    if not by.has_perm(REVIEW_CANDIDATE, candidate):
        raise ApplicationError(
            "Only children's social care and partnership managers review candidate pairs."
        )
    candidate = CandidatePair.objects.select_for_update().get(pk=candidate.pk)
    if not candidate.is_open:
        raise ApplicationError(
            f"This pair has already been decided ({candidate.get_status_display().lower()})."
        )
    return candidate


def _decide(candidate: CandidatePair, *, status: str, by: User, note: str) -> None:
    candidate.status = status
    candidate.reviewed_by = by
    candidate.reviewed_at = timezone.now()
    candidate.note = note
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])


def _audit_review(candidate: CandidatePair, *, by: User, merge: Merge | None = None) -> None:
    audit_record(
        actor=by,
        action=AuditEvent.Action.REVIEW,
        object_type="candidate_pair",
        object_id=candidate.pk,
        detail={
            "decision": candidate.status,
            "records": [candidate.record_id, candidate.other_record_id],
            "match_probability": candidate.match_probability,
            "note": candidate.note,
            "merge": merge.pk if merge else None,
        },
    )


def _survivor_and_absorbed(first: Person, second: Person) -> tuple[Person, Person]:
    """Keep the person with more records (more links point at their key), else the older one."""

    def weight(person: Person) -> tuple[int, int]:
        return (-AgencyRecord.objects.filter(person=person).count(), person.pk)

    keep, absorb = sorted((first, second), key=weight)
    return keep, absorb


@retrying_atomic
def candidate_confirm(*, candidate: CandidatePair, by: User, note: str = "") -> Merge:
    """Decide the two records are the same person: merge their people (rule "review").

    Refused when the pair is no longer waiting, when the records are already
    one person, or when the merge itself is refused (different identifiers,
    a relationship between them, a rejected pair).

    Run again if PostgreSQL ends it as a deadlock: raising prompts locks
    children a concern being recorded at the same moment may hold.
    """
    candidate = _open_candidate(candidate, by=by)
    records = AgencyRecord.objects.select_related("person").filter(
        pk__in=[candidate.record_id, candidate.other_record_id]
    )
    people = [record.person for record in records]
    if len(people) != 2 or None in people:
        raise ApplicationError("One of the two records is not yet linked to a person.")
    first, second = people
    assert first is not None and second is not None
    if first.pk == second.pk:
        raise ApplicationError("These records are already one person: there is nothing to merge.")
    survivor, absorbed = _survivor_and_absorbed(first, second)
    merge = people_merge(
        survivor=survivor,
        absorbed=absorbed,
        rule=Merge.Rule.REVIEW,
        match_probability=candidate.match_probability,
        candidate=candidate,
        by=by,
    )
    _decide(candidate, status=CandidatePair.Status.CONFIRMED, by=by, note=note.strip())
    _audit_review(candidate, by=by, merge=merge)
    # One child where there were two: their family may now hold a recent concern.
    prompts_reconcile(actor=by)
    return merge


@transaction.atomic
def candidate_reject(*, candidate: CandidatePair, by: User, note: str) -> CandidatePair:
    """Decide the two records are different people, for good; ``note`` says how it is known."""
    note = note.strip()
    if not note:
        raise ApplicationError(
            "Enter how you know these are different people.", extra={"field": "note"}
        )
    candidate = _open_candidate(candidate, by=by)
    _decide(candidate, status=CandidatePair.Status.REJECTED, by=by, note=note)
    _audit_review(candidate, by=by)
    return candidate


@transaction.atomic
def candidate_defer(*, candidate: CandidatePair, by: User, note: str = "") -> CandidatePair:
    """Leave the pair for later (more information is coming); it stays on the review list."""
    candidate = _open_candidate(candidate, by=by)
    _decide(candidate, status=CandidatePair.Status.DEFERRED, by=by, note=note.strip())
    _audit_review(candidate, by=by)
    return candidate
