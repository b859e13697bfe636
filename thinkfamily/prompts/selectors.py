"""Reads of prompts and visibility, always on behalf of a viewer and audited.

* ``agency_worklist``: an agency's open prompts, preschool children first,
  then the child seen longest ago (or never); overdue ones marked.
* ``prompt_detail``: one prompt, with what the viewer may know of the
  concern behind it (an agency is told that a concern was recorded, by whom
  and when; the concern itself only if it may read it).
* ``invisible_children``: children in households with a recent concern whom
  no professional has seen in person for too long.
* ``response_rates``: for partnership managers, how each agency answers.
* ``open_prompts_export``: the open prompts as plain data, for scripts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ANSWER_PROMPT,
    VIEW_PROMPT,
    prompt_routed_to_agency_of,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.bulk import in_chunks
from thinkfamily.core.working_days import working_days_between
from thinkfamily.events.models import Event
from thinkfamily.people.models import (
    AgencyRecord,
    HouseholdMembership,
    Person,
    people_visible_among,
)
from thinkfamily.prompts.models import Prompt, PromptRecipient
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.visibility import Visibility, visibility_of
from thinkfamily.referrals.models import Referral

__all__ = [
    "InvisibleChild",
    "PromptDetail",
    "PromptRow",
    "agency_worklist",
    "answered_in_time",
    "invisible_children",
    "open_prompts_export",
    "prompt_detail",
    "prompt_to_answer",
    "prompts_about",
    "referrals_for_answer",
    "response_rates",
    "rows_for",
]


def _last_seen_in_person() -> Subquery:
    """When any professional last saw the prompt's person in person (a subquery)."""
    return Subquery(
        Event.objects.filter(person=OuterRef("person_id"), seen_in_person=True)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def _by_priority(prompts: QuerySet[Prompt]) -> QuerySet[Prompt]:
    """Preschool children first, then the child seen longest ago (never seen first)."""
    return prompts.annotate(last_seen_at=_last_seen_in_person()).order_by(
        "-preschool", F("last_seen_at").asc(nulls_first=True), "raised_at", "id"
    )


@dataclass(frozen=True)
class PromptRow:
    """A prompt on a worklist, with the person's visibility now."""

    prompt: Prompt
    visibility: Visibility
    overdue: bool


def _rows(prompts: list[Prompt], today: dt.date) -> list[PromptRow]:
    rules = think_sibling_rules()
    visibility = visibility_of(
        {p.person for p in prompts}, today=today, preschool_below_age=rules.preschool_below_age
    )
    return [PromptRow(p, visibility[p.person_id], p.is_overdue_on(today)) for p in prompts]


def agency_worklist(
    *, viewer: User, overdue_only: bool = False, today: dt.date | None = None
) -> list[PromptRow]:
    """The open prompts routed to the viewer's agency, highest priority first."""
    today = today or timezone.localdate()
    if viewer.agency_id is None or not viewer.is_active:
        return []
    prompts = Prompt.objects.open().routed_to(viewer.agency_id).hiding_sealed_from(viewer)
    if overdue_only:
        prompts = prompts.filter(due_on__lt=today)
    rows = rows_for(prompts, today)
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="prompts",
        reason="prompts routed to the viewer's agency",
        detail={"prompts": len(rows), "overdue_only": overdue_only},
    )
    return rows


def rows_for(prompts: QuerySet[Prompt], today: dt.date) -> list[PromptRow]:
    """These prompts as worklist rows, highest priority first (no audit: the page audits)."""
    related = prompts.select_related("person", "household", "concern__agency")
    return _rows(list(_by_priority(related)), today)


def prompts_about(*, person: Person, viewer: User, today: dt.date | None = None) -> list[PromptRow]:
    """Open prompts about ``person`` the viewer may read (for the person page).

    The caller has checked that the viewer may see the person and audits the page.
    """
    today = today or timezone.localdate()
    return rows_for(Prompt.objects.visible_to(viewer).open().filter(person=person), today)


@dataclass(frozen=True)
class PromptDetail:
    """One prompt as the viewer may see it.

    ``concern_readable`` says whether the viewer may read the concern itself
    (its category and summary); otherwise the page says only that a concern
    was recorded, by which agency and when. ``adult_events`` are the events
    of a new adult the viewer may read; ``adult_known_to`` the agencies that
    hold records of them.
    """

    prompt: Prompt
    visibility: Visibility
    overdue: bool
    triggers: list[Event]
    readable_event_ids: set[int]
    recipients: list[PromptRecipient]
    may_answer: bool
    adult_events: list[Event]
    adult_known_to: list[str]

    @property
    def concern_readable(self) -> bool:
        return self.prompt.concern_id in self.readable_event_ids


def prompt_detail(*, prompt_id: int, viewer: User, today: dt.date | None = None) -> PromptDetail:
    """One prompt the viewer may read; raises Prompt.DoesNotExist otherwise (a 404)."""
    today = today or timezone.localdate()
    prompt = Prompt.objects.select_related(
        "person", "household", "concern__person", "concern__agency", "answered_by",
        "answered_for", "membership__reported_by",
    ).get(pk=prompt_id)  # fmt: skip
    if not viewer.has_perm(VIEW_PROMPT, prompt) or not _person_seen(prompt, viewer):
        raise Prompt.DoesNotExist
    triggers = [t.event for t in prompt.triggers.select_related("event__agency", "event__person")]
    readable = set(
        Event.objects.visible_to(viewer)
        .filter(pk__in=[e.pk for e in triggers])
        .values_list("pk", flat=True)
    )
    adult_events: list[Event] = []
    adult_known_to: list[str] = []
    if prompt.kind == Prompt.Kind.NEW_ADULT:
        adult_events = list(
            Event.objects.visible_to(viewer)
            .filter(person=prompt.person)
            .select_related("agency")
            .order_by("-occurred_at")[:50]
        )
        adult_known_to = sorted(
            set(
                AgencyRecord.objects.filter(person=prompt.person).values_list(
                    "agency__name", flat=True
                )
            )
        )
    visibility = visibility_of(
        [prompt.person],
        today=today,
        preschool_below_age=think_sibling_rules().preschool_below_age,
    )[prompt.person_id]
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_PROMPT,
        object_type="prompt",
        object_id=prompt.pk,
        reason=(
            f"role: {viewer.get_role_display()}"
            if viewer.sees_whole_families and not prompt_routed_to_agency_of(viewer, prompt)
            else "prompt routed to the viewer's agency"
        ),
        detail={"person": prompt.person_id},
    )
    return PromptDetail(
        prompt=prompt,
        visibility=visibility,
        overdue=prompt.is_overdue_on(today),
        triggers=triggers,
        readable_event_ids=readable,
        recipients=list(prompt.recipients.select_related("agency").order_by("agency__name")),
        may_answer=prompt.status == Prompt.Status.OPEN and viewer.has_perm(ANSWER_PROMPT, prompt),
        adult_events=adult_events,
        adult_known_to=adult_known_to,
    )


def _person_seen(prompt: Prompt, viewer: User) -> bool:
    """Whether the prompt's person is not sealed from the viewer.

    A prompt about a sealed person is, outside the sealed-record roles, like
    no prompt (``VIEW_PROMPT`` in ``accounts.backends`` should say so too).
    """
    return not prompt.person.sealed or viewer.role in sealed_person_roles()


def prompt_to_answer(*, prompt_id: int, viewer: User) -> Prompt:
    """The prompt an answer is being given to; raises Prompt.DoesNotExist (a 404) when it
    does not exist or is about a person sealed from the viewer. The answering service
    decides whether the viewer's agency may answer it."""
    return Prompt.objects.hiding_sealed_from(viewer).get(pk=prompt_id)


def referrals_for_answer(*, prompt_id: int, viewer: User) -> list[Referral]:
    """Referrals the viewer's agency made with the prompt's child kept on them, newest first:
    the choices for answering "referral made"."""
    if viewer.agency_id is None:
        return []
    person_id = Prompt.objects.filter(pk=prompt_id).values("person_id")
    return list(
        Referral.objects.filter(
            referring_agency_id=viewer.agency_id,
            children__person_id__in=person_id,
            children__included=True,
        ).order_by("-referred_at", "-id")[:20]
    )


# ---------------------------------------------------------------------------
# The invisible-children report


@dataclass(frozen=True)
class InvisibleChild:
    person: Person
    visibility: Visibility
    household_ids: list[int]
    latest_concern_at: dt.datetime


def invisible_children(
    *, viewer: User, today: dt.date | None = None, now: dt.datetime | None = None
) -> list[InvisibleChild]:
    """Children in households with a recent concern whom nobody has seen in person lately.

    A household has a recent concern when a concern about any member was
    recorded within the concern window (90 days by default); a child is
    unseen when no professional has recorded seeing them in person for
    longer than the not-seen period (90 days by default), or ever. Preschool
    children first, then the longest unseen. Only children the viewer may see.
    """
    rules = think_sibling_rules()
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    recent = Event.objects.filter(
        event_type=Event.EventType.CONCERN,
        occurred_at__gte=now - dt.timedelta(days=rules.concern_window_days),
        occurred_at__lte=now,
    )
    latest_concern: dict[int, dt.datetime] = {}
    concern_people = dict(recent.values_list("person_id", "occurred_at").order_by("occurred_at"))
    households: dict[int, dt.datetime] = {}
    for chunk in in_chunks(sorted(concern_people)):
        for person_id, household_id in HouseholdMembership.objects.filter(
            person_id__in=chunk, end_date__isnull=True
        ).values_list("person_id", "household_id"):
            moment = concern_people[person_id]
            households[household_id] = max(households.get(household_id, moment), moment)
    living: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(sorted(households)):
        for household_id, person_id in HouseholdMembership.objects.filter(
            household_id__in=chunk, end_date__isnull=True
        ).values_list("household_id", "person_id"):
            if household_id not in living[person_id]:
                living[person_id].append(household_id)
            moment = households[household_id]
            latest_concern[person_id] = max(latest_concern.get(person_id, moment), moment)
    seen_since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=rules.not_seen_days), dt.time.min)
    )
    candidates: list[Person] = []
    for chunk in in_chunks(sorted(living)):
        seen_lately = Event.objects.filter(
            person=OuterRef("pk"), seen_in_person=True, occurred_at__gte=seen_since
        )
        candidates += list(
            Person.objects.filter(pk__in=chunk)
            # A coarse cut on the date of birth; is_child_on decides exactly below.
            .filter(Q(unborn=True) | Q(date_of_birth__gt=today - dt.timedelta(days=18 * 366)))
            .exclude(Exists(seen_lately))
        )
    may_see = people_visible_among(viewer, [p.pk for p in candidates])
    candidates = [p for p in candidates if p.pk in may_see]
    children = [p for p in candidates if p.is_child_on(today)]
    visibility = visibility_of(children, today=today, preschool_below_age=rules.preschool_below_age)
    report = [
        InvisibleChild(
            person=child,
            visibility=visibility[child.pk],
            household_ids=sorted(living[child.pk]),
            latest_concern_at=latest_concern[child.pk],
        )
        for child in children
    ]
    report.sort(
        key=lambda row: (
            not row.visibility.preschool,
            row.visibility.last_seen_at is not None,
            row.visibility.last_seen_at or now,
            row.person.pk,
        )
    )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="invisible_children",
        reason="children the viewer may see",
        detail={"children": len(report)},
    )
    return report


# ---------------------------------------------------------------------------
# Response rates, for the partnership


@dataclass(frozen=True)
class AgencyResponse:
    """How one agency has answered the prompts routed to it since a date."""

    agency: Agency
    routed: int
    answered_by_agency: int
    answered_by_another: int
    answered_in_time: int
    open: int
    overdue: int

    @property
    def answered(self) -> int:
        return self.answered_by_agency + self.answered_by_another

    @property
    def response_rate(self) -> float | None:
        """Share of the routed prompts that have an answer (from any receiving agency)."""
        return self.answered / self.routed if self.routed else None

    @property
    def in_time_rate(self) -> float | None:
        return self.answered_in_time / self.routed if self.routed else None


def answered_in_time(*, answered_at: dt.datetime | None, due_on: dt.date) -> bool:
    """Whether a prompt answered at ``answered_at`` was answered in time: on or before its due
    day (UK time), the partnership's working days after it was raised; never, unanswered.
    Shared with the learning indicators, so both count "in time" the same way."""
    return answered_at is not None and timezone.localdate(answered_at) <= due_on


def response_rates(
    *, viewer: User, since: dt.date, today: dt.date | None = None
) -> list[AgencyResponse]:
    """For each agency, prompts routed to it since ``since`` and how they were answered.

    "In time" is by the due date (the partnership's working days). Only for
    partnership managers; the caller checks ``VIEW_RESPONSE_RATES``.
    """
    today = today or timezone.localdate()
    since_moment = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = PromptRecipient.objects.filter(prompt__raised_at__gte=since_moment).values_list(
        "agency_id",
        "prompt__status",
        "prompt__answered_for_id",
        "prompt__answered_at",
        "prompt__due_on",
    )
    for agency_id, status, answered_for, answered_at, due_on in rows.iterator(chunk_size=10000):
        tally = counts[agency_id]
        tally["routed"] += 1
        if status == Prompt.Status.OPEN:
            tally["open"] += 1
            tally["overdue"] += due_on < today
            continue
        tally["answered_by_agency" if answered_for == agency_id else "answered_by_another"] += 1
        tally["answered_in_time"] += answered_in_time(answered_at=answered_at, due_on=due_on)
    agencies = Agency.objects.in_bulk(list(counts))
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="prompt_response_rates",
        reason=f"role: {viewer.get_role_display()}",
        detail={"since": since.isoformat()},
    )
    return sorted(
        (
            AgencyResponse(
                agency=agencies[agency_id],
                routed=tally["routed"],
                answered_by_agency=tally["answered_by_agency"],
                answered_by_another=tally["answered_by_another"],
                answered_in_time=tally["answered_in_time"],
                open=tally["open"],
                overdue=tally["overdue"],
            )
            for agency_id, tally in counts.items()
        ),
        key=lambda row: row.agency.name,
    )


# ---------------------------------------------------------------------------
# For scripts and monitoring


def open_prompts_export(
    *, agency: Agency | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The open prompts (of one agency, or all) as JSON-ready dicts, highest priority first.

    For ``thinkfamily prompts --json``: run by an operator on the server, so
    not filtered by a user's access; the command is audited by its caller.
    """
    today = today or timezone.localdate()
    prompts = Prompt.objects.open()
    if agency is not None:
        prompts = prompts.routed_to(agency.pk)
    ordered = list(
        _by_priority(
            prompts.select_related(
                "person", "concern__agency", "concern__person", "membership__reported_by"
            )
        )
    )
    ids = [p.pk for p in ordered]
    routed: dict[int, list[str]] = defaultdict(list)
    behind: dict[int, list[dict[str, str]]] = defaultdict(list)
    for chunk in in_chunks(ids):
        for prompt_id, code in (
            PromptRecipient.objects.filter(prompt_id__in=chunk)
            .order_by("agency__code")
            .values_list("prompt_id", "agency__code")
        ):
            routed[prompt_id].append(code)
    people = sorted({p.person_id for p in ordered})
    for chunk in in_chunks(people):
        for person_id, code, record_id in (
            AgencyRecord.objects.filter(person_id__in=chunk)
            .order_by("agency__code", "record_id")
            .values_list("person_id", "agency__code", "record_id")
        ):
            behind[person_id].append({"agency": code, "record_id": record_id})
    visibility = visibility_of(
        {p.person for p in ordered},
        today=today,
        preschool_below_age=think_sibling_rules().preschool_below_age,
    )
    return [_export_row(p, routed[p.pk], behind[p.person_id], visibility[p.person_id], today)
            for p in ordered]  # fmt: skip


def _export_row(
    prompt: Prompt,
    routed: list[str],
    records: list[dict[str, str]],
    visibility: Visibility,
    today: dt.date,
) -> dict[str, Any]:
    person = prompt.person
    if prompt.concern is not None:
        raised_by: dict[str, Any] = {
            "type": "concern",
            "event_id": prompt.concern.pk,
            "agency": prompt.concern.agency.code,
            "agency_event_id": prompt.concern.external_id,
            "occurred_at": prompt.concern.occurred_at.isoformat(),
            "about_person_id": prompt.concern.person_id,
        }
    else:
        membership = prompt.membership
        raised_by = {
            "type": "joined_household",
            "household_id": prompt.household_id,
            "reported_by": membership.reported_by.code if membership else None,
            "start_date": membership.start_date.isoformat()
            if membership and membership.start_date
            else None,
        }
    return {
        "id": prompt.pk,
        "kind": prompt.kind,
        "person": {
            "id": person.pk,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "unborn": person.unborn,
            "records": records,
        },
        "household_id": prompt.household_id,
        "routed_to": routed,
        "priority": {
            "preschool": prompt.preschool,
            "days_since_seen_in_person": visibility.days_since_seen,
        },
        "raised_at": prompt.raised_at.isoformat(),
        "due_on": prompt.due_on.isoformat(),
        "overdue": prompt.is_overdue_on(today),
        "working_days_open": working_days_between(timezone.localdate(prompt.raised_at), today),
        "raised_by": raised_by,
        "reason": prompt.reason,
    }
