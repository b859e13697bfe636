"""Two requests with one Idempotency-Key at the same moment: one write, one answer given twice.

Each request runs on its own thread with its own database connection,
released together by a barrier. On PostgreSQL the second blocks on a unique
index the first is writing (the record, or the stored answer) and, once the
first commits, is undone and gives the first's answer; on SQLite the
IMMEDIATE transaction makes the second wait for the first, then find its
answer. Either way: one import, one record, two identical answers.
"""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from thinkfamily.accounts.models import Agency
from thinkfamily.api.models import IdempotentRequest
from thinkfamily.api.services import api_token_create
from thinkfamily.extracts.models import ImportRun
from thinkfamily.people.models import AgencyRecord
from thinkfamily.people.tests.factories import make_agency

pytestmark = pytest.mark.django_db(transaction=True)

RECORD = {
    "record_id": "P-1",
    "given_name": "Mia",
    "family_name": "Fernsby",
    "date_of_birth": "2016-02-11",
    "address": "4 Willow Row",
    "postcode": "ZZ1 4WR",
}


@pytest.mark.parametrize("attempt", range(2))
def test_the_same_key_twice_at_once_writes_once_and_answers_alike(attempt: int) -> None:
    school = make_agency("SCH-RACE", Agency.AgencyType.SCHOOL)
    token = api_token_create(agency=school, name="MIS", scopes=["push"]).token
    barrier = threading.Barrier(2)
    answers: list[tuple[int, bytes, str]] = []
    errors: list[BaseException] = []

    def push() -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/records",
                data=json.dumps(RECORD),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
            )
            answers.append(
                (response.status_code, response.content, response.get("Idempotent-Replayed", ""))
            )
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert [status for status, _, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]
    assert sorted(replayed for _, _, replayed in answers) == ["", "true"]
    assert AgencyRecord.objects.filter(agency=school).count() == 1
    assert ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).count() == 1
    assert IdempotentRequest.objects.count() == 1
