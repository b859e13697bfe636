"""Reads of professional conversations, always on behalf of a viewer.

* ``conversation_detail``: one conversation, every version readable, who
  acknowledged or disputed which version, and its actions; audited.
* ``conversation_worklist``: what waits for the viewer and their agency:
  records to acknowledge (overdue after the set working days), disputed
  records they recorded or took part in, and actions their agency owns that
  are overdue; audited.
* ``family_conversations``: the same three, for one household's family page.
* ``conversation_compliance``: for partnership managers, by recording agency
  and month, how many records had a status and an outcome, were acknowledged
  by all in time, and whose actions were completed on time.

A conversation the viewer may not see raises ``Conversation.DoesNotExist``
exactly as one that does not exist, so a page answers 404 in both cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACKNOWLEDGE_CONVERSATION,
    AMEND_CONVERSATION,
    CLOSE_ACTION,
    VIEW_CONVERSATION,
    VIEW_CONVERSATION_COMPLIANCE,
)
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.conversations.models import (
    Acknowledgement,
    Action,
    Conversation,
    ConversationVersion,
    Participant,
)
from thinkfamily.conversations.rules import acknowledgement_due_on
from thinkfamily.families.selectors import FamilyStart, family_start
from thinkfamily.people.models import Household, Person, people_visible_among

__all__ = [
    "ActionRow",
    "ComplianceRow",
    "ConversationDetail",
    "ConversationRow",
    "FamilyConversations",
    "ParticipantRow",
    "VersionRow",
    "Worklist",
    "acknowledged_by_all_in_time",
    "conversation_compliance",
    "conversation_detail",
    "conversation_start",
    "conversation_worklist",
    "family_conversations",
]

Answer = Acknowledgement.Answer


@dataclass(frozen=True)
class VersionRow:
    """One version as circulated, with each participant's answer to it."""

    version: ConversationVersion
    answers: list[Acknowledgement]
    current: bool


@dataclass(frozen=True)
class ParticipantRow:
    """A participant and their answer to the current version ("" while they have not answered)."""

    participant: Participant
    answer: str
    comment: str


@dataclass(frozen=True)
class ActionRow:
    action: Action
    overdue: bool
    viewer_may_close: bool


@dataclass(frozen=True)
class ConversationDetail:
    """One conversation as the viewer may read it; ``children`` are those the viewer may see
    (a sealed child is not named)."""

    conversation: Conversation
    children: list[Person]
    current: ConversationVersion
    versions: list[VersionRow]
    participants: list[ParticipantRow]
    actions: list[ActionRow]
    acknowledgement_due_on: dt.date
    may_amend: bool
    may_answer: bool  # a participant who has not yet answered the current version

    @property
    def awaiting(self) -> list[ParticipantRow]:
        return [row for row in self.participants if row.participant.user_id and not row.answer]

    @property
    def disputed(self) -> list[ParticipantRow]:
        return [row for row in self.participants if row.answer == Answer.DISPUTED]


def _current(conversation: Conversation) -> ConversationVersion:
    return next(v for v in conversation.versions.all() if v.number == conversation.current_version)


def _answers_to_current(conversation: Conversation) -> dict[int, Acknowledgement]:
    return {a.user_id: a for a in _current(conversation).acknowledgements.all()}


def _is_overdue(action: Action, today: dt.date) -> bool:
    return action.state == Action.State.OPEN and action.due_on < today


def conversation_detail(
    *, conversation_id: int, viewer: User, today: dt.date | None = None
) -> ConversationDetail:
    """One conversation as the viewer may read it; the read is audited."""
    today = today or timezone.localdate()
    conversation = (
        Conversation.objects.select_related("recording_agency", "recorded_by", "household")
        .prefetch_related(
            "children",
            "versions__acknowledgements__user",
            "versions__created_by",
            "participants__user__agency",
            "participants__agency",
            "actions__owner_agency",
            "actions__owner_user",
            "actions__closed_by",
        )
        .hiding_sealed_from(viewer)
        .get(pk=conversation_id)
    )
    if not viewer.has_perm(VIEW_CONVERSATION, conversation):
        raise Conversation.DoesNotExist
    children = list(conversation.children.all())
    may_see = people_visible_among(viewer, {p.pk for p in children})
    current = _current(conversation)
    answers = _answers_to_current(conversation)
    participants = [
        ParticipantRow(
            p,
            answers[p.user_id].answer if p.user_id in answers else "",
            answers[p.user_id].comment if p.user_id in answers else "",
        )
        for p in conversation.participants.all()
    ]
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_CONVERSATION,
        object_type="conversation",
        object_id=conversation.pk,
        detail={"version": current.number},
    )
    return ConversationDetail(
        conversation=conversation,
        children=[p for p in children if p.pk in may_see],
        current=current,
        versions=[
            VersionRow(v, list(v.acknowledgements.all()), v.number == current.number)
            for v in sorted(conversation.versions.all(), key=lambda v: -v.number)
        ],
        participants=participants,
        actions=[
            ActionRow(a, _is_overdue(a, today), viewer.has_perm(CLOSE_ACTION, a))
            for a in conversation.actions.all()
        ],
        acknowledgement_due_on=acknowledgement_due_on(
            timezone.localdate(conversation.circulated_at)
        ),
        may_amend=viewer.has_perm(AMEND_CONVERSATION, conversation),
        may_answer=viewer.has_perm(ACKNOWLEDGE_CONVERSATION, conversation)
        and viewer.pk not in answers,
    )


# ---------------------------------------------------------------------------
# Worklists


@dataclass(frozen=True)
class ConversationRow:
    """A record on a worklist: when its current version was due to be acknowledged, and
    whether it is overdue; ``disputes`` are the comments of those who disputed it."""

    conversation: Conversation
    due_on: dt.date
    overdue: bool
    disputes: list[Acknowledgement] = field(default_factory=list)
    awaiting: int = 0
    children: list[Person] = field(default_factory=list)  # those the viewer may see


@dataclass(frozen=True)
class Worklist:
    to_acknowledge: list[ConversationRow]
    disputed: list[ConversationRow]
    overdue_actions: list[Action]

    @property
    def empty(self) -> bool:
        return not (self.to_acknowledge or self.disputed or self.overdue_actions)


def _rows(
    conversations: Iterable[Conversation], today: dt.date, viewer: User
) -> list[ConversationRow]:
    """Conversations fetched ``_with_rows`` as rows naming only the children the viewer may
    see (one query for them all)."""
    fetched = list(conversations)
    may_see = people_visible_among(viewer, {p.pk for c in fetched for p in c.children.all()})
    return [
        _row(c, today, children=[p for p in c.children.all() if p.pk in may_see]) for c in fetched
    ]


def _row(conversation: Conversation, today: dt.date, *, children: list[Person]) -> ConversationRow:
    answers = _answers_to_current(conversation)
    due_on = acknowledgement_due_on(timezone.localdate(conversation.circulated_at))
    awaiting = sum(
        1 for p in conversation.participants.all() if p.user_id and p.user_id not in answers
    )
    return ConversationRow(
        conversation,
        due_on,
        overdue=awaiting > 0 and due_on < today,
        disputes=[a for a in answers.values() if a.answer == Answer.DISPUTED],
        awaiting=awaiting,
        children=children,
    )


def _with_rows() -> list[str]:
    return ["children", "versions__acknowledgements__user__agency", "participants"]


def conversation_worklist(*, viewer: User, today: dt.date | None = None) -> Worklist:
    """What waits for the viewer: records they still have to acknowledge (overdue after the set
    working days), disputed records they recorded or took part in, and open actions owned by
    their agency that are past their due date. The read is audited."""
    today = today or timezone.localdate()
    if not viewer.is_active or viewer.agency_id is None:
        return Worklist([], [], [])
    mine = (
        Conversation.objects.filter(participants__user=viewer)
        .hiding_sealed_from(viewer)
        .select_related("recording_agency")
        .prefetch_related(*_with_rows())
        .distinct()
    )
    to_acknowledge = [row for row in _rows(mine, today, viewer) if viewer.pk not in _answered(row)]
    involved = Conversation.objects.filter(
        Q(recorded_by=viewer) | Q(participants__user=viewer)
    ).values("pk")
    disputed = [
        row
        for row in _rows(
            Conversation.objects.filter(pk__in=involved)
            .hiding_sealed_from(viewer)
            .select_related("recording_agency")
            .prefetch_related(*_with_rows()),
            today,
            viewer,
        )
        if row.disputes
    ]
    overdue_actions = list(
        Action.objects.filter(
            owner_agency_id=viewer.agency_id, state=Action.State.OPEN, due_on__lt=today
        )
        .filter(conversation__in=Conversation.objects.hiding_sealed_from(viewer).values("pk"))
        .select_related("conversation", "owner_user")
    )
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_CONVERSATION,
        object_type="conversation_worklist",
        object_id=viewer.pk,
        detail={
            "conversations": sorted({r.conversation.pk for r in to_acknowledge + disputed}),
            "actions": [a.pk for a in overdue_actions],
        },
    )
    return Worklist(sorted(to_acknowledge, key=lambda r: r.due_on), disputed, overdue_actions)


def _answered(row: ConversationRow) -> set[int]:
    return set(_answers_to_current(row.conversation))


@dataclass(frozen=True)
class FamilyConversations:
    unacknowledged: list[ConversationRow]
    disputed: list[ConversationRow]
    overdue_actions: list[Action]

    @property
    def empty(self) -> bool:
        return not (self.unacknowledged or self.disputed or self.overdue_actions)


def family_conversations(
    *, household: Household, viewer: User, today: dt.date | None = None
) -> FamilyConversations:
    """For the family page: the household's records the viewer may read that some participant
    has not yet acknowledged, those disputed, and their overdue actions. (The family page's
    own read of the household is the audited one.)"""
    today = today or timezone.localdate()
    conversations = (
        Conversation.objects.visible_to(viewer)
        .hiding_sealed_from(viewer)
        .filter(household=household)
        .select_related("recording_agency")
        .prefetch_related(*_with_rows())
    )
    rows = _rows(conversations, today, viewer)
    return FamilyConversations(
        unacknowledged=[r for r in rows if r.awaiting],
        disputed=[r for r in rows if r.disputes],
        overdue_actions=list(
            Action.objects.filter(
                conversation__in=conversations.values("pk"),
                state=Action.State.OPEN,
                due_on__lt=today,
            ).select_related("owner_agency", "conversation")
        ),
    )


# ---------------------------------------------------------------------------
# Compliance


@dataclass
class ComplianceRow:
    """One recording agency in one month (of the conversation being held).

    ``with_status_and_outcome``: records with a status and at least one
    outcome (of ``recorded``). ``acknowledged_in_time``: records whose
    current version every participant with an account acknowledged (none
    disputing) within the set working days of its circulation, of
    ``circulated`` (records with at least one such participant).
    ``actions_on_time``: actions done on or before their due date, of
    ``actions_due`` (actions not cancelled).
    """

    agency: str
    month: dt.date
    recorded: int = 0
    with_status_and_outcome: int = 0
    circulated: int = 0
    acknowledged_in_time: int = 0
    actions_due: int = 0
    actions_on_time: int = 0


def acknowledged_by_all_in_time(conversation: Conversation) -> bool:
    """Whether every participant with an account acknowledged the current version as accurate
    (none disputing) on or before its due day, the set working days after circulation.

    Reads the conversation's prefetched ``versions__acknowledgements`` and ``participants``.
    Shared with the learning indicators, so both count "acknowledged by all" the same way.
    """
    current = _current(conversation)
    due_on = acknowledgement_due_on(timezone.localdate(conversation.circulated_at))
    answers = {a.user_id: a for a in current.acknowledgements.all()}
    return all(
        p.user_id in answers
        and answers[p.user_id].answer == Answer.ACKNOWLEDGED
        and timezone.localdate(answers[p.user_id].at) <= due_on
        for p in conversation.participants.all()
        if p.user_id
    )


def conversation_compliance(*, viewer: User) -> list[ComplianceRow]:
    """The partnership's view of how well conversations are recorded, by agency and month.

    Refused (``PermissionDenied``) to anyone but partnership managers; audited.
    """
    if not viewer.has_perm(VIEW_CONVERSATION_COMPLIANCE):
        raise PermissionDenied("Only partnership managers may see conversation compliance.")
    rows: dict[tuple[str, dt.date], ComplianceRow] = {}
    counts: defaultdict[str, int] = defaultdict(int)
    conversations = Conversation.objects.select_related("recording_agency").prefetch_related(
        "versions__acknowledgements", "participants", "actions"
    )
    for conversation in conversations:
        month = timezone.localdate(conversation.held_at).replace(day=1)
        key = (conversation.recording_agency.name, month)
        row = rows.setdefault(key, ComplianceRow(key[0], month))
        current = _current(conversation)
        row.recorded += 1
        row.with_status_and_outcome += bool(current.status and current.outcomes)
        if any(p.user_id for p in conversation.participants.all()):
            row.circulated += 1
            row.acknowledged_in_time += acknowledged_by_all_in_time(conversation)
        for action in conversation.actions.all():
            if action.state == Action.State.CANCELLED:
                continue
            row.actions_due += 1
            row.actions_on_time += bool(
                action.state == Action.State.DONE
                and action.closed_at is not None
                and timezone.localdate(action.closed_at) <= action.due_on
            )
        counts[key[0]] += 1
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_CONVERSATION,
        object_type="conversation_compliance",
        detail={"agencies": dict(counts)},
    )
    return sorted(rows.values(), key=lambda r: (r.month, r.agency), reverse=False)


# ---------------------------------------------------------------------------
# Where recording begins


def conversation_start(
    *, viewer: User, household_id: int | None = None, person_id: int | None = None
) -> FamilyStart:
    """The children a new conversation record lists, ticked, to begin with: as a referral
    begins, so brothers and sisters are considered too (``families.family_start``)."""
    return family_start(
        viewer=viewer,
        purpose="recording a conversation",
        household_id=household_id,
        person_id=person_id,
    )
