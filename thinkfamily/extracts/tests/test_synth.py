"""Tests of the synthetic county: it keeps the extract contract, its truth is complete, and it
holds the hard cases linkage and Think Sibling must face. No database needed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from stdnum.gb import nhs, upn

from thinkfamily.extracts.synth import DEFAULT_EXTRACT_DATE, CountySummary, generate_county

PEOPLE = 1000
SEED = 11
FILES = ("records.csv", "relationships.csv", "events.csv", "truth.csv")

AGENCY_TYPES = {
    "school", "early_years", "gp", "health_visiting", "midwifery", "hospital", "police", "csc",
    "housing", "probation", "cafcass", "youth_justice", "other",
}  # fmt: skip
RELATIONSHIP_KINDS = {
    "parent", "child", "sibling", "half_sibling", "step_sibling", "partner", "carer",
    "household_member",
}  # fmt: skip
EVENT_TYPES = {
    "contact", "concern", "referral", "visit", "appointment", "missed_appointment",
    "attendance", "incident", "assessment", "note",
}  # fmt: skip
CONCERN_CATEGORIES = {
    "neglect", "physical", "emotional", "sexual", "domestic_abuse", "exploitation", "other",
}  # fmt: skip
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


@dataclass
class County:
    """A generated county read back: the summary and the rows of each file."""

    path: Path
    summary: CountySummary
    records: list[dict[str, str]]
    relationships: list[dict[str, str]]
    events: list[dict[str, str]]
    truth: list[dict[str, str]]

    def person_of(self) -> dict[tuple[str, str], str]:
        """(agency code, record id) -> true person id."""
        return {(row["agency_code"], row["record_id"]): row["person_id"] for row in self.truth}

    def household_of(self) -> dict[str, str]:
        """True person id -> the household they live in at the extract date."""
        return {row["person_id"]: row["household_id"] for row in self.truth}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def make_county(out_dir: Path, **options: object) -> County:
    arguments: dict = {"people": PEOPLE, "seed": SEED, **options}
    summary = generate_county(out_dir=out_dir, **arguments)
    return County(
        out_dir,
        summary,
        *(read_rows(out_dir / name) for name in FILES),
    )


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    return make_county(tmp_path_factory.mktemp("county"))


def years_before_extract(text: str) -> float:
    return (DEFAULT_EXTRACT_DATE - dt.date.fromisoformat(text)).days / 365.2425


# --- Determinism ---------------------------------------------------------------------------


def test_the_same_seed_writes_byte_identical_files(county: County, tmp_path: Path) -> None:
    again = make_county(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (county.path / name).read_bytes(), name
    assert again.summary == county.summary


def test_another_seed_writes_different_files(county: County, tmp_path: Path) -> None:
    make_county(tmp_path, seed=SEED + 1)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (county.path / name).read_bytes(), name


# --- The contract ------------------------------------------------------------------------------


def test_files_are_utf8_csv_with_the_contract_header_and_newline_endings(county: County) -> None:
    headers = {
        "records.csv": "agency_code,agency_type,record_id,given_name,family_name,other_names,"
        "date_of_birth,unborn,sex,nhs_number,upn,address,postcode,household_ref",
        "relationships.csv": "agency_code,record_id,related_record_id,relationship,start_date,"
        "end_date",
        "events.csv": "agency_code,record_id,event_id,event_type,occurred_at,seen_in_person,"
        "category,summary,restricted",
        "truth.csv": "agency_code,record_id,person_id,household_id",
    }
    for name, header in headers.items():
        data = (county.path / name).read_bytes()
        assert b"\r" not in data
        assert data.decode("utf-8").split("\n", 1)[0] == header


def test_every_record_follows_the_contract(county: County) -> None:
    type_of_agency: dict[str, set[str]] = defaultdict(set)
    for row in county.records:
        for column in ("agency_code", "agency_type", "record_id", "given_name", "family_name"):
            assert row[column], (column, row)
        assert row["agency_type"] in AGENCY_TYPES
        type_of_agency[row["agency_code"]].add(row["agency_type"])
        assert row["sex"] in {"F", "M", "U", ""}
        assert row["unborn"] in {"yes", ""}
        if row["date_of_birth"]:
            dt.date.fromisoformat(row["date_of_birth"])
        if row["nhs_number"]:
            assert nhs.is_valid(row["nhs_number"]), row
        if row["upn"]:
            assert upn.is_valid(row["upn"]), row
        if row["postcode"]:
            assert POSTCODE.match(re.sub(r"\s+", "", row["postcode"]).upper()), row
    assert all(len(types) == 1 for types in type_of_agency.values())
    ids = Counter((row["agency_code"], row["record_id"]) for row in county.records)
    assert max(ids.values()) == 1, "a record id is used twice in one agency"


def test_only_unborn_children_have_a_date_of_birth_after_the_extract_date(county: County) -> None:
    unborn = [row for row in county.records if row["unborn"]]
    assert unborn
    for row in county.records:
        if not row["date_of_birth"]:
            continue
        after_extract = dt.date.fromisoformat(row["date_of_birth"]) > DEFAULT_EXTRACT_DATE
        assert after_extract == bool(row["unborn"]), row
    for row in unborn:
        assert not row["nhs_number"] and not row["upn"]


def test_relationships_link_existing_records_of_the_same_agency(county: County) -> None:
    records = {(row["agency_code"], row["record_id"]) for row in county.records}
    assert county.relationships
    for row in county.relationships:
        assert (row["agency_code"], row["record_id"]) in records
        assert (row["agency_code"], row["related_record_id"]) in records
        assert row["record_id"] != row["related_record_id"]
        assert row["relationship"] in RELATIONSHIP_KINDS
        start = row["start_date"] and dt.date.fromisoformat(row["start_date"])
        end = row["end_date"] and dt.date.fromisoformat(row["end_date"])
        if start and end:
            assert start <= end
    ties = Counter(
        (row["agency_code"], row["record_id"], row["related_record_id"], row["relationship"])
        for row in county.relationships
    )
    assert max(ties.values()) == 1, "a relationship is written twice"


def test_events_belong_to_existing_records_and_have_ids_unique_in_their_agency(
    county: County,
) -> None:
    records = {(row["agency_code"], row["record_id"]) for row in county.records}
    ids = Counter((row["agency_code"], row["event_id"]) for row in county.events)
    assert max(ids.values()) == 1
    for row in county.events:
        assert (row["agency_code"], row["record_id"]) in records
        assert row["event_type"] in EVENT_TYPES
        occurred = dt.datetime.fromisoformat(row["occurred_at"])
        assert occurred.date() <= DEFAULT_EXTRACT_DATE
        assert row["seen_in_person"] in {"yes", "no", ""}
        assert row["restricted"] in {"yes", ""}
        if row["category"]:
            assert row["category"] in CONCERN_CATEGORIES
            assert row["event_type"] == "concern"


def test_truth_names_the_person_behind_every_record_exactly_once(county: County) -> None:
    records = Counter((row["agency_code"], row["record_id"]) for row in county.records)
    truths = Counter((row["agency_code"], row["record_id"]) for row in county.truth)
    assert truths == records
    assert all(row["person_id"] and row["household_id"] for row in county.truth)


def test_summary_counts_what_was_written(county: County) -> None:
    summary = county.summary
    people_with_records = {row["person_id"] for row in county.truth}
    assert summary.people == PEOPLE
    assert len(people_with_records) + summary.people_with_no_records == PEOPLE
    assert summary.people_with_no_records > 0
    assert summary.records == len(county.records)
    assert summary.relationships == len(county.relationships)
    assert summary.events == len(county.events)
    per_agency = Counter((row["agency_code"], row["person_id"]) for row in county.truth)
    assert summary.parallel_records == sum(count - 1 for count in per_agency.values())
    assert 1.2 <= summary.records / summary.people <= 1.8


def test_identifiers_are_always_the_persons_own(county: County) -> None:
    person_of = county.person_of()
    for column in ("nhs_number", "upn"):
        holders: dict[str, set[str]] = defaultdict(set)
        numbers: dict[str, set[str]] = defaultdict(set)
        for row in county.records:
            if row[column]:
                person = person_of[(row["agency_code"], row["record_id"])]
                holders[row[column]].add(person)
                numbers[person].add(row[column])
        assert holders, column
        assert all(len(people) == 1 for people in holders.values()), column
        assert all(len(values) == 1 for values in numbers.values()), column


def test_household_references_come_only_from_csc_housing_and_health_visiting(
    county: County,
) -> None:
    keeping = {row["agency_type"] for row in county.records if row["household_ref"]}
    assert keeping == {"csc", "housing", "health_visiting"}


# --- The hard cases ------------------------------------------------------------------------------


def test_the_county_has_twins(county: County) -> None:
    person_of = county.person_of()
    household_of = county.household_of()
    born_together: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in county.records:
        if row["date_of_birth"] and not row["unborn"]:
            person = person_of[(row["agency_code"], row["record_id"])]
            key = (row["agency_code"], household_of[person], row["date_of_birth"])
            born_together[key].add(person)
    assert any(len(people) >= 2 for people in born_together.values())


def test_the_county_has_a_parent_and_child_with_the_same_first_name(county: County) -> None:
    person_of = county.person_of()
    household_of = county.household_of()
    births: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in county.records:
        if row["date_of_birth"] and not row["unborn"]:
            person = person_of[(row["agency_code"], row["record_id"])]
            key = (household_of[person], row["given_name"])
            births[key][person] = years_before_extract(row["date_of_birth"])
    assert any(
        len(ages) >= 2 and max(ages.values()) - min(ages.values()) >= 16 for ages in births.values()
    )


def test_the_county_has_half_and_step_siblings(county: County) -> None:
    kinds = Counter(row["relationship"] for row in county.relationships)
    assert kinds["half_sibling"] > 0
    assert kinds["step_sibling"] > 0
    assert kinds["sibling"] > 0


def test_new_partners_move_in_with_a_start_date_and_live_at_the_household(
    county: County,
) -> None:
    person_of = county.person_of()
    household_of = county.household_of()
    moved_in = [
        row
        for row in county.relationships
        if row["relationship"] == "partner" and row["start_date"] and not row["end_date"]
    ]
    assert moved_in
    for row in moved_in:
        first = person_of[(row["agency_code"], row["record_id"])]
        second = person_of[(row["agency_code"], row["related_record_id"])]
        assert household_of[first] == household_of[second]


def test_separated_parents_have_an_ended_partnership_and_live_apart(county: County) -> None:
    person_of = county.person_of()
    household_of = county.household_of()
    ended = [row for row in county.relationships if row["relationship"] == "partner"]
    ended = [row for row in ended if row["end_date"]]
    assert ended
    for row in ended:
        first = person_of[(row["agency_code"], row["record_id"])]
        second = person_of[(row["agency_code"], row["related_record_id"])]
        assert household_of[first] != household_of[second]


def test_unborn_children_are_known_to_midwifery(county: County) -> None:
    person_of = county.person_of()
    unborn_people = {
        person_of[(row["agency_code"], row["record_id"])] for row in county.records if row["unborn"]
    }
    in_midwifery = {
        person_of[(row["agency_code"], row["record_id"])]
        for row in county.records
        if row["agency_type"] == "midwifery" and row["unborn"]
    }
    assert unborn_people
    assert len(in_midwifery) >= 0.5 * len(unborn_people)


def test_preschool_children_are_known_to_no_school(county: County) -> None:
    person_of = county.person_of()
    preschool = {
        person_of[(row["agency_code"], row["record_id"])]
        for row in county.records
        if row["agency_type"] == "health_visiting"
        and row["date_of_birth"]
        and years_before_extract(row["date_of_birth"]) < 5
    }
    at_school = {
        person_of[(row["agency_code"], row["record_id"])]
        for row in county.records
        if row["agency_type"] == "school"
    }
    assert preschool
    assert at_school
    assert not preschool & at_school


def test_preschool_children_are_seen_less_often_than_older_children(county: County) -> None:
    age_of_record = {
        (row["agency_code"], row["record_id"]): years_before_extract(row["date_of_birth"])
        for row in county.records
        if row["date_of_birth"] and not row["unborn"]
    }
    seen: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for row in county.events:
        age = age_of_record.get((row["agency_code"], row["record_id"]))
        if age is None or age >= 18 or row["event_type"] not in {"visit", "appointment"}:
            continue
        seen[age < 5][row["seen_in_person"]] += 1
    preschool, older = seen[True], seen[False]
    assert preschool["yes"] / preschool.total() < older["yes"] / older.total()


def test_the_county_has_parallel_records_within_one_agency(county: County) -> None:
    per_agency = Counter((row["agency_code"], row["person_id"]) for row in county.truth)
    assert any(count >= 2 for count in per_agency.values())
    assert county.summary.parallel_records > 0


def test_no_parallel_records_without_a_duplicate_rate(tmp_path: Path) -> None:
    county = make_county(tmp_path, duplicate_rate=0.0)
    per_agency = Counter((row["agency_code"], row["person_id"]) for row in county.truth)
    assert max(per_agency.values()) == 1
    assert county.summary.parallel_records == 0


def test_families_known_to_csc_have_concerns_referrals_and_household_refs(county: County) -> None:
    person_of = county.person_of()
    household_refs: dict[str, set[str]] = defaultdict(set)
    for row in county.records:
        if row["agency_code"] == "CSC":
            household_refs[person_of[("CSC", row["record_id"])]].add(row["household_ref"])
    assert household_refs
    # A parallel record may lack the grouping, but CSC's main record of everyone has one.
    assert all(refs - {""} for refs in household_refs.values())
    csc_events = Counter(row["event_type"] for row in county.events if row["agency_code"] == "CSC")
    assert csc_events["concern"] > 0
    assert csc_events["referral"] > 0


def test_an_invalid_identifier_rate_breaks_identifiers_for_importer_tests(tmp_path: Path) -> None:
    county = make_county(tmp_path, people=200, invalid_identifier_rate=1.0)
    numbers = [row["nhs_number"] for row in county.records if row["nhs_number"]]
    pupils = [row["upn"] for row in county.records if row["upn"]]
    assert numbers and pupils
    assert not any(nhs.is_valid(number) for number in numbers)
    assert not any(upn.is_valid(number) for number in pupils)


def test_a_county_needs_people(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_county(people=0, seed=1, out_dir=tmp_path)


def test_the_synth_command_writes_a_county_and_prints_its_summary(tmp_path: Path) -> None:
    settings = pytest.importorskip("django.conf").settings
    if not settings.configured:
        pytest.skip("Django settings are not configured (run with pytest-django)")
    from django.core.management import call_command

    printed = io.StringIO()
    call_command(
        "synth", "--people", "300", "--out", str(tmp_path), "--no-progress", stdout=printed
    )
    assert "Wrote a county of 300 people" in printed.getvalue()
    assert all((tmp_path / name).exists() for name in FILES)
