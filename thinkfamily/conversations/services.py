"""Recording a professional conversation, circulating it, and seeing its actions through.

* ``conversation_record``: a practitioner records what was said about which
  children, with whom, the status (information shared, advice given, or a
  decision made), the outcomes (each a sentence) and the actions (each owned
  by an agency, with a due date). It goes on each child's chronology and is
  circulated: every participant with an account is asked to acknowledge it.
* ``conversation_amend``: the recorder, or a manager of the recording agency,
  corrects the status, summary or outcomes. After circulation that is a new
  version, and everyone is asked to acknowledge again; old versions stay.
* ``conversation_acknowledge`` / ``conversation_dispute``: a participant says
  the current version is accurate, or disputes it with a comment; once.
* ``action_complete`` / ``action_cancel``: the owner agency's staff or the
  recorder close an action, with the evidence of what was done or the reason.

Each checks everything before it writes and names every problem
(``ApplicationError.extra`` maps field to message), so a refusal leaves
nothing half-written; each write is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACKNOWLEDGE_CONVERSATION,
    AMEND_CONVERSATION,
    CLOSE_ACTION,
    RECORD_CONVERSATION,
    household_access_reason,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.conversations.models import (
    Acknowledgement,
    Action,
    Conversation,
    ConversationVersion,
    Participant,
)
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person

__all__ = [
    "ActionToTake",
    "Taking",
    "action_cancel",
    "action_complete",
    "conversation_acknowledge",
    "conversation_amend",
    "conversation_dispute",
    "conversation_record",
    "is_sentence",
]

Status = ConversationVersion.Status
Answer = Acknowledgement.Answer

_SENTENCE = re.compile(r"^\S.*\S[.!?]$", re.DOTALL)


def is_sentence(text: str) -> bool:
    """Whether an outcome reads as a sentence: at least three words, ending in . ! or ?.

    "Agreed." or "school" leave the reader guessing what was agreed; "School
    will offer Ava breakfast club daily." does not.

    >>> is_sentence("GP to review Ben's weight on Friday.")
    True
    >>> is_sentence("monitor")
    False
    """
    text = text.strip()
    return bool(_SENTENCE.match(text)) and len(text.split()) >= 3


@dataclass(frozen=True)
class Taking:
    """Someone who took part: ``user_id`` for a user with an account; otherwise the agency
    and the name of someone outside the system."""

    user_id: int | None = None
    agency: Agency | None = None
    name: str = ""


@dataclass(frozen=True)
class ActionToTake:
    """An action agreed in the conversation: what, which agency (and person) owns it, by when."""

    description: str
    owner_agency: Agency | None
    due_on: dt.date | None
    owner_user: User | None = None


def _refuse(what: str, problems: dict[str, str]) -> None:
    if problems:
        raise ApplicationError(f"{what}: " + "; ".join(problems.values()) + ".", extra=problems)


def _status_and_outcomes_problems(status: str, outcomes: Sequence[str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if status not in Status.values:
        problems["status"] = (
            "Select what the conversation came to: information shared only, advice given, "
            "or a decision made"
        )
    for number, outcome in enumerate(outcomes, start=1):
        if not outcome.strip():
            problems["outcomes"] = f"Outcome {number} is empty: write each outcome as a sentence"
            break
        if not is_sentence(outcome):
            problems["outcomes"] = (
                f"Outcome {number} (“{outcome.strip()}”) is not a sentence: write who will do "
                "what, ending with a full stop"
            )
            break
    return problems


def _action_problems(actions: Sequence[ActionToTake], held_on: dt.date | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    for number, action in enumerate(actions, start=1):
        missing = []
        if not action.description.strip():
            missing.append("what is to be done")
        if action.owner_agency is None:
            missing.append("the agency that owns it")
        if action.due_on is None:
            missing.append("a due date")
        if missing:
            problems[f"action_{number}"] = f"Action {number} needs {' and '.join(missing)}"
        elif held_on is not None and action.due_on is not None and action.due_on < held_on:
            problems[f"action_{number}"] = (
                f"Action {number} cannot be due before the conversation was held"
            )
        elif action.owner_user is not None and (
            action.owner_agency is None or action.owner_user.agency_id != action.owner_agency.pk
        ):
            problems[f"action_{number}"] = (
                f"Action {number}: the person who owns it must work for the owner agency"
            )
    return problems


def _create_actions(conversation: Conversation, actions: Sequence[ActionToTake]) -> None:
    for action in actions:
        assert action.owner_agency is not None and action.due_on is not None  # checked first
        Action.objects.create(
            conversation=conversation,
            description=action.description.strip(),
            owner_agency=action.owner_agency,
            owner_user=action.owner_user,
            due_on=action.due_on,
        )


def _on_chronologies(conversation: Conversation, by: User, summary: str, at: dt.datetime) -> None:
    """An entry on each child's chronology, held by the recording agency."""
    events = Event.objects.bulk_create(
        Event(
            person_id=person_id,
            agency_id=conversation.recording_agency_id,
            event_type=Event.EventType.CONVERSATION,
            occurred_at=at,
            summary=summary,
        )
        for person_id in conversation.children.values_list("pk", flat=True)
    )
    conversation.events.add(*events)


# ---------------------------------------------------------------------------
# Recording


@transaction.atomic
def conversation_record(
    *,
    by: User,
    kind: str,
    held_at: dt.datetime | None,
    children: Sequence[Person],
    status: str,
    outcomes: Sequence[str],
    participants: Sequence[Taking],
    actions: Sequence[ActionToTake] = (),
    summary: str = "",
    household: Household | None = None,
) -> Conversation:
    """Record a conversation between professionals about some children, and circulate it.

    Refused, naming every problem, when: no child is concerned (or one the
    recorder may not see); the kind or the status is not one of the list;
    an outcome is empty or not a sentence; an action lacks a description,
    owner agency or due date; a participant's account does not exist or has
    no agency, or someone outside the system lacks an agency or a name; the
    conversation is in the future.
    """
    problems: dict[str, str] = {}
    if by.agency_id is None or not by.is_active:
        raise ApplicationError("Only practitioners of an agency may record a conversation.")
    if kind not in Conversation.Kind.values:
        problems["kind"] = "Select the kind of conversation"
    now = timezone.now()
    if held_at is None:
        problems["held_at"] = "Enter when the conversation was held"
    elif held_at > now:
        problems["held_at"] = "The conversation cannot have been held in the future"
    if not children:
        problems["children"] = "Select at least one child the conversation was about"
    elif any(not by.has_perm(RECORD_CONVERSATION, child) for child in children):
        problems["children"] = "You may only record conversations about children you may see"
    if household is not None and household_access_reason(by, household) is None:
        problems["household"] = "You may only record from a household your agency may see"
    problems |= _status_and_outcomes_problems(status, outcomes)
    users: dict[int, User] = {}
    for number, taking in enumerate(participants, start=1):
        if taking.user_id is not None:
            user = User.objects.filter(pk=taking.user_id, is_active=True).first()
            if user is None:
                problems["participants"] = f"Participant {number} does not have an account here"
            elif user.agency_id is None:
                problems["participants"] = f"Participant {number} ({user}) works for no agency"
            else:
                users[user.pk] = user
        elif taking.agency is None or not taking.name.strip():
            problems["participants"] = (
                f"Participant {number} needs an agency and a name, or an account"
            )
    held_on = timezone.localdate(held_at) if held_at else None
    problems |= _action_problems(actions, held_on)
    _refuse("The conversation could not be recorded", problems)

    assert held_at is not None and by.agency_id is not None
    conversation = Conversation.objects.create(
        kind=kind,
        held_at=held_at,
        recording_agency_id=by.agency_id,
        recorded_by=by,
        recorded_at=now,
        household=household,
        circulated_at=now,
    )
    conversation.children.set(children)
    ConversationVersion.objects.create(
        conversation=conversation,
        number=1,
        status=status,
        summary=summary.strip(),
        outcomes=[outcome.strip() for outcome in outcomes],
        created_by=by,
        created_at=now,
    )
    for taking in participants:
        if taking.user_id is not None:
            if taking.user_id != by.pk:  # the recorder does not acknowledge their own record
                user = users[taking.user_id]
                Participant.objects.get_or_create(
                    conversation=conversation, user=user, defaults={"agency_id": user.agency_id}
                )
        else:
            Participant.objects.create(
                conversation=conversation, agency=taking.agency, name=taking.name.strip()
            )
    _create_actions(conversation, actions)
    _on_chronologies(
        conversation,
        by,
        f"{conversation.get_kind_display()} recorded by {conversation.recording_agency.name}: "
        f"{Status(status).label.lower()}.",
        held_at,
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_CONVERSATION,
        object_type="conversation",
        object_id=conversation.pk,
        detail={"version": 1, "status": status, "children": [c.pk for c in children]},
    )
    return conversation


# ---------------------------------------------------------------------------
# Amending


@transaction.atomic
def conversation_amend(
    *,
    conversation: Conversation,
    by: User,
    version: int,
    status: str,
    outcomes: Sequence[str],
    summary: str = "",
    new_actions: Sequence[ActionToTake] = (),
) -> Conversation:
    """Correct what a conversation came to: a new version, circulated again for acknowledgement.

    Only the recorder or a manager (or safeguarding lead) of the recording
    agency may. ``version`` is the version the amender's page showed: if
    someone amended it since, the amendment is refused rather than lost.
    Changing nothing but adding actions keeps the version.
    """
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not by.has_perm(AMEND_CONVERSATION, locked):
        raise ApplicationError(
            "Only the person who recorded this conversation, or a manager of their agency, "
            "may amend it."
        )
    if locked.current_version != version:
        raise ApplicationError(
            f"Someone else amended this record since you opened it (it is now version "
            f"{locked.current_version}). Reload it and check before you carry on."
        )
    problems = _status_and_outcomes_problems(status, outcomes)
    problems |= _action_problems(new_actions, timezone.localdate(locked.held_at))
    current = locked.versions.get(number=version)
    cleaned = [outcome.strip() for outcome in outcomes]
    changed = (status, summary.strip(), cleaned) != (
        current.status,
        current.summary,
        current.outcomes,
    )
    if not problems and not changed and not new_actions:
        problems["outcomes"] = "Nothing has changed: change the status, summary or outcomes"
    _refuse("The conversation could not be amended", problems)

    now = timezone.now()
    if changed:
        number = version + 1
        ConversationVersion.objects.create(
            conversation=locked,
            number=number,
            status=status,
            summary=summary.strip(),
            outcomes=cleaned,
            created_by=by,
            created_at=now,
        )
        Conversation.objects.filter(pk=locked.pk).update(current_version=number, circulated_at=now)
        locked.refresh_from_db()
        _on_chronologies(
            locked,
            by,
            f"{locked.get_kind_display()} amended by {locked.recording_agency.name} "
            f"(version {number}): {Status(status).label.lower()}.",
            now,
        )
    _create_actions(locked, new_actions)
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_CONVERSATION,
        object_type="conversation",
        object_id=locked.pk,
        detail={"amended_from": version, "version": locked.current_version,
                "actions_added": len(new_actions)},
    )  # fmt: skip
    return locked


# ---------------------------------------------------------------------------
# Acknowledging or disputing


def _answer(
    *, conversation: Conversation, by: User, version: int, answer: str, comment: str
) -> Acknowledgement:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not by.has_perm(ACKNOWLEDGE_CONVERSATION, locked):
        raise ApplicationError(
            "Only the participants with an account may acknowledge or dispute this record."
        )
    if version != locked.current_version:
        raise ApplicationError(
            f"This record has been amended: version {locked.current_version} is the one to "
            "acknowledge or dispute. Read it before you answer."
        )
    current = locked.versions.get(number=version)
    if current.acknowledgements.filter(user=by).exists():
        raise ApplicationError(
            f"You have already acknowledged or disputed version {version} of this record."
        )
    if answer == Answer.DISPUTED and not comment.strip():
        raise ApplicationError(
            "Say what is inaccurate: a dispute needs a comment.",
            extra={"comment": "Enter what is inaccurate in the record"},
        )
    row = Acknowledgement.objects.create(
        version=current, user=by, answer=answer, comment=comment.strip(), at=timezone.now()
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.ACKNOWLEDGE_CONVERSATION,
        object_type="conversation",
        object_id=locked.pk,
        detail={"version": version, "answer": answer},
    )
    return row


@transaction.atomic
def conversation_acknowledge(
    *, conversation: Conversation, by: User, version: int, comment: str = ""
) -> Acknowledgement:
    """A participant confirms the current version is an accurate record; once per version."""
    return _answer(
        conversation=conversation, by=by, version=version, answer=Answer.ACKNOWLEDGED,
        comment=comment,
    )  # fmt: skip


@transaction.atomic
def conversation_dispute(
    *, conversation: Conversation, by: User, version: int, comment: str
) -> Acknowledgement:
    """A participant disputes the current version, saying what is wrong; once per version.

    The dispute surfaces on the recorder's and the participants' worklists
    until the record is amended and acknowledged again.
    """
    return _answer(
        conversation=conversation, by=by, version=version, answer=Answer.DISPUTED,
        comment=comment,
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Actions


def _close(action: Action, by: User, state: str, text: str, field: str) -> Action:
    locked = Action.objects.select_for_update().select_related("conversation").get(pk=action.pk)
    if not by.has_perm(CLOSE_ACTION, locked):
        raise ApplicationError(
            "Only staff of the agency that owns this action, or the person who recorded the "
            "conversation, may close it."
        )
    if locked.state != Action.State.OPEN:
        raise ApplicationError(f"This action is already {locked.get_state_display().lower()}.")
    if not text.strip():
        message = (
            "Enter what was done (the evidence)"
            if state == Action.State.DONE
            else "Enter why the action is cancelled"
        )
        raise ApplicationError(message + ".", extra={field: message})
    now = timezone.now()
    Action.objects.filter(pk=locked.pk).update(
        state=state, closed_by=by, closed_at=now, **{field: text.strip()}
    )
    locked.refresh_from_db()
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE_ACTION,
        object_type="conversation_action",
        object_id=locked.pk,
        detail={"conversation": locked.conversation_id, "state": state},
    )
    return locked


@transaction.atomic
def action_complete(*, action: Action, by: User, evidence: str) -> Action:
    """Mark an action done, with the evidence of what was done."""
    return _close(action, by, Action.State.DONE, evidence, "evidence")


@transaction.atomic
def action_cancel(*, action: Action, by: User, reason: str) -> Action:
    """Cancel an action that is no longer needed, with the reason."""
    return _close(action, by, Action.State.CANCELLED, reason, "cancel_reason")
