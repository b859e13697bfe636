import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from thinkfamily.accounts.models import Agency
from thinkfamily.core.bulk import bulk_insert, bulk_update, reserve_ids
from thinkfamily.people.models import AgencyRecord, AgencyRecordVersion, Person

pytestmark = pytest.mark.django_db


def test_bulk_written_rows_read_back_exactly_as_the_orm_would_store_them():
    now = timezone.now()
    [pk] = reserve_ids(Person, 1)
    bulk_insert(
        Person,
        ["id", "given_name", "family_name", "date_of_birth", "unborn", "sex", "created_at",
         "updated_at"],
        [(pk, "Mo", "Testbulk", dt.date(2020, 2, 29), False, "F", now, now)],
    )  # fmt: skip
    person = Person.objects.get(pk=pk)
    assert (person.given_name, person.date_of_birth, person.created_at) == (
        "Mo", dt.date(2020, 2, 29), now,
    )  # fmt: skip

    bulk_update(Person, ["given_name", "nhs_number"], [(pk, "Moe", None)])
    person.refresh_from_db()
    assert (person.given_name, person.nhs_number) == ("Moe", None)


def test_json_values_round_trip():
    now = timezone.now()
    person = Person.objects.create(given_name="Jo", family_name="Testjson")
    agency = Agency.objects.create(code="X", name="X", agency_type="other")
    record = AgencyRecord.objects.create(
        agency=agency, record_id="1", person=person, given_name="Jo", family_name="Testjson",
        content_hash="x", first_imported_at=now, updated_at=now,
    )  # fmt: skip
    values = {"given_name": "Jo", "date_of_birth": "2001-01-01", "unborn": False}
    bulk_insert(
        AgencyRecordVersion, ["record", "values", "superseded_at"], [(record.pk, values, now)]
    )
    assert AgencyRecordVersion.objects.get().values == values


def test_reserved_ids_are_never_reused_after_a_delete():
    first = Person.objects.create(given_name="A", family_name="Testseq")
    second = Person.objects.create(given_name="B", family_name="Testseq")
    second_pk = second.pk
    second.delete()
    [reserved] = reserve_ids(Person, 1)
    assert reserved > second_pk > first.pk


def test_a_row_breaking_a_constraint_is_djangos_integrity_error_on_every_database():
    """On PostgreSQL rows go by COPY, straight to the driver; its error must still be the
    IntegrityError that callers (the API's Idempotency-Key) know how to catch."""
    agency = Agency.objects.create(code="BULK-1", name="Bulk", agency_type="school")
    (first, second) = reserve_ids(AgencyRecord, 2)
    rows = [
        (pk, agency.pk, "R-1", "Ann", "Lee", timezone.now(), timezone.now())
        for pk in (first, second)
    ]
    fields = ["id", "agency", "record_id", "given_name", "family_name", "first_imported_at",
              "updated_at"]  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(AgencyRecord, fields, rows)
    assert not AgencyRecord.objects.exists()
