"""Two concerns about two siblings recorded at the same moment raise the right prompts, once.

Each concern is recorded on its own thread with its own database connection,
released together by a barrier. On PostgreSQL the raisers meet at the row
locks on the children (``prompts.services._lock_people``); on SQLite the
IMMEDIATE transaction makes the second writer wait for the first. Either way
the third child gets one prompt carrying both concerns, and each of the two
children of concern is prompted about the other.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.core.tests.concurrently import at_once
from thinkfamily.events.models import Event
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt, PromptTrigger
from thinkfamily.prompts.tests.family import carter_family, concern_about

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_two_concerns_at_once_on_two_siblings_prompt_each_child_once(attempt):
    family = carter_family()
    school = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    health_visitor = make_user(family.hv)

    outcomes = at_once(concern_about(family.ava, school), concern_about(family.ben, health_visitor))

    assert outcomes == ["done", "done"]
    assert Event.objects.filter(event_type="concern").count() == 2
    # The unborn baby lives with both: one prompt, raised by both concerns.
    baby = Prompt.objects.get(person=family.unborn)
    assert set(PromptTrigger.objects.filter(prompt=baby).values_list("event__person__given_name",
               flat=True)) == {"Ava", "Ben"}  # fmt: skip
    # Ava and Ben are each prompted about the other, once.
    assert Prompt.objects.get(person=family.ava).concern.person == family.ben
    assert Prompt.objects.get(person=family.ben).concern.person == family.ava
    # Eve, Gus and Mia are connected to Ava only.
    for child in (family.eve, family.gus, family.mia):
        assert Prompt.objects.filter(person=child).count() == 1
    assert Prompt.objects.filter(status="open").count() == 6


def test_the_same_concern_arriving_twice_at_once_is_stored_and_prompts_once():
    """Two imports of one agency event id at the same moment: one wins, the other is refused
    by the unique agency event id, and the siblings are prompted once."""
    from django.db import IntegrityError, transaction

    from thinkfamily.prompts.services import sibling_prompts_raise

    family = carter_family()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def import_once():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                event = Event.objects.create(
                    person=family.ava, agency=family.school, event_type="concern",
                    occurred_at=timezone.now(), category="neglect", summary="Hungry.",
                    external_id="SCH-EV-42",
                )  # fmt: skip
                event = Event.objects.select_related("person", "agency").get(pk=event.pk)
                sibling_prompts_raise(concerns=[event])
            outcomes.append("stored")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=import_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused", "stored"]
    assert Event.objects.filter(external_id="SCH-EV-42").count() == 1
    assert Prompt.objects.count() == 5
