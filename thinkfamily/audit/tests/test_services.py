import pytest
from django.db import connection

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import GENESIS_HASH, audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db


def three_entries():
    return [
        audit_record(actor=None, actor_label="system: test", action=AuditEvent.Action.SEARCH,
                     detail={"query": str(n)})
        for n in range(3)
    ]  # fmt: skip


def test_each_entry_chains_to_the_one_before():
    first, second, third = three_entries()
    assert first.previous_hash == GENESIS_HASH
    assert (second.previous_hash, third.previous_hash) == (first.entry_hash, second.entry_hash)
    assert audit_chain_verify().intact


def test_audit_entries_cannot_be_updated_or_deleted_through_the_orm():
    entry = three_entries()[0]
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=entry.pk).update(reason="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_an_entry_altered_behind_the_orms_back_breaks_the_chain():
    _, second, _ = three_entries()
    with connection.cursor() as cursor:  # what someone with database access could do
        table = AuditEvent._meta.db_table
        cursor.execute(f"UPDATE {table} SET reason = %s WHERE id = %s", ["edited", second.pk])
    check = audit_chain_verify()
    assert not check.intact
    assert check.first_broken_id == second.pk
