"""The whole-family page: one household as a practitioner would rather look at than read.

``family_view`` gathers, for one viewer: who lives in the household now
(children youngest first, each with their visibility; adults with when they
joined), who has left, the open prompts about the family, a genogram of the
household with the parents and children who live elsewhere, and the merged
chronology (``events.selectors.family_chronology``). It checks access once,
writes one audit entry, and answers ``Household.DoesNotExist`` for a
household the viewer may not open, exactly as for one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from thinkfamily.accounts.backends import access_reason, household_access_reason
from thinkfamily.accounts.models import User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.events.models import Event
from thinkfamily.events.selectors import FamilyChronology, family_chronology
from thinkfamily.families.genogram import (
    Genogram,
    GenogramCouple,
    GenogramParentage,
    GenogramPerson,
    genogram_description,
    genogram_svg,
)
from thinkfamily.people.family import PARENTING_KINDS, FamilyGraph, family_graph_load
from thinkfamily.people.models import (
    Household,
    HouseholdMembership,
    Person,
    Relationship,
    people_visible_among,
)
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.selectors import PromptRow, rows_for
from thinkfamily.prompts.visibility import Visibility, visibility_of

__all__ = [
    "FamilyMember",
    "FamilyStart",
    "FamilyView",
    "FormerMember",
    "family_start",
    "family_view",
]


@dataclass(frozen=True)
class FamilyMember:
    """Someone living in the household now, with every agency's report of it.

    ``joined_on`` is the day an agency says they moved in (a partner's start
    date); ``first_recorded_on`` the day Think Family first learned they live
    here, which for a household known from the first extract is not a move.
    """

    person: Person
    roles: list[str]
    reported_by: list[str]
    joined_on: dt.date | None
    first_recorded_on: dt.date | None
    visibility: Visibility
    viewer_may_open: bool
    of_concern: bool
    open_prompts: int


@dataclass(frozen=True)
class FormerMember:
    """Someone who lived in the household and has left (every report of them has ended)."""

    person: Person
    roles: list[str]
    left_on: dt.date
    viewer_may_open: bool


@dataclass(frozen=True)
class FamilyView:
    household: Household
    children: list[FamilyMember]
    adults: list[FamilyMember]
    left: list[FormerMember]
    prompts: list[PromptRow]
    genogram_svg: str
    genogram_text: list[str]
    chronology: FamilyChronology
    access_reason: str


def family_view(
    *,
    household_id: int,
    viewer: User,
    person_id: int | None = None,
    agency_id: int | None = None,
    event_type: str | None = None,
    today: dt.date | None = None,
) -> FamilyView:
    """The whole family of one household as ``viewer`` may see it; audited.

    The chronology filters (``person_id``, ``agency_id``, ``event_type``) are
    passed to ``family_chronology``. Raises Household.DoesNotExist when the
    household does not exist or the viewer may not open it.
    """
    rules = think_sibling_rules()
    now = timezone.now()
    today = today or timezone.localdate(now)
    household = Household.objects.get(pk=household_id)
    reason = household_access_reason(viewer, household)
    if reason is None:
        raise Household.DoesNotExist

    # A sealed person is, for anyone outside the sealed-record roles, no part of the family:
    # not a member, not a former one, not drawn, and no relation is drawn through them.
    sees_sealed = viewer.role in sealed_person_roles()
    memberships = [
        m
        for m in household.memberships.select_related("person", "reported_by")
        if sees_sealed or not m.person.sealed
    ]
    current = [m for m in memberships if m.end_date is None]
    member_ids = {m.person_id for m in current}
    graph = family_graph_load(member_ids, today=today)
    if not sees_sealed:
        graph.leave_out([pid for pid, person in graph.people.items() if person.sealed])
    drawn = _relatives_to_draw(graph, member_ids)
    _people_into(graph, drawn)
    people = {
        pid: graph.people[pid]
        for pid in member_ids | drawn
        if pid in graph.people and (sees_sealed or not graph.people[pid].sealed)
    }
    people.update({m.person_id: m.person for m in memberships})

    visible = people_visible_among(viewer, people)
    of_concern = _with_recent_concern(people, now - dt.timedelta(days=rules.concern_window_days))
    visibility = visibility_of(
        [people[pid] for pid in member_ids],
        today=today,
        preschool_below_age=rules.preschool_below_age,
    )
    family_prompts = (
        Prompt.objects.visible_to(viewer)
        .open()
        .filter(Q(person_id__in=member_ids) | Q(household=household))
    )
    prompt_rows = rows_for(family_prompts, today)
    prompts_per_person: dict[int, int] = {}
    for row in prompt_rows:
        prompts_per_person[row.prompt.person_id] = (
            prompts_per_person.get(row.prompt.person_id, 0) + 1
        )

    members = _members(current, visibility, visible, of_concern, prompts_per_person)
    children = sorted(
        (m for m in members if m.person.is_child_on(today)),
        key=lambda m: (not m.person.unborn, -(m.person.date_of_birth or dt.date.min).toordinal()),
    )
    adults = [m for m in members if not m.person.is_child_on(today)]
    genogram = _genogram(
        household, memberships, graph, people, member_ids, visible, of_concern, today
    )
    chronology = family_chronology(
        household=household,
        viewer=viewer,
        person_id=person_id,
        agency_id=agency_id,
        event_type=event_type,
    )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_HOUSEHOLD,
        object_type="household",
        object_id=household.pk,
        reason=reason,
    )
    return FamilyView(
        household=household,
        children=children,
        adults=adults,
        left=_former_members(memberships, member_ids, visible),
        prompts=prompt_rows,
        genogram_svg=genogram_svg(genogram),
        genogram_text=genogram_description(genogram),
        chronology=chronology,
        access_reason=reason,
    )


def _relatives_to_draw(graph: FamilyGraph, member_ids: set[int]) -> set[int]:
    """People living elsewhere who belong in the picture.

    The parents of the household's children, the partners of its adults, and
    the children of its adults and of those parents: the father at another
    address, a new partner's own children in another home.
    """
    children = {m for m in member_ids if graph.is_child(m)}
    adults = member_ids - children
    parents = {p for child in children for p in graph.parents_of(child)}
    partners = {
        other for adult in adults for other in graph.related(adult, {Relationship.Kind.PARTNER})
    }
    their_children = {
        child for parent in adults | parents for child in graph.related(parent, PARENTING_KINDS)
    }
    return (parents | partners | their_children) - member_ids


def _people_into(graph: FamilyGraph, person_ids: Collection[int]) -> None:
    missing = [pid for pid in person_ids if pid not in graph.people]
    for person in Person.objects.filter(pk__in=missing):
        graph.people[person.pk] = person


def _with_recent_concern(people: dict[int, Person], since: dt.datetime) -> set[int]:
    return set(
        Event.objects.filter(
            person_id__in=list(people), event_type=Event.EventType.CONCERN, occurred_at__gte=since
        ).values_list("person_id", flat=True)
    )


def _members(
    current: list[HouseholdMembership],
    visibility: dict[int, Visibility],
    visible: set[int],
    of_concern: set[int],
    prompts_per_person: dict[int, int],
) -> list[FamilyMember]:
    reports: dict[int, list[HouseholdMembership]] = {}
    for membership in current:
        reports.setdefault(membership.person_id, []).append(membership)
    members = []
    for person_id, own in reports.items():
        starts = [m.start_date for m in own if m.start_date]
        recorded = [timezone.localdate(m.recorded_at) for m in own if m.recorded_at]
        members.append(
            FamilyMember(
                person=own[0].person,
                roles=sorted({m.get_role_display() for m in own}),
                reported_by=sorted({m.reported_by.name for m in own}),
                joined_on=min(starts) if starts else None,
                first_recorded_on=min(recorded) if recorded else None,
                visibility=visibility[person_id],
                viewer_may_open=person_id in visible,
                of_concern=person_id in of_concern,
                open_prompts=prompts_per_person.get(person_id, 0),
            )
        )
    return members


def _former_members(
    memberships: list[HouseholdMembership], current_ids: set[int], visible: set[int]
) -> list[FormerMember]:
    ended: dict[int, list[HouseholdMembership]] = {}
    for membership in memberships:
        if membership.end_date is not None and membership.person_id not in current_ids:
            ended.setdefault(membership.person_id, []).append(membership)
    former = [
        FormerMember(
            person=own[0].person,
            roles=sorted({m.get_role_display() for m in own}),
            left_on=max(m.end_date for m in own if m.end_date),
            viewer_may_open=person_id in visible,
        )
        for person_id, own in ended.items()
    ]
    return sorted(former, key=lambda f: f.left_on, reverse=True)


def _couples_by_household_role(
    memberships: list[HouseholdMembership],
) -> list[tuple[int, int]]:
    """Couples an agency implied by the roles it reported: a partner living with one parent.

    An agency that reports an adult as the "partner" in a household with a
    single parent is saying who the couple is, even without a relationship row.
    """
    current = [m for m in memberships if m.end_date is None]
    parents = {m.person_id for m in current if m.role == HouseholdMembership.Role.PARENT}
    partners = {m.person_id for m in current if m.role == HouseholdMembership.Role.PARTNER}
    if len(parents) != 1:
        return []
    (parent,) = parents
    return [(min(parent, p), max(parent, p)) for p in sorted(partners - parents)]


def _genogram(
    household: Household,
    memberships_of_household: list[HouseholdMembership],
    graph: FamilyGraph,
    people: dict[int, Person],
    member_ids: set[int],
    visible: set[int],
    of_concern: set[int],
    today: dt.date,
) -> Genogram:
    """The household and its relatives elsewhere, as the genogram module draws them.

    People the viewer may not see are drawn (so the family's shape is true)
    but not named, aged or linked.
    """
    drawn = sorted(people)
    symbols = []
    for pid in drawn:
        person = people[pid]
        shown = pid in visible
        symbols.append(
            GenogramPerson(
                key=pid,
                name=f"{person.given_name} {person.family_name}" if shown else "Not shown to you",
                sex=person.sex or "U",
                age=person.age_on(today) if shown else None,
                unborn=person.unborn,
                is_child=person.is_child_on(today),
                lives_here=pid in member_ids,
                of_concern=pid in of_concern and shown,
                href=person.get_absolute_url() if shown else None,
            )
        )
    drawn_set = set(drawn)
    couples: dict[tuple[int, int], GenogramCouple] = {}
    for pid in drawn:
        for other in graph.related(pid, {Relationship.Kind.PARTNER}) & drawn_set:
            pair = (min(pid, other), max(pid, other))
            couples[pair] = GenogramCouple(*pair)
    parentage = []
    for pid in drawn:
        if not people[pid].is_child_on(today):
            continue
        parents = sorted(graph.parents_of(pid) & drawn_set, key=lambda p: (p not in member_ids, p))[
            :2
        ]
        if not parents:
            continue
        parentage.append(GenogramParentage(child=pid, parents=tuple(parents)))
        if len(parents) == 2:
            pair = (min(parents), max(parents))
            together = all(p in member_ids for p in parents)
            couples.setdefault(pair, GenogramCouple(*pair, separated=not together))
    for pair in _couples_by_household_role(memberships_of_household):
        couples.setdefault(pair, GenogramCouple(*pair))
    return Genogram(
        people=tuple(symbols),
        couples=tuple(couples[pair] for pair in sorted(couples)),
        parentage=tuple(parentage),
        title=f"Family at {household}",
    )


# ---------------------------------------------------------------------------
# Where a record about the family begins


@dataclass(frozen=True)
class FamilyStart:
    """Where a new record about a family (a referral, a conversation) begins.

    Started from a household: its children living there now, youngest first.
    Started from a child (``about``): the children living now in any of the
    child's homes, the child first; ``household`` is the child's home when
    there is only one. Only children the viewer may see are listed, so that
    brothers and sisters are considered rather than forgotten.
    """

    household: Household | None
    children: list[Person]
    about: Person | None = None


def _youngest_first(person: Person) -> tuple[bool, int]:
    born = person.date_of_birth
    return (born is None, -(born.toordinal() if born else 0))


def family_start(
    *,
    viewer: User,
    purpose: str,
    household_id: int | None = None,
    person_id: int | None = None,
    today: dt.date | None = None,
) -> FamilyStart:
    """The children a record ``purpose`` (e.g. "making a referral") starts with; audited.

    Raises Household.DoesNotExist or Person.DoesNotExist when the household
    or child does not exist or the viewer may not see them (a 404).
    """
    today = today or timezone.localdate()
    about: Person | None = None
    household: Household | None = None
    if household_id is not None:
        household = Household.objects.get(pk=household_id)
        reason = household_access_reason(viewer, household)
        if reason is None:
            raise Household.DoesNotExist
        homes = {household.pk}
    elif person_id is not None:
        about = Person.objects.get(pk=person_id)
        reason = access_reason(viewer, about)
        if reason is None:
            raise Person.DoesNotExist
        homes = set(
            HouseholdMembership.objects.filter(person=about, end_date__isnull=True).values_list(
                "household_id", flat=True
            )
        )
        if len(homes) == 1:
            household = Household.objects.get(pk=next(iter(homes)))
    else:
        raise ValueError(f"{purpose[0].upper()}{purpose[1:]} starts from a household or a person")
    living = Person.objects.filter(
        memberships__household_id__in=homes, memberships__end_date__isnull=True
    ).distinct()
    may_see = people_visible_among(viewer, [p.pk for p in living])
    children = sorted(
        (p for p in living if p.pk in may_see and p.is_child_on(today) and p != about),
        key=_youngest_first,
    )
    if about is not None and about.is_child_on(today):
        children.insert(0, about)
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_PERSON if about else AuditEvent.Action.VIEW_HOUSEHOLD,
        object_type="person" if about else "household",
        object_id=about.pk if about else household_id,
        reason=reason,
        detail={"for": purpose, "children": [p.pk for p in children]},
    )
    return FamilyStart(household=household, children=children, about=about)
