"""Merging two people into one, and undoing a merge exactly.

A merge moves every agency record, event and household membership of the
absorbed person to the survivor, recomputes the survivor's demographics from
all their records with the rule linking uses, and deletes the absorbed
person. It keeps a snapshot of both people and of the keys of every row it
moved, so ``merge_undo`` can recreate the absorbed person with the same key
and move back exactly those rows: unmerge restores what was there.

A merge is refused, before anything is written, when the evidence says the
two are different people: two different NHS numbers or UPNs, a reviewer's
"different people" on any pair of their records, or an agency recording a
relationship (parent, sibling, partner…) between their records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from thinkfamily.accounts.backends import UNDO_MERGE
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.retry import retrying_atomic
from thinkfamily.events.models import Event
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.records import (
    LINKABLE_FIELDS,
    PERSON_FIELDS,
    LinkableRecord,
    person_values,
)
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person, Relationship
from thinkfamily.prompts.models import Prompt

#: What points at a person and is moved (or re-pointed) by a merge. Any other
#: relation to a person that holds rows refuses the merge, rather than being
#: cascaded away where an undo could not bring it back.
_MOVED_RELATIONS = {
    (AgencyRecord, "person"),
    (Event, "person"),
    (HouseholdMembership, "person"),
    (Merge, "survivor"),
    (Prompt, "person"),
}


def _person_snapshot(person: Person) -> dict[str, Any]:
    """Every column of a person as JSON: dates and times as ISO text, nothing rounded."""
    values: dict[str, Any] = {}
    for field in Person._meta.concrete_fields:
        value = field.value_from_object(person)
        values[field.attname] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def _person_values_from(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A person snapshot back as field values, each through its field's own parser."""
    return {
        field.attname: field.to_python(snapshot[field.attname])
        for field in Person._meta.concrete_fields
    }


def person_from_snapshot(values: dict[str, Any]) -> Person:
    """An unsaved person with the values of a snapshot, to show what an undo would bring back."""
    return Person(**_person_values_from(values))


def _identifiers(person: Person, field: str) -> set[str]:
    """A person's values of one identifier: on the person and on each of their records."""
    on_records = AgencyRecord.objects.filter(person=person).exclude(**{field: ""})
    found = set(on_records.values_list(field, flat=True))
    if getattr(person, field):
        found.add(getattr(person, field))
    return found


def _merge_refusal(*, survivor: Person, absorbed: Person) -> str | None:
    """Why these two people must not be merged, in words a manager can act on; None if they may."""
    if survivor.pk == absorbed.pk:
        return "A person cannot be merged with themselves."
    for field, label in (("nhs_number", "NHS numbers"), ("upn", "unique pupil numbers")):
        mine, theirs = _identifiers(survivor, field), _identifiers(absorbed, field)
        if mine and theirs and len(mine | theirs) > 1:
            return (
                f"{survivor} and {absorbed} have different {label} "
                f"({', '.join(sorted(mine | theirs))}), so they are different people."
            )
    survivor_records = AgencyRecord.objects.filter(person=survivor)
    absorbed_records = AgencyRecord.objects.filter(person=absorbed)
    rejected = (
        CandidatePair.objects.filter(status=CandidatePair.Status.REJECTED)
        .across(survivor_records, absorbed_records)
        .first()
    )
    if rejected is not None:
        return (
            f"A reviewer decided that records {rejected.record_id} and "
            f"{rejected.other_record_id} are different people, so {survivor} and {absorbed} "
            "cannot be merged."
        )
    related = (
        Relationship.objects.filter(
            Q(record__in=survivor_records, related_record__in=absorbed_records)
            | Q(record__in=absorbed_records, related_record__in=survivor_records)
        )
        .select_related("agency")
        .first()
    )
    if related is not None:
        return (
            f"{related.agency} records {survivor} and {absorbed} as related "
            f"({related.get_kind_display().lower()}), so they are different people."
        )
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if not isinstance(model, type) or (model, relation.field.name) in _MOVED_RELATIONS:
            continue
        if model._default_manager.filter(**{relation.field.name: absorbed}).exists():
            return (
                f"{absorbed} has {model._meta.verbose_name_plural} that a merge cannot move; "
                "they must be moved first."
            )
    return None


def _prompts_moved(*, survivor: Person, absorbed: Person) -> dict[str, Any]:
    """The absorbed person's prompts, for the snapshot, made safe to move to the survivor.

    One child has at most one open prompt per household episode. If both
    people have one open in the same episode, the absorbed person's moves
    under an episode key of its own (both stay visible and answerable); an
    undo puts the original key back.
    """
    survivor_open = set(
        Prompt.objects.open().filter(person=survivor).values_list("kind", "episode_key")
    )
    renamed: dict[str, str] = {}
    for pk, kind, key in (
        Prompt.objects.open().filter(person=absorbed).values_list("pk", "kind", "episode_key")
    ):
        if (kind, key) in survivor_open:
            renamed[str(pk)] = key
            Prompt.objects.filter(pk=pk).update(episode_key=f"{key}|merged:{absorbed.pk}")
    return {
        "prompts": _pks(Prompt.objects.filter(person=absorbed)),
        "prompt_episode_keys": renamed,
    }


def _recomputed_values(survivor: Person, absorbed: Person) -> dict[str, Any]:
    """The survivor's demographics after the merge: linking's rule over both people's records.

    With no records at all there is nothing to recompute from, so the survivor
    keeps their values and takes the absorbed person's where theirs are empty.
    """
    rows = AgencyRecord.objects.filter(person__in=[survivor, absorbed]).values_list(
        *LINKABLE_FIELDS
    )
    records = [LinkableRecord(*row) for row in rows]
    if records:
        return dict(zip(PERSON_FIELDS, person_values(records), strict=True))
    values = {}
    for field in PERSON_FIELDS:
        mine = getattr(survivor, field)
        values[field] = mine if mine not in (None, "") else getattr(absorbed, field)
    return values


def _pks(queryset: models.QuerySet[Any]) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


@retrying_atomic
def people_merge(
    *,
    survivor: Person,
    absorbed: Person,
    rule: str,
    match_probability: float | None = None,
    candidate: CandidatePair | None = None,
    by: User | None = None,
) -> Merge:
    """Merge ``absorbed`` into ``survivor``, keeping what is needed to undo it exactly.

    Records, events and household memberships move to the survivor; the
    survivor's demographics are recomputed from all their records; the
    absorbed person is deleted. Refused with ``ApplicationError`` when the two
    are the same person, would carry two NHS numbers or two UPNs, have a pair
    of records a reviewer rejected, or have records an agency says are
    related. ``by`` is the reviewer, or None when linkage merged them.

    Example:
        >>> merge = people_merge(survivor=alpha, absorbed=alfa, rule=Merge.Rule.MANUAL, by=manager)
        >>> merge_undo(merge=merge, by=manager, reason="Twins, not one child")
    """
    if rule not in Merge.Rule.values:
        raise ApplicationError(f"Unknown merge rule {rule!r}.", extra={"rule": rule})
    if match_probability is not None and not 0 <= match_probability <= 1:
        raise ApplicationError("A match probability must be between 0 and 1.")
    locked = {
        person.pk: person
        for person in Person.objects.select_for_update()
        .filter(pk__in=[survivor.pk, absorbed.pk])
        .order_by("pk")
    }
    if survivor.pk not in locked or absorbed.pk not in locked:
        raise ApplicationError("One of the two people no longer exists: it may have been merged.")
    survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
    if refusal := _merge_refusal(survivor=survivor, absorbed=absorbed):
        raise ApplicationError(refusal)
    values = _recomputed_values(survivor, absorbed)
    for field in ("nhs_number", "upn"):
        if not values[field]:
            continue
        holder = (
            Person.objects.filter(**{field: values[field]})
            .exclude(pk__in=[survivor.pk, absorbed.pk])
            .first()
        )
        if holder is not None:
            raise ApplicationError(
                f"{values[field]} belongs to another person ({holder.pk}); "
                "resolve that before merging."
            )
    if candidate is not None:
        people = set(
            AgencyRecord.objects.filter(
                pk__in=[candidate.record_id, candidate.other_record_id]
            ).values_list("person_id", flat=True)
        )
        if people != {survivor.pk, absorbed.pk}:
            raise ApplicationError(
                f"{candidate} is not a pair of records of {survivor} and {absorbed}."
            )

    records = AgencyRecord.objects.filter(person=absorbed)
    events = Event.objects.filter(person=absorbed)
    memberships = HouseholdMembership.objects.filter(person=absorbed)
    earlier_merges = Merge.objects.filter(survivor=absorbed)
    snapshot = {
        "absorbed": _person_snapshot(absorbed),
        "survivor": _person_snapshot(survivor),
        "records": _pks(records),
        "events": _pks(events),
        "memberships": _pks(memberships),
        "survivor_of_merges": _pks(earlier_merges),
    }
    snapshot |= _prompts_moved(survivor=survivor, absorbed=absorbed)
    records.update(person=survivor)
    events.update(person=survivor)
    memberships.update(person=survivor)
    Prompt.objects.filter(person=absorbed).update(person=survivor)
    # Earlier merges into the absorbed person now point at whoever holds their rows.
    earlier_merges.update(survivor=survivor)
    # Deleted before the survivor takes over its identifiers: they are unique.
    Person.objects.filter(pk=absorbed.pk).delete()
    now = timezone.now()
    Person.objects.filter(pk=survivor.pk).update(**values, updated_at=now)

    merge = Merge.objects.create(
        survivor=survivor,
        absorbed_person_id=absorbed.pk,
        snapshot=snapshot,
        rule=rule,
        match_probability=match_probability,
        candidate=candidate,
        merged_by=by,
        merged_at=now,
    )
    audit_record(
        actor=by,
        actor_label="" if by else f"system: linkage ({rule})",
        action=AuditEvent.Action.MERGE,
        object_type="person",
        object_id=survivor.pk,
        detail={
            "merge": merge.pk,
            "survivor": survivor.pk,
            "absorbed": absorbed.pk,
            "rule": rule,
            "match_probability": match_probability,
            "candidate": candidate.pk if candidate else None,
            "reviewer": by.get_username() if by else None,
            "records_moved": len(snapshot["records"]),
            "events_moved": len(snapshot["events"]),
            "memberships_moved": len(snapshot["memberships"]),
        },
    )
    return merge


def merge_undo_refusal(*, merge: Merge) -> str | None:
    """Why this merge cannot be undone now, in words a manager can act on; None if it can.

    Merges are undone newest first: while a later merge still stands that
    absorbed the survivor, or merged someone else into it, undoing this one
    would not restore what was there.
    """
    if merge.is_undone:
        return "This merge has already been undone."
    survivor_pk = merge.snapshot["survivor"]["id"]
    later = (
        Merge.objects.filter(pk__gt=merge.pk, undone_at__isnull=True)
        .filter(
            Q(survivor_id__in={survivor_pk, merge.survivor_id}) | Q(absorbed_person_id=survivor_pk)
        )
        .order_by("-pk")
        .first()
    )
    if later is not None:
        return (
            f"A later merge (number {later.pk}, {later.merged_at:%d %B %Y %H:%M}) changed the "
            "same person and has not been undone. Undo later merges first."
        )
    if Person.objects.filter(pk=merge.absorbed_person_id).exists():
        return f"Person {merge.absorbed_person_id} exists again, so cannot be recreated."
    moved = merge.snapshot["records"]
    elsewhere = (
        AgencyRecord.objects.filter(pk__in=moved).exclude(person_id=merge.survivor_id).count()
    )
    missing = len(moved) - AgencyRecord.objects.filter(pk__in=moved).count()
    if elsewhere or missing:
        return (
            f"{elsewhere + missing} of the records this merge moved have since been linked to "
            "someone else or removed, so the merge cannot be undone exactly."
        )
    return None


def _rejected_pair_after_undo(merge: Merge, *, by: User, reason: str) -> CandidatePair | None:
    """Record "different people" for the pair the merge rested on, so it is never redone."""
    note = f"Merge {merge.pk} undone: {reason}"
    now = timezone.now()
    candidate = merge.candidate
    if candidate is None:
        moved = merge.snapshot["records"]
        absorbed_side = min(moved, default=None)
        survivor_side = (
            AgencyRecord.objects.filter(person_id=merge.survivor_id)
            .exclude(pk__in=moved)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if absorbed_side is None or survivor_side is None:
            return None  # one side has no records: nothing linkage could join again
        low, high = sorted((absorbed_side, survivor_side))
        candidate, _ = CandidatePair.objects.get_or_create(
            record_id=low,
            other_record_id=high,
            defaults={
                "match_probability": merge.match_probability,
                "status": CandidatePair.Status.REJECTED,
                "note": note,
            },
        )
    candidate.status = CandidatePair.Status.REJECTED
    candidate.reviewed_by = by
    candidate.reviewed_at = now
    candidate.note = note
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
    return candidate


@transaction.atomic
def merge_undo(*, merge: Merge, by: User, reason: str) -> Person:
    """Undo a merge exactly: the absorbed person is back, with the same key, values and rows.

    The absorbed person is recreated with their old key and values; the
    records, events, memberships and prompts the merge moved go back to them (with any
    event or membership since filed against one of those records, because
    events follow their record); the survivor's values are restored. The two
    records the merge rested on are then labelled "different people", so
    linkage never merges them again. Returns the recreated person.
    """
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Enter why the merge is being undone.", extra={"field": "reason"})
    if not by.has_perm(UNDO_MERGE, merge):
        raise ApplicationError("Only children's social care and partnership managers undo merges.")
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    list(Person.objects.select_for_update().filter(pk=merge.survivor_id))
    if refusal := merge_undo_refusal(merge=merge):
        raise ApplicationError(refusal)

    snapshot = merge.snapshot
    survivor_before = _person_values_from(snapshot["survivor"])
    absorbed_values = _person_values_from(snapshot["absorbed"])
    # The survivor first gives up identifiers that were the absorbed person's.
    Person.objects.filter(pk=merge.survivor_id).update(
        **{name: value for name, value in survivor_before.items() if name != "id"}
    )
    absorbed = Person(**absorbed_values)
    absorbed.save(force_insert=True)
    # auto_now and auto_now_add set the times on insert; put the recorded ones back.
    Person.objects.filter(pk=absorbed.pk).update(
        created_at=absorbed_values["created_at"], updated_at=absorbed_values["updated_at"]
    )
    moved_records = snapshot["records"]
    AgencyRecord.objects.filter(pk__in=moved_records).update(person=absorbed)
    Event.objects.filter(person_id=merge.survivor_id).filter(
        Q(pk__in=snapshot["events"]) | Q(record_id__in=moved_records)
    ).update(person=absorbed)
    HouseholdMembership.objects.filter(person_id=merge.survivor_id).filter(
        Q(pk__in=snapshot["memberships"]) | Q(source_record_id__in=moved_records)
    ).update(person=absorbed)
    Merge.objects.filter(pk__in=snapshot["survivor_of_merges"]).update(survivor=absorbed)
    # Merges made before prompts existed have no prompts in their snapshot.
    Prompt.objects.filter(pk__in=snapshot.get("prompts", [])).update(person=absorbed)
    for pk, episode_key in snapshot.get("prompt_episode_keys", {}).items():
        Prompt.objects.filter(pk=int(pk)).update(episode_key=episode_key)

    merge.undone_by = by
    merge.undone_at = timezone.now()
    merge.undo_reason = reason
    merge.save(update_fields=["undone_by", "undone_at", "undo_reason"])
    rejected = _rejected_pair_after_undo(merge, by=by, reason=reason)
    audit_record(
        actor=by,
        action=AuditEvent.Action.UNMERGE,
        object_type="person",
        object_id=absorbed.pk,
        reason=reason,
        detail={
            "merge": merge.pk,
            "survivor": merge.survivor_id,
            "absorbed": absorbed.pk,
            "records_moved_back": len(moved_records),
            "rejected_candidate": rejected.pk if rejected else None,
        },
    )
    absorbed.refresh_from_db()
    return absorbed
