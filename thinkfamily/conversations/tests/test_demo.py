"""The demo's "What If" discussion: recorded once by the school, waiting for the GP and HV."""

import pytest

from thinkfamily.accounts.models import User
from thinkfamily.conversations.demo import demo_what_if
from thinkfamily.conversations.selectors import conversation_worklist
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db


def test_the_demo_what_if_discussion_waits_for_the_gp_and_health_visitor_and_is_made_once():
    family = carter_family()
    demo = DemoFamily(pupil=family.ava, sibling=family.ben, school=family.school,
                      health_visiting=family.hv, gp=family.gp)  # fmt: skip
    assert demo_what_if(family=demo) is None  # no demo logins yet
    make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD, username="dsl")
    gp = make_user(family.gp, username="gp")
    hv = make_user(family.hv, username="hv")
    conversation = demo_what_if(family=demo)
    assert conversation is not None and demo_what_if(family=demo) == conversation
    for who in (gp, hv):
        assert [r.conversation for r in conversation_worklist(viewer=who).to_acknowledge] == [
            conversation
        ]
    assert set(conversation.children.all()) == {family.ava, family.ben}
