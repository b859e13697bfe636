"""How visible a child is to professionals.

The child in the case review was two, at home, and seen by almost nobody:
agencies saw the parents and the older siblings. Visibility here is three
plain facts: when a professional last *saw the child in person* (and which
agency), how many agencies currently know the child, and the child's age
band. Only events recorded as seen in person count: a phone call with a
parent, a letter or a missed appointment is not seeing the child.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery

from thinkfamily.core.bulk import in_chunks
from thinkfamily.events.models import Event
from thinkfamily.people.models import AgencyRecord, Person

__all__ = ["Visibility", "age_band", "visibility_of"]

#: Age bands, youngest first: (below this age, label).
_BANDS = ((1, "Under 1"), (5, "1 to 4"), (11, "5 to 10"), (16, "11 to 15"), (18, "16 to 17"))


def age_band(person: Person, today: dt.date) -> str:
    """The age band a practitioner thinks in: "Unborn", "Under 1", "1 to 4"… "Adult"."""
    if person.unborn:
        return "Unborn"
    age = person.age_on(today)
    if age is None:
        return "Age not known"
    for below, label in _BANDS:
        if age < below:
            return label
    return "Adult"


@dataclass(frozen=True)
class Visibility:
    """How visible one person is to professionals, on ``today``."""

    person_id: int
    today: dt.date
    age: int | None
    age_band: str
    preschool: bool
    agency_count: int
    last_seen_at: dt.datetime | None
    last_seen_by: str

    @property
    def days_since_seen(self) -> int | None:
        """Whole days since a professional last saw the person in person; None if never."""
        if self.last_seen_at is None:
            return None
        return (self.today - self.last_seen_at.date()).days

    def summary(self) -> str:
        """One sentence for a prompt or a list: age, when last seen and by whom, agencies."""
        if self.age_band == "Unborn":
            who = "Unborn"
        elif self.age is None:
            who = "Age not known"
        else:
            who = f"{self.age} year{'s' if self.age != 1 else ''} old"
        if self.preschool:
            who += " (preschool)"
        if self.last_seen_at is None:
            seen = "not recorded as seen in person by any professional"
        else:
            seen = (
                f"last seen in person {self.days_since_seen} days ago "
                f"({self.last_seen_by}, {self.last_seen_at:%d %b %Y})"
            )
        agencies = f"known to {self.agency_count} agenc{'y' if self.agency_count == 1 else 'ies'}"
        return f"{who}; {seen}; {agencies}."


def is_preschool(person: Person, today: dt.date, below_age: int) -> bool:
    """Unborn, or younger than ``below_age`` (school age): the children seen least."""
    if person.unborn:
        return True
    age = person.age_on(today)
    return age is not None and age < below_age


def visibility_of(
    people: Collection[Person], *, today: dt.date, preschool_below_age: int = 5
) -> dict[int, Visibility]:
    """The visibility of each of ``people``, in three queries per few thousand people."""
    ids = [person.pk for person in people]
    last_seen_event: dict[int, int] = {}
    agency_counts: dict[int, int] = {}
    for chunk in in_chunks(ids):
        latest_seen = (
            Event.objects.filter(person=OuterRef("pk"), seen_in_person=True)
            .order_by("-occurred_at", "-id")
            .values("id")[:1]
        )
        for person_id, event_id in (
            Person.objects.filter(pk__in=chunk)
            .annotate(last_seen_event=Subquery(latest_seen))
            .values_list("pk", "last_seen_event")
        ):
            if event_id is not None:
                last_seen_event[person_id] = event_id
        agency_counts.update(
            AgencyRecord.objects.filter(person_id__in=chunk)
            .values("person_id")
            .annotate(agencies=Count("agency_id", distinct=True))
            .values_list("person_id", "agencies")
        )
    seen: dict[int, tuple[dt.datetime, str]] = {}
    for chunk in in_chunks(list(last_seen_event.values())):
        for person_id, occurred_at, agency_name in Event.objects.filter(pk__in=chunk).values_list(
            "person_id", "occurred_at", "agency__name"
        ):
            seen[person_id] = (occurred_at, agency_name)
    result = {}
    for person in people:
        last_seen_at, last_seen_by = seen.get(person.pk, (None, ""))
        result[person.pk] = Visibility(
            person_id=person.pk,
            today=today,
            age=person.age_on(today),
            age_band=age_band(person, today),
            preschool=is_preschool(person, today, preschool_below_age),
            agency_count=agency_counts.get(person.pk, 0),
            last_seen_at=last_seen_at,
            last_seen_by=last_seen_by,
        )
    return result
