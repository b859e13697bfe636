"""Conversations for tests: the school's "What If" discussion about Ava and Ben Carter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.conversations.models import Conversation
from thinkfamily.conversations.services import ActionToTake, Taking, conversation_record
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import Family

OUTCOMES = [
    "School will offer Ava a place at breakfast club every day.",
    "The health visitor will weigh Ben at home this week.",
]


@dataclass
class Team:
    """The professionals around the Carter children: the school's safeguarding lead records."""

    dsl: User
    gp: User
    hv: User


def team(family: Family) -> Team:
    return Team(
        dsl=make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD),
        gp=make_user(family.gp),
        hv=make_user(family.hv),
    )


def what_if(family: Family, people: Team, **changes: object) -> Conversation:
    """The school DSL records a "What If" discussion with the GP and health visitor."""
    arguments: dict[str, object] = {
        "by": people.dsl,
        "kind": Conversation.Kind.WHAT_IF,
        "held_at": timezone.now() - dt.timedelta(hours=2),
        "children": [family.ava, family.ben],
        "status": "advice_given",
        "outcomes": OUTCOMES,
        "participants": [Taking(user_id=people.gp.pk), Taking(user_id=people.hv.pk)],
        "actions": [
            ActionToTake(
                "Weigh Ben at home.", family.hv, timezone.localdate() + dt.timedelta(days=5)
            )
        ],
        "household": family.home,
    }
    arguments |= changes
    return conversation_record(**arguments)  # type: ignore[arg-type]
