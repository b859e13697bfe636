"""Linking agency records into people, in the database.

For now linkage is deterministic (``matching.deterministic``): records that
share an NHS number or UPN are one person, every other record is a person of
its own. The reconciliation below is written for any grouping, so the
probabilistic linkage to come only has to supply more groups.

Linking never edits an agency record's recorded values: it only moves the
record's pointer to a person. Events and household memberships derived from
a record follow the record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.bulk import bulk_insert, bulk_update, in_chunks, reserve_ids
from thinkfamily.events.models import Event
from thinkfamily.matching.deterministic import (
    IdentifiedRecord,
    IdentifierConflict,
    group_by_identifiers,
)
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person

_PERSON_FIELDS = [
    "given_name",
    "family_name",
    "date_of_birth",
    "unborn",
    "sex",
    "nhs_number",
    "upn",
]


class LinkableRecord(NamedTuple):
    """What linking reads of an agency record: identifiers, current person, demographics."""

    pk: int
    nhs_number: str
    upn: str
    person_id: int | None
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    unborn: bool
    sex: str
    updated_at: dt.datetime


@dataclass
class LinkResult:
    """What a linking run changed."""

    people_created: int = 0
    people_updated: int = 0
    people_removed: int = 0
    records_relinked: int = 0
    conflicts: list[IdentifierConflict] = field(default_factory=list)
    #: For records passed as ``pending`` (not yet stored): the person each belongs to.
    person_of_pending: dict[int, int] = field(default_factory=dict)


def _person_values(records: list[LinkableRecord]) -> tuple[object, ...]:
    """The best-known demographics for a group of records, as a tuple in _PERSON_FIELDS order.

    The record with an NHS number is trusted first (it came from a health
    system that checked it), then one with a date of birth, then the most
    recently updated. Identifiers come from whichever record holds them.
    """
    best = min(
        records,
        key=lambda r: (not r.nhs_number, r.date_of_birth is None, -r.updated_at.timestamp(), r.pk),
    )
    nhs = next((r.nhs_number for r in records if r.nhs_number), None)
    upn = next((r.upn for r in records if r.upn), None)
    return (best.given_name, best.family_name, best.date_of_birth, best.unborn, best.sex, nhs, upn)


@transaction.atomic
def records_link_deterministically(
    *,
    touched_record_pks: set[int] | None = None,
    pending: Sequence[LinkableRecord] = (),
    actor: User | None = None,
) -> LinkResult:
    """Link every agency record to the right person and update the people it touches.

    ``touched_record_pks`` are records whose values changed since the last
    run (an import passes the records it updated): their people's
    demographics are recomputed even if the grouping stayed the same.
    ``pending`` are records about to be inserted (their keys already
    reserved): they are linked with the rest, and ``person_of_pending`` says
    which person to insert each with, which spares rewriting every new row.
    Running it twice in a row changes nothing the second time.
    """
    touched = (touched_record_pks or set()) | {record.pk for record in pending}
    records = {
        row[0]: LinkableRecord(*row)
        for row in AgencyRecord.objects.values_list(
            "pk",
            "nhs_number",
            "upn",
            "person_id",
            "given_name",
            "family_name",
            "date_of_birth",
            "unborn",
            "sex",
            "updated_at",
        ).iterator(chunk_size=20000)
    }
    records.update((record.pk, record) for record in pending)
    groups, conflicts = group_by_identifiers(
        IdentifiedRecord(pk, record.nhs_number, record.upn) for pk, record in records.items()
    )
    result = LinkResult(conflicts=conflicts)

    # Keep each existing person with the group holding most of their records,
    # largest groups first, so a person's id (and what points at it) survives.
    claimed: set[int] = set()
    assignments: list[tuple[list[int], int | None]] = []
    for group in sorted(groups, key=lambda g: (-len(g), g[0])):
        counts = Counter(records[pk].person_id for pk in group if records[pk].person_id is not None)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        survivor = next((pk for pk, _ in ranked if pk not in claimed), None)
        if survivor is not None:
            claimed.add(survivor)
        assignments.append((group, survivor))

    new_ids = iter(reserve_ids(Person, sum(1 for _, pk in assignments if pk is None)))
    existing: dict[int, tuple] = {}
    for chunk in in_chunks(sorted(claimed)):
        people = Person.objects.filter(pk__in=chunk).values_list("pk", *_PERSON_FIELDS)
        existing.update((row[0], row[1:]) for row in people)
    pending_pks = {record.pk for record in pending}
    new_people: list[tuple] = []
    changed_people: list[tuple] = []
    relinked: list[tuple[int, int]] = []
    abandoned: set[int] = set()
    for group, kept_pk in assignments:
        is_new = kept_pk is None
        person_pk: int = next(new_ids) if kept_pk is None else kept_pk
        moved = [pk for pk in group if records[pk].person_id != person_pk]
        for pk in moved:
            previous = records[pk].person_id
            if pk in pending_pks:
                result.person_of_pending[pk] = person_pk
                continue
            relinked.append((pk, person_pk))
            if previous is not None:
                abandoned.add(previous)
        if not (is_new or moved or touched.intersection(group)):
            continue
        values = _person_values([records[pk] for pk in group])
        if is_new:
            new_people.append((person_pk, *values))
        elif existing[person_pk] != values:
            changed_people.append((person_pk, *values))
    abandoned -= claimed

    now = timezone.now()
    # A person's identifiers may pass to another person in this run; clear the
    # old holders first so the unique constraints hold at every statement.
    changing = [row[0] for row in changed_people] + list(abandoned)
    for chunk in in_chunks(changing):
        Person.objects.filter(pk__in=chunk).update(nhs_number=None, upn=None)
    bulk_insert(
        Person,
        ["id", *_PERSON_FIELDS, "created_at", "updated_at"],
        ((*row, now, now) for row in new_people),
    )
    bulk_update(Person, [*_PERSON_FIELDS, "updated_at"], ((*row, now) for row in changed_people))
    bulk_update(AgencyRecord, ["person"], relinked)
    relinked_pks = [pk for pk, _ in relinked]
    for chunk in in_chunks(relinked_pks):
        person_of_record = Subquery(
            AgencyRecord.objects.filter(pk=OuterRef("record_id")).values("person_id")[:1]
        )
        Event.objects.filter(record_id__in=chunk).update(person_id=person_of_record)
        person_of_source = Subquery(
            AgencyRecord.objects.filter(pk=OuterRef("source_record_id")).values("person_id")[:1]
        )
        HouseholdMembership.objects.filter(source_record_id__in=chunk).update(
            person_id=person_of_source
        )
    # A person whose every record moved to someone else is no longer anybody.
    for chunk in in_chunks(sorted(abandoned)):
        removable = Person.objects.filter(pk__in=chunk).exclude(
            Exists(AgencyRecord.objects.filter(person_id=OuterRef("pk")))
            | Exists(Event.objects.filter(person_id=OuterRef("pk")))
            | Exists(HouseholdMembership.objects.filter(person_id=OuterRef("pk")))
        )
        result.people_removed += removable.delete()[0]
    result.people_created = len(new_people)
    result.people_updated = len(changed_people)
    result.records_relinked = len(relinked)
    if result.people_created or result.records_relinked or result.people_removed:
        audit_record(
            actor=actor,
            actor_label="" if actor else "system: deterministic linkage",
            action=AuditEvent.Action.LINK,
            detail={
                "people_created": result.people_created,
                "people_updated": result.people_updated,
                "people_removed": result.people_removed,
                "records_relinked": result.records_relinked,
                "identifier_conflicts": len(conflicts),
            },
        )
    return result
