"""Raising and answering prompts: the Think Sibling rules.

* ``concern_record``: a practitioner records a concern about a child; in the
  same transaction every other child connected to that child gets a sibling
  prompt (``sibling_prompts_raise``).
* ``prompts_reconcile``: after an import, a relink or a merge, the same rules
  run again over every recent concern and every newly recorded adult, so the
  order in which things become known does not matter: a child who turns out
  (through linkage, an import or a move) to live with a child of recent
  concern is prompted exactly as if they had been known all along.
* ``prompt_answer``: someone in a receiving agency answers a prompt, once.

Raising is idempotent: a prompt remembers the events that raised it
(``PromptTrigger``), so a concern seen twice never prompts twice, and a child
with an open prompt from the same household episode gets the new concern
added to it rather than a second prompt.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from thinkfamily.accounts.backends import ANSWER_PROMPT, RECORD_CONCERN
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_chain_hold, audit_record
from thinkfamily.core.bulk import in_chunks
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.retry import retrying_atomic
from thinkfamily.core.working_days import add_working_days
from thinkfamily.events.models import Event
from thinkfamily.people.family import (
    PARENTING_KINDS,
    Connection,
    FamilyGraph,
    family_graph_load,
    households_load,
    people_near,
)
from thinkfamily.people.models import (
    AgencyRecord,
    HouseholdMembership,
    Person,
    Relationship,
)
from thinkfamily.prompts.models import Prompt, PromptRecipient, PromptTrigger
from thinkfamily.prompts.rules import ThinkSiblingRules, think_sibling_rules
from thinkfamily.prompts.visibility import Visibility, visibility_of
from thinkfamily.referrals.models import Referral

__all__ = [
    "RaiseResult",
    "concern_record",
    "new_adult_prompts_raise",
    "prompt_answer",
    "prompts_reconcile",
    "sibling_prompts_raise",
]

CSC = Agency.AgencyType.CSC


@dataclass
class RaiseResult:
    """What raising prompts did: prompts created, and open prompts a new concern was added to."""

    created: list[Prompt] = field(default_factory=list)
    added_to: list[Prompt] = field(default_factory=list)

    def __iadd__(self, other: RaiseResult) -> RaiseResult:
        self.created += other.created
        self.added_to += other.added_to
        return self


# ---------------------------------------------------------------------------
# Routing: who receives a prompt


def _agencies_knowing(person_ids: Collection[int]) -> dict[int, dict[int, str]]:
    """For each person, the agencies holding a record of them: {person: {agency: type}}."""
    known: dict[int, dict[int, str]] = defaultdict(dict)
    for chunk in in_chunks(sorted(person_ids)):
        for person_id, agency_id, agency_type in AgencyRecord.objects.filter(
            person_id__in=chunk
        ).values_list("person_id", "agency_id", "agency__agency_type"):
            known[person_id][agency_id] = agency_type
    return known


def _routing(
    about: Iterable[int], family: Iterable[int], known: dict[int, dict[int, str]], why: str
) -> dict[int, str]:
    """The agencies a prompt goes to, each with why.

    Every agency that knows the people the prompt is ``about`` (for the
    reason ``why``), and children's social care when it knows anyone in the
    ``family``.
    """
    routed: dict[int, str] = {}
    for person_id in family:
        for agency_id, agency_type in known.get(person_id, {}).items():
            if agency_type == CSC:
                routed[agency_id] = "children's social care is involved with the family"
    for person_id in about:
        for agency_id in known.get(person_id, {}):
            routed[agency_id] = why
    return routed


def _family_of(graph: FamilyGraph, *people: int) -> set[int]:
    """The people themselves and everyone living with any of them."""
    family = set(people)
    for person_id in people:
        family |= graph.housemates(person_id)
    return family


def _create_prompts(
    drafts: Sequence[tuple[Prompt, dict[int, str], Event | None]], now: dt.datetime
) -> list[Prompt]:
    """Store drafted prompts with their recipients and first trigger."""
    if not drafts:
        return []
    created = Prompt.objects.bulk_create([prompt for prompt, _, _ in drafts])
    PromptRecipient.objects.bulk_create(
        PromptRecipient(prompt=prompt, agency_id=agency_id, why=why)
        for prompt, (_, routed, _) in zip(created, drafts, strict=True)
        for agency_id, why in sorted(routed.items())
    )
    PromptTrigger.objects.bulk_create(
        PromptTrigger(prompt=prompt, event=event, added_at=now)
        for prompt, (_, _, event) in zip(created, drafts, strict=True)
        if event is not None
    )
    return created


def _lock_people(person_ids: Collection[int]) -> set[int]:
    """Take the row locks that serialise raising prompts about these people; return those locked.

    Two concerns about two siblings recorded at the same moment both want to
    prompt the third child; whichever locks that child first raises the
    prompt, and the other, once it has the lock, finds it open and adds its
    concern to it. Locks are taken in id order so two raisers never wait on
    each other. The locks are "no key update" locks: storing the concern
    itself takes a key-share lock on its child (the event's foreign key),
    which a full update lock would wait on, deadlocking two raisers whose
    children are each other's siblings. (SQLite has one writer at a time, so
    there the transaction itself is the lock.)

    A person missing from the result was deleted by a merge that committed
    while the caller waited: what the caller read about them is out of date.
    """
    locked: set[int] = set()
    for chunk in in_chunks(sorted(person_ids)):
        locking = Person.objects.select_for_update(no_key=True).filter(pk__in=chunk)
        locked |= set(locking.order_by("pk").values_list("pk", flat=True))
    return locked


def _hold_person(person: Person) -> bool:
    """Keep ``person`` from being merged away until this transaction ends; False if already gone.

    A "key share" lock: it waits for a merge holding the person, and makes a
    later merge wait, but not other raisers (their "no key update" locks on
    the same child are compatible with it). The event's foreign key would
    only be checked at commit, too late to refuse in words.
    """
    if db_connection.vendor != "postgresql":  # SQLite: one writer at a time
        return Person.objects.filter(pk=person.pk).exists()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Person._meta.db_table} WHERE id = %s FOR KEY SHARE", [person.pk]
        )
        return cursor.fetchone() is not None


# ---------------------------------------------------------------------------
# Sibling prompts


def _episode_key(connection: Connection, concern_child: int, graph: FamilyGraph) -> str:
    """The household episode a sibling prompt belongs to.

    The household the two children share; failing that, the household the
    child of concern lives in; failing that, the child of concern.
    """
    if connection.shared_household_id is not None:
        return f"household:{connection.shared_household_id}"
    own = graph.households.get(concern_child)
    return f"household:{min(own)}" if own else f"person:{concern_child}"


def _sibling_reason(visibility: Visibility, concern: Event, connection: Connection) -> str:
    child = concern.person
    return (
        f"{visibility.summary()} Connected to {child.given_name} {child.family_name} "
        f"({connection.how}), about whom {concern.agency.name} recorded a concern on "
        f"{timezone.localtime(concern.occurred_at):%d %b %Y}."
    )


def _connections_of(
    concerns: Sequence[Event], graph: FamilyGraph
) -> list[tuple[Event, Connection, str]]:
    """Each concern about a child with each child connected to them, and the episode."""
    wanted: list[tuple[Event, Connection, str]] = []
    for concern in sorted(concerns, key=lambda c: (c.occurred_at, c.pk)):
        if not graph.is_child(concern.person_id):
            continue  # a concern about an adult is recorded, but prompts no siblings
        for connection in graph.connected_children(concern.person_id).values():
            wanted.append((concern, connection, _episode_key(connection, concern.person_id, graph)))
    return wanted


def sibling_prompts_raise(
    *,
    concerns: Sequence[Event],
    now: dt.datetime | None = None,
    rules: ThinkSiblingRules | None = None,
) -> RaiseResult:
    """Raise a sibling prompt for every child connected to the child of each concern.

    A concern raises prompts when it is about a child and is recent (within
    the concern window); otherwise it stays in the chronology and prompts
    nobody. For each connected child: nothing if this concern already
    prompted them; the concern added to their open prompt from the same
    household episode if there is one; otherwise a new prompt, routed to
    every agency that knows the child and to children's social care when it
    is involved with the family. Call inside the transaction that stored the
    concerns.
    """
    rules = rules or think_sibling_rules()
    now = now or timezone.now()
    today = timezone.localdate(now)
    window_start = now - dt.timedelta(days=rules.concern_window_days)
    concerns = [
        c
        for c in concerns
        if c.event_type == Event.EventType.CONCERN and c.occurred_at >= window_start
    ]
    result = RaiseResult()
    if not concerns:
        return result
    while True:
        graph = family_graph_load({c.person_id for c in concerns}, today=today)
        wanted = _connections_of(concerns, graph)
        if not wanted:
            return result
        sibling_ids = {connection.child_id for _, connection, _ in wanted}
        # A sibling merged away while we waited for the locks: their family is read again
        # (the survivor now holds their homes and relationships), and the survivor locked.
        if _lock_people(sibling_ids) == sibling_ids:
            break
    already_prompted = {
        pair
        for chunk in in_chunks(sorted(sibling_ids))
        for pair in PromptTrigger.objects.filter(
            prompt__person_id__in=chunk, event__event_type=Event.EventType.CONCERN
        ).values_list("prompt__person_id", "event_id")
    }
    open_prompts = {
        (prompt.person_id, prompt.episode_key): prompt
        for chunk in in_chunks(sorted(sibling_ids))
        for prompt in Prompt.objects.open().filter(kind=Prompt.Kind.SIBLING, person_id__in=chunk)
    }
    visibility = visibility_of(
        [graph.people[i] for i in sibling_ids],
        today=today,
        preschool_below_age=rules.preschool_below_age,
    )
    households_load(graph, sibling_ids)  # siblings living elsewhere bring their own homes
    known = _agencies_knowing(
        sibling_ids
        | {p for c in concerns for p in _family_of(graph, c.person_id)}
        | {p for s in sibling_ids for p in graph.housemates(s)}
    )
    due_on = add_working_days(today, rules.response_working_days)
    drafts: dict[tuple[int, str], tuple[Prompt, dict[int, str], Event]] = {}
    added: list[PromptTrigger] = []
    for concern, connection, episode in wanted:
        sibling = connection.child_id
        if (sibling, concern.pk) in already_prompted:
            continue
        already_prompted.add((sibling, concern.pk))
        if (sibling, episode) in open_prompts:
            prompt = open_prompts[(sibling, episode)]
            added.append(PromptTrigger(prompt=prompt, event=concern, added_at=now))
            result.added_to.append(prompt)
        elif (sibling, episode) not in drafts:
            household = int(episode.split(":")[1]) if episode.startswith("household:") else None
            prompt = Prompt(
                kind=Prompt.Kind.SIBLING,
                person_id=sibling,
                household_id=household,
                episode_key=episode,
                concern=concern,
                connection=connection.how,
                reason=_sibling_reason(visibility[sibling], concern, connection),
                preschool=visibility[sibling].preschool,
                raised_at=now,
                due_on=due_on,
            )
            family = _family_of(graph, concern.person_id, sibling)
            routing = _routing([sibling], family, known, "knows the child")
            drafts[(sibling, episode)] = (prompt, routing, concern)
        else:
            # A second concern in this call reaching a child already drafted: one prompt.
            first_draft = drafts[(sibling, episode)][0]
            added.append(PromptTrigger(prompt=first_draft, event=concern, added_at=now))
    result.created = _create_prompts(list(drafts.values()), now)
    PromptTrigger.objects.bulk_create(added)
    return result


# ---------------------------------------------------------------------------
# New adults


def _age_for_ordering(visibility: Visibility) -> int:
    """Age in years with the unborn (and the unknown) youngest of all."""
    return visibility.age if visibility.age is not None else -1


def _children_living_in(graph: FamilyGraph, household_id: int) -> list[int]:
    return sorted(m for m in graph.members.get(household_id, set()) if graph.is_child(m))


def new_adult_prompts_raise(
    *,
    memberships: Sequence[HouseholdMembership],
    new_partners: Sequence[HouseholdMembership] = (),
    now: dt.datetime | None = None,
    rules: ThinkSiblingRules | None = None,
) -> RaiseResult:
    """Raise a prompt to understand the role of each adult who joined a household with children.

    ``memberships`` are joinings (an adult newly recorded in a household).
    ``new_partners`` are the memberships of the two sides of a new partner
    relationship: a partner counts as new to a household unless they are the
    parent or carer of a child living there (the mother whose new boyfriend
    moves in has not joined her own children's home). An adult is asked
    about once per household: a second agency reporting them there, or a
    re-import, raises nothing. The prompt goes to every agency that knows a
    child of the household, and to children's social care when it is
    involved with the family.
    """
    rules = rules or think_sibling_rules()
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = RaiseResult()
    if not memberships and not new_partners:
        return result
    graph = family_graph_load({m.person_id for m in [*memberships, *new_partners]}, today=today)
    joinings: dict[tuple[int, int], HouseholdMembership] = {}
    for membership in sorted([*memberships, *new_partners], key=lambda m: m.pk):
        adult, household = membership.person_id, membership.household_id
        if graph.is_child(adult) or adult not in graph.people:
            continue
        living_here = _children_living_in(graph, household)
        if membership in new_partners and graph.related(adult, PARENTING_KINDS) & set(living_here):
            continue
        if living_here:
            joinings.setdefault((adult, household), membership)
    if not joinings:
        return result
    adults = {person for person, _ in joinings}
    _lock_people(adults)
    asked = {
        (person, household)
        for chunk in in_chunks(sorted(adults))
        for person, household in Prompt.objects.filter(
            kind=Prompt.Kind.NEW_ADULT, person_id__in=chunk
        ).values_list("person_id", "household_id")
    }
    children: set[int] = {c for _, h in joinings for c in _children_living_in(graph, h)}
    visibility = visibility_of(
        [graph.people[c] for c in children],
        today=today,
        preschool_below_age=rules.preschool_below_age,
    )
    known = _agencies_knowing(children | {m for _, h in joinings for m in graph.members[h]})
    due_on = add_working_days(today, rules.response_working_days)
    drafts = []
    for (adult, household), membership in sorted(joinings.items()):
        if (adult, household) in asked:
            continue
        household_children = _children_living_in(graph, household)
        youngest = min(household_children, key=lambda c: _age_for_ordering(visibility[c]))
        joined = membership.start_date or timezone.localdate(membership.recorded_at or now)
        reason = (
            f"Joined a household with {len(household_children)} "
            f"child{'ren' if len(household_children) != 1 else ''} on {joined:%d %b %Y} "
            f"(reported by {membership.reported_by.name}); the youngest: "
            f"{visibility[youngest].summary()}"
        )
        prompt = Prompt(
            kind=Prompt.Kind.NEW_ADULT,
            person_id=adult,
            household_id=household,
            episode_key=f"household:{household}",
            membership=membership,
            connection=membership.get_role_display().lower(),
            reason=reason,
            preschool=any(visibility[c].preschool for c in household_children),
            raised_at=now,
            due_on=due_on,
        )
        routing = _routing(
            household_children, graph.members[household], known, "knows a child of the household"
        )
        drafts.append((prompt, routing, None))
        asked.add((adult, household))
    result.created = _create_prompts(drafts, now)
    return result


def _joinings_since(
    recorded_since: dt.datetime,
    today: dt.date,
    rules: ThinkSiblingRules,
    near: Collection[int] | None = None,
) -> tuple[list[HouseholdMembership], list[HouseholdMembership]]:
    """Adults who joined a household, as far as the record can tell.

    A membership first recorded since ``recorded_since``, of an adult, in a
    household known before then that the adult was not already part of, and
    reported by an agency that had sent records before: an agency's first
    extract describes families as they already are, it does not announce
    arrivals. Also the memberships of partners whose relationship started
    within the new-partner window, whoever reported them (returned apart:
    see ``new_adult_prompts_raise``); with ``near``, only those of these people
    (the rest were asked about when their relationship was recorded).
    """
    # Worked out in the database: on a first import every membership is new, and
    # none of them is a joining.
    recorded_before = Q(recorded_at__lt=recorded_since) | Q(recorded_at__isnull=True)
    earlier = HouseholdMembership.objects.filter(recorded_before)
    agencies_known_before = Agency.objects.filter(
        Exists(
            AgencyRecord.objects.filter(agency=OuterRef("pk"), first_imported_at__lt=recorded_since)
        )
    ).values("pk")
    candidates = (
        HouseholdMembership.objects.filter(recorded_at__gte=recorded_since, end_date__isnull=True)
        .exclude(role=HouseholdMembership.Role.CHILD)
        .filter(household_id__in=earlier.values("household_id"))
        .filter(reported_by_id__in=agencies_known_before)
        .select_related("reported_by")
    )
    new = list(candidates)
    already_there = {
        (household, person)
        for chunk in in_chunks(sorted({m.household_id for m in new}))
        for household, person in earlier.filter(household_id__in=chunk).values_list(
            "household_id", "person_id"
        )
    }
    joinings = [m for m in new if (m.household_id, m.person_id) not in already_there]
    partners_since = today - dt.timedelta(days=rules.new_partner_days)
    new_partner_records = Relationship.objects.filter(
        kind=Relationship.Kind.PARTNER, start_date__gte=partners_since
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    partner_people = set(
        AgencyRecord.objects.filter(
            Q(pk__in=new_partner_records.values("record_id"))
            | Q(pk__in=new_partner_records.values("related_record_id"))
        ).values_list("person_id", flat=True)
    )
    if near is not None:
        partner_people &= set(near)
    partners = list(
        HouseholdMembership.objects.filter(
            person_id__in=partner_people, end_date__isnull=True
        ).select_related("reported_by")
    )
    return joinings, partners


# ---------------------------------------------------------------------------
# Reconciling after imports, relinks and merges


@dataclass(frozen=True)
class ReconcileResult:
    sibling_prompts_created: int
    concerns_added_to_open_prompts: int
    new_adult_prompts_created: int


def prompts_reconcile(
    *,
    joined_since: dt.datetime | None = None,
    concerns: Sequence[Event] | None = None,
    changed_people: Collection[int] | None = None,
    now: dt.datetime | None = None,
    actor: User | None = None,
    actor_label: str = "system: prompts",
) -> ReconcileResult:
    """Bring prompts up to date with what is now known about families.

    Every recent concern is raised again (which prompts only the children it
    has not yet reached), and, with ``joined_since``, adults recorded in a
    household since then are asked about. Run inside the transaction of the
    import, relink or merge that changed what is known. When no family has
    changed (a push of events alone), pass the new ``concerns``: only they
    can prompt anyone, so only they are raised. When only some people's
    families changed (a push of a few records), pass ``changed_people`` (and
    any new ``concerns``): only recent concerns about someone near them
    (``people_near``) can reach a child they did not reach before, so only
    they are raised, with the new ones; and only new partners near them are
    asked about.
    """
    rules = think_sibling_rules()
    now = now or timezone.now()
    today = timezone.localdate(now)
    near = None if changed_people is None else people_near(changed_people, today=today)
    recent = {concern.pk: concern for concern in concerns or ()}
    if concerns is None or changed_people is not None:
        recent_concerns = Event.objects.filter(
            event_type=Event.EventType.CONCERN,
            occurred_at__gte=now - dt.timedelta(days=rules.concern_window_days),
            occurred_at__lte=now,
        ).select_related("person", "agency")
        if near is not None:
            recent_concerns = recent_concerns.filter(person_id__in=sorted(near))
        recent.update((concern.pk, concern) for concern in recent_concerns.iterator())
    # Newest first, as Event's own ordering.
    ordered = sorted(recent.values(), key=lambda c: (c.occurred_at, c.pk), reverse=True)
    siblings = sibling_prompts_raise(concerns=ordered, now=now, rules=rules)
    adults = RaiseResult()
    if joined_since is not None:
        joinings, new_partners = _joinings_since(joined_since, today, rules, near)
        adults = new_adult_prompts_raise(
            memberships=joinings, new_partners=new_partners, now=now, rules=rules
        )
    result = ReconcileResult(
        sibling_prompts_created=len(siblings.created),
        concerns_added_to_open_prompts=len(siblings.added_to),
        new_adult_prompts_created=len(adults.created),
    )
    if siblings.created or siblings.added_to or adults.created:
        audit_record(
            actor=actor,
            actor_label="" if actor else actor_label,
            action=AuditEvent.Action.RAISE_PROMPTS,
            detail={
                "sibling_prompts": [p.pk for p in siblings.created],
                "added_to": [p.pk for p in siblings.added_to],
                "new_adult_prompts": [p.pk for p in adults.created],
            },
        )
    return result


# ---------------------------------------------------------------------------
# Recording a concern, answering a prompt


@dataclass(frozen=True)
class ConcernResult:
    concern: Event
    prompts: RaiseResult


@retrying_atomic
def concern_record(
    *,
    person: Person,
    by: User,
    occurred_at: dt.datetime,
    category: str,
    summary: str,
    seen_in_person: bool = False,
    restricted: bool = False,
) -> ConcernResult:
    """Record a concern about ``person`` for the recording user's agency, and raise its prompts.

    The concern is filed against the agency's own record of the person when
    it has one. Sibling prompts are raised in the same transaction: either
    the concern and every prompt are stored, or nothing is. Run again if
    PostgreSQL ends it as a deadlock with a merge in the same family (the
    merge locks the two people, then every child of a recent concern).
    """
    if not by.has_perm(RECORD_CONCERN, person):
        raise ApplicationError("You may not record a concern about this person.")
    errors: dict[str, object] = {}
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = "The date of the concern must not be in the future."
    if category not in Event.Category.values:
        errors["category"] = "Choose the category of the concern."
    if not summary.strip():
        errors["summary"] = "Describe the concern."
    if errors:
        raise ApplicationError("The concern could not be recorded.", extra=errors)
    assert by.agency_id is not None  # RECORD_CONCERN is refused to users without an agency
    # The audit trail before any child. An import holds the trail from before it reads the
    # recent concerns until it commits, and meanwhile locks children to raise prompts: taken
    # last (as audit_record would), a concern holding a child would wait for the trail while
    # the import waited for the child. Taken first, a concern is either stored before the
    # import reads the concerns (and raised again over the families the import made) or
    # waits for the import to commit, and reads those families itself.
    audit_chain_hold()
    if not _hold_person(person):
        raise ApplicationError(
            f"{person} has just been merged with another record of the same person, so the "
            "concern was not recorded. Find them again and record it there."
        )
    record = (
        AgencyRecord.objects.filter(person=person, agency_id=by.agency_id).order_by("pk").first()
    )
    concern = Event.objects.create(
        person=person,
        agency_id=by.agency_id,
        record=record,
        event_type=Event.EventType.CONCERN,
        occurred_at=occurred_at,
        seen_in_person=seen_in_person,
        category=category,
        summary=summary.strip(),
        restricted=restricted,
    )
    concern = Event.objects.select_related("person", "agency").get(pk=concern.pk)
    prompts = sibling_prompts_raise(concerns=[concern])
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_CONCERN,
        object_type="person",
        object_id=person.pk,
        detail={
            "event": concern.pk,
            "sibling_prompts": [p.pk for p in prompts.created],
            "added_to": [p.pk for p in prompts.added_to],
        },
    )
    return ConcernResult(concern=concern, prompts=prompts)


@transaction.atomic
def prompt_answer(
    *,
    prompt: Prompt,
    by: User,
    response: str,
    note: str,
    action_taken: str = "",
    referral: Referral | None = None,
) -> Prompt:
    """Answer a prompt for the answering user's agency; a prompt is answered once.

    "Referral made" links the referral: one the answering agency made, with
    the prompt's child kept on it. Raises ApplicationError, with the fields at
    fault, when the user's agency does not receive the prompt, the response
    is not one of the three, the action taken, the note or the referral is
    missing, or somebody has answered already.
    """
    # The audit trail before the prompt, as concern_record takes it before the children: a
    # concern adding itself to this prompt holds the trail and, at commit, checks its
    # trigger's key against this prompt's row, so locking the prompt first would deadlock.
    audit_chain_hold()
    locked = Prompt.objects.select_for_update().get(pk=prompt.pk)
    if not by.has_perm(ANSWER_PROMPT, locked):
        raise ApplicationError("Only someone in an agency this prompt was sent to may answer it.")
    if locked.status == Prompt.Status.ANSWERED:
        assert locked.answered_at is not None and locked.answered_for is not None
        raise ApplicationError(
            f"This prompt was already answered by {locked.answered_for.name} on "
            f"{timezone.localtime(locked.answered_at):%d %b %Y at %H:%M}: "
            f"“{locked.get_response_display()}”. It cannot be answered again."
        )
    errors: dict[str, object] = {}
    if response not in Prompt.Response.values:
        errors["response"] = "Choose what was done about this prompt."
    if response == Prompt.Response.ACTION_TAKEN and not action_taken.strip():
        errors["action_taken"] = "Say what action was taken."
    if not note.strip():
        errors["note"] = "Add a note explaining the answer."
    if response == Prompt.Response.REFERRAL_MADE:
        if referral is None:
            errors["referral"] = "Choose the referral you made for this child."
        elif (
            referral.referring_agency_id != by.agency_id
            or not referral.children.filter(person_id=locked.person_id, included=True).exists()
        ):
            errors["referral"] = "Choose a referral your agency made with this child kept on it."
    if errors:
        raise ApplicationError("The prompt could not be answered.", extra=errors)
    locked.status = Prompt.Status.ANSWERED
    locked.response = response
    locked.action_taken = action_taken.strip() if response == Prompt.Response.ACTION_TAKEN else ""
    locked.note = note.strip()
    locked.answered_by = by
    locked.answered_for_id = by.agency_id
    locked.answered_at = timezone.now()
    locked.referral = referral if response == Prompt.Response.REFERRAL_MADE else None
    locked.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.ANSWER_PROMPT,
        object_type="prompt",
        object_id=locked.pk,
        detail={"response": response, "person": locked.person_id, "referral": locked.referral_id},
    )
    return locked
