"""Changes to people and households.

Households are formed from what agencies say about who lives together:

* records an agency groups under one ``household_ref``;
* records at the same normalised address and postcode, whichever agency holds them;
* records related by a current relationship (partner, parent, sibling…) when at
  least one of the two has no address: a relationship says who is family, an
  address says who lives together, so separated parents at two addresses stay
  in two households while a baby known only by her mother's record joins her.

A household is built from agency *records*, not people, so one person whose
agencies disagree about where they live is shown in both households; that
disagreement is worth seeing. A membership that no longer holds is ended, not
deleted: who left a household, and when, is part of the family's story.

An extract import forms every household again. A push of a few records (the
JSON API) forms again only the households around what it changed
(``households_rebuild(around=...)``): the same rules on fewer records, and
the same households as forming them all would give (tested by forming them
all afterwards and finding nothing to change).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from thinkfamily.core.bulk import bulk_insert, bulk_update, in_chunks, reserve_ids
from thinkfamily.people.identifiers import normalise_address
from thinkfamily.people.models import AgencyRecord, Household, HouseholdMembership, Relationship

Role = HouseholdMembership.Role
Kind = Relationship.Kind

#: Relationships that say two people share a home when one of them has no address.
_CO_RESIDENT_KINDS = {
    Kind.PARENT,
    Kind.CHILD,
    Kind.SIBLING,
    Kind.HALF_SIBLING,
    Kind.STEP_SIBLING,
    Kind.PARTNER,
    Kind.CARER,
    Kind.HOUSEHOLD_MEMBER,
}


@dataclass
class HouseholdResult:
    """What a rebuild changed."""

    households: int = 0
    households_created: int = 0
    memberships_created: int = 0
    memberships_updated: int = 0
    memberships_ended: int = 0
    #: The moment stamped on the memberships this rebuild created (who joined a household).
    recorded_at: dt.datetime | None = None


class _Record(NamedTuple):  # a NamedTuple: a million of them are built per rebuild
    pk: int
    agency_id: int
    agency_code: str
    record_id: str
    person_id: int
    household_ref: str
    address: str
    address_key: str
    postcode: str
    date_of_birth: dt.date | None
    unborn: bool


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _find(parent: dict[int, int], key: int) -> int:
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _union(parent: dict[int, int], first: int, second: int) -> None:
    one, other = _find(parent, first), _find(parent, second)
    if one != other:
        parent[max(one, other)] = min(one, other)


def _household_key(members: list[_Record]) -> tuple[str, str, str]:
    """A stable name for a group of records, with the address to show: (key, address, postcode).

    The most common address names the household; without one, the agency's
    own household reference; without that, the first record.
    """
    addresses = Counter((r.postcode, r.address_key) for r in members if r.address_key)
    if addresses:
        (postcode, address_key), _ = min(addresses.items(), key=lambda item: (-item[1], item[0]))
        shown = min(
            (r for r in members if (r.postcode, r.address_key) == (postcode, address_key)),
            key=lambda r: r.pk,
        )
        return f"addr:{postcode}|{address_key}", shown.address, postcode
    refs = sorted((r.agency_code, r.household_ref) for r in members if r.household_ref)
    if refs:
        return f"ref:{refs[0][0]}:{refs[0][1]}", "", ""
    first = min(members, key=lambda r: (r.agency_code, r.record_id))
    return f"rec:{first.agency_code}:{first.record_id}", "", ""


def _role(record: _Record, kinds: set[str], today: dt.date) -> str:
    """The record's role in its household, from its age and the relationships it is in."""
    if record.unborn or (record.date_of_birth and _age(record.date_of_birth, today) < 18):
        return Role.CHILD
    if record.date_of_birth is None and Kind.CHILD in kinds and Kind.PARENT not in kinds:
        return Role.CHILD
    for kind, role in ((Kind.PARENT, Role.PARENT), (Kind.PARTNER, Role.PARTNER),
                       (Kind.CARER, Role.CARER)):  # fmt: skip
        if kind in kinds:
            return role
    return Role.OTHER_ADULT


def _rows_within(rows: QuerySet, field: str, scope: Collection[Any] | None) -> Iterable[tuple]:
    """The rows of a ``values_list`` query: all, or those whose ``field`` is in ``scope``."""
    if scope is None:
        return rows.iterator(chunk_size=20000)
    return (
        row for chunk in in_chunks(sorted(scope)) for row in rows.filter(**{f"{field}__in": chunk})
    )


def _memberships_sync(
    wanted: dict[tuple[int, int], tuple[int, str, dt.date | None, int]],
    today: dt.date,
    recorded_at: dt.datetime,
    scope: set[int] | None,
) -> tuple[int, int, int]:
    """Make the record-derived memberships match ``wanted``; return (created, updated, ended).

    ``wanted`` maps (household pk, record pk) to (person pk, role, start date,
    reporting agency pk). New memberships are stamped ``recorded_at``;
    memberships not wanted any more are ended today. With ``scope``, only the
    memberships of those records are looked at.
    """
    columns = ("pk", "household_id", "source_record_id", "person_id", "role", "start_date",
               "end_date")  # fmt: skip
    derived = HouseholdMembership.objects.filter(source_record__isnull=False)
    have = {
        (household_pk, record_pk): (pk, person_pk, role, started, ended)
        for pk, household_pk, record_pk, person_pk, role, started, ended in _rows_within(
            derived.values_list(*columns), "source_record_id", scope
        )
    }
    to_create, to_update, to_end = [], [], []
    for (household_pk, record_pk), (person_pk, role, started, agency_pk) in wanted.items():
        current = have.get((household_pk, record_pk))
        if current is None:
            to_create.append(
                (household_pk, person_pk, role, started, None, agency_pk, record_pk, recorded_at)
            )
        elif current[1:] != (person_pk, role, started, None):
            to_update.append((current[0], person_pk, role, started, None))
    for place, (pk, _, _, started, ended) in have.items():
        if place not in wanted and ended is None:
            to_end.append((pk, max(today, started) if started else today))

    bulk_insert(
        HouseholdMembership,
        ["household", "person", "role", "start_date", "end_date", "reported_by", "source_record",
         "recorded_at"],
        to_create,
    )  # fmt: skip
    bulk_update(HouseholdMembership, ["person", "role", "start_date", "end_date"], to_update)
    bulk_update(HouseholdMembership, ["end_date"], to_end)
    return len(to_create), len(to_update), len(to_end)


_RECORD_COLUMNS = ("pk", "agency_id", "agency__code", "record_id", "person_id", "household_ref",
                   "address", "postcode", "date_of_birth", "unborn")  # fmt: skip


def _record(row: tuple) -> _Record:
    pk, agency_id, code, record_id, person_id, ref, address, postcode, born, unborn = row
    address_key = normalise_address(address) if address and postcode else ""
    return _Record(
        pk, agency_id, code, record_id, person_id, ref, address, address_key, postcode, born, unborn
    )


def _records(scope: set[int] | None) -> dict[int, _Record]:
    """The records households are formed from (every record of a person, or those in ``scope``)."""
    linked = AgencyRecord.objects.filter(person__isnull=False).values_list(*_RECORD_COLUMNS)
    return {record.pk: record for record in map(_record, _rows_within(linked, "pk", scope))}


def _homes_around(seeds: set[int], today: dt.date) -> set[int]:
    """The records whose household can change when ``seeds`` change: worked outwards.

    From the seeds, every record that shares a household reference or an
    address with one found so far, or lived in one of its households as they
    were last formed, or is joined to it by a current relationship where one
    of the two has no address; and so on until nothing new is found. The set
    is closed under every rule that forms households, so the households formed
    from it alone are those that forming every household would give; and it
    holds everyone who was in those households before, so whoever has left is
    seen to have left. (A record linked to another person keeps its household:
    linkage and merges move its memberships with it.)
    """
    linked = AgencyRecord.objects.filter(person__isnull=False)
    found: set[int] = set()
    frontier = set(seeds)
    while frontier:
        found |= frontier
        nearby: set[int] = set()
        for chunk in in_chunks(sorted(frontier)):
            here = _records(set(chunk))
            refs = {(r.agency_id, r.household_ref) for r in here.values() if r.household_ref}
            for pk, agency_id, ref in linked.filter(
                household_ref__in={ref for _, ref in refs}
            ).values_list("pk", "agency_id", "household_ref"):
                if (agency_id, ref) in refs:
                    nearby.add(pk)
            places = {(r.postcode, r.address_key) for r in here.values() if r.address_key}
            for pk, address, postcode in linked.filter(
                postcode__in={postcode for postcode, _ in places}
            ).values_list("pk", "address", "postcode"):
                if address and (postcode, normalise_address(address)) in places:
                    nearby.add(pk)
            lived_in = HouseholdMembership.objects.filter(
                source_record_id__in=chunk, end_date__isnull=True
            ).values("household_id")
            nearby.update(
                HouseholdMembership.objects.filter(
                    household_id__in=lived_in, source_record__isnull=False, end_date__isnull=True
                ).values_list("source_record_id", flat=True)
            )
            related = (
                Relationship.objects.exclude(end_date__lt=today)
                .filter(kind__in=_CO_RESIDENT_KINDS)
                .filter(Q(record_id__in=list(here)) | Q(related_record_id__in=list(here)))
                .values_list("record_id", "related_record_id")
            )
            pairs = [(one, other) if one in here else (other, one) for one, other in related]
            others = _records({other for _, other in pairs} - found)
            for mine, other in pairs:
                if other in others and not (here[mine].address_key and others[other].address_key):
                    nearby.add(other)
        frontier = nearby - found
    return found


@transaction.atomic
def households_rebuild(
    *, today: dt.date | None = None, around: Collection[int] | None = None
) -> HouseholdResult:
    """Form households from every agency record and bring memberships up to date.

    Idempotent: run twice, the second run changes nothing. New memberships
    are added, changed roles updated, and memberships that no longer hold are
    ended ``today``. With ``around`` (keys of records just added or changed,
    or whose relationships were), only the households they can change are
    formed again (``_homes_around``); roles elsewhere (a child who has turned
    18) wait for the next whole rebuild (an import, or ``thinkfamily households``).
    """
    today = today or timezone.localdate()
    scope = None if around is None else _homes_around(set(around), today)
    records = _records(scope)

    parent = {pk: pk for pk in records}
    first_with: dict[tuple[str, int | str, str], int] = {}
    for record in records.values():
        shared: list[tuple[str, int | str, str]] = []
        if record.household_ref:
            shared.append(("ref", record.agency_id, record.household_ref))
        if record.address_key:
            shared.append(("addr", record.postcode, record.address_key))
        for place in shared:
            _union(parent, record.pk, first_with.setdefault(place, record.pk))

    kinds_of: dict[int, set[str]] = {}
    partner_since: dict[int, dt.date] = {}
    current = Relationship.objects.exclude(end_date__lt=today).values_list(
        "record_id", "related_record_id", "kind", "start_date"
    )
    # Scoped, a relationship from outside the scope cannot join a record in it:
    # the scope is closed under every rule that forms households.
    for record_pk, related_pk, kind, started in _rows_within(current, "record_id", scope):
        kinds_of.setdefault(record_pk, set()).add(kind)
        if kind == Kind.PARTNER and started:
            partner_since[record_pk] = started
        one, other = records.get(record_pk), records.get(related_pk)
        both_have_addresses = one and other and one.address_key and other.address_key
        if one and other and kind in _CO_RESIDENT_KINDS and not both_have_addresses:
            _union(parent, one.pk, other.pk)

    components: dict[int, list[_Record]] = {}
    for record in records.values():
        components.setdefault(_find(parent, record.pk), []).append(record)

    planned: list[tuple[str, str, str, list[_Record]]] = [
        (*_household_key(members), members)
        for members in components.values()
        # One record with nowhere known to live is not a household.
        if len(members) > 1 or members[0].address_key or members[0].household_ref
    ]
    households = Household.objects.values_list("pk", "key", "address", "postcode")
    existing = {
        key: (pk, address, postcode)
        for pk, key, address, postcode in _rows_within(
            households, "key", None if scope is None else [key for key, *_ in planned]
        )
    }
    new_keys = [key for key, *_ in planned if key not in existing]
    household_pk_of = dict(zip(new_keys, reserve_ids(Household, len(new_keys)), strict=True))
    household_pk_of.update((key, values[0]) for key, values in existing.items())
    now = timezone.now()
    bulk_insert(
        Household,
        ["id", "key", "address", "postcode", "created_at"],
        (
            (household_pk_of[key], key, address, postcode, now)
            for key, address, postcode, _ in planned
            if key not in existing
        ),
    )
    bulk_update(
        Household,
        ["address", "postcode"],
        (
            (existing[key][0], address, postcode)
            for key, address, postcode, _ in planned
            if key in existing and existing[key][1:] != (address, postcode)
        ),
    )

    wanted: dict[tuple[int, int], tuple[int, str, dt.date | None, int]] = {}
    for key, _, _, members in planned:
        for record in members:
            role = _role(record, kinds_of.get(record.pk, set()), today)
            started = partner_since.get(record.pk) if role == Role.PARTNER else None
            wanted[(household_pk_of[key], record.pk)] = (
                record.person_id,
                role,
                started,
                record.agency_id,
            )

    created, updated, ended = _memberships_sync(wanted, today, now, scope)
    return HouseholdResult(
        households=len(planned) if scope is None else _households_lived_in(),
        households_created=len(new_keys),
        memberships_created=created,
        memberships_updated=updated,
        memberships_ended=ended,
        recorded_at=now,
    )


def _households_lived_in() -> int:
    """How many households someone lives in, as agencies' records say (as many as a whole
    rebuild forms: each has a current membership, and every other has none)."""
    current = HouseholdMembership.objects.filter(source_record__isnull=False, end_date__isnull=True)
    return current.values("household_id").distinct().count()
