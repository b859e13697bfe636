"""Many practitioners at once on one family; two people answering one prompt at once.

Each piece of work runs on its own thread with its own database connection,
all released together by a barrier, and each scenario is repeated so a race
has a chance to show. On PostgreSQL the writers meet first at the audit
trail's lock (``audit_chain_hold``, taken before any child or prompt), then
at the row locks on the children (``prompts.services._lock_people``) or the
prompt (``prompt_answer``); on SQLite the IMMEDIATE transaction makes each
writer wait for the one before. Either way the outcome must be
one a sequential run could have produced.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_chain_verify
from thinkfamily.core.tests.concurrently import at_once
from thinkfamily.events.models import Event
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt, PromptTrigger
from thinkfamily.prompts.services import prompt_answer
from thinkfamily.prompts.tests.family import Family, carter_family, concern_about

pytestmark = pytest.mark.django_db(transaction=True)


def eight_concerns(family: Family) -> list[tuple[Person, User]]:
    """Eight practitioners, each recording a concern about a child their agency knows.

    Six different children; Ava and Ben each have two concerns from two agencies.
    """
    return [
        (family.ava, make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)),
        (family.ava, make_user(family.gp)),
        (family.ben, make_user(family.hv)),
        (family.ben, make_user(family.gp)),
        (family.unborn, make_user(family.midwifery)),
        (family.eve, make_user(family.school)),
        (family.gus, make_user(family.police)),
        (family.mia, make_user(family.school)),
    ]


def prompts_of(family: Family) -> set[tuple[object, ...]]:
    """The family's prompts in names, not keys, so two families' prompts can be compared.

    Each prompt as: the child, its kind, the home of its episode, the
    concerns that raised it (child and agency), and the agencies it went to.
    Which concern came first (and so is named in its reason) is left out: a
    concurrent run may rightly store them in any order.
    """
    people = {
        getattr(family, name).pk: name
        for name in ("jade", "finn", "leon", "ava", "ben", "unborn", "eve", "gus", "mia")
    }
    prompts = Prompt.objects.filter(person_id__in=people).prefetch_related(
        "triggers__event__agency", "recipients__agency", "household"
    )
    return {
        (
            people[prompt.person_id],
            prompt.kind,
            prompt.status,
            prompt.household.address if prompt.household else prompt.episode_key.split(":")[0],
            frozenset(
                (people[t.event.person_id], t.event.agency.code) for t in prompt.triggers.all()
            ),
            frozenset(r.agency.code for r in prompt.recipients.all()),
        )
        for prompt in prompts
    }


@pytest.mark.parametrize("attempt", range(3))
def test_eight_practitioners_recording_at_once_raise_exactly_the_prompts_one_at_a_time_would(
    attempt,
):
    # The same eight concerns recorded one after another, in a family of its own.
    alone = carter_family()
    for person, user in eight_concerns(alone):
        concern_about(person, user)()
    expected = prompts_of(alone)
    family = carter_family()
    recordings = eight_concerns(family)
    concerns_before = Event.objects.count()

    outcomes = at_once(*[concern_about(person, user) for person, user in recordings])

    assert outcomes == ["done"] * 8
    assert Event.objects.count() - concerns_before == 8
    assert prompts_of(family) == expected
    # One open prompt per child and household episode; each concern reaches each child once.
    family_prompts = Prompt.objects.filter(person__in=[p for p, _ in recordings])
    keys = list(family_prompts.values_list("person_id", "kind", "episode_key"))
    assert len(keys) == len(set(keys))
    reached = list(
        PromptTrigger.objects.filter(prompt__in=family_prompts).values_list(
            "prompt__person_id", "event_id"
        )
    )
    assert len(reached) == len(set(reached))
    # Every concern has its audit entry, and the trail still chains.
    audited = AuditEvent.objects.filter(action=AuditEvent.Action.RECORD_CONCERN)
    assert audited.count() == 16
    assert audit_chain_verify().intact


def a_sibling_prompt_for_two_agencies(family: Family) -> Prompt:
    """The school's concern about Ava prompts Ben: his health visitor and GP both receive it."""
    concern_about(family.ava, make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD))()
    prompt = Prompt.objects.get(person=family.ben)
    assert {family.hv.pk, family.gp.pk} <= set(
        prompt.recipients.values_list("agency_id", flat=True)
    )
    return prompt


def answers_of(prompt: Prompt) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.ANSWER_PROMPT, object_id=str(prompt.pk)
    ).count()


@pytest.mark.parametrize("attempt", range(3))
def test_two_agencies_answering_one_prompt_at_once_one_wins_and_the_other_is_told(attempt):
    family = carter_family()
    prompt = a_sibling_prompt_for_two_agencies(family)
    health_visitor, gp = make_user(family.hv), make_user(family.gp)
    answers = {
        health_visitor.pk: (Prompt.Response.NO_CONCERN, "Seen at home; well cared for."),
        gp.pk: (Prompt.Response.ACTION_TAKEN, "Booked a review."),
    }

    def answer(user: User) -> Callable[[], object]:
        response, note = answers[user.pk]
        return lambda: prompt_answer(
            prompt=prompt, by=user, response=response, note=note, action_taken=note
        )

    outcomes = at_once(answer(health_visitor), answer(gp))

    assert outcomes.count("done") == 1, outcomes
    refusal = next(o for o in outcomes if o != "done")
    assert refusal.startswith("This prompt was already answered by"), refusal
    stored = Prompt.objects.get(pk=prompt.pk)
    assert stored.status == Prompt.Status.ANSWERED
    assert (stored.response, stored.note) == answers[stored.answered_by_id]
    assert stored.answered_for_id == stored.answered_by.agency_id
    assert answers_of(prompt) == 1
    assert audit_chain_verify().intact


@pytest.mark.parametrize("attempt", range(2))
def test_two_agencies_answering_one_prompt_at_once_on_the_web_one_is_shown_the_refusal(attempt):
    family = carter_family()
    prompt = a_sibling_prompt_for_two_agencies(family)
    health_visitor, gp = make_user(family.hv), make_user(family.gp)
    statuses: dict[int, tuple[int, str]] = {}

    def answer_on_the_web(user: User) -> Callable[[], object]:
        client = Client()
        client.force_login(user)

        def post() -> None:
            response = client.post(
                f"/prompts/{prompt.pk}/",
                {"response": Prompt.Response.NO_CONCERN, "note": f"Checked by {user.agency}."},
            )
            statuses[user.pk] = (response.status_code, response.content.decode())

        return post

    outcomes = at_once(answer_on_the_web(health_visitor), answer_on_the_web(gp))

    assert outcomes == ["done", "done"]
    codes = sorted(code for code, _ in statuses.values())
    assert codes == [302, 400], codes  # one answered and sent on; the other shown the page again
    loser = next(page for code, page in statuses.values() if code == 400)
    assert "This prompt was already answered by" in loser
    assert answers_of(prompt) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_a_prompt_answered_while_a_new_concern_reaches_it_both_complete(attempt):
    """The health visitor answers Ben's prompt as the GP records a second concern about Ava.

    Either the concern joins the open prompt before it is answered, or it finds
    the prompt answered and raises a new one: both are stored either way.
    """
    family = carter_family()
    prompt = a_sibling_prompt_for_two_agencies(family)
    health_visitor, gp = make_user(family.hv), make_user(family.gp)

    outcomes = at_once(
        lambda: prompt_answer(
            prompt=prompt, by=health_visitor, response=Prompt.Response.NO_CONCERN,
            note="Seen at home; well cared for.",
        ),
        concern_about(family.ava, gp),
    )  # fmt: skip

    assert outcomes == ["done", "done"], outcomes
    assert Prompt.objects.get(pk=prompt.pk).status == Prompt.Status.ANSWERED
    assert answers_of(prompt) == 1
    second = Event.objects.filter(event_type="concern").latest("pk")
    assert PromptTrigger.objects.filter(event=second, prompt__person=family.ben).count() == 1
    keys = list(Prompt.objects.open().values_list("person_id", "kind", "episode_key"))
    assert len(keys) == len(set(keys))
    assert audit_chain_verify().intact
