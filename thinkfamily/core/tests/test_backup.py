"""Backup and restore on the database the suite runs on: SQLite by default, PostgreSQL in CI.

The Carter family (synthetic) is built through the apps' own services, with
a concern and its prompts, a referral and audit entries; ``thinkfamily
backup`` writes it out and ``thinkfamily restore`` reads it into an empty
second database, run as the operator would run it: the command in its own
process with DATABASE_URL pointing at the empty database. Every row of every
table of the copy is then compared with the original, by id and content,
and the audit chain verified on the copy by ``thinkfamily audit verify``.

The copy is read by the same code in a process of its own, so what this
test's connection may touch is left as pytest-django sets it up. The tests
are transactional, so the data is committed where ``pg_dump``
(another process) can read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core import backup
from thinkfamily.core.backup import database_backup, database_restore, manifest_path_for
from thinkfamily.core.databases import database_url_of
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import AgencyRecord, Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import concern_record
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.tests.helpers import gp_refers

pytestmark = pytest.mark.django_db(transaction=True)

THINKFAMILY = Path(sys.executable).parent / "thinkfamily"


# -- the data, and what a database holds --------------------------------------------------------


def build_family_record() -> None:
    """The Carters, a concern about Ava with its sibling prompts, a referral, reads audited."""
    from thinkfamily.accounts.models import User

    family = carter_family()
    dsl = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    concern_record(
        person=family.ava,
        by=dsl,
        occurred_at=timezone.now(),
        category=Event.Category.NEGLECT,
        summary="Arrived hungry and in the same clothes all week.",
    )
    gp_refers(family)
    for person in (family.ava, family.ben):
        audit_record(
            actor=dsl,
            action=AuditEvent.Action.VIEW_PERSON,
            object_type="person",
            object_id=person.pk,
            reason="designated safeguarding lead of the child's school",
            detail={"pupil": True, "names": ["Ava", "Ben"]},
        )


def table_contents(alias: str = DEFAULT_DB_ALIAS) -> dict[str, dict[str, str]]:
    """Every concrete model's rows: table → primary key → SHA-256 of the row's values."""
    contents: dict[str, dict[str, str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = model._base_manager.using(alias).order_by("pk").values()
        contents[model._meta.db_table] = {
            str(row["id"] if "id" in row else sorted(row.items())): hashlib.sha256(
                json.dumps(row, sort_keys=True, default=str).encode()
            ).hexdigest()
            for row in rows
        }
    return contents


def database_dump() -> dict[str, Any]:
    """What the configured database holds: its tables' contents and its audit trail, as JSON.

    Run in the restored database's own process by ``contents_of``.
    """
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    if not names:
        return {"table_names": [], "tables": {}, "audit": []}
    audit = AuditEvent.objects.order_by("id").values_list(
        "id", "entry_hash", "previous_hash", "action", "detail"
    )
    return {"table_names": names, "tables": table_contents(), "audit": [list(e) for e in audit]}


def contents_of(settings_dict: dict[str, object]) -> dict[str, Any]:
    code = "import json; from thinkfamily.core.tests.test_backup import database_dump as d; "
    code += "print(json.dumps(d(), default=str))"
    dumped = thinkfamily("shell", "-c", code, settings_dict=settings_dict)
    assert dumped.returncode == 0, dumped.stderr
    return json.loads(dumped.stdout.splitlines()[-1])  # after any banner the shell prints


def thinkfamily(*args: str, settings_dict: dict[str, object]) -> subprocess.CompletedProcess[str]:
    """Run ``thinkfamily ARGS`` in its own process against the database of ``settings_dict``."""
    environment = {**os.environ, "DATABASE_URL": database_url_of(settings_dict)}
    return subprocess.run(
        [str(THINKFAMILY), *args], env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[dict[str, object]]:
    """The settings of a second, empty database of the suite's vendor.

    SQLite: a new file. PostgreSQL: a database with a unique name on the same
    server, dropped afterwards.
    """
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        settings_dict["NAME"] = f"tf_restore_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    try:
        yield settings_dict
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


# -- restoring into an empty database ------------------------------------------------------------


def test_a_restore_into_an_empty_database_holds_every_row_and_the_chain_still_verifies(
    tmp_path, empty_database
):
    build_family_record()
    before = json.loads(json.dumps(table_contents()))
    audit_before = [
        [id_, entry_hash]
        for id_, entry_hash in AuditEvent.objects.order_by("id").values_list("id", "entry_hash")
    ]
    assert Person.objects.count() == 9 and AgencyRecord.objects.count() >= 13
    assert Event.objects.count() >= 1 and Prompt.objects.count() >= 1
    assert Referral.objects.count() == 1 and len(audit_before) >= 4
    file = tmp_path / "thinkfamily.backup"

    call_command("backup", str(file))

    manifest = json.loads(manifest_path_for(file).read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["audit_last_hash"] == audit_before[-1][1]
    assert manifest["row_counts"] == {
        "people_person": 9,
        "people_agencyrecord": AgencyRecord.objects.count(),
        "events_event": Event.objects.count(),
        "audit_auditevent": len(audit_before),
        "prompts_prompt": Prompt.objects.count(),
        "referrals_referral": 1,
    }
    assert manifest["migrations"]["audit"] == "0011_backup_restore_actions"
    # The backup is audited after it is taken, naming the file by its hash.
    backed_up = AuditEvent.objects.latest("id")
    assert backed_up.action == AuditEvent.Action.BACKUP
    assert backed_up.detail["sha256"] == manifest["sha256"]
    assert backed_up.previous_hash == manifest["audit_last_hash"]

    restore = thinkfamily("restore", str(file), settings_dict=empty_database)
    assert restore.returncode == 0, restore.stderr
    assert "Row counts match the manifest; audit chain intact" in restore.stdout

    copy = contents_of(empty_database)
    after = copy["tables"]
    restored_audit = after.pop("audit_auditevent")
    original_audit = before.pop("audit_auditevent")
    assert after == before  # every row of every other table, by id and content
    # Every audit entry as it was, then one more: the restore, chained onto the backup's last.
    assert list(restored_audit.items())[: len(original_audit)] == list(original_audit.items())
    assert len(restored_audit) == len(original_audit) + 1
    assert [[id_, entry_hash] for id_, entry_hash, *_ in copy["audit"][:-1]] == audit_before
    _, restore_hash, restore_previous, restore_action, restore_detail = copy["audit"][-1]
    assert restore_action == AuditEvent.Action.RESTORE
    assert restore_previous == manifest["audit_last_hash"]
    assert restore_detail["counts_match"] is True

    verify = thinkfamily("audit", "verify", "--json", settings_dict=empty_database)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    chain = json.loads(verify.stdout)
    assert chain["intact"] is True
    assert chain["entries"] == len(audit_before) + 1
    assert chain["last_hash"] == restore_hash


# -- what a restore refuses ----------------------------------------------------------------------


def test_restoring_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(tmp_path):
    build_family_record()
    file = tmp_path / "thinkfamily.backup"
    database_backup(to=file)
    Person.objects.filter(pk=Person.objects.earliest("pk").pk).update(
        given_name="Changed after the backup"
    )
    before = table_contents()

    with pytest.raises(ApplicationError, match="not empty") as refused:
        database_restore(source=file)
    with pytest.raises(CommandError, match="restoring over live data would lose what it holds"):
        call_command("restore", str(file))

    assert table_contents() == before
    hint = "createdb" if connection.vendor == "postgresql" else "a new file"
    assert hint in refused.value.message


@pytest.mark.parametrize("manifest_too", [False, True], ids=["as-written", "manifest-redone"])
def test_a_truncated_backup_is_refused_and_the_empty_database_stays_empty(
    tmp_path, empty_database, manifest_too
):
    build_family_record()
    file = tmp_path / "thinkfamily.backup"
    database_backup(to=file)
    whole = file.read_bytes()
    file.write_bytes(whole[: len(whole) // 2])
    if manifest_too:
        # Someone "fixed" the manifest to match: the file itself must still be refused.
        manifest = json.loads(manifest_path_for(file).read_text())
        manifest["sha256"] = hashlib.sha256(file.read_bytes()).hexdigest()
        manifest_path_for(file).write_text(json.dumps(manifest))

    restore = thinkfamily("restore", str(file), settings_dict=empty_database)

    assert restore.returncode != 0
    if manifest_too:
        expected = "integrity check" if connection.vendor == "sqlite" else "pg_restore failed"
    else:
        expected = "it is truncated or damaged"
    assert expected in restore.stderr, restore.stderr
    assert contents_of(empty_database)["table_names"] == []


def test_a_restore_that_does_not_match_its_manifest_says_so_and_fails(tmp_path, empty_database):
    build_family_record()
    file = tmp_path / "thinkfamily.backup"
    database_backup(to=file)
    # The manifest says the backup held one more person and ended at another hash than it did.
    manifest = json.loads(manifest_path_for(file).read_text())
    manifest["row_counts"]["people_person"] += 1
    manifest["audit_last_hash"] = "f" * 64
    manifest_path_for(file).write_text(json.dumps(manifest))

    restore = thinkfamily("restore", str(file), settings_dict=empty_database)

    assert restore.returncode != 0
    assert "people_person has 9 rows; the backup had 10" in restore.stderr, restore.stderr
    assert f"not at {'f' * 64} as the backup's manifest says" in restore.stderr
    # The restore is in the restored trail all the same, with what was wrong.
    *_, action, detail = contents_of(empty_database)["audit"][-1]
    assert action == AuditEvent.Action.RESTORE and detail["counts_match"] is False
    assert len(detail["problems"]) == 2


def test_a_backup_without_its_manifest_is_refused(tmp_path):
    file = tmp_path / "thinkfamily.backup"
    database_backup(to=file)
    manifest_path_for(file).unlink()
    with pytest.raises(ApplicationError, match="has no manifest"):
        database_restore(source=file)


def test_a_backup_of_the_other_vendor_is_refused(tmp_path):
    file = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        other, other_name = "postgresql", "PostgreSQL"
        file.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(200))
    else:
        other, other_name = "sqlite", "SQLite"
        with sqlite3.connect(file) as made:
            made.execute("CREATE TABLE people_person (id integer)")
        made.close()
    manifest_path_for(file).write_text(
        json.dumps(
            {
                "vendor": other,
                "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
                "row_counts": {},
            }
        )
    )
    with pytest.raises(ApplicationError, match=f"is a {other_name} backup and this database is"):
        database_restore(source=file)
    # A file of the other vendor whose manifest claims this one is refused by what it is.
    manifest = json.loads(manifest_path_for(file).read_text())
    manifest_path_for(file).write_text(json.dumps({**manifest, "vendor": connection.vendor}))
    with pytest.raises(CommandError, match=f"is a {other_name} backup"):
        call_command("restore", str(file))


# -- writing a backup ----------------------------------------------------------------------------


def test_a_backup_that_fails_leaves_no_file_that_looks_whole(tmp_path, monkeypatch):
    file = tmp_path / "thinkfamily.backup"

    def fail(path: Path) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_sha256", fail)
    with pytest.raises(OSError, match="disk full"):
        database_backup(to=file)
    assert list(tmp_path.iterdir()) == []
