"""Making a referral and taking it through children's social care's steps.

The steps, in order, none skipped, each by a recorded person at a recorded
time, each an entry on every child's chronology:

    awaiting_manager ─ (only when the family was not told: a manager in the
         │             referring agency confirms the reason)
    received ─ acknowledged (due within 1 working day) ─ awareness_confirmed
    (with the referrer: does the family know; if not, the decision about
    telling them) ─ decided (for each child, with reasons; due within 1
    working day of receipt) ─ visit_intention_recorded (when and how the
    family was told, or why not) ─ closed (the outcome fed back to the referrer)

Every step checks the referral's ``version``: a page that shows version 3
can only move a referral that is still at version 3, so two people acting on
it at once cannot both win; the loser is told someone else got there first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACT_ON_REFERRAL,
    CONFIRM_REFERRAL,
    MAKE_REFERRAL,
    household_access_reason,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.working_days import add_working_days
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person
from thinkfamily.referrals.models import Referral, ReferralChild, ReferralStep

__all__ = [
    "TIMESCALES",
    "ChildOnReferral",
    "FamilyInformed",
    "referral_acknowledge",
    "referral_close",
    "referral_confirm_family_awareness",
    "referral_decide",
    "referral_make",
    "referral_manager_confirm",
    "referral_record_visit_intention",
]

Status = Referral.Status
Decision = ReferralChild.Decision

#: Each status and the one step that may follow it.
_NEXT = {
    Status.AWAITING_MANAGER: Status.RECEIVED,
    Status.RECEIVED: Status.ACKNOWLEDGED,
    Status.ACKNOWLEDGED: Status.AWARENESS_CONFIRMED,
    Status.AWARENESS_CONFIRMED: Status.DECIDED,
    Status.DECIDED: Status.VISIT_INTENTION_RECORDED,
    Status.VISIT_INTENTION_RECORDED: Status.CLOSED,
}

#: Statutory timescales in working days (England and Wales bank holidays excluded).
TIMESCALES = {
    "acknowledgement": 1,  # from receipt
    "decision": 1,  # from receipt
    "assessment": 45,  # from receipt, when any child is to be assessed
    "conference": 15,  # from the strategy discussion to the initial child protection conference
}


@dataclass(frozen=True)
class ChildOnReferral:
    """A child of the household as the referrer left them: kept, or removed with a reason."""

    person: Person
    included: bool
    removal_reason: str = ""


@dataclass(frozen=True)
class FamilyInformed:
    """The referrer's answer to "has the family been told about this referral?"."""

    answer: str  # Referral.FamilyInformed
    informed_on: dt.date | None = None
    informed_by_name: str = ""
    informed_how: str = ""
    family_response: str = ""
    not_informed_reason: str = ""
    not_informed_detail: str = ""
    contact_attempts: str = ""

    def problems(self) -> dict[str, str]:
        """What is missing from the answer, by field, in words a referrer can act on."""
        missing: dict[str, str] = {}
        if self.answer == Referral.FamilyInformed.YES:
            if self.informed_on is None:
                missing["informed_on"] = "Enter the date the family was told"
            elif self.informed_on > timezone.localdate():
                missing["informed_on"] = "The date the family was told must not be in the future"
            if not self.informed_by_name.strip():
                missing["informed_by_name"] = "Enter who told the family"
            if self.informed_how not in Referral.InformedHow.values:
                missing["informed_how"] = "Select how the family was told"
            if not self.family_response.strip():
                missing["family_response"] = "Enter how the family responded"
        elif self.answer == Referral.FamilyInformed.NO:
            reason = self.not_informed_reason
            if reason not in Referral.NotInformedReason.values:
                missing["not_informed_reason"] = "Select why the family was not told"
            elif reason == Referral.NotInformedReason.COULD_NOT_CONTACT and not (
                self.contact_attempts.strip()
            ):
                missing["contact_attempts"] = "Enter the attempts made to contact the family"
            elif (
                reason == Referral.NotInformedReason.OTHER and not self.not_informed_detail.strip()
            ):
                missing["not_informed_detail"] = "Enter why the family was not told"
        else:
            missing["family_informed"] = (
                "Select whether the family has been told about this referral"
            )
        return missing


@dataclass
class _Step:
    """What one step writes besides the status: columns, and the chronology sentence."""

    to: str
    summary: str
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Making a referral


def _csc_agency() -> Agency:
    agency = Agency.objects.filter(agency_type=Agency.AgencyType.CSC).order_by("pk").first()
    if agency is None:
        raise ApplicationError("There is no children's social care agency to refer to.")
    return agency


@transaction.atomic
def referral_make(
    *,
    by: User,
    children: Sequence[ChildOnReferral],
    concerns: str,
    categories: Sequence[str],
    done_so_far: str,
    family_informed: FamilyInformed,
    household: Household | None = None,
    to_agency: Agency | None = None,
) -> Referral:
    """Refer children to children's social care for the referrer's agency.

    Refused, naming every problem (``ApplicationError.extra`` maps field to
    message), when: no child is kept on the referral; a child removed has no
    reason; the concerns, their categories or what has been done are
    missing; the family-informed question is unanswered or incomplete (yes:
    when, by whom, how, their response; no: a reason from the list, with the
    contact attempts or the other reason). A "no" waits for a manager of the
    referring agency to confirm it (``referral_manager_confirm``); a "yes"
    goes straight to children's social care.
    """
    if by.agency is not None and by.agency.agency_type == Agency.AgencyType.CSC:
        raise ApplicationError("Children's social care does not refer to itself.")
    problems: dict[str, str] = {}
    kept = [child for child in children if child.included]
    if not kept:
        problems["children"] = "Keep at least one child on the referral"
    for child in children:
        if not by.has_perm(MAKE_REFERRAL, child.person):
            problems["children"] = "You may only refer children your agency may see"
        elif not child.included and not child.removal_reason.strip():
            problems[f"removal_reason_{child.person.pk}"] = (
                f"Enter why {child.person.given_name} {child.person.family_name} is not on "
                "the referral"
            )
    if household is not None and household_access_reason(by, household) is None:
        problems["household"] = "You may only refer from a household your agency may see"
    if not concerns.strip():
        problems["concerns"] = "Describe the concerns"
    if not categories:
        problems["categories"] = "Select at least one category of concern"
    elif unknown := set(categories) - set(Event.Category.values):
        problems["categories"] = f"Unknown categories of concern: {', '.join(sorted(unknown))}"
    if not done_so_far.strip():
        problems["done_so_far"] = "Enter what you have done so far"
    problems |= family_informed.problems()
    if problems:
        raise ApplicationError(
            "The referral could not be made: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )
    assert by.agency_id is not None  # MAKE_REFERRAL is refused to users without an agency
    to_agency = to_agency or _csc_agency()
    now = timezone.now()
    told = family_informed.answer == Referral.FamilyInformed.YES
    referral = Referral.objects.create(
        referring_agency_id=by.agency_id,
        to_agency=to_agency,
        referred_by=by,
        referred_at=now,
        household=household,
        concerns=concerns.strip(),
        categories=sorted(set(categories)),
        done_so_far=done_so_far.strip(),
        family_informed=family_informed.answer,
        informed_on=family_informed.informed_on if told else None,
        informed_by_name=family_informed.informed_by_name.strip() if told else "",
        informed_how=family_informed.informed_how if told else "",
        family_response=family_informed.family_response.strip() if told else "",
        not_informed_reason="" if told else family_informed.not_informed_reason,
        not_informed_detail="" if told else family_informed.not_informed_detail.strip(),
        contact_attempts="" if told else family_informed.contact_attempts.strip(),
        status=Status.AWAITING_MANAGER if not told else Status.RECEIVED,
        **(_receipt_values(now) if told else {}),
    )
    ReferralChild.objects.bulk_create(
        ReferralChild(
            referral=referral,
            person=child.person,
            included=child.included,
            removal_reason="" if child.included else child.removal_reason.strip(),
        )
        for child in children
    )
    summary = (
        f"Referred to {to_agency.name} by {referral.referring_agency.name}; family told."
        if told
        else f"Referral to {to_agency.name} by {referral.referring_agency.name} waits for a "
        "manager to confirm why the family was not told."
    )
    _record_step(referral, by, from_status="", step=_Step(referral.status, summary), at=now)
    return referral


def _receipt_values(received_at: dt.datetime) -> dict[str, Any]:
    received_on = timezone.localdate(received_at)
    return {
        "received_at": received_at,
        "acknowledgement_due_on": add_working_days(received_on, TIMESCALES["acknowledgement"]),
        "decision_due_on": add_working_days(received_on, TIMESCALES["decision"]),
    }


# ---------------------------------------------------------------------------
# The steps


def _record_step(
    referral: Referral, by: User, *, from_status: str, step: _Step, at: dt.datetime
) -> ReferralStep:
    """The step row, an event on each child kept on the referral, and the audit entry."""
    assert by.agency_id is not None
    row = ReferralStep.objects.create(
        referral=referral, from_status=from_status, to_status=step.to, actor=by, at=at,
        note=step.note,
    )  # fmt: skip
    events = Event.objects.bulk_create(
        Event(
            person_id=person_id,
            agency_id=by.agency_id,
            event_type=Event.EventType.REFERRAL,
            occurred_at=at,
            summary=f"Referral {referral.pk}: {step.summary}",
        )
        for person_id in referral.children.filter(included=True).values_list("person_id", flat=True)
    )
    row.events.set(events)
    audit_record(
        actor=by,
        action=AuditEvent.Action.REFERRAL_STEP,
        object_type="referral",
        object_id=referral.pk,
        detail={"from": from_status, "to": step.to, "note": step.note},
    )
    return row


def _locked_for_step(
    *, referral: Referral, by: User, version: int, expected: str, perm: str
) -> Referral:
    """The referral, locked, if ``by`` may take the step from ``expected`` at ``version``.

    Checked before anything the user typed, so that someone who may not act,
    or who acts from a page that is out of date, is told that first. A step
    taken from a page showing an older version is refused, as is any step
    out of order.
    """
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not by.has_perm(perm, locked):
        raise ApplicationError(_who_may(perm))
    if locked.version != version:
        raise ApplicationError(
            "Someone else has updated this referral since you opened it "
            f"(it is now: {locked.get_status_display().lower()}). Reload it and check "
            "before you carry on."
        )
    if locked.status != expected:
        raise ApplicationError(
            f"This referral is {locked.get_status_display().lower()}: it cannot be "
            f"{_NEXT[Status(expected)].label.lower()} now. Steps are taken in order."
        )
    return locked


def _take_step(
    *, referral: Referral, by: User, version: int, expected: str, step: _Step, perm: str
) -> Referral:
    """Move ``referral`` from ``expected`` to ``step.to``, if ``by`` may and nobody moved it
    first."""
    locked = _locked_for_step(
        referral=referral, by=by, version=version, expected=expected, perm=perm
    )
    now = timezone.now()
    Referral.objects.filter(pk=locked.pk, version=version).update(
        status=step.to, version=version + 1, **step.values
    )
    locked.refresh_from_db()
    _record_step(locked, by, from_status=expected, step=step, at=now)
    return locked


def _who_may(perm: str) -> str:
    if perm == CONFIRM_REFERRAL:
        return (
            "Only a manager or designated safeguarding lead of the referring agency, other "
            "than the referrer, may confirm why the family was not told."
        )
    return "Only children's social care workers and managers of the receiving agency may do this."


@transaction.atomic
def referral_manager_confirm(*, referral: Referral, by: User, version: int, note: str) -> Referral:
    """A manager of the referring agency confirms the reason the family was not told; sends it."""
    _locked_for_step(
        referral=referral, by=by, version=version, expected=Status.AWAITING_MANAGER,
        perm=CONFIRM_REFERRAL,
    )  # fmt: skip
    if not note.strip():
        raise ApplicationError(
            "Enter why you agree the family should not be told.", extra={"note": "Enter a note"}
        )
    now = timezone.now()
    step = _Step(
        Status.RECEIVED,
        f"Manager confirmed the family was not told "
        f"({referral.get_not_informed_reason_display().lower()}); "
        f"received by {referral.to_agency.name}.",
        note=note.strip(),
        values={"manager_confirmed_by_id": by.pk, "manager_confirmed_at": now}
        | _receipt_values(now),
    )
    return _take_step(
        referral=referral, by=by, version=version, expected=Status.AWAITING_MANAGER,
        step=step, perm=CONFIRM_REFERRAL,
    )  # fmt: skip


@transaction.atomic
def referral_acknowledge(*, referral: Referral, by: User, version: int, note: str = "") -> Referral:
    """Children's social care acknowledges the referral to the referrer (due in 1 working day)."""
    step = _Step(
        Status.ACKNOWLEDGED,
        f"Acknowledged to {referral.referring_agency.name} by {by.get_full_name() or by}.",
        note=note.strip(),
        values={"acknowledged_at": timezone.now()},
    )
    return _take_step(referral=referral, by=by, version=version, expected=Status.RECEIVED,
                      step=step, perm=ACT_ON_REFERRAL)  # fmt: skip


@transaction.atomic
def referral_confirm_family_awareness(
    *,
    referral: Referral,
    by: User,
    version: int,
    family_aware: bool,
    telling_decision: str = "",
    telling_reason: str = "",
    note: str = "",
) -> Referral:
    """Children's social care confirms with the referrer whether the family knows.

    If the family does not know, the decision about telling them is required
    (the referrer will tell them, children's social care will, or they are
    not to be told yet because of the risk of harm), with a reason.
    """
    _locked_for_step(
        referral=referral,
        by=by,
        version=version,
        expected=Status.ACKNOWLEDGED,
        perm=ACT_ON_REFERRAL,
    )
    problems: dict[str, str] = {}
    if not family_aware:
        if telling_decision not in Referral.TellingDecision.values:
            problems["telling_decision"] = "Select the decision about telling the family"
        if not telling_reason.strip():
            problems["telling_reason"] = "Enter the reason for the decision about telling them"
    if problems:
        raise ApplicationError(
            "The family's awareness could not be recorded: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )
    decision = "" if family_aware else telling_decision
    summary = (
        f"Confirmed with {referral.referring_agency.name} that the family knows of the referral."
        if family_aware
        else f"Confirmed with {referral.referring_agency.name} that the family does not know; "
        f"{Referral.TellingDecision(decision).label[0].lower()}"
        f"{Referral.TellingDecision(decision).label[1:]}."
    )
    step = _Step(
        Status.AWARENESS_CONFIRMED,
        summary,
        note=note.strip(),
        values={
            "family_aware": family_aware,
            "telling_decision": decision,
            "telling_reason": "" if family_aware else telling_reason.strip(),
        },
    )
    return _take_step(referral=referral, by=by, version=version, expected=Status.ACKNOWLEDGED,
                      step=step, perm=ACT_ON_REFERRAL)  # fmt: skip


@transaction.atomic
def referral_decide(
    *,
    referral: Referral,
    by: User,
    version: int,
    decisions: dict[int, tuple[str, str]],
    strategy_discussion_on: dt.date | None = None,
) -> Referral:
    """Children's social care decides, for each child kept on the referral, with reasons.

    ``decisions`` maps each kept child's person id to (decision, reasons).
    An assessment sets the 45-working-day completion date; a strategy
    discussion needs its date and sets the initial child protection
    conference 15 working days after it.
    """
    _locked_for_step(
        referral=referral,
        by=by,
        version=version,
        expected=Status.AWARENESS_CONFIRMED,
        perm=ACT_ON_REFERRAL,
    )
    kept = {c.person_id: c for c in referral.children.filter(included=True)}
    problems: dict[str, str] = {}
    for person_id, child in kept.items():
        decision, reasons = decisions.get(person_id, ("", ""))
        name = f"{child.person.given_name} {child.person.family_name}"
        if decision not in Decision.values:
            problems[f"decision_{person_id}"] = f"Select the decision for {name}"
        elif not reasons.strip():
            problems[f"reasons_{person_id}"] = f"Enter the reasons for the decision for {name}"
    if set(decisions) - set(kept):
        problems["decisions"] = "Decide only for the children kept on the referral"
    chosen = {decision for decision, _ in decisions.values()}
    assert referral.received_at is not None  # decided only after it was received
    received_on = timezone.localdate(referral.received_at)
    if Decision.STRATEGY_DISCUSSION in chosen and strategy_discussion_on is None:
        problems["strategy_discussion_on"] = "Enter the date of the strategy discussion"
    elif strategy_discussion_on is not None and strategy_discussion_on < received_on:
        problems["strategy_discussion_on"] = (
            "The strategy discussion cannot be before the referral was received"
        )
    if problems:
        raise ApplicationError(
            "The decision could not be recorded: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )
    values: dict[str, Any] = {"decided_at": timezone.now()}
    if Decision.ASSESSMENT in chosen:
        values["assessment_due_on"] = add_working_days(received_on, TIMESCALES["assessment"])
    if Decision.STRATEGY_DISCUSSION in chosen and strategy_discussion_on is not None:
        values["strategy_discussion_on"] = strategy_discussion_on
        values["conference_due_on"] = add_working_days(
            strategy_discussion_on, TIMESCALES["conference"]
        )
    words = "; ".join(
        f"{kept[pid].person.given_name}: {Decision(decision).label.lower()}"
        for pid, (decision, _) in sorted(decisions.items())
    )
    step = _Step(Status.DECIDED, f"Decided — {words}.", values=values)
    moved = _take_step(
        referral=referral,
        by=by,
        version=version,
        expected=Status.AWARENESS_CONFIRMED,
        step=step,
        perm=ACT_ON_REFERRAL,
    )
    for person_id, (decision, reasons) in decisions.items():
        ReferralChild.objects.filter(pk=kept[person_id].pk).update(
            decision=decision, decision_reasons=reasons.strip()
        )
    return moved


@transaction.atomic
def referral_record_visit_intention(
    *,
    referral: Referral,
    by: User,
    version: int,
    communicated: bool,
    communicated_on: dt.date | None = None,
    how: str = "",
    reason_not: str = "",
) -> Referral:
    """Record that the family was told children's social care intends to visit (when and how),
    or the reason it was not."""
    _locked_for_step(
        referral=referral, by=by, version=version, expected=Status.DECIDED, perm=ACT_ON_REFERRAL
    )
    problems: dict[str, str] = {}
    if communicated:
        assert referral.received_at is not None  # a visit intention follows a decision
        if communicated_on is None:
            problems["communicated_on"] = "Enter when the family was told of the visit"
        elif communicated_on > timezone.localdate():
            problems["communicated_on"] = "The date the family was told must not be in the future"
        elif communicated_on < timezone.localdate(referral.received_at):
            problems["communicated_on"] = (
                "The date the family was told cannot be before the referral was received"
            )
        if how not in Referral.InformedHow.values:
            problems["how"] = "Select how the family was told of the visit"
    elif not reason_not.strip():
        problems["reason_not"] = "Enter why the family was not told of an intention to visit"
    if problems:
        raise ApplicationError(
            "The visit intention could not be recorded: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )
    summary = (
        f"Family told of the intention to visit ({Referral.InformedHow(how).label.lower()}, "
        f"{communicated_on:%d %b %Y})."
        if communicated and communicated_on
        else "Family not told of an intention to visit; reason recorded."
    )
    step = _Step(
        Status.VISIT_INTENTION_RECORDED,
        summary,
        values={
            "visit_intention_communicated": communicated,
            "visit_intention_on": communicated_on if communicated else None,
            "visit_intention_how": how if communicated else "",
            "no_visit_intention_reason": "" if communicated else reason_not.strip(),
        },
    )
    return _take_step(referral=referral, by=by, version=version, expected=Status.DECIDED,
                      step=step, perm=ACT_ON_REFERRAL)  # fmt: skip


@transaction.atomic
def referral_close(
    *, referral: Referral, by: User, version: int, outcome_feedback: str
) -> Referral:
    """Close the referral with the outcome fed back to the referrer (who then sees it)."""
    _locked_for_step(
        referral=referral,
        by=by,
        version=version,
        expected=Status.VISIT_INTENTION_RECORDED,
        perm=ACT_ON_REFERRAL,
    )
    if not outcome_feedback.strip():
        raise ApplicationError(
            "Enter the outcome fed back to the referrer.",
            extra={"outcome_feedback": "Enter the outcome fed back to the referrer"},
        )
    step = _Step(
        Status.CLOSED,
        f"Closed; outcome fed back to {referral.referring_agency.name}.",
        note=outcome_feedback.strip(),
        values={"closed_at": timezone.now(), "outcome_feedback": outcome_feedback.strip()},
    )
    return _take_step(referral=referral, by=by, version=version,
                      expected=Status.VISIT_INTENTION_RECORDED, step=step,
                      perm=ACT_ON_REFERRAL)  # fmt: skip
