"""Merging two people, and undoing a merge so that exactly what was there is back.

Alpha Testfamily is known to her GP (with her NHS number) and, as "Alfie",
to her school under a second person; merging them makes one child with both
records. Undoing it gives back two people exactly as they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.extracts.tests.builders import valid_upn
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.records import LinkableRecord, person_values
from thinkfamily.matching.services import merge_undo, people_merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import (
    AgencyRecord,
    Household,
    HouseholdMembership,
    Person,
    Relationship,
)
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    make_agency,
    make_event,
    make_household,
    make_person_with_record,
    make_record,
    make_relationship,
    make_user,
)

pytestmark = pytest.mark.django_db

Role = HouseholdMembership.Role


def everything() -> dict[str, list[dict[str, Any]]]:
    """Every column of every row a merge could touch, to compare before and after."""
    models = (Person, AgencyRecord, Event, HouseholdMembership, Household, Relationship)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@dataclass
class Situation:
    gp: Agency
    school: Agency
    manager: User
    alpha: Person  # the GP's record, with the NHS number
    alfie: Person  # the school's record of the same child, no identifiers
    household: Household


@pytest.fixture
def situation() -> Situation:
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    alpha = make_person_with_record(
        gp, "Alpha", "Testfamily", dt.date(2016, 4, 3), nhs=NHS_NUMBERS[0], sex="F"
    )
    alfie = make_person_with_record(school, "Alfie", "Testfamily", dt.date(2016, 4, 3))
    mother = make_person_with_record(gp, "Charlie", "Testfamily", dt.date(1990, 1, 20))
    household = make_household(
        [(mother, Role.PARENT), (alpha, Role.CHILD)], reported_by=gp, postcode="ZZ9 1AA"
    )
    make_household([(alfie, Role.CHILD)], reported_by=school, postcode="ZZ9 1AA")
    make_event(alpha, gp, summary="Immunisations.")
    make_event(alfie, school, event_type=Event.EventType.CONCERN, summary="Arrived hungry.")
    return Situation(gp, school, make_user(csc, User.Role.CSC_MANAGER), alpha, alfie, household)


def test_merge_moves_records_events_and_memberships_and_deletes_the_absorbed_person(
    situation: Situation,
):
    alfie_records = list(situation.alfie.records.values_list("pk", flat=True))
    alfie_events = list(situation.alfie.events.values_list("pk", flat=True))
    alfie_memberships = list(situation.alfie.memberships.values_list("pk", flat=True))

    merge = people_merge(
        survivor=situation.alpha,
        absorbed=situation.alfie,
        rule=Merge.Rule.MANUAL,
        by=situation.manager,
    )

    assert not Person.objects.filter(pk=situation.alfie.pk).exists()
    alpha = situation.alpha
    assert set(alpha.records.values_list("agency__code", flat=True)) == {
        "GP-T00001",
        "SCH-TESTWOOD",
    }
    assert set(alfie_events) <= set(alpha.events.values_list("pk", flat=True))
    assert set(alfie_memberships) <= set(alpha.memberships.values_list("pk", flat=True))
    assert merge.absorbed_person_id == situation.alfie.pk
    assert merge.snapshot["records"] == alfie_records
    assert merge.snapshot["events"] == alfie_events
    assert merge.snapshot["memberships"] == alfie_memberships
    assert merge.snapshot["absorbed"]["given_name"] == "Alfie"


def test_merge_recomputes_the_survivor_with_the_linking_rule(situation: Situation):
    """The record with an NHS number is trusted first, whichever person survives."""
    people_merge(survivor=situation.alfie, absorbed=situation.alpha, rule=Merge.Rule.MANUAL)

    alfie = Person.objects.get(pk=situation.alfie.pk)
    assert (alfie.given_name, alfie.nhs_number) == ("Alpha", NHS_NUMBERS[0])


def test_merge_is_audited_with_both_people_the_rule_the_probability_and_the_reviewer(
    situation: Situation,
):
    merge = people_merge(
        survivor=situation.alpha,
        absorbed=situation.alfie,
        rule=Merge.Rule.MODEL,
        match_probability=0.97,
        by=situation.manager,
    )

    entry = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert entry.actor == situation.manager
    assert (entry.object_type, entry.object_id) == ("person", str(situation.alpha.pk))
    assert entry.detail["merge"] == merge.pk
    assert entry.detail["survivor"] == situation.alpha.pk
    assert entry.detail["absorbed"] == situation.alfie.pk
    assert entry.detail["rule"] == "model"
    assert entry.detail["match_probability"] == 0.97
    assert entry.detail["reviewer"] == situation.manager.username


def test_a_merge_by_linkage_is_audited_as_the_system(situation: Situation):
    people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MODEL)

    entry = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert entry.actor is None
    assert entry.actor_label == "system: linkage (model)"


def assert_refused(situation: Situation, message: str, **arguments: Any) -> None:
    before = everything()
    merges, audit = Merge.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ApplicationError, match=message):
        people_merge(**{"rule": Merge.Rule.MANUAL, "by": situation.manager, **arguments})
    assert everything() == before
    assert (Merge.objects.count(), AuditEvent.objects.count()) == (merges, audit)


def test_a_person_cannot_be_merged_with_themselves(situation: Situation):
    assert_refused(
        situation, "cannot be merged with themselves", survivor=situation.alpha,
        absorbed=Person.objects.get(pk=situation.alpha.pk),
    )  # fmt: skip


def test_two_people_with_different_nhs_numbers_are_not_merged(situation: Situation):
    other = make_person_with_record(
        situation.gp, "Alpha", "Testfamily", dt.date(2016, 4, 3), nhs=NHS_NUMBERS[1]
    )
    assert_refused(situation, "different NHS numbers", survivor=situation.alpha, absorbed=other)


def test_two_people_with_different_upns_are_not_merged(situation: Situation):
    pupil = make_person_with_record(situation.school, "Bo", "Testfamily", None, upn=valid_upn(1))
    other = make_person_with_record(situation.school, "Bo", "Testfamily", None, upn=valid_upn(2))
    assert_refused(situation, "different unique pupil numbers", survivor=pupil, absorbed=other)


def test_an_nhs_number_on_a_record_counts_even_when_the_person_has_none(situation: Situation):
    other = make_person_with_record(situation.gp, "Alpha", "Testfamily", None)
    AgencyRecord.objects.filter(person=other).update(nhs_number=NHS_NUMBERS[1])
    assert_refused(situation, "different NHS numbers", survivor=other, absorbed=situation.alpha)


def test_people_whose_records_a_reviewer_rejected_are_not_merged(situation: Situation):
    make_candidate(
        situation.alpha.records.get(),
        situation.alfie.records.get(),
        status=CandidatePair.Status.REJECTED,
        note="Cousins of one name",
    )
    assert_refused(
        situation, "different people", survivor=situation.alpha, absorbed=situation.alfie
    )


@pytest.mark.parametrize("direction", ["survivor to absorbed", "absorbed to survivor"])
def test_people_whose_records_an_agency_relates_are_not_merged(
    situation: Situation, direction: str
):
    alpha_record, alfie_record = situation.alpha.records.get(), situation.alfie.records.get()
    if direction == "survivor to absorbed":
        make_relationship(alpha_record, alfie_record, Relationship.Kind.SIBLING)
    else:
        make_relationship(alfie_record, alpha_record, Relationship.Kind.SIBLING)
    assert_refused(
        situation, r"as related \(sibling\)", survivor=situation.alpha, absorbed=situation.alfie
    )


def test_an_unknown_rule_or_a_probability_outside_zero_to_one_is_refused(situation: Situation):
    pair = {"survivor": situation.alpha, "absorbed": situation.alfie}
    assert_refused(situation, "Unknown merge rule", **pair, rule="hunch")
    assert_refused(situation, "between 0 and 1", **pair, match_probability=1.5)


def test_a_candidate_of_other_records_is_refused(situation: Situation):
    stranger = make_person_with_record(situation.gp, "Delta", "Unrelated", None)
    candidate = make_candidate(situation.alpha.records.get(), stranger.records.get())
    assert_refused(
        situation, "is not a pair of records of", survivor=situation.alpha,
        absorbed=situation.alfie, candidate=candidate,
    )  # fmt: skip


def test_undo_restores_exactly_what_was_there(situation: Situation):
    before = everything()
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    assert everything() != before

    restored = merge_undo(merge=merge, by=situation.manager, reason="Two children")

    assert restored.pk == situation.alfie.pk
    assert everything() == before
    merge.refresh_from_db()
    assert merge.is_undone
    assert (merge.undone_by, merge.undo_reason) == (situation.manager, "Two children")


def test_undo_is_audited(situation: Situation):
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    merge_undo(merge=merge, by=situation.manager, reason="Two children")

    entry = AuditEvent.objects.get(action=AuditEvent.Action.UNMERGE)
    assert entry.actor == situation.manager
    assert (entry.object_type, entry.object_id) == ("person", str(situation.alfie.pk))
    assert entry.reason == "Two children"
    assert entry.detail["merge"] == merge.pk
    assert entry.detail["survivor"] == situation.alpha.pk


def test_after_an_undo_the_two_are_recorded_as_different_people_and_never_merged_again(
    situation: Situation,
):
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    merge_undo(merge=merge, by=situation.manager, reason="Two children")

    pair = CandidatePair.objects.get()
    assert {pair.record_id, pair.other_record_id} == {
        situation.alpha.records.get().pk,
        situation.alfie.records.get().pk,
    }
    assert pair.status == CandidatePair.Status.REJECTED
    assert pair.reviewed_by == situation.manager
    assert "Two children" in pair.note
    with pytest.raises(ApplicationError, match="different people"):
        people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MODEL)


def test_without_a_candidate_the_rejected_pair_is_each_sides_lowest_record(situation: Situation):
    second_gp_record = make_record(situation.gp, situation.alpha, record_id="GP-OTHER")
    second_school_record = make_record(situation.school, situation.alfie, record_id="SCH-OTHER")
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    merge_undo(merge=merge, by=situation.manager, reason="Two children")

    pair = CandidatePair.objects.get()
    expected = {
        min(situation.alpha.records.values_list("pk", flat=True)),
        min(situation.alfie.records.values_list("pk", flat=True)),
    }
    assert {pair.record_id, pair.other_record_id} == expected
    assert second_gp_record.pk not in expected and second_school_record.pk not in expected


def test_undoing_a_reviewed_merge_rejects_the_candidate_it_rested_on(situation: Situation):
    candidate = make_candidate(situation.alpha.records.get(), situation.alfie.records.get())
    merge = people_merge(
        survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.REVIEW,
        candidate=candidate, by=situation.manager,
    )  # fmt: skip
    merge_undo(merge=merge, by=situation.manager, reason="Twins")

    candidate.refresh_from_db()
    assert candidate.status == CandidatePair.Status.REJECTED
    assert CandidatePair.objects.count() == 1


def test_a_merge_cannot_be_undone_twice(situation: Situation):
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    merge_undo(merge=merge, by=situation.manager, reason="Two children")
    with pytest.raises(ApplicationError, match="already been undone"):
        merge_undo(merge=merge, by=situation.manager, reason="Again")


def test_undo_needs_a_reason_and_a_manager(situation: Situation):
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    with pytest.raises(ApplicationError, match="Enter why"):
        merge_undo(merge=merge, by=situation.manager, reason="  ")
    worker = make_user(situation.manager.agency, User.Role.CSC_WORKER)
    with pytest.raises(ApplicationError, match="Only children's social care and partnership"):
        merge_undo(merge=merge, by=worker, reason="Two children")
    merge.refresh_from_db()
    assert not merge.is_undone


def test_undo_waits_for_a_later_merge_into_the_survivor(situation: Situation):
    before = everything()
    first = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    bravo = make_person_with_record(situation.gp, "Bravo", "Testfamily", None)
    later = people_merge(survivor=situation.alpha, absorbed=bravo, rule=Merge.Rule.MANUAL)

    with pytest.raises(ApplicationError, match="Undo later merges first"):
        merge_undo(merge=first, by=situation.manager, reason="Two children")

    merge_undo(merge=later, by=situation.manager, reason="Not Bravo")
    merge_undo(merge=first, by=situation.manager, reason="Two children")
    bravo_state = everything()
    for name, rows in before.items():
        # Bravo (made after ``before``) is back as a person of his own; the rest as it was.
        assert [row for row in bravo_state[name] if row in rows] == rows


def test_undo_waits_for_a_later_merge_that_absorbed_the_survivor(situation: Situation):
    before = everything()
    first = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    echo = make_person_with_record(situation.gp, "Echo", "Testfamily", None)
    later = people_merge(survivor=echo, absorbed=situation.alpha, rule=Merge.Rule.MANUAL)
    # The earlier merge follows its survivor's rows to the person who now holds them.
    first.refresh_from_db()
    assert first.survivor_id == echo.pk

    with pytest.raises(ApplicationError, match="Undo later merges first"):
        merge_undo(merge=first, by=situation.manager, reason="Two children")

    merge_undo(merge=later, by=situation.manager, reason="Not Echo")
    first.refresh_from_db()
    assert first.survivor_id == situation.alpha.pk
    merge_undo(merge=first, by=situation.manager, reason="Two children")
    after = everything()
    assert {name: [row for row in after[name] if row in before[name]] for name in before} == (
        before
    )


def test_an_event_filed_since_against_a_moved_record_goes_back_with_the_record(
    situation: Situation,
):
    school_record = situation.alfie.records.get()
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    later = Event.objects.create(
        person=situation.alpha, agency=situation.school, record=school_record,
        event_type=Event.EventType.ATTENDANCE, occurred_at=timezone.now(),
    )  # fmt: skip

    merge_undo(merge=merge, by=situation.manager, reason="Two children")

    later.refresh_from_db()
    assert later.person_id == situation.alfie.pk


def test_undo_is_refused_when_a_moved_record_has_since_gone_to_someone_else(
    situation: Situation,
):
    merge = people_merge(survivor=situation.alpha, absorbed=situation.alfie, rule=Merge.Rule.MANUAL)
    elsewhere = make_person_with_record(situation.gp, "Foxtrot", "Other", None)
    AgencyRecord.objects.filter(pk__in=merge.snapshot["records"]).update(person=elsewhere)

    with pytest.raises(ApplicationError, match="cannot be undone exactly"):
        merge_undo(merge=merge, by=situation.manager, reason="Two children")


# The property: for any two people, a merge is either refused and changes
# nothing, or undoing it gives back exactly what was there.

_NAMES = st.sampled_from(["Ada", "Adah", "Bo"])
_DATES = st.one_of(st.none(), st.sampled_from([dt.date(2016, 4, 3), dt.date(2019, 1, 30)]))
_NHS = st.sampled_from(["", "", NHS_NUMBERS[0], NHS_NUMBERS[1]])
_UPN = st.sampled_from(["", "", valid_upn(1), valid_upn(2)])

_record = st.fixed_dictionaries(
    {
        "agency": st.integers(0, 2),
        "given": _NAMES,
        "family": st.sampled_from(["Testfamily", "Testerson"]),
        "dob": _DATES,
        "sex": st.sampled_from(["", "F", "M"]),
        "nhs": _NHS,
        "upn": _UPN,
        "age_in_days": st.integers(0, 3),
    }
)
_person = st.fixed_dictionaries(
    {
        "records": st.lists(_record, min_size=1, max_size=4),
        # Now and then no records at all (a person only a form created).
        "no_records": st.integers(0, 7).map(lambda n: n == 3),
        # (index of the record it was filed against, or -1 for none; restricted)
        "events": st.lists(st.tuples(st.integers(-1, 3), st.booleans()), max_size=3),
        # (household, index of the source record or -1, role, ended)
        "memberships": st.lists(
            st.tuples(
                st.integers(0, 1), st.integers(-1, 3), st.sampled_from(Role.values), st.booleans()
            ),
            max_size=2,
        ),
        # Values for a person with no records.
        "given": _NAMES,
        "nhs": _NHS,
        "upn": _UPN,
    }
)
_world = st.fixed_dictionaries(
    {
        "survivor": _person,
        "absorbed": _person,
        # Rare situations on a value Hypothesis does not favour (it favours 0).
        "same_person": st.integers(0, 11).map(lambda n: n == 7),
        "rejected_pair": st.integers(0, 7).map(lambda n: n == 5),
        "relationship": st.integers(0, 7).map(lambda n: n == 6),
        "rule": st.sampled_from(Merge.Rule.values),
        "probability": st.one_of(st.none(), st.floats(0, 1)),
    }
)


def _build_person(spec: dict[str, Any], agencies: list[Agency], households: list[Household],
                  taken: set[str]) -> Person:  # fmt: skip
    """A person from a generated spec: its values computed from its records as linking would."""
    now = timezone.now()
    person = Person.objects.create(given_name=spec["given"], family_name="Testfamily")
    records = []
    for index, values in enumerate([] if spec["no_records"] else spec["records"]):
        records.append(
            AgencyRecord.objects.create(
                agency=agencies[values["agency"]],
                record_id=f"R{person.pk}-{index}",
                person=person,
                given_name=values["given"],
                family_name=values["family"],
                date_of_birth=values["dob"],
                sex=values["sex"],
                nhs_number=values["nhs"],
                upn=values["upn"],
                content_hash=f"{person.pk}-{index}",
                first_imported_at=now,
                updated_at=now - dt.timedelta(days=values["age_in_days"]),
            )
        )
    if records:
        linkable = [
            LinkableRecord(
                r.pk, r.nhs_number, r.upn, r.person_id, r.given_name, r.family_name,
                r.date_of_birth, r.unborn, r.sex, r.updated_at,
            )
            for r in records
        ]  # fmt: skip
        given, family, dob, unborn, sex, nhs, upn = person_values(linkable)
        values = {"given_name": given, "family_name": family, "date_of_birth": dob,
                  "unborn": unborn, "sex": sex, "nhs_number": nhs, "upn": upn}  # fmt: skip
    else:
        values = {"nhs_number": spec["nhs"] or None, "upn": spec["upn"] or None}
    # Two people never share an identifier (a unique constraint): the second goes without.
    for field in ("nhs_number", "upn"):
        if values[field] in taken:
            values[field] = None
        elif values[field]:
            taken.add(values[field])
    Person.objects.filter(pk=person.pk).update(**values)
    for index, restricted in spec["events"]:
        Event.objects.create(
            person=person,
            agency=agencies[0],
            record=records[index] if 0 <= index < len(records) else None,
            event_type=Event.EventType.CONTACT,
            occurred_at=now,
            restricted=restricted,
        )
    used: set[tuple[int, int]] = set()
    for household, index, role, ended in spec["memberships"]:
        source = records[index] if 0 <= index < len(records) else None
        if source is not None and (household, source.pk) in used:
            continue  # an agency record puts a person in a household once
        if source is not None:
            used.add((household, source.pk))
        HouseholdMembership.objects.create(
            household=households[household],
            person=person,
            role=role,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2021, 1, 1) if ended else None,
            reported_by=source.agency if source else agencies[0],
            source_record=source,
        )
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def ground() -> tuple[list[Agency], list[Household], User]:
    agencies = [
        make_agency(code, kind)
        for code, kind in (("GP-P1", "gp"), ("SCH-P1", "school"), ("POL-P1", "police"))
    ]
    households = [
        Household.objects.create(key=f"property-{n}", postcode="ZZ9 9ZZ") for n in range(2)
    ]
    manager = make_user(make_agency("CSC-P1", "csc"), User.Role.PARTNERSHIP_MANAGER)
    # A bystander in one of the households: nothing of theirs may change.
    bystander = make_person_with_record(agencies[2], "Zed", "Bystander", dt.date(1980, 1, 1))
    HouseholdMembership.objects.create(
        household=households[0], person=bystander, role=Role.PARENT, reported_by=agencies[2]
    )
    return agencies, households, manager


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=_world)
def test_a_merge_is_refused_and_changes_nothing_or_its_undo_restores_exactly(
    ground: tuple[list[Agency], list[Household], User], world: dict[str, Any]
):
    agencies, households, manager = ground
    # Each example in a savepoint rolled back at its end, inside the test's transaction.
    with transaction.atomic():
        taken: set[str] = set()
        survivor = _build_person(world["survivor"], agencies, households, taken)
        absorbed = (
            Person.objects.get(pk=survivor.pk)
            if world["same_person"]
            else _build_person(world["absorbed"], agencies, households, taken)
        )
        mine, theirs = survivor.records.first(), absorbed.records.first()
        if mine and theirs and mine.pk != theirs.pk:
            if world["rejected_pair"]:
                make_candidate(mine, theirs, status=CandidatePair.Status.REJECTED)
            if world["relationship"]:
                make_relationship(mine, theirs, Relationship.Kind.SIBLING)
        before = everything()
        merges, audit = Merge.objects.count(), AuditEvent.objects.count()

        try:
            merge = people_merge(
                survivor=survivor,
                absorbed=absorbed,
                rule=world["rule"],
                match_probability=world["probability"],
                by=manager,
            )
        except ApplicationError as refusal:
            reasons = ("themselves", "NHS numbers", "pupil numbers", "reviewer", "related")
            event(f"refused: {next((r for r in reasons if r in refusal.message), 'other')}")
            assert everything() == before
            assert (Merge.objects.count(), AuditEvent.objects.count()) == (merges, audit)
        else:
            event(f"merged {len(merge.snapshot['records'])} records")
            connection.check_constraints()  # nothing left pointing at the deleted person
            assert not Person.objects.filter(pk=absorbed.pk).exists()
            assert set(survivor.records.values_list("pk", flat=True)) == {
                row["id"]
                for row in before["AgencyRecord"]
                if row["person_id"] in {survivor.pk, absorbed.pk}
            }
            merge_undo(merge=merge, by=manager, reason="Property test")
            connection.check_constraints()
            assert everything() == before
        transaction.set_rollback(True)
