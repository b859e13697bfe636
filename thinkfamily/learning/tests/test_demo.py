"""The demo's register: built through the services, showing each part of the learning loop."""

from __future__ import annotations

import pytest

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.demo import DEMO_REFERENCE, demo_learning
from thinkfamily.learning.models import CaseReview, PlanAction
from thinkfamily.learning.selectors import overdue_lists, register_rows
from thinkfamily.learning.tests.helpers import REFERENCE_REVIEW
from thinkfamily.learning.timescales import TimescaleState
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db


def test_the_demo_register_shows_every_part_of_the_learning_loop(tmp_path):
    csc = make_agency("CSC", Agency.AgencyType.CSC, "Children's social care")
    make_agency("SCH-1", Agency.AgencyType.SCHOOL, "Oak School")
    make_agency("HV-1", Agency.AgencyType.HEALTH_VISITING, "Health visiting")
    make_user(csc, User.Role.PARTNERSHIP_MANAGER, username="partnership")
    panel = make_user(csc, User.Role.REVIEWER, username="panel")

    demo = demo_learning(family=None, reference_review=REFERENCE_REVIEW)

    assert demo is not None
    review = demo.review
    assert review.reference == DEMO_REFERENCE and review.is_published
    assert review.status == CaseReview.Status.OPEN
    assert review.recommendations.count() == 6
    assert review.recommendations.filter(is_published=True).count() == 6
    assert review.items.filter(kind="lesson", is_published=True).count() == 8
    assert review.recommendations.get(number=6).indicators.count() == 2
    assert demo.briefing.sessions.count() == 2
    assert PlanAction.objects.filter(rag="complete").count() == 1
    lists = overdue_lists(viewer=panel)
    assert len(lists.actions) == 1  # health visiting's caseload review, past its date
    assert len(lists.checks) == 1  # the verbal agreement guidance, checked partly, due again
    (notification,) = [row for row in register_rows() if row.review == demo.notification]
    assert notification.timescales[0].state is TimescaleState.OVERDUE

    again = demo_learning(family=None, reference_review=REFERENCE_REVIEW)
    assert again is not None and again.review == review
    assert CaseReview.objects.count() == 2  # no rapid review without a demo family


def test_without_the_reference_review_the_demo_register_is_empty(tmp_path):
    csc = make_agency("CSC", Agency.AgencyType.CSC, "Children's social care")
    make_user(csc, User.Role.PARTNERSHIP_MANAGER, username="partnership")
    assert demo_learning(family=None, reference_review=tmp_path / "missing.txt") is None
    assert not CaseReview.objects.exists()
