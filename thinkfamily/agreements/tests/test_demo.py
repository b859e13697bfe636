"""The demo's verbal agreement: recorded once by the health visitor, its review overdue."""

import pytest

from thinkfamily.agreements.demo import demo_agreement_overdue
from thinkfamily.agreements.selectors import agreement_register
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db


def test_the_demo_agreement_is_overdue_on_the_health_visitor_s_register_and_made_once():
    family = carter_family()
    demo = DemoFamily(pupil=family.ava, sibling=family.ben, school=family.school,
                      health_visiting=family.hv, gp=family.gp)  # fmt: skip
    assert demo_agreement_overdue(family=demo) is None  # no "hv" login yet
    hv = make_user(family.hv, username="hv")
    agreement = demo_agreement_overdue(family=demo)
    assert agreement is not None and demo_agreement_overdue(family=demo) == agreement
    assert [row.agreement for row in agreement_register(viewer=hv).overdue] == [agreement]
    assert list(agreement.children.all()) == [family.ben]
