"""Reads of people: need-to-know access, 404 for the unseen, and an audit entry for every look."""

import datetime as dt

import pytest

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, valid_nhs, valid_upn, write_extract
from thinkfamily.people.models import Person
from thinkfamily.people.selectors import person_detail, person_search

pytestmark = pytest.mark.django_db
HOME = {"address": "2 Pine Close", "postcode": "ZZ5 5ZZ"}


@pytest.fixture
def county(tmp_path):
    """A school pupil with a preschool sister known only to the GP, and an unrelated adult."""
    folder = write_extract(
        tmp_path,
        [
            record(agency_code="SCH-PINE", agency_type="school", record_id="S1",
                   given_name="Gus", family_name="Testfield", date_of_birth="2017-02-02",
                   upn=valid_upn(7), nhs_number=valid_nhs(8), **HOME),
            record(record_id="G1", given_name="Hana", family_name="Testfield",
                   date_of_birth="2023-03-03", nhs_number=valid_nhs(7), **HOME),
            record(record_id="G2", given_name="Ivo", family_name="Elsewhere",
                   date_of_birth="1970-04-04", address="8 Far Road", postcode="ZZ6 6ZZ"),
            record(agency_code="POLICE", agency_type="police", record_id="P1",
                   given_name="Gus", family_name="Testfield", date_of_birth="2017-02-02",
                   nhs_number=valid_nhs(8), **HOME),
        ],
        events=[
            {"agency_code": "GP-Y00001", "record_id": "G1", "event_id": "E1",
             "event_type": "visit", "occurred_at": "2026-10-01", "seen_in_person": "yes"},
            {"agency_code": "POLICE", "record_id": "P1", "event_id": "E2",
             "event_type": "incident", "occurred_at": "2026-10-02", "restricted": "yes",
             "summary": "Investigation in progress"},
            {"agency_code": "POLICE", "record_id": "P1", "event_id": "E3",
             "event_type": "incident", "occurred_at": "2026-10-03"},
        ],
    )  # fmt: skip
    extract_import(path=folder)


def user_of(code, role=User.Role.PRACTITIONER):
    agency = Agency.objects.get(code=code) if code else None
    return User.objects.create(username=f"{code}-{role}", agency=agency, role=role)


def person(given, family="Testfield"):
    return Person.objects.get(given_name=given, family_name=family)


def test_an_agency_sees_the_people_it_holds_records_of(county):
    detail = person_detail(person_id=person("Hana").pk, viewer=user_of("GP-Y00001"))
    assert detail.access_reason == "agency holds a record of this person"
    assert [e.external_id for e in detail.chronology] == ["E1"]


def test_a_school_sees_the_preschool_sibling_of_its_pupil_but_not_her_gp_events(county):
    detail = person_detail(person_id=person("Hana").pk, viewer=user_of("SCH-PINE"))
    assert detail.access_reason == "agency knows a member of this person's household"
    assert detail.chronology == []
    assert (detail.restricted_not_shown, detail.unreadable_not_shown) == (0, 1)


def test_a_person_outside_the_viewers_access_does_not_exist_for_them(county):
    with pytest.raises(Person.DoesNotExist):
        person_detail(person_id=person("Ivo", "Elsewhere").pk, viewer=user_of("SCH-PINE"))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSON).exists()


def test_a_system_administrator_sees_no_case_records(county):
    admin = User.objects.create(username="admin", role=User.Role.SYSTEM_ADMINISTRATOR)
    with pytest.raises(Person.DoesNotExist):
        person_detail(person_id=person("Hana").pk, viewer=admin)
    assert person_search(query="Testfield", viewer=admin) == []


def test_childrens_social_care_sees_everyone(county):
    csc = Agency.objects.create(code="CSC", name="Children's social care", agency_type="csc")
    worker = User.objects.create(username="sw", agency=csc, role=User.Role.CSC_WORKER)
    detail = person_detail(person_id=person("Ivo", "Elsewhere").pk, viewer=worker)
    assert detail.access_reason == "role: Children's social care worker"


def test_restricted_events_are_read_by_the_recording_agencys_named_roles_and_csc_managers(county):
    gus = person("Gus")
    police_view = person_detail(person_id=gus.pk, viewer=user_of("POLICE", User.Role.MANAGER))
    # A practitioner of the recording agency is not one of the named roles (accounts.policy).
    constable_view = person_detail(person_id=gus.pk, viewer=user_of("POLICE"))
    assert [e.external_id for e in constable_view.chronology] == ["E3"]
    assert constable_view.restricted_not_shown == 1
    csc = Agency.objects.create(code="CSC", name="Children's social care", agency_type="csc")
    worker = User.objects.create(username="sw", agency=csc, role=User.Role.CSC_WORKER)
    manager = User.objects.create(username="sm", agency=csc, role=User.Role.CSC_MANAGER)

    worker_view = person_detail(person_id=gus.pk, viewer=worker)
    manager_view = person_detail(person_id=gus.pk, viewer=manager)

    assert {e.external_id for e in police_view.chronology} == {"E2", "E3"}
    assert [e.external_id for e in worker_view.chronology] == ["E3"]
    assert (worker_view.restricted_not_shown, worker_view.unreadable_not_shown) == (1, 0)
    assert {e.external_id for e in manager_view.chronology} == {"E2", "E3"}


def test_viewing_a_person_is_audited_with_who_what_and_why(county):
    viewer = user_of("GP-Y00001")
    hana = person("Hana")
    person_detail(person_id=hana.pk, viewer=viewer)
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSON)
    assert (entry.actor, entry.object_type, entry.object_id) == (viewer, "person", str(hana.pk))
    assert entry.reason == "agency holds a record of this person"


def test_search_finds_by_name_date_of_birth_and_identifier_within_access(county):
    school = user_of("SCH-PINE")
    assert {p.given_name for p in person_search(query="testf", viewer=school)} == {"Gus", "Hana"}
    assert [p.given_name for p in person_search(query="03/03/2023", viewer=school)] == ["Hana"]
    assert [p.given_name for p in person_search(query="2023-03-03", viewer=school)] == ["Hana"]
    assert [p.given_name for p in person_search(query=valid_upn(7), viewer=school)] == ["Gus"]
    assert person_search(query="Ivo", viewer=school) == []
    gp = user_of("GP-Y00001")
    assert [p.given_name for p in person_search(query=valid_nhs(7), viewer=gp)] == ["Hana"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).count() == 6


def test_age_is_whole_years_on_the_day(county):
    hana = person("Hana")
    assert hana.age_on(dt.date(2026, 3, 2)) == 2
    assert hana.age_on(dt.date(2026, 3, 3)) == 3


def test_search_finds_a_person_by_a_name_only_one_agency_recorded(tmp_path):
    folder = write_extract(
        tmp_path / "renamed",
        [
            record(record_id="G9", given_name="Mia", family_name="Newname",
                   date_of_birth="2015-05-05", nhs_number=valid_nhs(9)),
            record(agency_code="SCH-PINE", agency_type="school", record_id="S9",
                   given_name="Mia", family_name="Oldname", nhs_number=valid_nhs(9)),
        ],
    )  # fmt: skip
    extract_import(path=folder)
    school = user_of("SCH-PINE")

    found = person_search(query="OLDNAME mi", viewer=school)

    assert [(p.given_name, p.family_name) for p in found] == [("Mia", "Newname")]
    assert person_search(query="Oldnamex", viewer=school) == []
