"""Order does not matter: a concern prompts the same children whether it arrives in an
extract or on a form, before or after the family is known, before or after linkage."""

import datetime as dt

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, valid_nhs, valid_upn, write_extract
from thinkfamily.matching.models import Merge
from thinkfamily.matching.services import merge_undo, people_merge
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import concern_record

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RECENT = (TODAY - dt.timedelta(days=10)).isoformat()


def home(**values):
    return record(**{"address": "4 Elm Road", "postcode": "ZZ9 9ZZ", "family_name": "Testwell",
                     **values})  # fmt: skip


def mother_and_toddler(folder):
    """The GP's extract: a mother and her two-year-old at 4 Elm Road."""
    return write_extract(
        folder,
        records=[
            home(record_id="G1", given_name="Ada", date_of_birth="1990-01-02", sex="F",
                 nhs_number=valid_nhs(1)),
            home(record_id="G2", given_name="Bea", sex="F", nhs_number=valid_nhs(2),
                 date_of_birth=(TODAY - dt.timedelta(days=800)).isoformat()),
        ],
        relationships=[{"agency_code": "GP-Y00001", "record_id": "G1", "related_record_id": "G2",
                        "relationship": "parent"}],
        events=[],
    )  # fmt: skip


def pupil_with_concern(folder, *, occurred_at=RECENT, event_id="E1"):
    """The school's extract: a pupil at 4 Elm Road, with a concern recorded about him."""
    return write_extract(
        folder,
        records=[
            home(agency_code="SCH-ELM", agency_type="school", record_id="S1", given_name="Cal",
                 date_of_birth="2016-05-06", sex="M", upn=valid_upn(1)),
        ],
        relationships=[],
        events=[{"agency_code": "SCH-ELM", "record_id": "S1", "event_id": event_id,
                 "event_type": "concern", "occurred_at": occurred_at, "category": "neglect",
                 "seen_in_person": "yes", "summary": "Arrived hungry"}],
    )  # fmt: skip


def prompts_for(name: str) -> list[Prompt]:
    return list(Prompt.objects.filter(person__given_name=name))


def test_a_concern_in_an_extract_prompts_the_sibling_as_a_form_would(tmp_path):
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    result = extract_import(path=pupil_with_concern(tmp_path / "school"))
    assert result.counts["sibling_prompts_created"] == 1
    (bea,) = prompts_for("Bea")
    assert bea.concern.external_id == "E1"
    assert {r.agency.code for r in bea.recipients.all()} == {"GP-Y00001"}


def test_the_same_concern_imported_again_prompts_nobody_twice(tmp_path):
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    school = pupil_with_concern(tmp_path / "school")
    extract_import(path=school)
    again = extract_import(path=school)
    assert again.counts["sibling_prompts_created"] == 0
    assert again.counts["concerns_added_to_open_prompts"] == 0
    assert len(prompts_for("Bea")) == 1


def test_a_concern_imported_before_the_sibling_is_known_prompts_when_the_sibling_arrives(
    tmp_path,
):
    extract_import(path=pupil_with_concern(tmp_path / "school"))
    assert not Prompt.objects.exists()
    result = extract_import(path=mother_and_toddler(tmp_path / "gp"))
    assert result.counts["sibling_prompts_created"] == 1
    assert [p.person.given_name for p in Prompt.objects.all()] == ["Bea"]


def test_both_orders_give_the_same_prompts(tmp_path):
    def outcome():
        return sorted(
            (p.person.given_name, p.concern.external_id, p.kind)
            for p in Prompt.objects.select_related("person", "concern")
        )

    extract_import(path=mother_and_toddler(tmp_path / "a" / "gp"))
    extract_import(path=pupil_with_concern(tmp_path / "a" / "school"))
    first = outcome()
    Prompt.objects.all().delete()
    assert first == [("Bea", "E1", "sibling")]
    # The same concern again, now already known, prompts exactly as before.
    extract_import(path=pupil_with_concern(tmp_path / "b" / "school"))
    assert outcome() == first


def test_an_old_concern_in_an_extract_is_history_and_prompts_nobody(tmp_path):
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    old = (TODAY - dt.timedelta(days=200)).isoformat()
    extract_import(path=pupil_with_concern(tmp_path / "school", occurred_at=old))
    assert not Prompt.objects.exists()
    assert Event.objects.filter(external_id="E1", event_type="concern").exists()


def police_extract(folder, *, with_rory: bool):
    """The police's extract: someone elsewhere, and (later) Rory Vance at 4 Elm Road."""
    records = [record(agency_code="POLICE", agency_type="police", record_id="P0",
                      given_name="Otto", family_name="Elsewhere", date_of_birth="1970-01-01",
                      address="1 Far Lane", postcode="ZZ1 1ZZ")]  # fmt: skip
    if with_rory:
        records.append(home(agency_code="POLICE", agency_type="police", record_id="P1",
                            given_name="Rory", family_name="Vance", date_of_birth="1985-07-08",
                            sex="M"))  # fmt: skip
    return write_extract(folder, records=records, relationships=[], events=[])


def test_an_adult_who_moves_in_later_raises_a_new_adult_prompt_once(tmp_path):
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    extract_import(path=police_extract(tmp_path / "police-1", with_rory=False))
    later = police_extract(tmp_path / "police-2", with_rory=True)
    result = extract_import(path=later)
    assert result.counts["new_adult_prompts_created"] == 1
    (rory,) = prompts_for("Rory")
    assert rory.kind == Prompt.Kind.NEW_ADULT and rory.preschool
    assert {r.agency.code for r in rory.recipients.all()} == {"GP-Y00001"}
    assert "Joined a household with 1 child" in rory.reason
    assert extract_import(path=later).counts["new_adult_prompts_created"] == 0


def test_an_agency_s_first_extract_describes_families_and_announces_no_arrivals(tmp_path):
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    result = extract_import(path=police_extract(tmp_path / "police", with_rory=True))
    assert result.counts["new_adult_prompts_created"] == 0


def test_a_first_import_does_not_call_every_adult_new_but_a_recent_partner_is(tmp_path):
    folder = mother_and_toddler(tmp_path / "gp")
    extract_import(path=folder)
    assert not Prompt.objects.filter(kind=Prompt.Kind.NEW_ADULT).exists()
    partner_since = (TODAY - dt.timedelta(days=20)).isoformat()
    with_partner = write_extract(
        tmp_path / "gp2",
        records=[
            home(record_id="G1", given_name="Ada", date_of_birth="1990-01-02", sex="F",
                 nhs_number=valid_nhs(1)),
            home(record_id="G2", given_name="Bea", sex="F", nhs_number=valid_nhs(2),
                 date_of_birth=(TODAY - dt.timedelta(days=800)).isoformat()),
            home(record_id="G3", given_name="Finn", family_name="Doyle", sex="M",
                 date_of_birth="1988-02-03", nhs_number=valid_nhs(3)),
        ],
        relationships=[
            {"agency_code": "GP-Y00001", "record_id": "G1", "related_record_id": "G2",
             "relationship": "parent"},
            {"agency_code": "GP-Y00001", "record_id": "G3", "related_record_id": "G1",
             "relationship": "partner", "start_date": partner_since},
        ],
        events=[],
    )  # fmt: skip
    assert extract_import(path=with_partner).counts["new_adult_prompts_created"] == 1
    assert [p.person.given_name for p in Prompt.objects.filter(kind="new_adult")] == ["Finn"]


def test_linkage_that_joins_a_child_to_a_family_with_a_concern_prompts_the_child(tmp_path):
    """Two records of one toddler, one at home and one (a nursery's) with no address:
    when a manager confirms they are one child, the toddler is in the family and prompted."""
    extract_import(path=pupil_with_concern(tmp_path / "school"))
    nursery = Agency.objects.create(code="EY-ACORN", name="Acorn Nursery",
                                    agency_type="early_years")  # fmt: skip
    toddler = Person.objects.create(given_name="Bea", family_name="Testwell",
                                    date_of_birth=TODAY - dt.timedelta(days=800))  # fmt: skip
    from thinkfamily.people.tests.factories import make_record

    make_record(nursery, toddler, address="", postcode="")
    assert not Prompt.objects.exists()
    at_home = Person.objects.create(given_name="Bea", family_name="Testwell",
                                    date_of_birth=toddler.date_of_birth)  # fmt: skip
    gp = Agency.objects.create(code="GP-Y00001", name="Elm Surgery", agency_type="gp")
    make_record(gp, at_home, address="4 Elm Road", postcode="ZZ9 9ZZ")
    from thinkfamily.people.services import households_rebuild

    households_rebuild()
    # At home she is prompted already (by the reconcile any import runs) …
    from thinkfamily.prompts.services import prompts_reconcile

    prompts_reconcile()
    assert [p.person for p in Prompt.objects.all()] == [at_home]
    # … and merging the nursery's child into her keeps one open prompt, routed on.
    manager = make_user(Agency.objects.get(code="SCH-ELM"), User.Role.CSC_MANAGER)
    merge = people_merge(survivor=at_home, absorbed=toddler, rule=Merge.Rule.MANUAL, by=manager)
    assert Prompt.objects.filter(person=at_home, status="open").count() == 1
    merge_undo(merge=merge, by=manager, reason="Two children after all.")
    assert Prompt.objects.filter(person=at_home).count() == 1


def test_merging_two_people_each_with_an_open_prompt_keeps_both_and_undo_restores_them():
    from thinkfamily.prompts.tests.family import carter_family, concern

    family = carter_family()
    # A second, unlinked person for Ben, known to the GP only, also living at home.
    from thinkfamily.people.models import HouseholdMembership
    from thinkfamily.prompts.services import sibling_prompts_raise

    ben_again = Person.objects.create(given_name="Benjamin", family_name="Carter",
                                      date_of_birth=family.ben.date_of_birth)  # fmt: skip
    HouseholdMembership.objects.create(household=family.home, person=ben_again, role="child",
                                       reported_by=family.gp)  # fmt: skip
    sibling_prompts_raise(concerns=[concern(family.ava, family.school, TODAY)])
    keys_before = dict(Prompt.objects.values_list("pk", "episode_key"))
    assert Prompt.objects.filter(person__in=[family.ben, ben_again]).count() == 2
    manager = make_user(family.csc, User.Role.CSC_MANAGER)
    merge = people_merge(survivor=family.ben, absorbed=ben_again, rule=Merge.Rule.MANUAL,
                         by=manager)  # fmt: skip
    assert Prompt.objects.filter(person=family.ben, status="open").count() == 2
    restored = merge_undo(merge=merge, by=manager, reason="Two boys.")
    assert Prompt.objects.filter(person=restored).count() == 1
    assert dict(Prompt.objects.values_list("pk", "episode_key")) == keys_before


def test_a_concern_recorded_on_the_form_and_then_imported_is_two_events_but_one_prompt_each(
    tmp_path,
):
    """A form entry and an extract row are two records of a worry (no shared id), so the
    sibling's open prompt collects both rather than being raised twice."""
    extract_import(path=mother_and_toddler(tmp_path / "gp"))
    extract_import(path=pupil_with_concern(tmp_path / "school", occurred_at=RECENT, event_id="X"))
    cal = Person.objects.get(given_name="Cal")
    dsl = make_user(Agency.objects.get(code="SCH-ELM"), User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    concern_record(person=cal, by=dsl, occurred_at=timezone.now(), category="neglect",
                   summary="Hungry again.")  # fmt: skip
    (bea,) = prompts_for("Bea")
    assert bea.triggers.count() == 2
