import datetime as dt
import hashlib
import json

import pytest
from django.db import connection
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit import services
from thinkfamily.audit.context import audit_context
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import GENESIS_HASH, ChainCheck, audit_chain_verify, audit_record
from thinkfamily.audit.tests.helpers import TABLE, tamper, write_trail

pytestmark = pytest.mark.django_db


def test_each_entry_chains_to_the_one_before():
    first, second, third = write_trail(3)
    assert first.previous_hash == GENESIS_HASH
    assert (second.previous_hash, third.previous_hash) == (first.entry_hash, second.entry_hash)
    check = audit_chain_verify()
    assert check.intact and check.entries == 3 and check.last_hash == third.entry_hash


def test_an_empty_trail_is_intact():
    assert audit_chain_verify() == ChainCheck(entries=0, last_hash=GENESIS_HASH)


def test_audit_entries_cannot_be_updated_or_deleted_through_the_orm():
    entry = write_trail(3)[0]
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=entry.pk).update(reason="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_an_entry_carries_the_request_id_of_its_context_and_none_outside_it():
    with audit_context(request_id="nightly-import.42"):
        inside = audit_record(actor=None, action=AuditEvent.Action.IMPORT)
    outside = audit_record(actor=None, action=AuditEvent.Action.IMPORT)
    assert (inside.request_id, outside.request_id) == ("nightly-import.42", "")
    assert audit_chain_verify().intact


def test_a_malformed_request_id_is_refused_by_the_context():
    with pytest.raises(ValueError), audit_context(request_id="two words"):
        pass


def _hash_as_first_written(entry: AuditEvent) -> str:
    """compute_hash as it stood before request_id existed (commit 508c793), kept verbatim."""
    content = {
        "occurred_at": entry.occurred_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "reason": entry.reason,
        "detail": entry.detail,
        "previous_hash": entry.previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_entries_hashed_before_request_ids_existed_still_verify():
    first = AuditEvent(
        occurred_at=timezone.now() - dt.timedelta(days=400),
        actor_label="alice",
        action=AuditEvent.Action.VIEW_PERSON,
        object_type="person",
        object_id="7",
        reason="agency holds a record of this person",
        detail={"b": 1, "a": [1, 2]},
        previous_hash=GENESIS_HASH,
    )
    first.entry_hash = _hash_as_first_written(first)
    first.save()  # as migration 0008 found it in a deployed database
    with audit_context(request_id="abc123"):
        later = audit_record(actor=None, action=AuditEvent.Action.SEARCH)
    assert later.previous_hash == first.entry_hash
    assert later.compute_hash() != _hash_as_first_written(later)  # the request id is covered
    assert audit_chain_verify().intact


@pytest.fixture
def middle_of_five():
    agency = Agency.objects.create(code="SCH-1", name="School", agency_type="school")
    alice = User.objects.create(username="alice", agency=agency)
    User.objects.create(username="mallory", agency=agency)
    with audit_context(request_id="req-1"):
        entries = [
            audit_record(
                actor=alice,
                action=AuditEvent.Action.VIEW_PERSON,
                object_type="person",
                object_id=n,
                reason="agency holds a record of this person",
                detail={"n": n},
            )
            for n in range(5)
        ]
    return entries


TAMPERING = {
    "occurred_at": lambda e: e.occurred_at - dt.timedelta(hours=3),
    "actor_id": lambda e: User.objects.get(username="mallory").pk,
    "actor_label": lambda e: "mallory",
    "action": lambda e: AuditEvent.Action.VIEW_HOUSEHOLD,
    "object_type": lambda e: "household",
    "object_id": lambda e: "999",
    "reason": lambda e: "role: Auditor",
    "detail": lambda e: json.dumps({"n": 99}),
    "request_id": lambda e: "",
    "previous_hash": lambda e: "f" * 64,
    "entry_hash": lambda e: "e" * 64,
}


@pytest.mark.parametrize("column", TAMPERING)
def test_altering_any_field_of_an_entry_is_detected_at_that_entry(middle_of_five, column):
    middle = middle_of_five[2]
    new_value = TAMPERING[column](middle)
    tamper(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [new_value, middle.pk])
    check = audit_chain_verify()
    assert (check.first_broken_id, check.problem) == (middle.pk, ChainCheck.ALTERED)
    assert check.entries == 3 and check.last_hash == middle_of_five[1].entry_hash
    assert abs(check.first_broken_at - middle.occurred_at) <= dt.timedelta(hours=3)


def test_every_column_of_the_entry_is_covered_by_the_tampering_test():
    unhashed = {"id"}  # the chain's order; a changed id shows as a broken link instead
    columns = {f.column for f in AuditEvent._meta.concrete_fields} - unhashed
    assert columns == set(TAMPERING)


def test_a_removed_entry_is_located_at_the_entry_after_it(middle_of_five):
    before, removed, after = middle_of_five[1:4]
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [removed.pk])
    check = audit_chain_verify()
    assert (check.first_broken_id, check.previous_id) == (after.pk, before.pk)
    assert check.problem == ChainCheck.UNLINKED
    assert f"between {before.pk} and {after.pk}" in check.reason


def test_removing_the_first_entries_is_detected_as_not_starting_from_genesis(middle_of_five):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [middle_of_five[0].pk])
    check = audit_chain_verify()
    assert (check.first_broken_id, check.problem) == (middle_of_five[1].pk, ChainCheck.BAD_GENESIS)


def _gap_in_the_ids():
    """Three entries with a gap between the first and last, as a rolled-back write leaves."""
    first, gone = write_trail(2)
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [gone.pk])
    (last,) = write_trail(1)
    assert audit_chain_verify().intact  # a gap in the ids is not a break
    return first, gone.pk, last


def _insert(entry: AuditEvent, pk: int) -> None:
    fields = [f for f in AuditEvent._meta.concrete_fields if f.name != "id"]
    columns = ", ".join(["id", *(f.column for f in fields)])
    values = [pk, *(f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields)]
    placeholders = ", ".join(["%s"] * len(values))
    tamper(f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders})", values)


def _forged_after(first: AuditEvent) -> AuditEvent:
    return AuditEvent(
        occurred_at=first.occurred_at,
        actor_label="alice",
        action=AuditEvent.Action.VIEW_PERSON,
        object_type="person",
        object_id="1",
        previous_hash=first.entry_hash,
    )


def test_a_forged_entry_inserted_with_a_made_up_hash_is_located_at_itself():
    first, gap, _ = _gap_in_the_ids()
    forged = _forged_after(first)
    forged.entry_hash = "a" * 64
    _insert(forged, gap)
    check = audit_chain_verify()
    assert (check.first_broken_id, check.problem) == (gap, ChainCheck.ALTERED)


def test_a_forged_entry_that_hashes_soundly_is_located_at_the_entry_after_it():
    first, gap, last = _gap_in_the_ids()
    forged = _forged_after(first)
    forged.entry_hash = forged.compute_hash()  # a forger who knows the formula
    _insert(forged, gap)
    check = audit_chain_verify()
    assert (check.first_broken_id, check.previous_id) == (last.pk, gap)
    assert check.problem == ChainCheck.UNLINKED


def _overwrite(pk: int, entry: AuditEvent) -> None:
    fields = [f for f in AuditEvent._meta.concrete_fields if f.name != "id"]
    assignments = ", ".join(f"{f.column} = %s" for f in fields)
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    tamper(f"UPDATE {TABLE} SET {assignments} WHERE id = %s", [*values, pk])


def test_two_entries_whose_contents_are_swapped_are_detected_at_the_first(middle_of_five):
    one, two = middle_of_five[1], middle_of_five[2]
    # Through a placeholder hash, so the unique entry_hash never collides half-way.
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE id = %s", ["1" * 64, two.pk])
    _overwrite(one.pk, two)
    _overwrite(two.pk, one)
    assert AuditEvent.objects.get(pk=one.pk).entry_hash == two.entry_hash
    check = audit_chain_verify()
    assert (check.first_broken_id, check.problem) == (one.pk, ChainCheck.UNLINKED)


def test_a_long_intact_chain_verifies_in_small_chunks(monkeypatch):
    monkeypatch.setattr(services, "VERIFY_CHUNK_SIZE", 7)
    entries = write_trail(300)
    check = audit_chain_verify()
    assert check.intact and check.entries == 300 and check.last_hash == entries[-1].entry_hash
