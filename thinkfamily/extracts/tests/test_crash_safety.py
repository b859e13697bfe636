"""An import or a relink killed part-way (SIGKILL), then run again, ends exactly as an
uninterrupted run does: nobody duplicated, nothing lost.

Each run is ``thinkfamily import`` (or ``thinkfamily link``) in a process of its own,
against this test's database, as an operator would run it. The state compared is
everything an import decides, read by natural keys rather than database ids (which a
killed run may use up): each agency record and its values, which records make one
person and that person's values, each event and whose it is, the relationships, who
lives with whom, and the prompts raised. The kill comes when the command reports starting
a given stage of its work, so it lands at the same point whatever this machine's speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from thinkfamily.core.databases import database_url_of
from thinkfamily.events.models import Event
from thinkfamily.extracts.models import ImportRun
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person, Relationship
from thinkfamily.prompts.models import Prompt

pytestmark = pytest.mark.django_db(transaction=True)

#: Big enough that linking and writing take a few seconds, so a kill lands inside them.
PEOPLE = 2500


#: The ``thinkfamily`` command beside this Python, as an operator runs it.
THINKFAMILY = str(Path(sys.executable).with_name("thinkfamily"))


def _command(*args: str, model: Path) -> list[str]:
    return [THINKFAMILY, *args]


def _environment(model: Path) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "THINKFAMILY_LINKAGE_MODEL": str(model),
        "DJANGO_SETTINGS_MODULE": "thinkfamily.settings",
    }


def _run(*args: str, model: Path) -> float:
    """Run a command to the end; how long it took."""
    connection.close()  # the child writes; this process holds no lock meanwhile
    started = time.monotonic()
    ended = subprocess.run(
        _command(*args, model=model), env=_environment(model), capture_output=True, text=True
    )
    assert ended.returncode == 0, f"thinkfamily {' '.join(args)} failed:\n{ended.stderr[-3000:]}"
    return time.monotonic() - started


def _run_and_kill(*args: str, model: Path, at_stage: str) -> int | None:
    """Start a command, SIGKILL it the moment it reports starting ``at_stage`` (its progress
    bars name each stage on stderr); its exit status, or None if it ended without reaching
    the stage, which would make the test prove nothing."""
    connection.close()
    process = subprocess.Popen(
        _command(*args, model=model),
        env=_environment(model),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = b""
    while chunk := process.stderr.read1(4096):  # type: ignore[attr-defined]
        seen = seen[-4096:] + chunk
        if at_stage.encode() in seen:
            process.send_signal(signal.SIGKILL)
            return process.wait(timeout=30)
    process.wait(timeout=30)
    return None


def _reset(model: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    model.unlink(missing_ok=True)


def end_state() -> dict[str, Any]:
    """What an import decided, by natural keys (agency code, record id), never database ids."""
    key_of: dict[int, tuple[str, str]] = {}
    records = {}
    for record in AgencyRecord.objects.select_related("agency"):
        key = (record.agency.code, record.record_id)
        key_of[record.pk] = key
        records[key] = (
            record.given_name, record.family_name, record.date_of_birth, record.nhs_number,
            record.upn, record.address, record.postcode, record.content_hash,
        )  # fmt: skip
    people_records: dict[int, set[tuple[str, str]]] = {}
    for pk, person_id in AgencyRecord.objects.values_list("pk", "person_id"):
        people_records.setdefault(person_id, set()).add(key_of[pk])
    # A person is named by their records' keys in sorted order: a tuple compares and
    # prints the same way every time, where a frozenset's printed order may differ
    # between two equal sets (it depends on how each set was built).
    person_key = {person: tuple(sorted(keys)) for person, keys in people_records.items()}
    people = {
        person_key[p.pk]: (p.given_name, p.family_name, p.date_of_birth, p.nhs_number, p.upn)
        for p in Person.objects.all()
        if p.pk in person_key
    }
    events = {
        (e.agency.code, e.external_id): (
            e.event_type, e.occurred_at, e.category, e.summary, e.seen_in_person,
            e.restricted, person_key.get(e.person_id),
        )
        for e in Event.objects.select_related("agency")
    }  # fmt: skip
    relationships = sorted(
        (key_of[r.record_id], key_of[r.related_record_id], r.kind)
        for r in Relationship.objects.all()
    )
    homes: dict[int, set[tuple[tuple[tuple[str, str], ...], str]]] = {}
    for membership in HouseholdMembership.objects.filter(end_date__isnull=True):
        homes.setdefault(membership.household_id, set()).add(
            (person_key.get(membership.person_id, ()), membership.role)
        )
    prompts = sorted(
        (p.kind, person_key.get(p.person_id, ()), p.status) for p in Prompt.objects.all()
    )
    return {
        "records": records,
        "people": people,
        "unlinked people": Person.objects.exclude(pk__in=list(person_key)).count(),
        "events": events,
        "relationships": relationships,
        "households": sorted(sorted(members) for members in homes.values()),
        "prompts": prompts,
    }


def _differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    problems = []
    for part, wanted in expected.items():
        got = found[part]
        if got == wanted:
            continue
        if isinstance(wanted, dict):
            missing = sorted(wanted.keys() - got.keys(), key=repr)[:3]
            extra = sorted(got.keys() - wanted.keys(), key=repr)[:3]
            changed = [k for k in wanted.keys() & got.keys() if wanted[k] != got[k]][:3]
            problems.append(f"{part}: missing {missing}, extra {extra}, changed {changed}")
        elif isinstance(wanted, list):
            problems.append(
                f"{part}: only expected {[w for w in wanted if w not in got][:3]}, "
                f"only found {[g for g in got if g not in wanted][:3]}"
            )
        else:
            problems.append(f"{part}: {wanted!r} != {got!r}")
    return problems


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county") / "extract"
    subprocess.run(
        [THINKFAMILY, "synth", "--people", str(PEOPLE),
         "--seed", "7", "--out", str(folder), "--no-progress"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


#: Where an import is killed: once linkage has trained and saved its model (outside the
#: transaction) and is storing the new records; and late, while forming households.
IMPORT_STAGES = ["Storing new records", "Forming households"]


@pytest.mark.parametrize("stage", IMPORT_STAGES)
def test_an_import_killed_part_way_and_run_again_ends_as_an_uninterrupted_one(
    county: Path, tmp_path: Path, stage: str
) -> None:
    model = tmp_path / "model.json"
    _run("import", str(county), "--no-progress", model=model)
    expected = end_state()
    assert expected["records"] and expected["events"] and expected["prompts"]

    _reset(model)
    status = _run_and_kill("import", str(county), model=model, at_stage=stage)
    assert status == -signal.SIGKILL, f"the import ended without reaching {stage!r}"
    assert not AgencyRecord.objects.exists(), "a killed import left records behind"
    assert not ImportRun.objects.exists(), "a killed import left its run 'running' for ever"
    _run("import", str(county), "--no-progress", model=model)

    assert _differences(expected, end_state()) == []
    assert list(ImportRun.objects.values_list("status", flat=True)) == ["succeeded"]


def test_a_relink_killed_part_way_and_run_again_ends_as_an_uninterrupted_one(
    county: Path, tmp_path: Path
) -> None:
    """``thinkfamily link --retrain`` relearns the model and relinks every record: killed
    half-way (the model perhaps already saved, the people not yet rewritten) and run again,
    it ends where one uninterrupted run ends."""
    model = tmp_path / "model.json"
    _run("import", str(county), "--no-progress", model=model)
    _run("link", "--retrain", "--no-progress", model=model)
    expected = end_state()

    _reset(model)
    _run("import", str(county), "--no-progress", model=model)
    status = _run_and_kill("link", "--retrain", model=model, at_stage="Updating people")
    assert status == -signal.SIGKILL, "the relink ended without reaching 'Updating people'"
    _run("link", "--retrain", "--no-progress", model=model)

    assert _differences(expected, end_state()) == []
