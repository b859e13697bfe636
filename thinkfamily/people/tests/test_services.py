"""Households formed from agency records: refs, addresses and relationships."""

import datetime as dt

import pytest

from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, write_extract
from thinkfamily.people.models import Household, HouseholdMembership
from thinkfamily.people.services import households_rebuild

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 1)


def household_of(record_id):
    return {
        m.household_id
        for m in HouseholdMembership.objects.filter(
            source_record__record_id=record_id, end_date__isnull=True
        )
    }


def relation(record_id, related, kind, **dates):
    return {"agency_code": "GP-Y00001", "record_id": record_id, "related_record_id": related,
            "relationship": kind, **dates}  # fmt: skip


def test_separated_parents_at_two_addresses_stay_in_two_households(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(record_id="MUM", date_of_birth="1991-01-01", address="1 Ash Way",
                   postcode="ZZ1 1ZZ"),
            record(record_id="KID", date_of_birth="2021-01-01", address="1 Ash Way",
                   postcode="ZZ1 1ZZ"),
            record(record_id="DAD", date_of_birth="1989-01-01", address="9 Oak Lane",
                   postcode="ZZ2 2ZZ"),
        ],
        relationships=[relation("MUM", "KID", "parent"), relation("DAD", "KID", "parent")],
    )  # fmt: skip
    extract_import(path=folder, today=TODAY)

    assert household_of("MUM") == household_of("KID")
    assert household_of("DAD") != household_of("KID")
    assert Household.objects.count() == 2


def test_a_baby_with_no_address_joins_the_parent_she_is_related_to(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(record_id="MUM", date_of_birth="1991-01-01", address="1 Ash Way",
                   postcode="ZZ1 1ZZ"),
            record(record_id="BABY", date_of_birth="2026-06-01"),
        ],
        relationships=[relation("MUM", "BABY", "parent")],
    )  # fmt: skip
    extract_import(path=folder, today=TODAY)

    assert household_of("BABY") == household_of("MUM")
    baby = HouseholdMembership.objects.get(source_record__record_id="BABY")
    assert baby.role == HouseholdMembership.Role.CHILD


def test_an_agencys_household_ref_groups_its_records(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(agency_code="HOUSING", agency_type="housing", record_id="T1",
                   household_ref="TEN-9", date_of_birth="1980-01-01"),
            record(agency_code="HOUSING", agency_type="housing", record_id="T2",
                   household_ref="TEN-9", date_of_birth="2012-01-01"),
            record(agency_code="HOUSING", agency_type="housing", record_id="T3",
                   date_of_birth="2012-01-01"),
        ],
    )  # fmt: skip
    extract_import(path=folder, today=TODAY)

    assert household_of("T1") == household_of("T2")
    assert household_of("T3") == set(), "a record with nowhere known to live has no household"


def test_a_new_partner_is_a_partner_from_the_day_the_relationship_began(tmp_path):
    folder = write_extract(
        tmp_path,
        [
            record(record_id="MUM", date_of_birth="1991-01-01", address="1 Ash Way",
                   postcode="ZZ1 1ZZ"),
            record(record_id="NEW", date_of_birth="1985-01-01", address="1 Ash Way",
                   postcode="ZZ1 1ZZ"),
        ],
        relationships=[relation("NEW", "MUM", "partner", start_date="2026-08-01")],
    )  # fmt: skip
    extract_import(path=folder, today=TODAY)

    partner = HouseholdMembership.objects.get(source_record__record_id="NEW")
    assert (partner.role, partner.start_date) == ("partner", dt.date(2026, 8, 1))


def test_someone_who_moves_out_has_their_membership_ended_not_deleted(tmp_path):
    at_home = record(record_id="MUM", date_of_birth="1991-01-01", address="1 Ash Way",
                     postcode="ZZ1 1ZZ")  # fmt: skip
    lodger = dict(record_id="LODGER", date_of_birth="1970-01-01")
    extract_import(
        path=write_extract(
            tmp_path / "1", [at_home, record(**lodger, address="1 Ash Way", postcode="ZZ1 1ZZ")]
        ),
        today=TODAY,
    )
    old_household = household_of("LODGER")

    extract_import(
        path=write_extract(
            tmp_path / "2", [at_home, record(**lodger, address="7 Far Street", postcode="ZZ3 3ZZ")]
        ),
        today=TODAY,
    )

    ended = HouseholdMembership.objects.get(
        source_record__record_id="LODGER", household_id__in=old_household
    )
    assert ended.end_date == TODAY
    assert household_of("LODGER") != old_household
    assert len(household_of("LODGER")) == 1


def test_rebuilding_households_twice_changes_nothing(tmp_path):
    folder = write_extract(
        tmp_path,
        [record(record_id=f"R{i}", address=f"{i % 3} Ash Way", postcode="ZZ1 1ZZ",
                date_of_birth=f"20{10 + i}-01-01") for i in range(9)],
    )  # fmt: skip
    extract_import(path=folder, today=TODAY)

    result = households_rebuild(today=TODAY)

    assert result.households == 3
    assert (result.households_created, result.memberships_created) == (0, 0)
    assert (result.memberships_updated, result.memberships_ended) == (0, 0)
