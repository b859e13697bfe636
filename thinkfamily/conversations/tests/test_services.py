"""Recording, amending, acknowledging and disputing conversations; closing their actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.conversations.models import (
    Acknowledgement,
    Action,
    Conversation,
    ConversationVersion,
    Participant,
)
from thinkfamily.conversations.services import (
    ActionToTake,
    Taking,
    action_cancel,
    action_complete,
    conversation_acknowledge,
    conversation_amend,
    conversation_dispute,
    is_sentence,
)
from thinkfamily.conversations.tests.helpers import OUTCOMES, Team, team, what_if
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.tests.factories import make_agency, make_user
from thinkfamily.prompts.tests.family import Family, carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def people(family: Family) -> Team:
    return team(family)


def _nothing_written() -> None:
    assert not Conversation.objects.exists()
    assert not ConversationVersion.objects.exists()
    assert not Participant.objects.exists()
    assert not Action.objects.exists()
    assert not Event.objects.filter(event_type=Event.EventType.CONVERSATION).exists()


# ---------------------------------------------------------------------------
# Recording


def test_a_what_if_discussion_is_recorded_on_each_childs_chronology_and_circulated(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)

    assert conversation.recording_agency == family.school
    assert conversation.current_version == 1
    version = conversation.versions.get()
    assert version.status == "advice_given"
    assert version.outcomes == OUTCOMES
    assert {p.user for p in conversation.participants.all()} == {people.gp, people.hv}
    events = Event.objects.filter(event_type=Event.EventType.CONVERSATION)
    assert {e.person for e in events} == {family.ava, family.ben}
    assert {e.agency for e in events} == {family.school}
    assert conversation.actions.get().owner_agency == family.hv
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.RECORD_CONVERSATION, object_id=str(conversation.pk)
    ).exists()


def test_a_participant_outside_the_system_is_named_with_their_agency(
    family: Family, people: Team
) -> None:
    conversation = what_if(
        family, people, participants=[Taking(agency=family.police, name="PC Ada Moss")]
    )
    outside = conversation.participants.get()
    assert outside.user is None
    assert str(outside) == "PC Ada Moss (County Police)"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"children": []}, "children"),
        ({"status": ""}, "status"),
        ({"status": "we_talked"}, "status"),
        ({"outcomes": ["Agreed"]}, "outcomes"),
        ({"outcomes": ["School will offer breakfast club.", "  "]}, "outcomes"),
        ({"kind": "chat"}, "kind"),
        ({"held_at": None}, "held_at"),
        ({"held_at": timezone.now() + dt.timedelta(days=2)}, "held_at"),
        ({"participants": [Taking(user_id=999_999)]}, "participants"),
        ({"participants": [Taking(agency=None, name="Someone")]}, "participants"),
    ],
)
def test_a_conversation_is_refused_naming_the_problem_and_nothing_is_written(
    family: Family, people: Team, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        what_if(family, people, **changes)
    assert field in refused.value.extra
    _nothing_written()


def test_an_action_without_an_owner_or_due_date_is_refused(family: Family, people: Team) -> None:
    with pytest.raises(ApplicationError) as refused:
        what_if(
            family,
            people,
            actions=[
                ActionToTake("Weigh Ben.", None, timezone.localdate()),
                ActionToTake("Phone mother.", family.gp, None),
            ],
        )
    assert refused.value.extra["action_1"] == "Action 1 needs the agency that owns it"
    assert refused.value.extra["action_2"] == "Action 2 needs a due date"
    _nothing_written()


def test_a_participant_with_no_agency_is_refused(family: Family, people: Team) -> None:
    admin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR)
    with pytest.raises(ApplicationError) as refused:
        what_if(family, people, participants=[Taking(user_id=admin.pk)])
    assert "works for no agency" in refused.value.extra["participants"]
    _nothing_written()


def test_a_child_the_recorder_may_not_see_is_refused(family: Family, people: Team) -> None:
    housing = make_user(make_agency("HOUSING", Agency.AgencyType.HOUSING, "County Housing"))
    with pytest.raises(ApplicationError) as refused:
        what_if(family, people, by=housing)
    assert "children" in refused.value.extra
    _nothing_written()


def test_outcomes_must_read_as_sentences() -> None:
    assert is_sentence("GP will see Ben on Friday.")
    assert not is_sentence("monitor")
    assert not is_sentence("Keep an eye")


# ---------------------------------------------------------------------------
# Acknowledging and disputing


def test_a_participant_acknowledges_once_per_version(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    with pytest.raises(ApplicationError, match="already acknowledged or disputed version 1"):
        conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    assert Acknowledgement.objects.count() == 1


def test_a_dispute_needs_a_comment(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    with pytest.raises(ApplicationError) as refused:
        conversation_dispute(conversation=conversation, by=people.hv, version=1, comment="  ")
    assert "comment" in refused.value.extra
    assert not Acknowledgement.objects.exists()
    dispute = conversation_dispute(
        conversation=conversation, by=people.hv, version=1, comment="I agreed to weigh Ben "
        "next week, not this week."
    )  # fmt: skip
    assert dispute.answer == "disputed"


def test_only_participants_with_an_account_may_acknowledge(family: Family, people: Team) -> None:
    conversation = what_if(family, people)
    stranger = make_user(family.gp)
    for who in (stranger, people.dsl):
        with pytest.raises(ApplicationError, match="Only the participants"):
            conversation_acknowledge(conversation=conversation, by=who, version=1)
    assert not Acknowledgement.objects.exists()


# ---------------------------------------------------------------------------
# Amending


def test_an_amended_record_is_a_new_version_acknowledged_again_and_the_old_stays_readable(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    conversation_acknowledge(conversation=conversation, by=people.gp, version=1)
    conversation_dispute(conversation=conversation, by=people.hv, version=1, comment="Wrong week.")
    amended = conversation_amend(
        conversation=conversation,
        by=people.dsl,
        version=1,
        status="decision_made",
        outcomes=[OUTCOMES[0], "The health visitor will weigh Ben at home next week."],
    )
    assert amended.current_version == 2
    first, second = conversation.versions.order_by("number")
    assert first.outcomes == OUTCOMES and first.status == "advice_given"
    assert second.status == "decision_made"
    assert first.acknowledgements.count() == 2
    assert not second.acknowledgements.exists()
    # Everyone answers again; an answer to the old version is refused.
    with pytest.raises(ApplicationError, match="version 2 is the one"):
        conversation_acknowledge(conversation=amended, by=people.gp, version=1)
    conversation_acknowledge(conversation=amended, by=people.gp, version=2)
    conversation_acknowledge(conversation=amended, by=people.hv, version=2)
    assert second.acknowledgements.count() == 2
    assert Event.objects.filter(event_type=Event.EventType.CONVERSATION).count() == 4


def test_a_record_may_be_amended_only_by_its_recorder_or_a_manager_of_their_agency(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    colleague = make_user(family.school)
    for who in (people.gp, colleague):
        with pytest.raises(ApplicationError, match="Only the person who recorded"):
            conversation_amend(
                conversation=conversation, by=who, version=1, status="decision_made",
                outcomes=OUTCOMES,
            )  # fmt: skip
    assert conversation.versions.count() == 1
    head = make_user(family.school, User.Role.MANAGER)
    conversation_amend(
        conversation=conversation, by=head, version=1, status="decision_made", outcomes=OUTCOMES
    )
    assert conversation.versions.count() == 2


def test_an_amendment_from_an_out_of_date_page_or_changing_nothing_is_refused(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    with pytest.raises(ApplicationError, match="Nothing has changed"):
        conversation_amend(
            conversation=conversation, by=people.dsl, version=1, status="advice_given",
            outcomes=OUTCOMES,
        )  # fmt: skip
    conversation_amend(
        conversation=conversation, by=people.dsl, version=1, status="decision_made",
        outcomes=OUTCOMES,
    )  # fmt: skip
    with pytest.raises(ApplicationError, match="Someone else amended"):
        conversation_amend(
            conversation=conversation, by=people.dsl, version=1, status="information_shared",
            outcomes=OUTCOMES,
        )  # fmt: skip
    assert conversation.versions.count() == 2


def test_an_amendment_with_a_vague_outcome_is_refused_and_writes_nothing(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    with pytest.raises(ApplicationError) as refused:
        conversation_amend(
            conversation=conversation, by=people.dsl, version=1, status="decision_made",
            outcomes=["monitor"], new_actions=[ActionToTake("Visit.", family.gp, None)],
        )  # fmt: skip
    assert set(refused.value.extra) == {"outcomes", "action_1"}
    assert conversation.versions.count() == 1
    assert conversation.actions.count() == 1


# ---------------------------------------------------------------------------
# Actions


def test_an_action_is_done_with_evidence_or_cancelled_with_a_reason(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    action = conversation.actions.get()
    with pytest.raises(ApplicationError) as refused:
        action_complete(action=action, by=people.hv, evidence="")
    assert "evidence" in refused.value.extra
    done = action_complete(action=action, by=people.hv, evidence="Ben weighed: 11.2 kg.")
    assert done.state == "done" and done.closed_by == people.hv and done.closed_at
    with pytest.raises(ApplicationError, match="already done"):
        action_cancel(action=action, by=people.hv, reason="Not needed.")

    second = Action.objects.create(
        conversation=conversation, description="Phone mother.", owner_agency=family.gp,
        due_on=timezone.localdate(),
    )  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        action_cancel(action=second, by=people.dsl, reason=" ")
    assert "cancel_reason" in refused.value.extra
    cancelled = action_cancel(action=second, by=people.dsl, reason="Mother phoned the GP first.")
    assert cancelled.state == "cancelled"


def test_an_action_is_closed_only_by_the_owner_agency_or_the_recorder(
    family: Family, people: Team
) -> None:
    action = what_if(family, people).actions.get()
    for who in (people.gp, make_user(family.school)):
        with pytest.raises(ApplicationError, match="Only staff of the agency"):
            action_complete(action=action, by=who, evidence="Done.")
    assert Action.objects.get().state == "open"


# ---------------------------------------------------------------------------
# The database refuses what the services refuse


def test_the_database_refuses_a_dispute_without_comment_and_a_second_answer(
    family: Family, people: Team
) -> None:
    version = what_if(family, people).versions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.create(
            version=version, user=people.hv, answer="disputed", comment="", at=timezone.now()
        )
    Acknowledgement.objects.create(
        version=version, user=people.gp, answer="acknowledged", at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.create(
            version=version, user=people.gp, answer="acknowledged", at=timezone.now()
        )


def test_the_database_refuses_a_vague_status_and_an_action_closed_without_evidence(
    family: Family, people: Team
) -> None:
    conversation = what_if(family, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConversationVersion.objects.create(
            conversation=conversation, number=2, status="", outcomes=[], created_by=people.dsl,
            created_at=timezone.now(),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=conversation.actions.get().pk).update(
            state="done", closed_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(conversation=conversation, name="Nobody")
