"""The import of agency extracts: every error named, all or nothing, idempotent, with history."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from thinkfamily.accounts.models import Agency
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.extracts.models import ImportRun
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import (
    record,
    valid_nhs,
    valid_upn,
    write_extract,
)
from thinkfamily.people.models import (
    AgencyRecord,
    AgencyRecordVersion,
    Household,
    HouseholdMembership,
    Person,
    Relationship,
)

pytestmark = pytest.mark.django_db


def family_extract(folder, *, mother_name="Ada"):
    """A mother and two children at one address known to a GP and a school, with events."""
    return write_extract(
        folder,
        records=[
            record(record_id="G1", given_name=mother_name, family_name="Testwell",
                   date_of_birth="1990-01-02", sex="F", nhs_number=valid_nhs(1),
                   address="4 Elm Rd", postcode="zz9 9zz"),
            record(record_id="G2", given_name="Bea", family_name="Testwell",
                   date_of_birth="2023-03-04", sex="F", nhs_number=valid_nhs(2),
                   address="4 Elm Road", postcode="ZZ99ZZ"),
            record(agency_code="SCH-ELM", agency_type="school", record_id="S1",
                   given_name="Cal", family_name="Testwell", date_of_birth="2016-05-06",
                   sex="M", upn=valid_upn(1), address="4 elm road", postcode="ZZ9 9ZZ"),
        ],
        relationships=[
            {"agency_code": "GP-Y00001", "record_id": "G1", "related_record_id": "G2",
             "relationship": "parent"},
        ],
        events=[
            {"agency_code": "SCH-ELM", "record_id": "S1", "event_id": "E1",
             "event_type": "concern", "occurred_at": "2026-10-01", "category": "neglect",
             "seen_in_person": "yes", "summary": "Arrived hungry"},
            {"agency_code": "GP-Y00001", "record_id": "G2", "event_id": "E1",
             "event_type": "missed_appointment", "occurred_at": "2026-09-01T10:30:00Z"},
        ],
    )  # fmt: skip


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Agency, AgencyRecord, AgencyRecordVersion, Person, Relationship, Event, Household,
            HouseholdMembership,
        )
    }  # fmt: skip


def test_import_creates_records_people_households_and_events(tmp_path):
    result = extract_import(path=family_extract(tmp_path))

    assert result.run.status == ImportRun.Status.SUCCEEDED
    assert result.errors == []
    assert table_counts() == {
        "Agency": 2, "AgencyRecord": 3, "AgencyRecordVersion": 0, "Person": 3,
        "Relationship": 1, "Event": 2, "Household": 1, "HouseholdMembership": 3,
    }  # fmt: skip
    household = Household.objects.get()
    assert household.postcode == "ZZ9 9ZZ"
    roles = {m.person.given_name: m.role for m in household.memberships.select_related("person")}
    assert roles == {"Ada": "parent", "Bea": "child", "Cal": "child"}
    concern = Event.objects.get(event_type="concern")
    assert concern.person.given_name == "Cal" and concern.seen_in_person
    assert concern.category == "neglect"


def test_an_imported_agency_record_keeps_the_values_as_recorded(tmp_path):
    extract_import(path=family_extract(tmp_path))
    gp_record = AgencyRecord.objects.get(record_id="G1")
    assert (gp_record.given_name, gp_record.address) == ("Ada", "4 Elm Rd")
    assert gp_record.date_of_birth == dt.date(1990, 1, 2)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ({"nhs_number": "9434765918"}, "nhs_number", "check digit is wrong"),
        ({"upn": "B80120000500"}, "upn", "a UPN has 13 characters"),
        ({"agency_type": "bakery"}, "agency_type", "'bakery' is not a known agency type"),
        ({"date_of_birth": "31/12/2019"}, "date_of_birth", "'31/12/2019' is not a date"),
        ({"date_of_birth": "2019-02-30"}, "date_of_birth", "'2019-02-30' is not a date"),
        ({"sex": "X"}, "sex", "'X' is not a known sex"),
        ({"unborn": "maybe"}, "unborn", "must be yes, no or empty"),
        ({"postcode": "NOT A CODE"}, "postcode", "is not a UK postcode"),
        ({"given_name": ""}, "given_name", "is required"),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "an unborn child needs unborn=yes"),
    ],
)
def test_each_bad_record_value_is_reported_with_file_line_column_and_reason(
    tmp_path, row, column, reason
):
    folder = write_extract(tmp_path, [record(record_id="R1"), record(record_id="R2", **row)])

    result = extract_import(path=folder)

    assert result.run.status == ImportRun.Status.REFUSED
    assert [(e.file, e.line, e.column) for e in result.errors] == [("records.csv", 3, column)]
    assert reason in result.errors[0].reason
    assert AgencyRecord.objects.count() == 0


def test_unknown_column_is_an_error_naming_it(tmp_path):
    folder = write_extract(tmp_path, [record(record_id="R1")])
    text = (folder / "records.csv").read_text().replace("household_ref", "houshold_ref")
    (folder / "records.csv").write_text(text)

    result = extract_import(path=folder)

    assert [(e.line, e.column) for e in result.errors] == [(1, "houshold_ref")]
    assert "unknown column" in result.errors[0].reason


def test_missing_required_column_is_an_error(tmp_path):
    (tmp_path / "records.csv").write_text("agency_code,agency_type,record_id,given_name\n")
    result = extract_import(path=tmp_path)
    assert [(e.column, e.reason) for e in result.errors] == [
        ("family_name", "required column is missing")
    ]


def test_relationship_to_a_record_that_does_not_exist_is_an_error(tmp_path):
    folder = write_extract(
        tmp_path,
        [record(record_id="R1")],
        relationships=[{"agency_code": "GP-Y00001", "record_id": "R1",
                        "related_record_id": "R404", "relationship": "parent"}],
    )  # fmt: skip

    result = extract_import(path=folder)

    error = result.errors[0]
    assert (error.file, error.line, error.column) == ("relationships.csv", 2, "related_record_id")
    assert "there is no record 'R404' of agency GP-Y00001" in error.reason


def test_event_for_an_unknown_record_and_unknown_event_type_are_errors(tmp_path):
    folder = write_extract(
        tmp_path,
        [record(record_id="R1")],
        events=[
            {"agency_code": "GP-Y00001", "record_id": "R9", "event_id": "E1",
             "event_type": "visit", "occurred_at": "2026-01-01"},
            {"agency_code": "GP-Y00001", "record_id": "R1", "event_id": "E2",
             "event_type": "party", "occurred_at": "2026-01-01"},
            {"agency_code": "GP-Y00001", "record_id": "R1", "event_id": "E3",
             "event_type": "visit", "occurred_at": "yesterday"},
        ],
    )  # fmt: skip

    errors = extract_import(path=folder).errors

    assert sorted((e.file, e.line, e.column) for e in errors) == [
        ("events.csv", 2, "record_id"),
        ("events.csv", 3, "event_type"),
        ("events.csv", 4, "occurred_at"),
    ]


def test_duplicate_record_ids_are_both_reported(tmp_path):
    folder = write_extract(tmp_path, [record(record_id="R1"), record(record_id="R1")])
    errors = extract_import(path=folder).errors
    assert [(e.line, e.reason) for e in errors] == [
        (2, "record_id 'R1' also appears on line 3"),
        (3, "record_id 'R1' also appears on line 2"),
    ]


def test_an_agency_with_two_types_is_an_error(tmp_path):
    folder = write_extract(
        tmp_path, [record(record_id="R1"), record(record_id="R2", agency_type="school")]
    )
    errors = extract_import(path=folder).errors
    assert [(e.line, e.column) for e in errors] == [(3, "agency_type")]


def test_a_row_with_too_many_fields_is_reported(tmp_path):
    folder = write_extract(tmp_path, [record(record_id="R1")])
    with (folder / "records.csv").open("a") as handle:
        handle.write("GP-Y00001,gp,R2,A,B,,,,,,,,,,extra\n")
    errors = extract_import(path=folder).errors
    assert [(e.line, e.reason) for e in errors] == [
        (3, "the row has 15 fields but the header has 14")
    ]


def test_a_file_that_is_not_utf8_refuses_the_whole_extract_even_with_rejects(tmp_path):
    folder = write_extract(tmp_path / "x", [record(record_id="R1")])
    with (folder / "records.csv").open("ab") as handle:
        handle.write(b"GP-Y00001,gp,R2,Zo\xe9,B,,,,,,,,,\n")

    result = extract_import(path=folder, rejects_path=tmp_path / "rejects.csv")

    assert result.run.status == ImportRun.Status.REFUSED
    assert "is not UTF-8 text" in result.errors[0].reason
    assert AgencyRecord.objects.count() == 0


def test_an_unknown_file_in_the_folder_is_an_error(tmp_path):
    folder = write_extract(tmp_path, [record(record_id="R1")])
    (folder / "record.csv").write_text("whatever\n")
    errors = extract_import(path=folder).errors
    assert [(e.file, e.reason[:12]) for e in errors] == [("record.csv", "unknown file")]


def test_a_folder_without_records_is_not_an_extract(tmp_path):
    with pytest.raises(ApplicationError, match=r"has no records\.csv"):
        extract_import(path=tmp_path)


def test_a_bad_row_at_the_end_leaves_nothing_written(tmp_path):
    extract_import(path=family_extract(tmp_path / "first"))
    before = table_counts()
    rows = [record(record_id=f"N{i}", nhs_number=valid_nhs(100 + i)) for i in range(200)]
    rows.append(record(record_id="BAD", nhs_number="1234567890"))
    folder = write_extract(tmp_path / "second", rows)

    result = extract_import(path=folder)

    assert result.run.status == ImportRun.Status.REFUSED
    assert [(e.line, e.column) for e in result.errors] == [(202, "nhs_number")]
    assert table_counts() == before


def test_a_failure_half_way_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    extract_import(path=family_extract(tmp_path / "first"))
    before = table_counts()

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("thinkfamily.extracts.services.households_rebuild", crash)
    changed = family_extract(tmp_path / "second", mother_name="Adaline")
    with pytest.raises(RuntimeError):
        extract_import(path=changed)

    assert table_counts() == before
    assert AgencyRecord.objects.get(record_id="G1").given_name == "Ada"
    assert ImportRun.objects.order_by("-pk").first().status == ImportRun.Status.FAILED


def test_with_rejects_good_rows_land_and_bad_rows_go_to_the_file(tmp_path):
    folder = write_extract(
        tmp_path / "x",
        [record(record_id="R1"), record(record_id="R2", nhs_number="123")],
        events=[
            {"agency_code": "GP-Y00001", "record_id": "R1", "event_id": "E1",
             "event_type": "visit", "occurred_at": "2026-01-01"},
            {"agency_code": "GP-Y00001", "record_id": "R2", "event_id": "E2",
             "event_type": "visit", "occurred_at": "2026-01-01"},
        ],
    )  # fmt: skip
    rejects = tmp_path / "rejects.csv"

    result = extract_import(path=folder, rejects_path=rejects)

    assert result.run.status == ImportRun.Status.PARTIAL
    assert list(AgencyRecord.objects.values_list("record_id", flat=True)) == ["R1"]
    assert list(Event.objects.values_list("external_id", flat=True)) == ["E1"]
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file,line,column,reason,row"
    assert lines[1].startswith("records.csv,3,nhs_number,")
    assert lines[2].startswith("events.csv,3,record_id,there is no good record 'R2'")
    assert len(lines) == 3


def test_importing_the_same_extract_twice_changes_nothing(tmp_path):
    folder = family_extract(tmp_path)
    extract_import(path=folder)
    before = table_counts()
    records_before = list(AgencyRecord.objects.values())
    memberships_before = list(HouseholdMembership.objects.values())

    result = extract_import(path=folder)

    assert result.counts["records_unchanged"] == 3
    assert {key: value for key, value in result.counts.items() if value} == {
        "records_unchanged": 3,
        "households": 1,
    }
    assert table_counts() == before
    assert list(AgencyRecord.objects.values()) == records_before
    assert list(HouseholdMembership.objects.values()) == memberships_before


def test_a_changed_row_updates_the_record_and_keeps_its_history(tmp_path):
    extract_import(path=family_extract(tmp_path / "first"))
    extract_import(path=family_extract(tmp_path / "second", mother_name="Adaline"))

    mother = AgencyRecord.objects.get(record_id="G1")
    assert mother.given_name == "Adaline"
    assert mother.person.given_name == "Adaline"
    version = mother.versions.get()
    assert version.values["given_name"] == "Ada"
    assert version.values["date_of_birth"] == "1990-01-02"
    assert AgencyRecordVersion.objects.count() == 1


def test_import_is_audited(tmp_path):
    result = extract_import(path=family_extract(tmp_path))
    entry = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert entry.object_id == str(result.run.pk)
    assert entry.detail["records_created"] == 3


class _AuditAtEachStage:
    """An import's progress that notes how many audit entries exist as each stage starts."""

    def __init__(self) -> None:
        self.entries: dict[str, int] = {}

    def stage(self, name: str, total: int | None = None) -> None:
        self.entries[name] = AuditEvent.objects.count()

    def advance(self, count: int) -> None:
        pass


def test_an_import_writes_to_the_audit_trail_only_in_its_last_stage(tmp_path):
    """On PostgreSQL an entry holds the trail's lock until the import commits, and every
    audited page view appends to the trail: an entry written early (linkage's) left
    practitioners' pages waiting for the rest of the import, minutes on a county."""
    before = AuditEvent.objects.count()
    watch = _AuditAtEachStage()

    extract_import(path=family_extract(tmp_path), progress=watch)

    stages = list(watch.entries)
    last = stages.index("Raising Think Sibling prompts")
    assert {stage: watch.entries[stage] for stage in stages[: last + 1]} == dict.fromkeys(
        stages[: last + 1], before
    )
    actions = AuditEvent.objects.values_list("action", flat=True)
    assert {AuditEvent.Action.LINK, AuditEvent.Action.IMPORT} <= set(actions)


def test_event_times_keep_their_instant_and_a_bare_date_is_local_midnight(tmp_path):
    folder = write_extract(
        tmp_path,
        [record(record_id="R1")],
        events=[
            {"agency_code": "GP-Y00001", "record_id": "R1", "event_id": "E1",
             "event_type": "visit", "occurred_at": "2026-07-01"},
            {"agency_code": "GP-Y00001", "record_id": "R1", "event_id": "E2",
             "event_type": "visit", "occurred_at": "2026-07-01T09:15:00Z"},
        ],
    )  # fmt: skip
    extract_import(path=folder)

    london = ZoneInfo("Europe/London")
    assert Event.objects.get(external_id="E1").occurred_at == dt.datetime(2026, 7, 1, tzinfo=london)
    assert Event.objects.get(external_id="E2").occurred_at == dt.datetime(
        2026, 7, 1, 9, 15, tzinfo=dt.UTC
    )
