"""Reads of referrals, always on behalf of a viewer and always audited.

* ``referral_detail``: one referral as the viewer may see it: the children
  kept and removed, the family-informed answer, every step with who and
  when, the statutory timescales, a sibling left open beside a "no further
  action", and the one step the viewer may take next.
* ``referral_worklist``: for children's social care, the open referrals its
  agency has received, oldest first, each with its next step and when that
  is due, overdue ones marked.
* ``referrals_made``: for a referring agency, the referrals it has made, the
  ones waiting for the viewer (a manager) to confirm first, and the outcome
  of each one closed.
* ``referral_start``: the household and every child living there now, with
  which a new referral begins, so that siblings are considered rather than
  forgotten.
* ``nfa_while_sibling_open``: children decided "no further action" while a
  brother or sister remains open.

A referral the viewer may not see raises ``Referral.DoesNotExist`` exactly
as one that does not exist, so a page answers 404 in both cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACT_ON_REFERRAL,
    CONFIRM_REFERRAL,
    MAKE_REFERRAL,
    REFERRAL_HANDLING_ROLES,
    VIEW_REFERRAL,
)
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.events.models import Event
from thinkfamily.families.selectors import FamilyStart, family_start
from thinkfamily.people.models import Household, HouseholdMembership, Person, people_visible_among
from thinkfamily.referrals.models import Referral, ReferralChild, ReferralStep

__all__ = [
    "NEXT_STEPS",
    "STEPS_BY_NAME",
    "Deadline",
    "MadeRow",
    "NextStep",
    "OpenSibling",
    "ReferralDetail",
    "StepRow",
    "WorklistRow",
    "may_refer",
    "nfa_while_sibling_open",
    "referral_detail",
    "referral_start",
    "referral_worklist",
    "referrals_made",
]

Status = Referral.Status
Decision = ReferralChild.Decision


# ---------------------------------------------------------------------------
# What comes next, and when it is due


@dataclass(frozen=True)
class NextStep:
    """The step a referral waits for.

    ``name`` names the step's form on the referral page and ``label`` says the
    step in words; ``from_status`` is the status it is taken from. Whoever
    takes it must have ``perm`` (asked of ``has_perm``); ``who`` says in words
    who has it.
    """

    name: str
    label: str
    perm: str
    from_status: str
    who: str

    @property
    def refusal(self) -> str:
        """Why a user without ``perm`` may not take the step."""
        return f"Only {self.who} may {self.label[0].lower()}{self.label[1:]}."


_REFERRER_MANAGER = (
    "a manager or designated safeguarding lead of the referring agency who is not the referrer"
)
_CSC = "children's social care workers and managers of the receiving agency"

#: The one step that follows each open status; a closed referral has none.
NEXT_STEPS: dict[str, NextStep] = {
    step.from_status: step
    for step in (
        NextStep("manager_confirm", "Confirm why the family was not told", CONFIRM_REFERRAL,
                 Status.AWAITING_MANAGER, _REFERRER_MANAGER),
        NextStep("acknowledge", "Acknowledge the referral to the referrer", ACT_ON_REFERRAL,
                 Status.RECEIVED, _CSC),
        NextStep("confirm_awareness", "Confirm with the referrer whether the family is aware",
                 ACT_ON_REFERRAL, Status.ACKNOWLEDGED, _CSC),
        NextStep("decide", "Decide for each child", ACT_ON_REFERRAL, Status.AWARENESS_CONFIRMED,
                 _CSC),
        NextStep("record_visit_intention",
                 "Record whether the family was told of the intention to visit", ACT_ON_REFERRAL,
                 Status.DECIDED, _CSC),
        NextStep("close", "Close the referral and feed back the outcome", ACT_ON_REFERRAL,
                 Status.VISIT_INTENTION_RECORDED, _CSC),
    )
}  # fmt: skip
#: The same steps by name, as a form posts them.
STEPS_BY_NAME: dict[str, NextStep] = {step.name: step for step in NEXT_STEPS.values()}


@dataclass(frozen=True)
class Deadline:
    """One statutory timescale of a referral: what is due, by when, and whether it was met.

    Overdue means not met and due before ``today``: due today is still in
    time. The dates were counted in working days when the referral was
    received or decided, so weekends and bank holidays are already allowed.
    """

    key: str
    what: str
    due_on: dt.date
    met_on: dt.date | None
    overdue: bool
    met_by_a_step: bool = True  # False: met after the referral, and recorded elsewhere

    @property
    def late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due_on


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def deadlines_of(referral: Referral, today: dt.date) -> list[Deadline]:
    """The timescales running for this referral, in the order they fall due.

    Acknowledgement and decision are met by their steps. Completing an
    assessment and holding an initial child protection conference happen
    after the referral closes, so they are overdue only while it is open.
    """
    still_open = referral.status != Status.CLOSED
    rows = (
        ("acknowledgement", "Acknowledgement", referral.acknowledgement_due_on,
         _local_day(referral.acknowledged_at), True),
        ("decision", "Decision", referral.decision_due_on, _local_day(referral.decided_at), True),
        ("assessment", "Assessment completed", referral.assessment_due_on, None, still_open),
        ("conference", "Initial child protection conference", referral.conference_due_on, None,
         still_open),
    )  # fmt: skip
    return [
        Deadline(
            key,
            what,
            due_on,
            met_on,
            overdue=tracked and met_on is None and due_on < today,
            met_by_a_step=key in ("acknowledgement", "decision"),
        )
        for key, what, due_on, met_on, tracked in rows
        if due_on is not None
    ]


def _due_for_next_step(status: str, deadlines: list[Deadline]) -> Deadline | None:
    """The timescale the next step answers to: acknowledgement while received, the decision
    until decided, then the assessment or conference (the earlier) while they run."""
    wanted = {
        Status.RECEIVED: ("acknowledgement",),
        Status.ACKNOWLEDGED: ("decision",),
        Status.AWARENESS_CONFIRMED: ("decision",),
        Status.DECIDED: ("assessment", "conference"),
        Status.VISIT_INTENTION_RECORDED: ("assessment", "conference"),
    }.get(Status(status), ())
    running = [d for d in deadlines if d.key in wanted]
    return min(running, key=lambda d: d.due_on) if running else None


# ---------------------------------------------------------------------------
# A sibling left open beside a "no further action"


@dataclass(frozen=True)
class OpenSibling:
    """A child decided "no further action" while a brother or sister remains open.

    The case review's lesson: the worry about one child may be the worry
    about the others. ``why`` says how the sibling remains open: a decision
    other than "no further action" on this referral, or an open referral of
    their own (``other_referral``).
    """

    child: Person
    sibling: Person
    why: str
    other_referral: Referral | None = None


def nfa_while_sibling_open(
    referral: Referral, *, today: dt.date | None = None
) -> list[OpenSibling]:
    """Each child on ``referral`` decided "no further action" beside a sibling who remains open.

    A sibling is another child kept on the same referral, or a child living
    now in the same household (the referral's, or any the child lives in).
    A sibling remains open with a decision other than "no further action" on
    this referral, or kept on another referral not yet closed. Nothing is
    said about who may see what: callers filter for their viewer.
    """
    today = today or timezone.localdate()
    kept = list(referral.children.filter(included=True).select_related("person"))
    nfa = [c for c in kept if c.decision == Decision.NO_FURTHER_ACTION]
    if not nfa:
        return []
    nfa_ids = {c.person_id for c in nfa}
    continuing = [c for c in kept if c.decision and c.decision != Decision.NO_FURTHER_ACTION]

    homes: dict[int, set[int]] = defaultdict(set)  # NFA child → households they live in now
    for person_id, household_id in HouseholdMembership.objects.filter(
        person_id__in=nfa_ids, end_date__isnull=True
    ).values_list("person_id", "household_id"):
        homes[person_id].add(household_id)
    if referral.household_id is not None:
        for person_id in nfa_ids:
            homes[person_id].add(referral.household_id)
    living: dict[int, set[int]] = defaultdict(set)  # household → who lives there now
    for household_id, person_id in HouseholdMembership.objects.filter(
        household_id__in={h for hs in homes.values() for h in hs}, end_date__isnull=True
    ).values_list("household_id", "person_id"):
        living[household_id].add(person_id)
    elsewhere = (
        ReferralChild.objects.filter(
            person_id__in={p for ps in living.values() for p in ps} - nfa_ids, included=True
        )
        .exclude(referral=referral)
        .exclude(referral__status=Status.CLOSED)
        .select_related("person", "referral")
        .order_by("referral__referred_at", "referral_id")
    )

    found: list[OpenSibling] = []
    for child in nfa:
        named: set[int] = set()
        for other in continuing:
            found.append(
                OpenSibling(
                    child.person,
                    other.person,
                    f"{other.get_decision_display().lower()}, on this referral",
                )
            )
            named.add(other.person_id)
        housemates = {p for h in homes[child.person_id] for p in living[h]}
        for other in elsewhere:
            if other.person_id in housemates and other.person_id not in named:
                if other.person.is_child_on(today):
                    found.append(
                        OpenSibling(
                            child.person,
                            other.person,
                            f"on referral {other.referral.pk}, "
                            f"{other.referral.get_status_display().lower()}",
                            other_referral=other.referral,
                        )
                    )
                named.add(other.person_id)
    return found


# ---------------------------------------------------------------------------
# One referral


@dataclass(frozen=True)
class StepRow:
    """A step on the referral's timeline; ``note`` is empty where the viewer may not read it."""

    step: ReferralStep
    note: str


@dataclass(frozen=True)
class ReferralDetail:
    """One referral as the viewer may see it.

    ``sees_working`` is true for children's social care (and the
    partnership): decisions, reasons and notes as they are made. The
    referring agency sees what it sent, each step's status, who took it and
    when, and its own notes; once the referral is closed it sees the outcome
    and the decision for each child too (``shows_outcome``).
    ``next_step`` is what the referral waits for, whoever takes it;
    ``may_take_next_step`` whether the viewer may.
    """

    referral: Referral
    kept: list[ReferralChild]
    removed: list[ReferralChild]
    categories: list[str]
    steps: list[StepRow]
    deadlines: list[Deadline]
    next_step: NextStep | None
    may_take_next_step: bool
    sees_working: bool
    shows_outcome: bool
    open_siblings: list[OpenSibling]
    access_reason: str

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.overdue]


def _referral_access_reason(viewer: User, referral: Referral) -> str:
    if viewer.agency_id == referral.to_agency_id:
        return "referral received by the viewer's agency"
    if viewer.agency_id == referral.referring_agency_id:
        return "referral made by the viewer's agency"
    return f"role: {viewer.get_role_display()}"


def referral_detail(
    *, referral_id: int, viewer: User, today: dt.date | None = None
) -> ReferralDetail:
    """One referral the viewer may see, audited; raises Referral.DoesNotExist otherwise (a 404)."""
    today = today or timezone.localdate()
    referral = (
        Referral.objects.hiding_sealed_from(viewer)
        .select_related(
            "referring_agency", "to_agency", "referred_by", "household", "manager_confirmed_by"
        )
        .get(pk=referral_id)
    )
    if not viewer.has_perm(VIEW_REFERRAL, referral):
        raise Referral.DoesNotExist
    children = list(referral.children.select_related("person"))
    # A child the viewer may not see (a sealed child above all) is not named on the page.
    shown = people_visible_among(viewer, {c.person_id for c in children})
    sees_working = viewer.sees_whole_families or viewer.agency_id == referral.to_agency_id
    shows_outcome = sees_working or referral.status == Status.CLOSED
    steps = [
        StepRow(
            step,
            step.note
            if shows_outcome or step.actor.agency_id == referral.referring_agency_id
            else "",
        )
        for step in referral.steps.select_related("actor__agency")
    ]
    next_step = NEXT_STEPS.get(referral.status)
    open_siblings = nfa_while_sibling_open(referral, today=today) if shows_outcome else []
    may_see = people_visible_among(
        viewer, {p.pk for s in open_siblings for p in (s.child, s.sibling)}
    )
    open_siblings = [
        s
        for s in open_siblings
        if s.sibling.pk in may_see
        and s.child.pk in may_see
        and (s.other_referral is None or viewer.has_perm(VIEW_REFERRAL, s.other_referral))
    ]
    reason = _referral_access_reason(viewer, referral)
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_REFERRAL,
        object_type="referral",
        object_id=referral.pk,
        reason=reason,
        detail={"people": [c.person_id for c in children], "status": referral.status},
    )
    labels = dict(Event.Category.choices)
    return ReferralDetail(
        referral=referral,
        kept=[c for c in children if c.included and c.person_id in shown],
        removed=[c for c in children if not c.included and c.person_id in shown],
        categories=[str(labels.get(value, value)) for value in referral.categories],
        steps=steps,
        deadlines=deadlines_of(referral, today),
        next_step=next_step,
        may_take_next_step=next_step is not None and viewer.has_perm(next_step.perm, referral),
        sees_working=sees_working,
        shows_outcome=shows_outcome,
        open_siblings=open_siblings,
        access_reason=reason,
    )


# ---------------------------------------------------------------------------
# Worklists


def _kept_children() -> Prefetch:
    """Prefetch only the children kept on each referral: ``referral.children.all()`` then
    holds those alone."""
    return Prefetch(
        "children", queryset=ReferralChild.objects.filter(included=True).select_related("person")
    )


def _children_shown(referrals: list[Referral], viewer: User) -> dict[int, list[Person]]:
    """For referrals fetched with ``_kept_children``, the kept children the viewer may see
    (a sealed child is not named), by referral; one query for them all."""
    may_see = people_visible_among(
        viewer, {c.person_id for r in referrals for c in r.children.all()}
    )
    return {r.pk: [c.person for c in r.children.all() if c.person_id in may_see] for r in referrals}


@dataclass(frozen=True)
class WorklistRow:
    """An open referral on children's social care's worklist: its next step and when it is due.

    ``sibling_left_open`` marks a child decided "no further action" beside a
    sibling who remains open.
    """

    referral: Referral
    children: list[Person]
    next_step: NextStep
    due: Deadline | None
    sibling_left_open: bool

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.overdue


def referral_worklist(*, viewer: User, today: dt.date | None = None) -> list[WorklistRow]:
    """The open referrals the viewer's agency has received, oldest first; audited.

    For children's social care workers and managers (who take referrals
    through their steps); empty for anyone else. A referral waiting for the
    referring agency's manager has not been received yet and is not listed.
    """
    today = today or timezone.localdate()
    if not viewer.is_active or viewer.agency_id is None:
        return []
    if viewer.role not in REFERRAL_HANDLING_ROLES:
        return []
    referrals = list(
        Referral.objects.open()
        .filter(to_agency_id=viewer.agency_id)
        .exclude(status=Status.AWAITING_MANAGER)
        .hiding_sealed_from(viewer)
        .select_related("referring_agency")
        .prefetch_related(_kept_children())
        .order_by("received_at", "id")
    )
    shown = _children_shown(referrals, viewer)
    rows = []
    for referral in referrals:
        decided = referral.status in (Status.DECIDED, Status.VISIT_INTENTION_RECORDED)
        rows.append(
            WorklistRow(
                referral=referral,
                children=shown[referral.pk],
                next_step=NEXT_STEPS[referral.status],
                due=_due_for_next_step(referral.status, deadlines_of(referral, today)),
                sibling_left_open=decided and bool(nfa_while_sibling_open(referral, today=today)),
            )
        )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="referrals_received",
        reason="open referrals received by the viewer's agency",
        detail={"referrals": len(rows), "overdue": sum(row.overdue for row in rows)},
    )
    return rows


@dataclass(frozen=True)
class MadeRow:
    """A referral the viewer's agency made: ``awaiting_you`` when the viewer is a manager who
    may confirm why the family was not told; ``outcome`` once it is closed."""

    referral: Referral
    children: list[Person]
    awaiting_you: bool

    @property
    def outcome(self) -> str:
        return self.referral.outcome_feedback if self.referral.status == Status.CLOSED else ""


def referrals_made(*, viewer: User) -> list[MadeRow]:
    """The referrals the viewer's agency has made: those waiting for the viewer to confirm
    first, then the newest first; audited."""
    if not viewer.is_active or viewer.agency_id is None:
        return []
    referrals = list(
        Referral.objects.visible_to(viewer)
        .filter(referring_agency_id=viewer.agency_id)
        .hiding_sealed_from(viewer)
        .select_related("to_agency", "referred_by")
        .prefetch_related(_kept_children())
        .order_by("-referred_at", "-id")
    )
    shown = _children_shown(referrals, viewer)
    rows = [
        MadeRow(
            referral=referral,
            children=shown[referral.pk],
            awaiting_you=referral.status == Status.AWAITING_MANAGER
            and viewer.has_perm(CONFIRM_REFERRAL, referral),
        )
        for referral in referrals
    ]
    rows.sort(key=lambda row: not row.awaiting_you)  # stable: newest first within each
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="referrals_made",
        reason="referrals made by the viewer's agency",
        detail={"referrals": len(rows), "awaiting_you": sum(row.awaiting_you for row in rows)},
    )
    return rows


# ---------------------------------------------------------------------------
# Starting a referral


def referral_start(
    *,
    viewer: User,
    household_id: int | None = None,
    person_id: int | None = None,
    today: dt.date | None = None,
) -> FamilyStart:
    """The children a referral from ``viewer`` starts with (``families.family_start``)."""
    return family_start(
        viewer=viewer,
        purpose="making a referral",
        household_id=household_id,
        person_id=person_id,
        today=today,
    )


def may_refer(viewer: User, subject: Person | Household, today: dt.date | None = None) -> bool:
    """Whether the viewer may refer this child, or a child living in this household now, to
    children's social care (which receives referrals and does not make them)."""
    today = today or timezone.localdate()
    # MAKE_REFERRAL itself refuses children's social care and users without an agency.
    if isinstance(subject, Person):
        return subject.is_child_on(today) and viewer.has_perm(MAKE_REFERRAL, subject)
    living = Person.objects.filter(
        memberships__household=subject, memberships__end_date__isnull=True
    ).distinct()
    return any(p.is_child_on(today) and viewer.has_perm(MAKE_REFERRAL, p) for p in living)
