"""Writers appending to the audit trail at the same moment keep one unbroken chain.

Six writers on their own threads and connections, released together by a
barrier, each record an entry inside a transaction that goes on a little
after it (as a service's does). Before the chain had a lock of its own, on
PostgreSQL the second writer waited on the row lock of the last entry, was
then given that same entry and chained to it too: a fork, which
``audit_chain_verify`` reports as an entry removed or inserted.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6


@pytest.mark.parametrize("attempt", range(3))
def test_writers_recording_at_once_all_chain_in_turn(attempt):
    audit_record(actor=None, action=AuditEvent.Action.MERGE, detail={"writer": "first"})
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                audit_record(actor=None, action=AuditEvent.Action.MERGE, detail={"writer": number})
                time.sleep(0.02)  # the rest of the service's transaction
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert AuditEvent.objects.count() == WRITERS + 1
    hashes = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(set(hashes)) == len(hashes)  # no two entries chain to the same one
    assert audit_chain_verify().intact
