"""Two social workers acting on one referral at the same moment: exactly one succeeds.

Both opened the referral at the same version and press their buttons
together, on their own threads and database connections. The referral row
lock makes the second wait; it then finds the version moved on and is told
that someone else got there first. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from thinkfamily.core.tests.concurrently import at_once
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.services import referral_acknowledge, referral_confirm_family_awareness
from thinkfamily.referrals.tests.helpers import gp_refers, social_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_acknowledging_at_once_one_wins_and_the_other_is_told(attempt):
    family = carter_family()
    referral = gp_refers(family)
    first, second = social_worker(family), social_worker(family)

    outcomes = at_once(
        lambda: referral_acknowledge(referral=referral, by=first, version=referral.version),
        lambda: referral_acknowledge(referral=referral, by=second, version=referral.version),
    )

    assert outcomes.count("done") == 1, outcomes
    loser = next(o for o in outcomes if o != "done")
    assert loser.startswith("Someone else has updated this referral")
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.version, stored.steps.count()) == ("acknowledged", 2, 2)


def test_two_different_steps_at_once_from_the_same_page_one_wins():
    family = carter_family()
    worker = social_worker(family)
    referral = referral_acknowledge(referral=gp_refers(family), by=worker, version=1)
    outcomes = at_once(
        lambda: referral_confirm_family_awareness(
            referral=referral, by=worker, version=referral.version, family_aware=True
        ),
        lambda: referral_confirm_family_awareness(
            referral=referral,
            by=social_worker(family),
            version=referral.version,
            family_aware=False,
            telling_decision="csc_will_tell",
            telling_reason="x",
        ),
    )
    assert outcomes.count("done") == 1
    assert Referral.objects.get(pk=referral.pk).steps.count() == 3
