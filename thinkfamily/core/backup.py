"""Backing up the database to a file, and restoring one into an empty database.

Works on whichever database ``DATABASES['default']`` is. SQLite is copied with
its online backup API (``sqlite3.Connection.backup``), safe while the web app
reads and writes; PostgreSQL with ``pg_dump --format=custom``, restored with
``pg_restore``. The password goes to those programs in ``PGPASSWORD``, never on
their command line, where any user of the machine could read it in ``ps``.

Every backup ``FILE`` has a manifest next to it, ``FILE.json``: the vendor,
the file's SHA-256, the latest applied migration of each app, the row counts
of the key tables and the audit chain's last entry hash, all read from the
same snapshot as the backup itself. A restore checks the file against its
manifest before touching the database, and afterwards checks the restored
counts and the last hash against it and verifies the whole audit chain.

A backup is written under a temporary name and renamed when whole, so a
backup that fails half-way never leaves a file that looks like a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from thinkfamily.audit.services import GENESIS_HASH, ChainCheck, audit_chain_verify
from thinkfamily.core.errors import ApplicationError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
#: The tables whose row counts a manifest records and a restore checks.
KEY_TABLES = (
    "people_person",
    "people_agencyrecord",
    "events_event",
    "audit_auditevent",
    "prompts_prompt",
    "referrals_referral",
)
MANIFEST_FORMAT = 1
#: How each vendor's backup file begins: refuses the other vendor's file even without a manifest.
FILE_SIGNATURES = {SQLITE: b"SQLite format 3\x00", POSTGRESQL: b"PGDMP"}
VENDOR_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}


@dataclass(frozen=True)
class Snapshot:
    """What a database held at one moment, as a manifest records it."""

    migrations: dict[str, str]
    row_counts: dict[str, int]
    audit_last_hash: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    vendor: str
    size_bytes: int
    sha256: str
    snapshot: Snapshot


@dataclass(frozen=True)
class RestoreResult:
    """What a restore found: the restored counts against the manifest's, and the chain check.

    ``ok`` only when every key table holds as many rows as the backup did, the
    audit chain verifies and ends at the hash the manifest recorded.
    """

    source: Path
    vendor: str
    expected_counts: dict[str, int]
    restored_counts: dict[str, int]
    chain: ChainCheck | None
    expected_last_hash: str
    pending_migrations: list[str] = field(default_factory=list)

    @property
    def counts_match(self) -> bool:
        return self.expected_counts == self.restored_counts

    @property
    def chain_intact(self) -> bool:
        return self.chain is not None and self.chain.intact

    @property
    def last_hash_matches(self) -> bool:
        return self.chain_intact and self.chain.last_hash == self.expected_last_hash  # type: ignore[union-attr]

    @property
    def ok(self) -> bool:
        return self.counts_match and self.chain_intact and self.last_hash_matches

    def problems(self) -> list[str]:
        found = []
        for table, expected in self.expected_counts.items():
            restored = self.restored_counts.get(table)
            if restored != expected:
                found.append(f"{table} has {restored} rows; the backup had {expected}")
        if self.chain is None:
            found.append(
                f"the backup is from an older version ({len(self.pending_migrations)} migrations "
                "to apply): run `thinkfamily migrate`, then `thinkfamily audit verify`"
            )
        elif not self.chain.intact:
            found.append(f"the audit chain does not verify: {self.chain.reason}")
        elif not self.last_hash_matches:
            found.append(
                f"the audit chain ends at {self.chain.last_hash}, "
                f"not at {self.expected_last_hash} as the backup's manifest says"
            )
        return found


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def database_backup(*, to: Path) -> BackupResult:
    """Back up the database to the file ``to``, with its manifest at ``to.json``.

    Safe while the app runs: SQLite's online backup and ``pg_dump`` both copy
    one consistent moment, and the manifest is read from that same moment.
    An existing file at ``to`` is replaced only once the new backup is whole.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    vendor = _vendor(connection)
    to = Path(to).resolve()
    if not to.parent.is_dir():
        raise ApplicationError(f"Cannot write the backup: the folder {to.parent} does not exist.")
    if to.is_dir():
        raise ApplicationError(f"Cannot write the backup: {to} is a folder; name a file.")
    if connection.in_atomic_block:
        raise ApplicationError("A backup must run outside a transaction, to see committed data.")
    with _temporary_sibling(to) as partial:
        if vendor == SQLITE:
            snapshot = _sqlite_backup(connection, partial)
        else:
            snapshot = _postgresql_backup(connection, partial)
        sha256 = _sha256(partial)
        manifest = {
            "format": MANIFEST_FORMAT,
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "file": to.name,
            "size_bytes": partial.stat().st_size,
            "sha256": sha256,
            "migrations": snapshot.migrations,
            "row_counts": snapshot.row_counts,
            "audit_last_hash": snapshot.audit_last_hash,
        }
        with _temporary_sibling(manifest_path_for(to)) as manifest_partial:
            manifest_partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            # The backup first, then its manifest: a crash between the two leaves a
            # file with no manifest (or an old one whose hash does not match), which
            # a restore refuses, never a manifest that vouches for a missing file.
            os.replace(partial, to)
            os.replace(manifest_partial, manifest_path_for(to))
    return BackupResult(
        path=to,
        manifest_path=manifest_path_for(to),
        vendor=vendor,
        size_bytes=to.stat().st_size,
        sha256=sha256,
        snapshot=snapshot,
    )


def database_restore(*, source: Path) -> RestoreResult:
    """Restore the backup ``source`` into the configured database, which must be empty.

    Refuses before writing anything if the file is missing, does not match its
    manifest (truncated, altered), is the other vendor's, or if the database
    already holds tables: restoring over live data would lose what it holds.
    Afterwards compares the row counts with the manifest's and verifies the
    audit chain; the caller reports the result (and audits it: see the
    ``restore`` command).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    vendor = _vendor(connection)
    source = Path(source).resolve()
    manifest = _checked_manifest(source, vendor=vendor)
    _check_database_is_empty(connection, vendor=vendor)
    if vendor == SQLITE:
        _sqlite_restore(connection, source)
    else:
        _postgresql_restore(connection, source)
    restored = _snapshot(connection.cursor())
    pending = _pending_migrations(connection)
    # The chain is read through the current model; an older schema must be migrated first.
    chain = None if pending else audit_chain_verify()
    return RestoreResult(
        source=source,
        vendor=vendor,
        expected_counts={t: int(n) for t, n in manifest["row_counts"].items()},
        restored_counts=restored.row_counts,
        chain=chain,
        expected_last_hash=str(manifest["audit_last_hash"]),
        pending_migrations=pending,
    )


# -- what a database holds ---------------------------------------------------------------------


def _snapshot(cursor: Any) -> Snapshot:
    """Migrations, key table counts and the last audit hash, read through any DB-API cursor.

    Plain SQL with no parameters, so the same function reads a Django
    connection and a bare ``sqlite3`` connection to a backup file.
    """
    with cursor as opened:
        opened.execute("SELECT app, name FROM django_migrations")
        migrations: dict[str, str] = {}
        for app, name in opened.fetchall():
            migrations[app] = max(name, migrations.get(app, ""))
        row_counts = {}
        for table in KEY_TABLES:
            opened.execute(f'SELECT COUNT(*) FROM "{table}"')
            row_counts[table] = int(opened.fetchone()[0])
        opened.execute("SELECT entry_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        last = opened.fetchone()
    return Snapshot(
        migrations=dict(sorted(migrations.items())),
        row_counts=row_counts,
        audit_last_hash=last[0] if last else GENESIS_HASH,
    )


def _pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """Migrations this code has that the restored database has not had applied."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor in (SQLITE, POSTGRESQL):
        return connection.vendor
    raise ApplicationError(
        f"Backup and restore work on SQLite and PostgreSQL, not {connection.vendor}."
    )


def _check_database_is_empty(connection: BaseDatabaseWrapper, *, vendor: str) -> None:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor, include_views=True)
    if not tables:
        return
    if vendor == SQLITE:
        how = "point DATABASE_URL at a new file (e.g. DATABASE_URL=sqlite:////srv/tf/restored.sqlite3)"
    else:
        how = (
            "create one with `createdb NAME` (or DROP DATABASE and create it again, once "
            "you are sure the data is not needed) and point DATABASE_URL at it"
        )
    raise ApplicationError(
        f"The database is not empty ({len(tables)} tables, e.g. {', '.join(sorted(tables)[:3])}): "
        f"restoring over live data would lose what it holds, so nothing was changed. "
        f"Restore into an empty database: {how}; do not run migrate on it first.",
        extra={"tables": len(tables)},
    )


def _checked_manifest(source: Path, *, vendor: str) -> dict[str, Any]:
    """The manifest of ``source``, once the file has been checked against it."""
    if not source.is_file():
        raise ApplicationError(f"There is no backup file at {source}.")
    manifest_path = manifest_path_for(source)
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise ApplicationError(
            f"{source} has no manifest ({manifest_path.name}) next to it: without it the file "
            "cannot be checked, so it is not restored."
        ) from None
    except (OSError, ValueError) as error:
        raise ApplicationError(f"The manifest {manifest_path} cannot be read: {error}.") from None
    if not isinstance(manifest, dict) or not {"vendor", "sha256", "row_counts"} <= manifest.keys():
        raise ApplicationError(f"{manifest_path} is not a Think Family backup manifest.")
    with source.open("rb") as file:
        head = file.read(16)
    file_vendor = next(
        (name for name, signature in FILE_SIGNATURES.items() if head.startswith(signature)), None
    )
    for claimed in (manifest["vendor"], file_vendor):
        if claimed is not None and claimed != vendor:
            raise ApplicationError(
                f"{source} is a {VENDOR_NAMES.get(claimed, claimed)} backup and this database is "
                f"{VENDOR_NAMES[vendor]}: a backup restores only into the kind of database it "
                "was taken from."
            )
    if _sha256(source) != manifest["sha256"]:
        raise ApplicationError(
            f"{source} is not the file its manifest describes ({source.stat().st_size} bytes, "
            f"the backup was {manifest.get('size_bytes', '?')}; the SHA-256 differs): it is "
            "truncated or damaged. Nothing was restored; use another backup."
        )
    if file_vendor is None:
        raise ApplicationError(f"{source} is not a {VENDOR_NAMES[vendor]} backup file.")
    return manifest


# -- SQLite --------------------------------------------------------------------------------------


def _sqlite_backup(connection: BaseDatabaseWrapper, partial: Path) -> Snapshot:
    connection.ensure_connection()
    live: sqlite3.Connection = connection.connection
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy)
        # A backup is one self-contained file: not the live database's WAL mode, whose
        # recent writes would sit in a -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if checked != "ok":
            raise ApplicationError(f"The backup copy failed SQLite's integrity check: {checked}.")
        return _snapshot(_ClosingCursor(copy.cursor()))
    finally:
        copy.close()


def _sqlite_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    backup = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        try:
            checked = backup.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            checked = str(error)
        if checked != "ok":
            raise ApplicationError(
                f"{source} fails SQLite's integrity check ({checked}): nothing was restored."
            )
        connection.ensure_connection()
        backup.backup(connection.connection)
    finally:
        backup.close()


class _ClosingCursor:
    """A ``sqlite3`` cursor usable in ``with``, as Django's cursors are."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    def __enter__(self) -> sqlite3.Cursor:
        return self.cursor

    def __exit__(self, *exc: object) -> None:
        self.cursor.close()


# -- PostgreSQL ----------------------------------------------------------------------------------


def _postgresql_backup(connection: BaseDatabaseWrapper, partial: Path) -> Snapshot:
    """``pg_dump`` the snapshot of a transaction, and read the manifest in the same snapshot.

    The transaction exports its snapshot and stays open while ``pg_dump``
    runs with ``--snapshot``, so the counts and last hash in the manifest are
    exactly those of the dump, however busy the app is meanwhile.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        _run_pg(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot_id}", f"--file={partial}"],
            connection.settings_dict,
            doing="back up the database",
        )
        return _snapshot(connection.cursor())


def _postgresql_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    _run_pg(
        "pg_restore",
        ["--list", str(source)],
        connection.settings_dict,
        doing=f"read {source}",
        with_database=False,
    )
    # One transaction and stop at the first error: a restore that fails leaves the
    # database as empty as it was. Owners and grants are the old server's roles,
    # which need not exist here; the configured user owns what is restored.
    _run_pg(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(source)],
        connection.settings_dict,
        doing="restore the database",
    )


def _run_pg(
    program: str,
    arguments: Sequence[str],
    settings_dict: Mapping[str, Any],
    *,
    doing: str,
    with_database: bool = True,
) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise ApplicationError(
            f"Cannot {doing}: {program} is not installed (it comes with PostgreSQL's client "
            "programs, e.g. apt-get install postgresql-client, at the server's version)."
        )
    command = [executable, "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command.append(f"{option}={settings_dict[key]}")
    if with_database:
        command.append(f"--dbname={settings_dict['NAME']}")
    command.extend(arguments)
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    if (settings_dict.get("OPTIONS") or {}).get("sslmode"):
        environment["PGSSLMODE"] = str(settings_dict["OPTIONS"]["sslmode"])
    completed = subprocess.run(command, env=environment, capture_output=True, text=True)
    if completed.returncode != 0:
        said = completed.stderr.strip() or completed.stdout.strip() or "no message"
        raise ApplicationError(f"Cannot {doing}: {program} failed: {said}")


# -- files ---------------------------------------------------------------------------------------


@contextmanager
def _temporary_sibling(path: Path) -> Iterator[Path]:
    """A fresh name beside ``path`` (so renaming onto it is atomic), removed on failure."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    partial = Path(name)
    partial.unlink()  # sqlite3 and pg_dump create the file themselves
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
