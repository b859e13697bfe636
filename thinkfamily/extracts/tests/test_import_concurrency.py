"""An import running while practitioners record concerns: both complete, neither disturbs the other.

The import is ``thinkfamily import`` in a process of its own, against this
test's database, as an operator runs it, on a small synthetic county whose
agencies include three the Carter family is known to (the school, the police,
children's social care). While it runs, four practitioners on threads of their
own keep recording concerns about the Carter children, already in the
database. On PostgreSQL they meet the import at the row locks on the children
(its prompts are raised again over every recent concern, theirs included)
and at the audit trail's lock; on SQLite each waits for the import's one
write transaction, or it for them.

Afterwards: the import succeeded and decided exactly what the same import
decides with nobody else at work; every concern recorded is stored once and
has prompted each child connected to its child exactly once; nothing failed.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.services import audit_chain_verify
from thinkfamily.core.databases import database_url_of
from thinkfamily.events.models import Event
from thinkfamily.extracts.models import ImportRun
from thinkfamily.people.family import family_graph_load
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt, PromptTrigger
from thinkfamily.prompts.services import concern_record
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db(transaction=True)

THINKFAMILY = str(Path(sys.executable).with_name("thinkfamily"))
#: Small enough to import in a few seconds here, big enough that the users overlap it.
PEOPLE = 400


def _import(extract: Path, model: Path) -> subprocess.Popen[str]:
    connection.close()  # this process holds no lock while the import runs
    return subprocess.Popen(
        [THINKFAMILY, "import", str(extract), "--no-progress"],
        env=os.environ
        | {
            "DATABASE_URL": database_url_of(connection.settings_dict),
            "THINKFAMILY_LINKAGE_MODEL": str(model),
            "DJANGO_SETTINGS_MODULE": "thinkfamily.settings",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen[str]) -> None:
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, f"thinkfamily import failed:\n{errors[-3000:]}"


@pytest.fixture(scope="module")
def county(  # extracted today, so its concerns are recent and raise prompts
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    folder = tmp_path_factory.mktemp("county") / "extract"
    subprocess.run(
        [THINKFAMILY, "synth", "--people", str(PEOPLE), "--seed", "11", "--out", str(folder),
         "--extract-date", timezone.localdate().isoformat(), "--no-progress"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


def imported(extract: Path) -> dict[str, Any]:
    """What the import decided about its own records, by natural keys, never database ids."""
    with (extract / "records.csv").open(encoding="utf-8") as handle:
        keys = {(row["agency_code"], row["record_id"]) for row in csv.DictReader(handle)}
    key_of = {
        record.pk: (record.agency.code, record.record_id)
        for record in AgencyRecord.objects.select_related("agency")
        if (record.agency.code, record.record_id) in keys
    }
    assert len(key_of) == len(keys), "the import did not store every record"
    records_of: dict[int, list[tuple[str, str]]] = {}
    for pk, person_id in AgencyRecord.objects.filter(pk__in=key_of).values_list("pk", "person_id"):
        records_of.setdefault(person_id, []).append(key_of[pk])
    person_key = {person: tuple(sorted(keys)) for person, keys in records_of.items()}
    people = {
        person_key[p.pk]: (p.given_name, p.family_name, p.date_of_birth, p.nhs_number, p.upn)
        for p in Person.objects.filter(pk__in=person_key)
    }
    events = sorted(
        (e.agency.code, e.external_id, e.event_type, e.occurred_at, person_key[e.person_id])
        for e in Event.objects.filter(person_id__in=person_key, external_id__isnull=False)
        .select_related("agency")
    )  # fmt: skip
    homes: dict[int, list[tuple[tuple[tuple[str, str], ...], str]]] = {}
    for membership in HouseholdMembership.objects.filter(person_id__in=person_key):
        homes.setdefault(membership.household_id, []).append(
            (person_key[membership.person_id], membership.role)
        )
    prompts = sorted(
        (
            p.kind,
            person_key[p.person_id],
            sorted(
                (t.event.agency.code, t.event.external_id or "")
                for t in p.triggers.select_related("event__agency")
            ),
        )
        for p in Prompt.objects.filter(person_id__in=person_key)
    )
    return {
        "people": people,
        "events": events,
        "households": sorted(sorted(members) for members in homes.values()),
        "prompts": prompts,
    }


def test_practitioners_recording_concerns_during_an_import_disturb_neither(county, tmp_path):
    # The import with nobody else at work, over the Carter family as it stands.
    carter_family()
    alone = _import(county, tmp_path / "model-alone.json")
    _finished(alone)
    expected = imported(county)
    assert expected["people"] and expected["prompts"]
    call_command("flush", interactive=False, verbosity=0)

    family = carter_family()
    recorders = [
        (family.ava, make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)),
        (family.ben, make_user(family.hv)),
        (family.gus, make_user(family.police)),
        (family.unborn, make_user(family.midwifery)),
    ]
    importing = threading.Event()
    importing.set()
    recorded: list[int] = []
    errors: list[BaseException] = []

    def keep_recording(person: Person, user: User) -> None:
        try:
            while importing.is_set():
                result = concern_record(
                    person=person,
                    by=user,
                    occurred_at=timezone.now(),
                    category=Event.Category.NEGLECT,
                    summary=f"Concern {len(recorded) + 1} about {person.given_name}.",
                )
                recorded.append(result.concern.pk)
                time.sleep(0.1)
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    process = _import(county, tmp_path / "model-busy.json")
    threads = [threading.Thread(target=keep_recording, args=pair) for pair in recorders]
    for thread in threads:
        thread.start()
    try:
        _finished(process)
    finally:
        importing.clear()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert imported(county) == expected
    # Every concern stored once, and each child connected to its child prompted by it once.
    concerns = Event.objects.filter(event_type="concern", external_id__isnull=True)
    assert sorted(concerns.values_list("pk", flat=True)) == sorted(recorded)
    during = concerns.filter(occurred_at__gt=run.started_at, occurred_at__lt=run.finished_at)
    assert during.count() >= len(recorders), "the practitioners did not work during the import"
    graph = family_graph_load({person.pk for person, _ in recorders}, today=timezone.localdate())
    for concern in concerns:
        reached = list(
            PromptTrigger.objects.filter(event=concern).values_list("prompt__person_id", flat=True)
        )
        assert sorted(reached) == sorted(graph.connected_children(concern.person_id)), concern
    assert audit_chain_verify().intact
