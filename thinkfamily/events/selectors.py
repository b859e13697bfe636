"""Reads of chronologies: a whole family's events as one list, newest first.

The review behind Think Family found that each agency saw only its own part
of a family's story. The family chronology puts every agency's entries about
every person living in a household side by side, so a strategy meeting reads
one story, and says plainly how many entries the reader may not see.

A chronology is read on behalf of a viewer and shows only the events that
viewer may read (``Event.objects.visible_to``). The functions here do not
decide whether the viewer may open the household, nor write the audit entry:
the page or export that calls them does both, once, for the whole read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils.http import urlencode

from thinkfamily.accounts.models import User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, HouseholdMembership, Person

#: How many entries a chronology page shows before it asks the reader to filter.
CHRONOLOGY_LIMIT = 500

#: A choice in a filter: the value sent in the query string, and what the reader sees.
Option = tuple[int, str]
TypeOption = tuple[str, str]


@dataclass(frozen=True)
class ChronologyFilters:
    """What a reader narrowed the chronology to; ``None`` means "all"."""

    person_id: int | None = None
    agency_id: int | None = None
    event_type: str | None = None

    #: The query-string names, shared by the filter form, the page and the PDF link.
    PERSON = "person"
    AGENCY = "agency"
    TYPE = "type"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ChronologyFilters:
        """Read the filters from a query string; raise ``ApplicationError`` naming a bad one.

        An empty value means "all", as the form's first option sends it.
        """
        event_type = query.get(cls.TYPE, "").strip() or None
        if event_type is not None and event_type not in Event.EventType.values:
            raise ApplicationError(
                f"The event type filter must be one of: {', '.join(Event.EventType.values)}.",
                extra={"field": cls.TYPE},
            )
        return cls(
            person_id=_optional_id(query, cls.PERSON, "a person"),
            agency_id=_optional_id(query, cls.AGENCY, "an agency"),
            event_type=event_type,
        )

    @property
    def any(self) -> bool:
        """Whether anything is filtered out."""
        return any(value is not None for value in self.as_dict().values())

    def as_dict(self) -> dict[str, int | str | None]:
        """The filters by query-string name, for links and the audit trail."""
        return {
            self.PERSON: self.person_id,
            self.AGENCY: self.agency_id,
            self.TYPE: self.event_type,
        }

    @property
    def query_string(self) -> str:
        """``?person=3&type=visit`` for the filters set, or ``""`` when there are none."""
        present = {name: value for name, value in self.as_dict().items() if value is not None}
        return f"?{urlencode(present)}" if present else ""


def _optional_id(query: Mapping[str, str], name: str, one_of_them: str) -> int | None:
    """The id in ``query[name]``, None when absent or empty; refuse anything but digits."""
    text = query.get(name, "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ApplicationError(
            f"The {name} filter must be the number of {one_of_them}, not “{text[:40]}”.",
            extra={"field": name},
        )
    return int(text)


@dataclass(frozen=True)
class FamilyChronology:
    """The events of a household's current members that a viewer may read, newest first.

    ``entries`` carry their person and agency. ``hidden`` counts the events of
    the people shown (all members, or the one filtered to) that the viewer
    may not read: another agency's entries about a person their agency does
    not know, and restricted entries. ``people``, ``agencies`` and
    ``event_types`` are the choices for the filters; ``truncated`` says that
    more than ``limit`` entries matched and only the newest ``limit`` are in
    ``entries``.
    """

    entries: list[Event]
    hidden: int
    people: list[Option]
    agencies: list[Option]
    event_types: list[TypeOption]
    filters: ChronologyFilters = field(default_factory=ChronologyFilters)
    truncated: bool = False
    limit: int | None = CHRONOLOGY_LIMIT

    @property
    def applied_filters(self) -> list[tuple[str, str]]:
        """The filters set, in words: ``[("Person", "Alpha Testfamily"), ...]``."""
        applied = []
        if self.filters.person_id is not None:
            name = dict(self.people).get(self.filters.person_id, "Not a member of this household")
            applied.append(("Person", name))
        if self.filters.agency_id is not None:
            agency = dict(self.agencies).get(self.filters.agency_id, "No entries you may read")
            applied.append(("Agency", agency))
        if self.filters.event_type is not None:
            applied.append(("Type", Event.EventType(self.filters.event_type).label))
        return applied


def family_chronology(
    *,
    household: Household,
    viewer: User,
    person_id: int | None = None,
    agency_id: int | None = None,
    event_type: str | None = None,
    limit: int | None = CHRONOLOGY_LIMIT,
) -> FamilyChronology:
    """Every event of every current member of ``household`` the viewer may read, newest first.

    The caller must already have checked that the viewer may open the
    household (``accounts.backends.household_access_reason``) and must write
    the audit entry for the read: this function does neither.

    People who have left the household (a membership with an end date and no
    current one) are not included. ``person_id`` narrows to one member; the id
    of anyone who does not live in the household gives an empty chronology,
    never that person's events. ``agency_id`` and ``event_type`` narrow by who
    recorded the event and what kind it is. ``limit`` (None for no limit)
    caps the entries; ``truncated`` says when it cut some off.

    Four queries whatever the size of the record: the members, the entries,
    the hidden count and the filter choices. Each reads events through the
    ``(person, occurred_at)`` index for a handful of people.

    Example::

        chronology = family_chronology(household=home, viewer=user, event_type="visit")
        chronology.entries[0].person, chronology.hidden
    """
    filters = ChronologyFilters(person_id=person_id, agency_id=agency_id, event_type=event_type)
    people = _current_members(household, viewer)
    member_ids = [person_id for person_id, _ in people]
    shown_ids = _people_shown(member_ids, filters.person_id)
    readable = Event.objects.visible_to(viewer)
    entries, truncated = _entries(readable, shown_ids, filters, limit)
    agencies, event_types = _filter_choices(readable, member_ids)
    return FamilyChronology(
        entries=entries,
        hidden=_hidden_count(readable, shown_ids),
        people=people,
        agencies=agencies,
        event_types=event_types,
        filters=filters,
        truncated=truncated,
        limit=limit,
    )


def _current_members(household: Household, viewer: User) -> list[Option]:
    """The people living in the household now, oldest first, as (id, name); a sealed person
    only for the sealed-record roles (to anyone else they are not a member at all)."""
    current = HouseholdMembership.objects.filter(household=household, end_date__isnull=True).values(
        "person_id"
    )
    people = Person.objects.filter(id__in=current)
    if viewer.role not in sealed_person_roles():
        people = people.exclude(sealed=True)
    members = people.order_by(F("date_of_birth").asc(nulls_last=True), "id").values_list(
        "id", "given_name", "family_name"
    )
    return [(pk, f"{given} {family}") for pk, given, family in members]


def _people_shown(member_ids: list[int], person_id: int | None) -> list[int]:
    """The members whose events are listed: all, the one filtered to, or nobody for an outsider."""
    if person_id is None:
        return member_ids
    return [person_id] if person_id in member_ids else []


def _entries(
    readable: QuerySet[Event, Any],
    people_ids: list[int],
    filters: ChronologyFilters,
    limit: int | None,
) -> tuple[list[Event], bool]:
    """The readable events of these people that match the filters, and whether more matched."""
    events = readable.filter(person_id__in=people_ids)
    if filters.agency_id is not None:
        events = events.filter(agency_id=filters.agency_id)
    if filters.event_type is not None:
        events = events.filter(event_type=filters.event_type)
    events = events.select_related("person", "agency").order_by("-occurred_at", "-id")
    if limit is None:
        return list(events), False
    # One more than the limit tells whether there were more, without counting them all.
    fetched = list(events[: limit + 1])
    return fetched[:limit], len(fetched) > limit


def _hidden_count(readable: QuerySet[Event, Any], people_ids: list[int]) -> int:
    """How many events of these people the viewer may not read.

    Counted over the people shown, not the agency or type filters: which
    agency recorded an unreadable event, and what kind it was, are themselves
    what the viewer may not know.
    """
    readable_ids = readable.filter(person_id__in=people_ids).values("id")
    return Event.objects.filter(person_id__in=people_ids).exclude(id__in=readable_ids).count()


def _filter_choices(
    readable: QuerySet[Event, Any], member_ids: list[int]
) -> tuple[list[Option], list[TypeOption]]:
    """Agencies and event types that appear in the household's readable events.

    Taken from the whole household, not the filtered list, so the reader can
    change a filter without first clearing it.
    """
    pairs = (
        readable.filter(person_id__in=member_ids)
        .order_by()
        .values_list("agency_id", "agency__name", "event_type")
        .distinct()
    )
    agencies: dict[int, str] = {}
    types_present: set[str] = set()
    for agency_id, agency_name, event_type in pairs:
        agencies[agency_id] = agency_name
        types_present.add(event_type)
    return (
        sorted(agencies.items(), key=lambda option: (option[1], option[0])),
        [(value, label) for value, label in Event.EventType.choices if value in types_present],
    )
