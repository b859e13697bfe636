"""Reads of people and households, always on behalf of a viewer and always audited.

Every function here takes the requesting user, answers only with what that
user may see (``visible_to``), and leaves an audit entry saying who looked at
what and why they were allowed to. A person the viewer may not see raises
``Person.DoesNotExist`` exactly as a person who does not exist, so a view
answers 404 in both cases and existence does not leak.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from thinkfamily.accounts.backends import (
    access_reason,
    reads_chronology_of,
)
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.events.models import Event
from thinkfamily.people.identifiers import IdentifierError, normalise_nhs_number, normalise_upn
from thinkfamily.people.models import (
    AgencyRecord,
    HouseholdMembership,
    Person,
    households_known_to_agency,
)

SEARCH_RESULTS_LIMIT = 50
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y")


def _parse_date(text: str) -> dt.date | None:
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def _prefix_range(field: str, word: str) -> Q:
    """``field`` starts with ``word``, case-insensitively, as a range on the lower-cased field.

    A range (``>= "smi"`` and ``< "smj"``) uses the expression index on
    ``LOWER(field)`` on both SQLite and PostgreSQL, where ``LIKE 'smi%'`` would
    read every row. (SQLite lower-cases ASCII letters only.)
    """
    low = word.lower()
    high = low[:-1] + chr(ord(low[-1]) + 1)
    lowered = Lower(field)
    return Q(GreaterThanOrEqual(lowered, low), LessThan(lowered, high))


def _people_named(word: str) -> QuerySet[Any]:
    """Ids of people with a given or family name starting with ``word``, on the person
    or on any agency's record of them (so a former surname still finds them)."""
    on_person = Person.objects.filter(
        _prefix_range("given_name", word) | _prefix_range("family_name", word)
    ).values("id")
    on_record = AgencyRecord.objects.filter(
        _prefix_range("given_name", word) | _prefix_range("family_name", word)
    ).values("person_id")
    return on_person.union(on_record)


def _search_filter(query: str) -> Q:
    """Turn what a practitioner typed into a filter: an identifier, a date of birth, or names.

    Words that look like a date match the date of birth; an NHS number or UPN
    matches exactly; every other word must match the start of a given or
    family name (on the person or on any agency's record of them, so a
    person recorded under a former surname is still found).
    """
    text = query.strip()
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit() and len(digits) == 10:
        try:
            return Q(nhs_number=normalise_nhs_number(digits))
        except IdentifierError:
            pass
    if len(digits) == 13 and digits[:1].isalpha():
        try:
            return Q(upn=normalise_upn(digits))
        except IdentifierError:
            pass
    condition = Q()
    words = text.split()
    remaining: list[str] = []
    index = 0
    while index < len(words):
        # A date may be typed with spaces ("3 4 2019"): try three words, then one.
        three = " ".join(words[index : index + 3])
        if (born := _parse_date(three)) is not None:
            condition &= Q(date_of_birth=born)
            index += 3
        elif (born := _parse_date(words[index])) is not None:
            condition &= Q(date_of_birth=born)
            index += 1
        else:
            remaining.append(words[index])
            index += 1
    for word in remaining:
        condition &= Q(id__in=_people_named(word))
    return condition


def person_search(*, query: str, viewer: User) -> list[Person]:
    """People the viewer may see who match ``query`` (name words, a date of birth, an identifier).

    Returns at most ``SEARCH_RESULTS_LIMIT`` people, ordered by family and
    given name, each annotated with ``agency_count``: how many agencies know
    them. An empty query finds nobody. The search is audited.
    """
    if not query.strip():
        return []
    matching_ids = Person.objects.filter(_search_filter(query)).values("id")
    results = list(
        Person.objects.visible_to(viewer)
        .filter(id__in=matching_ids)
        .annotate(agency_count=Count("records__agency", distinct=True))
        .order_by("family_name", "given_name", "date_of_birth", "id")[:SEARCH_RESULTS_LIMIT]
    )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.SEARCH,
        reason="search within the viewer's access",
        detail={"query": query, "results": len(results)},
    )
    return results


@dataclass(frozen=True)
class Residence:
    """One household membership of a person, and whether the viewer may open that household."""

    membership: HouseholdMembership
    viewer_may_open: bool


@dataclass(frozen=True)
class PersonDetail:
    """What a person page shows: who they are, each agency's record, households, chronology.

    ``restricted_not_shown`` counts restricted entries in a chronology the
    viewer may otherwise read; ``unreadable_not_shown`` counts the entries of
    a person the viewer knows only as a household member, whose chronology
    their agency may not read.
    """

    person: Person
    records: list[AgencyRecord]
    residences: list[Residence]
    chronology: list[Event]
    restricted_not_shown: int
    unreadable_not_shown: int
    access_reason: str

    @property
    def parallel_records(self) -> dict[str, list[AgencyRecord]]:
        """Agencies holding more than one record of this person (a parallel system)."""
        by_agency: dict[str, list[AgencyRecord]] = {}
        for record in self.records:
            by_agency.setdefault(record.agency.name, []).append(record)
        return {agency: records for agency, records in by_agency.items() if len(records) > 1}


def person_detail(*, person_id: int, viewer: User) -> PersonDetail:
    """Everything the viewer may see about one person; raises Person.DoesNotExist otherwise."""
    person = Person.objects.get(pk=person_id)
    reason = access_reason(viewer, person)
    if reason is None:  # exactly as if there were nobody with this id
        raise Person.DoesNotExist
    records = list(person.records.select_related("agency").order_by("agency__name", "record_id"))
    memberships = list(
        person.memberships.select_related("household", "reported_by").order_by(
            "household_id", "reported_by__name"
        )
    )
    households = {m.household_id for m in memberships}
    if viewer.sees_whole_families:
        openable = households
    else:
        assert viewer.agency_id is not None  # access_reason refuses anyone without an agency
        openable = households_known_to_agency(households, viewer.agency_id)
    all_events = Event.objects.filter(person=person)
    chronology = list(
        all_events.visible_to(viewer).select_related("agency").order_by("-occurred_at", "-id")
    )
    not_shown = all_events.count() - len(chronology)
    chronology_readable = reads_chronology_of(viewer, person)
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_PERSON,
        object_type="person",
        object_id=person.pk,
        reason=reason,
    )
    return PersonDetail(
        person=person,
        records=records,
        residences=[Residence(m, m.household_id in openable) for m in memberships],
        chronology=chronology,
        restricted_not_shown=not_shown if chronology_readable else 0,
        unreadable_not_shown=0 if chronology_readable else not_shown,
        access_reason=reason,
    )
