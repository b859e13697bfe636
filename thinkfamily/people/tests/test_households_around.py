"""Forming households again only around what a push changed gives what forming them all gives.

Each test pushes rows as an agency system does (``rows_import``, which forms
households only around them) and then forms every household again: if the
push's households were right, the whole rebuild has nothing left to change.
"""

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from thinkfamily.extracts.services import extract_import, rows_import
from thinkfamily.extracts.synth import DEFAULT_EXTRACT_DATE, generate_county
from thinkfamily.extracts.tests.builders import record, valid_nhs, valid_upn, write_extract
from thinkfamily.people import services
from thinkfamily.people.models import AgencyRecord, HouseholdMembership
from thinkfamily.people.services import HouseholdResult, households_rebuild

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 1)


def nothing_left_to_change(today: dt.date = TODAY) -> HouseholdResult:
    result = households_rebuild(today=today)
    changed = (result.households_created, result.memberships_created,
               result.memberships_updated, result.memberships_ended)  # fmt: skip
    assert changed == (0, 0, 0, 0), f"the push left households wrong: {result}"
    return result


def push(records=(), relationships=(), today: dt.date = TODAY) -> dict[str, int]:
    result = rows_import(source="test", records=records, relationships=relationships, today=today)
    assert not result.errors, result.errors
    return result.counts


def living_with(record_id: str) -> set[str]:
    """The record ids in ``record_id``'s current households (its own included)."""
    households = HouseholdMembership.objects.filter(
        source_record__record_id=record_id, end_date__isnull=True
    ).values("household_id")
    return set(
        HouseholdMembership.objects.filter(
            household_id__in=households, end_date__isnull=True
        ).values_list("source_record__record_id", flat=True)
    )


def relation(record_id, related, kind, **dates):
    return {"agency_code": "GP-Y00001", "record_id": record_id, "related_record_id": related,
            "relationship": kind, **dates}  # fmt: skip


ASH = {"address": "1 Ash Way", "postcode": "ZZ1 1ZZ"}
OAK = {"address": "9 Oak Lane", "postcode": "ZZ2 2ZZ"}
ELM = {"address": "3 Elm Court", "postcode": "ZZ3 3ZZ"}


@pytest.fixture
def street(tmp_path: Path) -> None:
    """Two homes and a third known to another record: Ash Way (mum, child), Oak Lane (dad), Elm."""
    extract_import(
        path=write_extract(
            tmp_path,
            [
                record(record_id="MUM", given_name="Ann", date_of_birth="1991-01-01", **ASH),
                record(record_id="KID", given_name="Kit", date_of_birth="2021-01-01", **ASH),
                record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01", **OAK),
                record(record_id="GRAN", given_name="Gil", date_of_birth="1950-01-01", **ELM),
            ],
            relationships=[relation("MUM", "KID", "parent"), relation("DAD", "KID", "parent")],
        ),
        today=TODAY,
    )


def test_a_pushed_record_at_an_address_joins_whoever_lives_there(street: None) -> None:
    push([record(record_id="LODGER", given_name="Lou", date_of_birth="1970-01-01", **ASH)])

    assert living_with("LODGER") == {"MUM", "KID", "LODGER"}
    nothing_left_to_change()


def test_a_pushed_move_ends_the_old_membership_and_starts_the_new(street: None) -> None:
    push([record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01", **ASH)])

    assert living_with("DAD") == {"MUM", "KID", "DAD"}
    left = HouseholdMembership.objects.get(source_record__record_id="DAD", end_date__isnull=False)
    assert left.end_date == TODAY
    nothing_left_to_change()


def test_a_pushed_baby_with_no_address_joins_the_parent_she_is_related_to(street: None) -> None:
    push(
        [record(record_id="BABY", given_name="Bea", date_of_birth="2026-06-01")],
        [relation("MUM", "BABY", "parent")],
    )

    assert living_with("BABY") == {"MUM", "KID", "BABY"}
    nothing_left_to_change()


def test_a_household_ref_across_two_addresses_makes_one_household(street: None) -> None:
    """Oak Lane's household is absorbed into Ash Way's (the commoner address names it)."""
    push([
        record(record_id="MUM", given_name="Ann", date_of_birth="1991-01-01", household_ref="H1",
               **ASH),
        record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01", household_ref="H1",
               **OAK),
    ])  # fmt: skip
    assert living_with("DAD") == {"MUM", "KID", "DAD"}
    nothing_left_to_change()

    push([record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01", **OAK)])
    assert living_with("DAD") == {"DAD"}
    nothing_left_to_change()


def test_an_ended_relationship_takes_a_child_with_no_address_out(street: None) -> None:
    push(
        [record(record_id="BABY", given_name="Bea", date_of_birth="2026-06-01")],
        [relation("MUM", "BABY", "parent")],
    )
    push(relationships=[relation("MUM", "BABY", "parent", end_date="2026-10-01")])

    assert "BABY" not in living_with("MUM")
    nothing_left_to_change()


def test_a_record_that_loses_its_address_joins_the_family_it_is_related_to(
    street: None,
) -> None:
    push([record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01")])

    assert living_with("DAD") == {"MUM", "KID", "DAD"}
    nothing_left_to_change()


@pytest.fixture
def across_town(tmp_path: Path) -> None:
    """One agency's household "R" at two addresses (two at Oak Lane, so Oak Lane names it,
    one at Ash Way); Gran and Dad at Elm Court and Oak Lane, grouped as "G"."""
    extract_import(
        path=write_extract(
            tmp_path,
            [
                record(record_id="P1", given_name="Pat", date_of_birth="1980-01-01",
                       household_ref="R", **OAK),
                record(record_id="P2", given_name="Pip", date_of_birth="2012-01-01",
                       household_ref="R", **OAK),
                record(record_id="P3", given_name="Pam", date_of_birth="2015-01-01",
                       household_ref="R", **ASH),
                record(record_id="GRAN", given_name="Gil", date_of_birth="1950-01-01",
                       household_ref="G", **ELM),
                record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01",
                       household_ref="G", address="2 Birch Road", postcode="ZZ0 0ZZ"),
            ],
        ),
        today=TODAY,
    )  # fmt: skip


def test_a_pushed_record_at_one_of_a_households_addresses_joins_it(across_town: None) -> None:
    push([record(record_id="LODGER", given_name="Lou", date_of_birth="1970-01-01", **ASH)])

    assert living_with("LODGER") == {"P1", "P2", "P3", "LODGER"}
    nothing_left_to_change()


def test_a_pushed_record_with_an_agencys_household_ref_joins_that_household(
    across_town: None,
) -> None:
    push([record(record_id="AUNT", given_name="Ava", date_of_birth="1985-01-01",
                 household_ref="G", address="5 Pine Walk", postcode="ZZ5 5ZZ")])  # fmt: skip

    assert living_with("AUNT") == {"GRAN", "DAD", "AUNT"}
    nothing_left_to_change()


def test_when_the_record_that_named_a_household_leaves_the_rest_are_named_again(
    across_town: None,
) -> None:
    """Dad's Birch Road named Gran's household (a tie, broken by postcode); when he
    leaves it, Gran's household is Elm Court's again."""
    push([record(record_id="DAD", given_name="Dan", date_of_birth="1989-01-01",
                 address="2 Birch Road", postcode="ZZ0 0ZZ")])  # fmt: skip

    assert living_with("GRAN") == {"GRAN"}
    assert living_with("DAD") == {"DAD"}
    nothing_left_to_change()


def test_two_people_with_no_address_then_one_moves_away(tmp_path: Path) -> None:
    """A household named after its first record ("rec:…") is renamed when that record leaves."""
    extract_import(
        path=write_extract(
            tmp_path,
            [
                record(record_id="A-DAD", given_name="Al", date_of_birth="1980-01-01"),
                record(record_id="B-KID", given_name="Bo", date_of_birth="2020-01-01"),
                record(record_id="C-KID", given_name="Cy", date_of_birth="2022-01-01"),
            ],
            relationships=[
                relation("A-DAD", "B-KID", "parent"),
                relation("A-DAD", "C-KID", "parent"),
            ],
        ),
        today=TODAY,
    )
    assert living_with("A-DAD") == {"A-DAD", "B-KID", "C-KID"}

    push([record(record_id="A-DAD", given_name="Al", date_of_birth="1980-01-01", **OAK)])

    assert living_with("A-DAD") == {"A-DAD", "B-KID", "C-KID"}
    nothing_left_to_change()


def test_two_people_a_push_finds_to_be_one_keep_their_households(tmp_path: Path) -> None:
    """A school's record (UPN) and the GP's record (NHS number) of one girl are two people
    until a push carries both numbers; the school's record then moves to the GP's person,
    away from the push and its household, and its membership goes with it."""
    extract_import(
        path=write_extract(
            tmp_path,
            [
                record(record_id="GIRL", given_name="Gwen", date_of_birth="2016-01-01",
                       nhs_number=valid_nhs(1), **ASH),
                record(agency_code="SCH-ELM", agency_type="school", record_id="PUPIL",
                       given_name="Gwendolyn", date_of_birth="2016-01-01", upn=valid_upn(1),
                       **ELM),
            ],
        ),
        today=TODAY,
    )  # fmt: skip
    girl = AgencyRecord.objects.get(record_id="GIRL").person_id
    assert AgencyRecord.objects.get(record_id="PUPIL").person_id != girl

    counts = push([record(record_id="NURSE", given_name="Gwen", date_of_birth="2016-01-01",
                          nhs_number=valid_nhs(1), upn=valid_upn(1), **OAK)])  # fmt: skip

    assert counts["records_relinked"] + counts["people_merged"] > 0
    pupil = HouseholdMembership.objects.get(source_record__record_id="PUPIL", end_date__isnull=True)
    assert pupil.person_id == girl
    nothing_left_to_change()


def test_random_pushes_on_a_synthetic_county_form_households_as_a_whole_rebuild_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moves in and out, addresses lost, household references shared and dropped, new
    children with no address, relationships ended: after each push, forming every
    household again changes nothing (and counts as many households as the push said), and
    each push looked at a small part of the county."""
    folder = tmp_path / "county"
    generate_county(people=300, seed=5, out_dir=folder)
    today = DEFAULT_EXTRACT_DATE
    assert extract_import(path=folder, today=today).run.status == "succeeded"
    with (folder / "records.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (folder / "relationships.csv").open(encoding="utf-8") as handle:
        relationships = list(csv.DictReader(handle))
    scopes: list[int] = []
    around = services._homes_around

    def measured(seeds: set[int], today: dt.date) -> set[int]:
        scope = around(seeds, today)
        scopes.append(len(scope))
        return scope

    monkeypatch.setattr(services, "_homes_around", measured)

    rng = random.Random(8)
    housed = [row for row in rows if row["address"]]
    for step in range(14):
        row = dict(rng.choice(rows))
        other = rng.choice(housed)
        kind = step % 7
        if kind == 0:  # moves in with someone
            row.update(address=other["address"], postcode=other["postcode"])
        elif kind == 1:  # moves to a new home of their own
            row.update(address=f"{step} New Build Close", postcode="ZZ9 9ZZ")
        elif kind == 2:  # the agency no longer knows where they live
            row.update(address="", postcode="")
        elif kind == 3:  # the agency groups two of its records as one household
            same_agency = [r for r in housed if r["agency_code"] == row["agency_code"]]
            partner = dict(rng.choice(same_agency))
            row["household_ref"] = partner["household_ref"] = f"REF-{step}"
            counts = push([row, partner], today=today)
            assert nothing_left_to_change(today).households == counts["households"]
            continue
        elif kind == 4:  # ... and later stops
            row["household_ref"] = ""
        elif kind == 5:  # a new baby known only through a parent
            baby = dict(row, record_id=f"NEW-{step}", given_name="Newborn", nhs_number="",
                        upn="", date_of_birth=f"{today.year}-01-0{1 + step % 9}", address="",
                        postcode="", household_ref="")  # fmt: skip
            link = {"agency_code": row["agency_code"], "record_id": row["record_id"],
                    "related_record_id": baby["record_id"], "relationship": "parent"}  # fmt: skip
            counts = push([baby], [link], today=today)
            assert nothing_left_to_change(today).households == counts["households"]
            continue
        else:  # a relationship ends
            ended = dict(rng.choice(relationships), end_date=str(today - dt.timedelta(days=1)))
            counts = push(relationships=[ended], today=today)
            assert nothing_left_to_change(today).households == counts["households"]
            continue
        counts = push([row], today=today)
        assert nothing_left_to_change(today).households == counts["households"]

    assert len(scopes) == 14
    county = AgencyRecord.objects.count()
    assert max(scopes) < county / 10, (scopes, county)


def test_the_households_command_makes_roles_follow_ages_that_pushes_left_alone(
    street: None,
) -> None:
    """A young man who turned 18 after his last push is a child of the household until the
    households are formed again; ``thinkfamily households`` does that for all of them."""
    push([record(record_id="TEEN", given_name="Ted", date_of_birth="2008-11-20", **ASH)])
    teen = HouseholdMembership.objects.filter(source_record__record_id="TEEN")
    assert [m.role for m in teen.all()] == [HouseholdMembership.Role.CHILD]

    def households_on(day: str) -> str:
        out = io.StringIO()
        call_command("households", "--today", day, stdout=out)
        return " ".join(out.getvalue().split())

    assert "memberships updated: 1" in households_on("2026-11-20")
    assert [m.role for m in teen.all()] == [HouseholdMembership.Role.OTHER_ADULT]
    assert "memberships updated: 0" in households_on("2026-11-20")


def test_the_households_command_refuses_a_date_it_cannot_read(db: None) -> None:
    with pytest.raises(CommandError, match="--today: '20/11/2026' is not a date"):
        call_command("households", "--today", "20/11/2026")
