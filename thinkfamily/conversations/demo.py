"""The professional conversation in the demo: a "What If" discussion waiting for answers.

``demo_what_if`` is for ``thinkfamily demo_setup`` to call once the demo
logins exist (``core.demo``): the school's safeguarding lead ("dsl") records
a "What If" discussion about the pupil and their preschool sibling with the
GP ("gp") and the health visitor ("hv"). Signed in as gp, acknowledge it from
Conversations; as hv, dispute it; as dsl, amend it (version 2); then both
acknowledge it again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.conversations.models import Conversation
from thinkfamily.conversations.services import ActionToTake, Taking, conversation_record
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.models import HouseholdMembership

DEMO_OUTCOMES = [
    "School will offer the pupil a place at breakfast club every day.",
    "The health visitor will weigh the younger child at home this week.",
]


@transaction.atomic
def demo_what_if(*, family: DemoFamily) -> Conversation | None:
    """The demo's "What If" discussion, recorded once by "dsl" with "gp" and "hv"; None when
    the demo lacks one of those logins."""
    existing = Conversation.objects.filter(versions__outcomes=DEMO_OUTCOMES).first()
    if existing is not None:
        return existing
    logins = {u.username: u for u in User.objects.filter(username__in=["dsl", "gp", "hv"])}
    if len(logins) < 3:
        return None
    home = (
        HouseholdMembership.objects.filter(person=family.pupil, end_date__isnull=True)
        .order_by("household_id")
        .select_related("household")
        .first()
    )
    return conversation_record(
        by=logins["dsl"],
        kind=Conversation.Kind.WHAT_IF,
        held_at=timezone.now() - dt.timedelta(hours=1),
        children=[family.pupil, family.sibling],
        status="advice_given",
        outcomes=DEMO_OUTCOMES,
        participants=[Taking(user_id=logins["gp"].pk), Taking(user_id=logins["hv"].pk)],
        actions=[
            ActionToTake(
                "Weigh the younger child at home.",
                family.health_visiting,
                timezone.localdate() + dt.timedelta(days=7),
            )
        ],
        household=home.household if home else None,
    )
