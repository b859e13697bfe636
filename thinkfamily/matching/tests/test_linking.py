"""Deterministic linking in the database: groups become people, and people follow changes."""

import pytest

from thinkfamily.events.models import Event
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, valid_nhs, valid_upn, write_extract
from thinkfamily.matching.services import records_link
from thinkfamily.people.models import AgencyRecord, Person

pytestmark = pytest.mark.django_db


def person_of(record_id):
    return AgencyRecord.objects.get(record_id=record_id).person_id


def test_records_with_the_same_nhs_number_across_agencies_become_one_person(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(record_id="G1", given_name="Dee", nhs_number=valid_nhs(1)),
            record(agency_code="HV-1", agency_type="health_visiting", record_id="H1",
                   given_name="Deedee", nhs_number=valid_nhs(1)),
            record(agency_code="SCH-1", agency_type="school", record_id="S1", given_name="Dee",
                   upn=valid_upn(1)),
        ],
    )  # fmt: skip
    extract_import(path=folder)

    assert person_of("G1") == person_of("H1")
    assert person_of("S1") != person_of("G1")
    assert Person.objects.count() == 2
    assert Person.objects.get(pk=person_of("G1")).nhs_number == valid_nhs(1)


def test_every_record_without_an_identifier_is_its_own_person(tmp_path):
    folder = write_extract(
        tmp_path,
        [record(record_id="A", given_name="Twin"), record(record_id="B", given_name="Twin")],
    )
    extract_import(path=folder)
    assert person_of("A") != person_of("B")


def test_two_records_of_one_agency_for_one_person_are_linked_as_a_parallel_record(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(agency_code="SCH-1", agency_type="school", record_id="MIS-1", upn=valid_upn(3)),
            record(
                agency_code="SCH-1", agency_type="school", record_id="CPOMS-7", upn=valid_upn(3)
            ),
        ],
    )
    extract_import(path=folder)
    assert person_of("MIS-1") == person_of("CPOMS-7")


def test_a_corrected_identifier_splits_the_person_and_moves_their_events(tmp_path):
    first = write_extract(
        tmp_path / "1",
        [
            record(record_id="A", given_name="Eli", nhs_number=valid_nhs(5)),
            record(record_id="B", given_name="Fay", nhs_number=valid_nhs(5)),  # wrong number
        ],
        events=[{"agency_code": "GP-Y00001", "record_id": "B", "event_id": "E1",
                 "event_type": "visit", "occurred_at": "2026-02-02"}],
    )  # fmt: skip
    extract_import(path=first)
    assert person_of("A") == person_of("B")

    corrected = write_extract(
        tmp_path / "2",
        [
            record(record_id="A", given_name="Eli", nhs_number=valid_nhs(5)),
            record(record_id="B", given_name="Fay", nhs_number=valid_nhs(6)),
        ],
    )
    result = extract_import(path=corrected)

    assert person_of("A") != person_of("B")
    assert result.counts["records_relinked"] == 1
    assert Event.objects.get(external_id="E1").person_id == person_of("B")
    assert Person.objects.get(pk=person_of("B")).nhs_number == valid_nhs(6)


def test_linking_twice_changes_nothing(tmp_path):
    folder = write_extract(
        tmp_path, [record(record_id=str(i), nhs_number=valid_nhs(i % 3)) for i in range(9)]
    )
    extract_import(path=folder)
    people = list(Person.objects.values())

    result = records_link()

    assert (result.people_created, result.records_relinked, result.people_removed) == (0, 0, 0)
    assert list(Person.objects.values()) == people


def test_an_identifier_two_people_hold_is_kept_by_one_and_the_clash_counted(tmp_path):
    """One UPN on two children with different NHS numbers: two people, one keeps the UPN."""
    folder = write_extract(
        tmp_path,
        [
            record(record_id="G1", given_name="Ava", nhs_number=valid_nhs(1), upn=valid_upn(1)),
            record(record_id="G2", given_name="Isla", nhs_number=valid_nhs(2), upn=valid_upn(1)),
        ],
    )
    result = extract_import(path=folder)

    assert result.run.status == "succeeded"
    assert person_of("G1") != person_of("G2")
    holders = Person.objects.filter(upn=valid_upn(1))
    assert holders.count() == 1
    assert result.counts["identifier_conflicts"] == 1


def test_a_pair_held_back_for_every_reason_is_stored_with_all_of_them():
    from thinkfamily.matching.models import CandidatePair
    from thinkfamily.matching.services.review_queue import review_reason
    from thinkfamily.people.tests.factories import make_agency, make_person_with_record

    gp = make_agency("GP-Y00001", "gp")
    first, second = (
        make_person_with_record(gp, given, "Khan", None).records.get()
        for given in ("Amira", "Zain")
    )
    reason = review_reason("model, unsure, identity, ambiguous, doubtful")
    assert reason.count(".") + reason.count("?") >= 4
    pair = CandidatePair.objects.create(
        record=min(first, second, key=lambda r: r.pk),
        other_record=max(first, second, key=lambda r: r.pk),
        match_probability=0.97,
        reason=reason,
    )
    pair.refresh_from_db()
    assert pair.reason == reason


def _three_records_of_one_person():
    """Fen's GP record (with her NHS number) and two other records, all linked to one person."""
    from thinkfamily.accounts.models import Agency
    from thinkfamily.people.tests.factories import make_agency, make_record

    fen = Person.objects.create(given_name="Fen", family_name="Holt", nhs_number=valid_nhs(7))
    gp = make_agency("GP-SPLIT", Agency.AgencyType.GP)
    school = make_agency("SCH-SPLIT", Agency.AgencyType.SCHOOL)
    with_nhs, at_school, second_gp = (
        make_record(gp, fen),
        make_record(school, fen),
        make_record(gp, fen, record_id="GP-2"),
    )
    AgencyRecord.objects.filter(pk__in=[at_school.pk, second_gp.pk]).update(nhs_number="")
    AgencyRecord.objects.filter(pk=with_nhs.pk).update(nhs_number=valid_nhs(7))
    return fen, with_nhs, at_school, second_gp


def test_a_person_who_loses_the_record_holding_their_nhs_number_gives_it_up_first():
    """The relink that found the GP's record to be someone else: the new person takes the NHS
    number, and the person keeping the other two records is written without it first (before
    the fix the new person was refused by the unique NHS number: the old one was left as it
    was, since its own group of records had not changed)."""
    from thinkfamily.matching.services.linking import LinkResult, _load_records, _reconcile

    fen, with_nhs, at_school, second_gp = _three_records_of_one_person()
    records = _load_records(())
    evidence = {pk: ("model", 0.99) for pk in records}
    result = LinkResult()
    _reconcile([[at_school.pk, second_gp.pk], [with_nhs.pk]], records, set(), set(), evidence,
               result)  # fmt: skip
    fen.refresh_from_db()
    assert fen.nhs_number is None
    assert AgencyRecord.objects.get(pk=at_school.pk).person_id == fen.pk
    newcomer = AgencyRecord.objects.get(pk=with_nhs.pk).person
    assert newcomer.pk != fen.pk and newcomer.nhs_number == valid_nhs(7)


def test_a_person_left_with_no_records_but_a_prompt_is_kept_not_an_error():
    from thinkfamily.matching.services.linking import LinkResult, _load_records, _reconcile
    from thinkfamily.prompts.models import Prompt

    fen, with_nhs, at_school, second_gp = _three_records_of_one_person()
    Prompt.objects.create(
        kind=Prompt.Kind.NEW_ADULT, person=fen, episode_key="split", connection="test",
        reason="Test.", preschool=False, raised_at=fen.created_at, due_on=fen.created_at.date(),
    )  # fmt: skip
    records = _load_records(())
    evidence = {pk: ("model", 0.99) for pk in records}
    # Each record becomes someone else; Fen keeps none of them, but her prompt still names her.
    other = Person.objects.create(given_name="Other", family_name="Holt")
    AgencyRecord.objects.filter(pk__in=[at_school.pk, second_gp.pk]).update(person=other)
    records = _load_records(())
    _reconcile([[at_school.pk, second_gp.pk, with_nhs.pk]], records, set(), set(), evidence,
               LinkResult())  # fmt: skip
    assert Person.objects.filter(pk=fen.pk).exists()
    assert AgencyRecord.objects.get(pk=with_nhs.pk).person_id == other.pk


@pytest.mark.django_db(transaction=True)  # as the command runs: in no test transaction
def test_the_link_command_raises_prompts_inside_its_transaction():
    """`thinkfamily link` raised its prompts outside any transaction: on PostgreSQL the row
    locks they take refused ("select_for_update cannot be used outside of a transaction"),
    so a relink of a county with a recent concern crashed. Found by the crash-safety test."""
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from thinkfamily.prompts.models import Prompt
    from thinkfamily.prompts.tests.family import carter_family

    family = carter_family()
    Event.objects.create(
        person=family.ava, agency=family.school, event_type=Event.EventType.CONCERN,
        occurred_at=timezone.now(), category="neglect", summary="Hungry at breakfast club.",
    )  # fmt: skip
    out = StringIO()
    call_command("link", "--no-progress", stdout=out)
    assert Prompt.objects.filter(person=family.ben, kind=Prompt.Kind.SIBLING).exists()
    assert "sibling prompts raised" in out.getvalue()
