"""Merges touching the same person at the same moment, and concerns recorded while they run.

Ben Carter is known three times over: as himself (health visiting and the
GP), as "Benjamin" (a police record) and as "Benny" (a children's social care
record), each a person of their own living at 12 Acacia Road. Two managers
confirm the pairs Ben+Benjamin and Benjamin+Benny at once; or the same pair
twice; or a practitioner records a concern about Ava (whose brother is being
merged) or about Benjamin himself while the merge runs. Each piece of work
is on its own thread and connection, released together by a barrier.

Whatever the order, afterwards: every agency record belongs to exactly one
living person, nobody is lost or duplicated, every event and prompt is
still there (on a living person), each concern prompted each child once, a
loser is refused with a sentence (never an IntegrityError), the audit trail
chains, and every merge that happened can be undone, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from thinkfamily.accounts.models import User
from thinkfamily.audit.services import audit_chain_verify
from thinkfamily.core.tests.concurrently import at_once
from thinkfamily.events.models import Event
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.services import candidate_confirm, merge_undo, people_merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person
from thinkfamily.people.tests.factories import make_event, make_person_with_record, make_user
from thinkfamily.prompts.models import Prompt, PromptTrigger
from thinkfamily.prompts.tests.family import Family, carter_family, concern_about

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class ThreeBens:
    family: Family
    benjamin: Person
    benny: Person
    ben_and_benjamin: CandidatePair
    benjamin_and_benny: CandidatePair
    manager: User
    other_manager: User


def three_bens() -> ThreeBens:
    family = carter_family()
    ben = family.ben
    others = []
    for agency, given in ((family.police, "Benjamin"), (family.csc, "Benny")):
        person = make_person_with_record(agency, given, "Carter", ben.date_of_birth, sex="M")
        HouseholdMembership.objects.create(
            household=family.home, person=person, role=HouseholdMembership.Role.CHILD,
            reported_by=agency,
        )  # fmt: skip
        make_event(person, agency, summary=f"Seen as {given}.")
        others.append(person)
    benjamin, benny = others
    gp_record = ben.records.get(agency=family.gp)
    return ThreeBens(
        family=family,
        benjamin=benjamin,
        benny=benny,
        ben_and_benjamin=make_candidate(gp_record, benjamin.records.get()),
        benjamin_and_benny=make_candidate(benjamin.records.get(), benny.records.get()),
        manager=make_user(family.csc, User.Role.CSC_MANAGER),
        other_manager=make_user(family.csc, User.Role.CSC_MANAGER),
    )


@dataclass(frozen=True)
class Everything:
    records: dict[int, int]
    events: dict[int, int]
    prompts: dict[int, int]
    people: int


def everything() -> Everything:
    return Everything(
        records=dict(AgencyRecord.objects.values_list("pk", "person_id")),
        events=dict(Event.objects.values_list("pk", "person_id")),
        prompts=dict(Prompt.objects.values_list("pk", "person_id")),
        people=Person.objects.count(),
    )


def assert_sound(before: Everything, *, merges: int) -> Everything:
    """Nothing lost or duplicated; every row on a living person; ``merges`` people fewer."""
    after = everything()
    living = set(Person.objects.values_list("pk", flat=True))
    assert after.records.keys() == before.records.keys()
    assert set(after.records.values()) <= living
    assert before.events.keys() <= after.events.keys()
    assert set(after.events.values()) <= living
    assert before.prompts.keys() <= after.prompts.keys()
    assert set(after.prompts.values()) <= living
    assert after.people == before.people - merges
    assert Merge.objects.filter(undone_at__isnull=True).count() == merges
    # One child, one open prompt per episode; each concern reaches each child once (a merged
    # child keeps the prompts of both halves apart, under the absorbed half's own key, so
    # that an undo can give them back).
    keys = list(Prompt.objects.open().values_list("person_id", "kind", "episode_key"))
    assert len(keys) == len(set(keys))
    reached = list(
        PromptTrigger.objects.exclude(prompt__episode_key__contains="|merged:").values_list(
            "prompt__person_id", "event_id"
        )
    )
    assert len(reached) == len(set(reached))
    assert audit_chain_verify().intact
    return after


def undo_all(manager: User) -> None:
    for merge in Merge.objects.filter(undone_at__isnull=True).order_by("-pk"):
        merge_undo(merge=merge, by=manager, reason="Test: undone after the race")


@pytest.mark.parametrize("attempt", range(3))
def test_two_pairs_sharing_a_person_confirmed_at_once_merge_cleanly_and_undo(attempt):
    bens = three_bens()
    before = everything()

    outcomes = at_once(
        lambda: candidate_confirm(candidate=bens.ben_and_benjamin, by=bens.manager),
        lambda: candidate_confirm(candidate=bens.benjamin_and_benny, by=bens.other_manager),
    )  # fmt: skip

    assert not any(o.startswith("crashed") for o in outcomes), outcomes
    assert "done" in outcomes, outcomes
    merged = outcomes.count("done")
    if merged == 1:  # the other found Benjamin already merged, and was told so
        refusal = next(o for o in outcomes if o != "done")
        assert "no longer exists" in refusal or "already one person" in refusal, refusal
    after = assert_sound(before, merges=merged)
    # The records of the pairs that were confirmed are one person.
    for candidate in CandidatePair.objects.filter(status=CandidatePair.Status.CONFIRMED):
        assert after.records[candidate.record_id] == after.records[candidate.other_record_id]
    assert CandidatePair.objects.filter(status=CandidatePair.Status.CONFIRMED).count() == merged

    undo_all(bens.manager)
    assert everything() == before


@pytest.mark.parametrize("attempt", range(2))
def test_the_same_pair_confirmed_twice_at_once_merges_once(attempt):
    bens = three_bens()
    before = everything()

    outcomes = at_once(
        lambda: candidate_confirm(candidate=bens.ben_and_benjamin, by=bens.manager),
        lambda: candidate_confirm(candidate=bens.ben_and_benjamin, by=bens.other_manager),
    )  # fmt: skip

    assert sorted(outcomes) == [
        "This pair has already been decided (the same person).",
        "done",
    ], outcomes
    assert_sound(before, merges=1)
    undo_all(bens.manager)
    assert everything() == before


@pytest.mark.parametrize("attempt", range(2))
def test_the_same_two_people_merged_twice_at_once_merge_once(attempt):
    bens = three_bens()
    before = everything()
    ben = bens.family.ben

    def merge() -> Merge:
        return people_merge(survivor=ben, absorbed=bens.benjamin, rule=Merge.Rule.MANUAL)

    outcomes = at_once(merge, merge)

    assert sorted(outcomes) == [
        "One of the two people no longer exists: it may have been merged.",
        "done",
    ], outcomes
    assert_sound(before, merges=1)
    undo_all(bens.manager)
    assert everything() == before


@pytest.mark.parametrize("attempt", range(3))
def test_concerns_recorded_while_a_brother_is_merged_prompt_the_merged_child_once(attempt):
    """A concern about Ava and one about Gus while Benjamin is merged into Ben.

    Ben, Benjamin and Benny all live at 12 Acacia Road with Ava and with Finn,
    Gus's father; whichever comes first, afterwards each concern has prompted each living
    child once, and the merge can still be undone.
    """
    bens = three_bens()
    family = bens.family
    before = everything()

    outcomes = at_once(
        lambda: candidate_confirm(candidate=bens.ben_and_benjamin, by=bens.manager),
        concern_about(family.ava, make_user(family.school)),
        concern_about(family.gus, make_user(family.police)),
    )  # fmt: skip

    assert outcomes == ["done", "done", "done"], outcomes
    assert_sound(before, merges=1)
    ava_concern = Event.objects.get(event_type="concern", person=family.ava)
    prompted = PromptTrigger.objects.filter(event=ava_concern)
    assert set(prompted.values_list("prompt__person_id", flat=True)) == {
        family.ben.pk, bens.benny.pk, family.unborn.pk, family.eve.pk, family.gus.pk,
        family.mia.pk,
    }  # fmt: skip
    undo_all(bens.manager)
    assert not Person.objects.exclude(pk__in=before.records.values()).exists()


@pytest.mark.parametrize("attempt", range(3))
def test_a_concern_about_a_person_being_merged_away_is_kept_or_refused_cleanly(attempt):
    bens = three_bens()
    family = bens.family
    before = everything()
    police_officer = make_user(family.police)

    outcomes = at_once(
        lambda: candidate_confirm(candidate=bens.ben_and_benjamin, by=bens.manager),
        concern_about(bens.benjamin, police_officer),
    )  # fmt: skip

    assert outcomes[0] == "done", outcomes
    assert not outcomes[1].startswith("crashed"), outcomes
    assert_sound(before, merges=1)
    concerns = Event.objects.filter(event_type="concern")
    if outcomes[1] == "done":  # recorded first, then moved to Ben with his other events
        assert list(concerns.values_list("person_id", flat=True)) == [family.ben.pk]
        assert PromptTrigger.objects.filter(event__in=concerns).exists()
    else:
        assert not concerns.exists()
    undo_all(bens.manager)
