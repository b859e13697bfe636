"""Who is family to whom: relationships and households read as relations between people.

Agencies record relationships between their own *records* and report who
lives where; this module reads both as relations between *people*, the
shape the Think Sibling rules and the family page need. Everything is loaded
for a set of people at once, in a handful of indexed queries, so the same
code serves one concern typed into a form and every recent concern after an
import.

Which children are connected to a child (``connected_children``)? The review
found that the concern about one child was a concern for the others, and that
a new partner's own children were part of the family too. So, for a child C:

* every child living in a household C currently lives in;
* every child an agency records as C's sibling, half-sibling or step-sibling;
* every child of C's parents and carers, and of the adults living with C
  (a new partner's own children in another household count);
* every child living in the households of C's parents (a father's new family).

The relation is symmetric: if K is connected to C, C is connected to K. That
matters because it lets "which concerns reach this child?" be answered by the
same function as "which children does this concern reach?".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from thinkfamily.core.bulk import in_chunks
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person, Relationship

__all__ = [
    "Connection",
    "FamilyGraph",
    "family_graph_load",
    "households_load",
    "people_near",
]

Kind = Relationship.Kind

#: Kinds read from the other side: "A is parent of B" is "B is child of A".
_INVERSE = {
    Kind.PARENT: Kind.CHILD,
    Kind.CHILD: Kind.PARENT,
    Kind.CARER: "cared_for",
    Kind.SIBLING: Kind.SIBLING,
    Kind.HALF_SIBLING: Kind.HALF_SIBLING,
    Kind.STEP_SIBLING: Kind.STEP_SIBLING,
    Kind.PARTNER: Kind.PARTNER,
    Kind.HOUSEHOLD_MEMBER: Kind.HOUSEHOLD_MEMBER,
}
SIBLING_KINDS = frozenset({Kind.SIBLING, Kind.HALF_SIBLING, Kind.STEP_SIBLING})
#: "A is <kind> of B" where A brings B up.
PARENTING_KINDS = frozenset({Kind.PARENT, Kind.CARER})


def _chunks(ids: Collection[int]) -> Iterable[Sequence[int]]:
    """Sorted slices of ``ids`` small enough for an ``IN (…)`` clause."""
    return in_chunks(sorted(ids))


@dataclass(frozen=True)
class Connection:
    """How a child is connected to another child, in words, and the household they share."""

    child_id: int
    how: str
    shared_household_id: int | None


@dataclass
class FamilyGraph:
    """The relations and current households around a set of people, loaded in one go.

    ``relations[a]`` maps each related person b to the kinds read "a is <kind>
    of b". ``households[p]`` is the set of households p currently lives in,
    ``members[h]`` the people currently living in h. ``people`` holds every
    person met while loading, for ages.
    """

    today: dt.date
    relations: dict[int, dict[int, set[str]]] = field(default_factory=dict)
    households: dict[int, set[int]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)

    def is_child(self, person_id: int) -> bool:
        person = self.people.get(person_id)
        return person is not None and person.is_child_on(self.today)

    def related(self, person_id: int, kinds: Collection[str]) -> set[int]:
        """People ``person_id`` is one of ``kinds`` of (e.g. PARENT: the person's children)."""
        return {
            other
            for other, their_kinds in self.relations.get(person_id, {}).items()
            if their_kinds & set(kinds)
        }

    def parents_of(self, person_id: int) -> set[int]:
        """Parents and carers: people recorded as parent or carer of this person, or whose
        child this person is recorded to be."""
        return {
            other
            for other, kinds in self.relations.get(person_id, {}).items()
            if Kind.CHILD in kinds or "cared_for" in kinds
        }

    def housemates(self, person_id: int) -> set[int]:
        return {
            member
            for household in self.households.get(person_id, set())
            for member in self.members.get(household, set())
        } - {person_id}

    def leave_out(self, person_ids: Collection[int]) -> None:
        """Forget these people, and every relation and home through them, as if they had never
        been loaded: how a sealed person is kept off a page for those who may not see them."""
        gone = set(person_ids)
        for person_id in gone:
            self.relations.pop(person_id, None)
            self.households.pop(person_id, None)
            self.people.pop(person_id, None)
        for related in self.relations.values():
            for person_id in gone & related.keys():
                del related[person_id]
        for members in self.members.values():
            members -= gone

    def connected_children(self, child_id: int) -> dict[int, Connection]:
        """Every other child connected to ``child_id`` (see the module docstring), with how.

        When a child is connected in several ways, the closest is kept: living
        together first, then a recorded sibling relationship, then through a
        parent or an adult of the household.
        """
        found: dict[int, Connection] = {}
        own_households = self.households.get(child_id, set())

        def add(other: int, how: str) -> None:
            if other == child_id or other in found or not self.is_child(other):
                return
            shared = own_households & self.households.get(other, set())
            found[other] = Connection(other, how, min(shared) if shared else None)

        for household in sorted(own_households):
            for member in sorted(self.members.get(household, set())):
                add(member, "lives in the same household")
        for other, kinds in sorted(self.relations.get(child_id, {}).items()):
            for kind in (Kind.SIBLING, Kind.HALF_SIBLING, Kind.STEP_SIBLING):
                if kind in kinds:
                    add(other, Relationship.Kind(kind).label.lower())
        parents = self.parents_of(child_id)
        adults_at_home = {m for m in self.housemates(child_id) if not self.is_child(m)}
        for adult in sorted(parents | adults_at_home):
            for other in sorted(self.related(adult, PARENTING_KINDS)):
                add(other, "child of a parent or an adult of the household")
        for parent in sorted(parents):
            for other in sorted(self.housemates(parent)):
                add(other, "lives with a parent")
        return found


def _relations_into(graph: FamilyGraph, person_ids: Collection[int]) -> set[int]:
    """Add the current relationships touching ``person_ids``; return the people newly met."""
    record_person: dict[int, int] = {}
    for chunk in _chunks(person_ids):
        record_person.update(
            AgencyRecord.objects.filter(person_id__in=chunk).values_list("pk", "person_id")
        )
    current = Q(end_date__isnull=True) | Q(end_date__gte=graph.today)
    rows: list[tuple[int, int, str]] = []
    for chunk in _chunks(record_person):
        rows.extend(
            Relationship.objects.filter(current)
            .filter(Q(record_id__in=chunk) | Q(related_record_id__in=chunk))
            .values_list("record_id", "related_record_id", "kind")
        )
    unknown_records = {r for row in rows for r in row[:2] if r not in record_person}
    for chunk in _chunks(unknown_records):
        record_person.update(
            AgencyRecord.objects.filter(pk__in=chunk, person__isnull=False).values_list(
                "pk", "person_id"
            )
        )
    met: set[int] = set()
    for record, related, kind in rows:
        one, other = record_person.get(record), record_person.get(related)
        if one is None or other is None or one == other:
            continue
        graph.relations.setdefault(one, {}).setdefault(other, set()).add(kind)
        graph.relations.setdefault(other, {}).setdefault(one, set()).add(_INVERSE[Kind(kind)])
        met.update((one, other))
    return met


def households_load(graph: FamilyGraph, person_ids: Collection[int]) -> set[int]:
    """Add the current households of ``person_ids`` and everyone living in them to ``graph``;
    return the people newly met. (People already loaded are not asked about again.)"""
    wanted = [p for p in person_ids if p not in graph.households]
    for person_id in wanted:
        graph.households[person_id] = set()
    new_households: set[int] = set()
    for chunk in _chunks(wanted):
        for person_id, household_id in HouseholdMembership.objects.filter(
            person_id__in=chunk, end_date__isnull=True
        ).values_list("person_id", "household_id"):
            graph.households[person_id].add(household_id)
            if household_id not in graph.members:
                new_households.add(household_id)
    met: set[int] = set()
    for chunk in _chunks(new_households):
        for household_id, person_id in HouseholdMembership.objects.filter(
            household_id__in=chunk, end_date__isnull=True
        ).values_list("household_id", "person_id"):
            graph.members.setdefault(household_id, set()).add(person_id)
            graph.households.setdefault(person_id, set()).add(household_id)
            met.add(person_id)
    return met


def _people_into(graph: FamilyGraph, person_ids: Iterable[int]) -> None:
    missing = {p for p in person_ids if p not in graph.people}
    for chunk in _chunks(missing):
        for person in Person.objects.filter(pk__in=chunk).only(
            "given_name", "family_name", "date_of_birth", "unborn", "sex", "sealed"
        ):
            graph.people[person.pk] = person


def family_graph_load(person_ids: Collection[int], *, today: dt.date) -> FamilyGraph:
    """Load what ``connected_children`` needs for each of ``person_ids``.

    Three rings out from the people asked about: their relationships and
    households; then the relationships of their parents and of the adults
    they live with (whose children count) and the households of their parents
    (whose children count).
    """
    graph = FamilyGraph(today=today)
    households_load(graph, person_ids)
    _relations_into(graph, person_ids)
    _people_into(graph, {p for members in graph.members.values() for p in members})
    _people_into(graph, set(person_ids) | set(graph.relations))
    adults: set[int] = set()
    parents: set[int] = set()
    for person_id in person_ids:
        person_parents = graph.parents_of(person_id)
        parents |= person_parents
        adults |= person_parents
        adults |= {m for m in graph.housemates(person_id) if not graph.is_child(m)}
    _relations_into(graph, adults - set(person_ids))
    households_load(graph, parents)
    _people_into(graph, set(graph.relations) | {p for m in graph.members.values() for p in m})
    _people_into(graph, {other for person in adults for other in graph.relations.get(person, {})})
    return graph


def people_near(person_ids: Collection[int], *, today: dt.date, steps: int = 2) -> set[int]:
    """``person_ids`` and everyone within ``steps`` of them, a step being a current household
    shared or a current relationship, either way.

    Two steps is as far as ``connected_children`` reaches (a parent's or an
    adult housemate's relation, a parent's housemate), and the relation is
    symmetric: so a concern that a change to these people can carry to a
    child it did not reach before is about someone within two steps of them.
    """
    near = set(person_ids)
    frontier = set(near)
    for _ in range(steps):
        graph = FamilyGraph(today=today)  # afresh: it knows only the households it was asked
        households_load(graph, frontier)
        _relations_into(graph, frontier)
        reached = {
            member
            for person in frontier
            for household in graph.households.get(person, ())
            for member in graph.members[household]
        } | {other for person in frontier for other in graph.relations.get(person, {})}
        frontier = reached - near
        near |= reached
    return near


def people_by_household(household_ids: Collection[int]) -> dict[int, set[int]]:
    """The people currently living in each of these households."""
    living: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(household_ids):
        for household_id, person_id in HouseholdMembership.objects.filter(
            household_id__in=chunk, end_date__isnull=True
        ).values_list("household_id", "person_id"):
            living[household_id].add(person_id)
    return living
