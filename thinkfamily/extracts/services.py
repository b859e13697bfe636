"""Importing an agency extract: validate everything, then write everything or nothing.

The order of work, each step in the one transaction:

1. read and validate every file (``extracts.reader``), then the rules that
   span rows and files: duplicate ids, one type per agency, relationships and
   events that point at records which exist;
2. with any bad row, write nothing (unless rejects were asked for: then the
   good rows are written and each bad row goes to the rejects file);
3. upsert agencies and records: an unchanged row is skipped, a changed row
   keeps its previous values as a version;
4. upsert relationships; link records into people; upsert events;
5. rebuild households.

Re-importing the same extract changes nothing. The import is recorded as an
``ImportRun`` whether it was written, refused or failed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_chain_hold, audit_record
from thinkfamily.core.bulk import bulk_insert, bulk_update, in_chunks, reserve_ids
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.retry import retrying_atomic
from thinkfamily.events.models import Event
from thinkfamily.extracts.models import ImportRun
from thinkfamily.extracts.reader import (
    EVENT_COLUMNS,
    EVENTS_FILE,
    RECORD_COLUMNS,
    RECORDS_FILE,
    RELATIONSHIP_COLUMNS,
    RELATIONSHIPS_FILE,
    Column,
    ParsedFile,
    ParsedRow,
    RowCheck,
    RowError,
    check_record_row,
    check_relationship_row,
    count_lines,
    read_file,
    read_rows,
)
from thinkfamily.matching.services import LinkableRecord, LinkResult, link_audit, records_link
from thinkfamily.people.models import AgencyRecord, AgencyRecordVersion, Household, Relationship
from thinkfamily.people.services import HouseholdResult, households_rebuild
from thinkfamily.prompts.services import ReconcileResult, prompts_reconcile

#: Files an extract may carry besides its data: the answer key of a synthetic county.
IGNORED_FILES = {"truth.csv"}
RECORD_FIELDS = [
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "unborn",
    "sex",
    "nhs_number",
    "upn",
    "address",
    "postcode",
    "household_ref",
]
EVENT_FIELDS = ["event_type", "occurred_at", "seen_in_person", "category", "summary", "restricted"]


class Progress(Protocol):
    """Where an import reports how far it has got (a terminal bar, a task's status)."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclass
class ImportResult:
    """How an import ended: the run, the bad rows, and what was written."""

    run: ImportRun
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        return self.run.status in {ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL}


@dataclass
class _Extract:
    records: ParsedFile
    relationships: ParsedFile
    events: ParsedFile
    #: Rows an agency system pushed (``rows_import``), not a whole extract: households are
    #: formed again only around what they change. An extract forms every household again.
    pushed: bool = False

    @property
    def files(self) -> list[ParsedFile]:
        return [self.records, self.relationships, self.events]

    @property
    def errors(self) -> list[RowError]:
        return [error for parsed in self.files for error in parsed.errors]

    @property
    def unreadable(self) -> bool:
        return any(parsed.unreadable for parsed in self.files)


def _read_extract(path: Path, progress: Progress) -> _Extract:
    if not path.is_dir():
        raise ApplicationError(f"{path} is not a folder: an extract is a folder of CSV files.")
    if not (path / RECORDS_FILE).is_file():
        raise ApplicationError(f"{path} has no {RECORDS_FILE}: every extract needs one.")
    known = {RECORDS_FILE, RELATIONSHIPS_FILE, EVENTS_FILE} | IGNORED_FILES
    unknown = sorted(p.name for p in path.glob("*.csv") if p.name not in known)

    def read(name: str, columns: dict[str, Column], check: RowCheck | None = None) -> ParsedFile:
        file_path = path / name
        if not file_path.is_file():
            return ParsedFile(name=name)
        progress.stage(f"Reading {name}", max(count_lines(file_path) - 1, 0))
        return read_file(file_path, columns, check_row=check, progress=progress.advance)

    extract = _Extract(
        records=read(RECORDS_FILE, RECORD_COLUMNS, check_record_row),
        relationships=read(RELATIONSHIPS_FILE, RELATIONSHIP_COLUMNS, check_relationship_row),
        events=read(EVENTS_FILE, EVENT_COLUMNS),
    )
    for name in unknown:
        extract.records.errors.append(
            RowError(name, 0, "", "unknown file: an extract holds only records.csv, "
                     "relationships.csv and events.csv")
        )  # fmt: skip
        extract.records.unreadable = True
    return extract


def _reject(parsed: ParsedFile, bad: dict[int, list[tuple[str, str]]]) -> None:
    """Move rows found bad by cross-row checks (line → [(column, reason)]) into errors."""
    if not bad:
        return
    kept = []
    for row in parsed.rows:
        if row.line in bad:
            parsed.errors.extend(
                RowError(parsed.name, row.line, column, reason, row.raw)
                for column, reason in bad[row.line]
            )
        else:
            kept.append(row)
    parsed.rows = kept


def _check_duplicates(parsed: ParsedFile, key_columns: tuple[str, ...], what: str) -> None:
    """Reject every row whose key appears more than once: which copy is right is unknowable."""
    lines_of: dict[tuple, list[int]] = defaultdict(list)
    for row in parsed.rows:
        lines_of[tuple(row.values[c] for c in key_columns)].append(row.line)
    bad: dict[int, list[tuple[str, str]]] = {}
    for key, lines in lines_of.items():
        if len(lines) > 1:
            for line in lines:
                others = ", ".join(str(other) for other in lines if other != line)
                bad[line] = [(key_columns[-1], f"{what} {key[-1]!r} also appears on line {others}")]
    _reject(parsed, bad)


def _check_agency_types(parsed: ParsedFile) -> None:
    """Each agency code has one type, in the file and as already stored."""
    stored = dict(Agency.objects.values_list("code", "agency_type"))
    first_type: dict[str, tuple[str, int]] = {}
    bad: dict[int, list[tuple[str, str]]] = {}
    for row in parsed.rows:
        code, agency_type = row.values["agency_code"], row.values["agency_type"]
        if code in stored and stored[code] != agency_type:
            bad[row.line] = [
                ("agency_type", f"{code} is already known as {stored[code]!r}, not {agency_type!r}")
            ]
            continue
        expected, line = first_type.setdefault(code, (agency_type, row.line))
        if expected != agency_type:
            bad[row.line] = [
                ("agency_type", f"{code} is {expected!r} on line {line}, not {agency_type!r}")
            ]
    _reject(parsed, bad)


def _check_references(extract: _Extract) -> None:
    """Relationships and events must name records that exist, in this extract or stored."""
    good = {(r.values["agency_code"], r.values["record_id"]) for r in extract.records.rows}
    codes = {
        row.values["agency_code"]
        for parsed in (extract.relationships, extract.events)
        for row in parsed.rows
    }
    stored = set(
        AgencyRecord.objects.filter(agency__code__in=codes).values_list("agency__code", "record_id")
    )

    def problem(code: str, record_id: str) -> str:
        if (code, record_id) in good or (code, record_id) in stored:
            return ""
        if extract.records.errors:
            return (
                f"there is no good record {record_id!r} of agency {code} in this extract "
                "or stored (see the errors in records.csv)"
            )
        return f"there is no record {record_id!r} of agency {code} in this extract or stored"

    for parsed, columns in (
        (extract.relationships, ("record_id", "related_record_id")),
        (extract.events, ("record_id",)),
    ):
        bad: dict[int, list[tuple[str, str]]] = {}
        for row in parsed.rows:
            for column in columns:
                if reason := problem(row.values["agency_code"], row.values[column]):
                    bad.setdefault(row.line, []).append((column, reason))
        _reject(parsed, bad)


def _validate(extract: _Extract) -> None:
    _check_duplicates(extract.records, ("agency_code", "record_id"), "record_id")
    _check_agency_types(extract.records)
    _check_duplicates(
        extract.relationships,
        ("agency_code", "record_id", "related_record_id", "relationship"),
        "relationship",
    )
    _check_duplicates(extract.events, ("agency_code", "event_id"), "event_id")
    _check_references(extract)


def _agencies(extract: _Extract) -> dict[str, int]:
    """The agency id for every code in the extract, creating agencies seen for the first time."""
    types = {row.values["agency_code"]: row.values["agency_type"] for row in extract.records.rows}
    known = dict(Agency.objects.values_list("code", "pk"))
    for code, agency_type in sorted(types.items()):
        if code not in known:
            known[code] = Agency.objects.create(code=code, name=code, agency_type=agency_type).pk
    return known


def _version_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in values.items()
    }


@dataclass
class _RecordChanges:
    """New records (keys reserved, not yet stored) and the keys of records updated in place."""

    new_rows: list[tuple[Any, ...]]
    updated_pks: set[int]
    unchanged: int
    #: (agency id, record id) → key, for every record of the extract, stored or new.
    pks: dict[tuple[int, str], int] = field(default_factory=dict)

    def relationships(
        self, rows: list[ParsedRow], agency_ids: dict[str, int]
    ) -> list[tuple[int, int]]:
        """The extract's relationships as pairs of record keys, before anything is stored.

        Linkage reads them as "two different people"; they are written after
        the records, as they point at them.
        """
        pairs = []
        for row in rows:
            agency_id = agency_ids[row.values["agency_code"]]
            first = self.pks.get((agency_id, row.values["record_id"]))
            second = self.pks.get((agency_id, row.values["related_record_id"]))
            if first is not None and second is not None:
                pairs.append((first, second))
        return pairs

    def pending(self) -> list[LinkableRecord]:
        """The new records as linkage reads them, so they can be linked before being stored."""
        at = {name: index for index, name in enumerate(_NEW_RECORD_COLUMNS)}
        return [
            LinkableRecord(
                pk=row[at["id"]],
                nhs_number=row[at["nhs_number"]],
                upn=row[at["upn"]],
                person_id=None,
                given_name=row[at["given_name"]],
                family_name=row[at["family_name"]],
                date_of_birth=row[at["date_of_birth"]],
                unborn=row[at["unborn"]],
                sex=row[at["sex"]],
                updated_at=row[at["updated_at"]],
                agency_id=row[at["agency"]],
                other_names=row[at["other_names"]],
                address=row[at["address"]],
                postcode=row[at["postcode"]],
                household_ref=row[at["household_ref"]],
            )
            for row in self.new_rows
        ]


_NEW_RECORD_COLUMNS = ["id", "agency", "record_id", *RECORD_FIELDS, "content_hash",
                       "first_imported_at", "updated_at"]  # fmt: skip


def _update_records(
    rows: list[ParsedRow], agency_ids: dict[str, int], run: ImportRun, progress: Progress
) -> _RecordChanges:
    """Update changed records (keeping their old values as versions); plan the new ones.

    New records get their keys now but are stored by ``_insert_records`` once
    linkage has said which person each belongs to.
    """
    progress.stage("Updating records", len(rows))
    stored: dict[tuple[int, str], tuple[int, str]] = {}
    for agency_id in {agency_ids[row.values["agency_code"]] for row in rows}:
        for pk, record_id, content_hash in AgencyRecord.objects.filter(
            agency_id=agency_id
        ).values_list("pk", "record_id", "content_hash"):
            stored[(agency_id, record_id)] = (pk, content_hash)

    now = timezone.now()
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    for row in rows:
        agency_id = agency_ids[row.values["agency_code"]]
        content_hash = row.content_hash()
        values = tuple(row.values[name] for name in RECORD_FIELDS)
        existing = stored.get((agency_id, row.values["record_id"]))
        if existing is None:
            new.append((agency_id, row.values["record_id"], *values, content_hash, now, now))
        elif existing[1] != content_hash:
            changed.append((existing[0], *values, content_hash, now))

    previous = []
    changed_pks = [row[0] for row in changed]
    for chunk in in_chunks(changed_pks):
        for old in AgencyRecord.objects.filter(pk__in=chunk).values("pk", *RECORD_FIELDS):
            previous.append((old.pop("pk"), _version_values(old), now, run.pk))
    bulk_insert(
        AgencyRecordVersion, ["record", "values", "superseded_at", "superseded_by_import"], previous
    )
    bulk_update(AgencyRecord, [*RECORD_FIELDS, "content_hash", "updated_at"], changed)
    new_pks = reserve_ids(AgencyRecord, len(new))
    progress.advance(len(rows))
    new_rows = [(pk, *row) for pk, row in zip(new_pks, new, strict=True)]
    pks = {key: pk for key, (pk, _) in stored.items()}
    pks.update(((row[1], row[2]), row[0]) for row in new_rows)
    return _RecordChanges(
        new_rows=new_rows,
        updated_pks=set(changed_pks),
        unchanged=len(rows) - len(new) - len(changed),
        pks=pks,
    )


def _insert_records(changes: _RecordChanges, linked: LinkResult) -> None:
    """Store the new records, each already pointing at the person linkage chose."""
    person_of, evidence_of = linked.person_of_pending, linked.evidence_of_pending
    bulk_insert(
        AgencyRecord,
        [*_NEW_RECORD_COLUMNS, "person", "linked_by", "link_probability"],
        ((*row, person_of[row[0]], *evidence_of[row[0]]) for row in changes.new_rows),
    )


def _record_pks(agency_ids: Iterable[int]) -> dict[tuple[int, str], tuple[int, int | None]]:
    """(agency id, record id) → (record pk, person pk) for the given agencies."""
    return {
        (agency_id, record_id): (pk, person_id)
        for pk, agency_id, record_id, person_id in AgencyRecord.objects.filter(
            agency_id__in=list(agency_ids)
        ).values_list("pk", "agency_id", "record_id", "person_id")
    }


def _write_relationships(
    rows: list[ParsedRow], agency_ids: dict[str, int], progress: Progress
) -> tuple[dict[str, int], set[int]]:
    """Store new relationships and changed dates; what was written, and the records named."""
    progress.stage("Writing relationships", len(rows))
    record_pks = _record_pks({agency_ids[row.values["agency_code"]] for row in rows})
    stored = {
        (record, related, kind): (pk, started, ended)
        for pk, record, related, kind, started, ended in Relationship.objects.filter(
            agency_id__in={agency_ids[row.values["agency_code"]] for row in rows}
        ).values_list("pk", "record_id", "related_record_id", "kind", "start_date", "end_date")
    }
    new, changed = [], []
    named: set[int] = set()
    for row in rows:
        v = row.values
        agency_id = agency_ids[v["agency_code"]]
        record = record_pks[(agency_id, v["record_id"])][0]
        related = record_pks[(agency_id, v["related_record_id"])][0]
        named.update((record, related))
        existing = stored.get((record, related, v["relationship"]))
        if existing is None:
            new.append((agency_id, record, related, v["relationship"], v["start_date"],
                        v["end_date"]))  # fmt: skip
        elif existing[1:] != (v["start_date"], v["end_date"]):
            changed.append((existing[0], v["start_date"], v["end_date"]))
    bulk_insert(
        Relationship,
        ["agency", "record", "related_record", "kind", "start_date", "end_date"],
        new,
    )
    bulk_update(Relationship, ["start_date", "end_date"], changed)
    progress.advance(len(rows))
    return {"relationships_created": len(new), "relationships_updated": len(changed)}, named


def _people_of(record_pks: set[int]) -> set[int]:
    """The people these records belong to (as linked in this transaction)."""
    return {
        person
        for chunk in in_chunks(sorted(record_pks))
        for person in AgencyRecord.objects.filter(pk__in=chunk, person__isnull=False).values_list(
            "person_id", flat=True
        )
    }


@functools.lru_cache(maxsize=65536)  # events of one extract share many dates
def _aware(moment: dt.datetime) -> dt.datetime:
    """A date-time from an extract, in the partnership's time zone when it names none."""
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _write_events(
    rows: list[ParsedRow], agency_ids: dict[str, int], progress: Progress
) -> dict[str, int]:
    progress.stage("Writing events", len(rows))
    used_agencies = {agency_ids[row.values["agency_code"]] for row in rows}
    record_pks = _record_pks(used_agencies)
    stored = {
        (agency_id, external_id): (pk, content_hash)
        for pk, agency_id, external_id, content_hash in Event.objects.filter(
            agency_id__in=used_agencies, external_id__isnull=False
        ).values_list("pk", "agency_id", "external_id", "content_hash")
    }
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        v = row.values
        agency_id = agency_ids[v["agency_code"]]
        record, person = record_pks[(agency_id, v["record_id"])]
        content_hash = row.content_hash()
        values = (
            v["event_type"],
            _aware(v["occurred_at"]),
            v["seen_in_person"],
            v["category"],
            v["summary"],
            v["restricted"],
        )
        existing = stored.get((agency_id, v["event_id"]))
        if existing is None:
            new.append((agency_id, v["event_id"], record, person, *values, content_hash, now, now))
        elif existing[1] != content_hash:
            changed.append((existing[0], record, person, *values, content_hash, now))
    bulk_insert(
        Event,
        ["agency", "external_id", "record", "person", *EVENT_FIELDS, "content_hash", "created_at",
         "updated_at"],
        new,
    )  # fmt: skip
    bulk_update(Event, ["record", "person", *EVENT_FIELDS, "content_hash", "updated_at"], changed)
    progress.advance(len(rows))
    return {"events_created": len(new), "events_updated": len(changed)}


def _concerns_among(rows: list[ParsedRow], agency_ids: dict[str, int]) -> list[Event]:
    """The stored concerns these event rows wrote or kept, to raise prompts for."""
    keys = [
        (agency_ids[row.values["agency_code"]], row.values["event_id"])
        for row in rows
        if row.values["event_type"] == Event.EventType.CONCERN
    ]
    if not keys:
        return []
    by_agency: dict[int, list[str]] = defaultdict(list)
    for agency_id, event_id in keys:
        by_agency[agency_id].append(event_id)
    wanted = Q()
    for agency_id, event_ids in by_agency.items():
        wanted |= Q(agency_id=agency_id, external_id__in=event_ids)
    return list(
        Event.objects.filter(wanted, event_type=Event.EventType.CONCERN).select_related(
            "person", "agency"
        )
    )


def _form_households(
    events_only: bool, around: set[int] | None, today: dt.date | None, progress: Progress
) -> dict[str, int]:
    """Form households again: every one, only those ``around`` some records, or none.

    Households are formed from records (addresses, household references) and
    relationships; a push of events alone (the JSON API's commonest call)
    changes neither, so households are left as they are.
    """
    if events_only:
        unchanged = ("households_created", "memberships_created", "memberships_updated",
                     "memberships_ended")  # fmt: skip
        return {"households": Household.objects.count(), **dict.fromkeys(unchanged, 0)}
    progress.stage("Forming households")
    households = households_rebuild(today=today, around=around)
    return {
        "households": households.households,
        "households_created": households.households_created,
        "memberships_created": households.memberships_created,
        "memberships_updated": households.memberships_updated,
        "memberships_ended": households.memberships_ended,
    }


#: Rows written above which PostgreSQL is asked to refresh its statistics after an import.
ANALYZE_AFTER_ROWS = 50_000


def _refresh_planner_statistics(counts: dict[str, int]) -> None:
    """After a large import on PostgreSQL, ANALYZE, so queries are planned for the new data.

    Until autovacuum gets round to it, a freshly loaded table has no
    statistics and pages read events by sequential scan (measured: ~30 times
    slower on a 300,000-record county).
    """
    written = sum(counts.get(name, 0) for name in ("records_created", "events_created"))
    if connection.vendor == "postgresql" and written > ANALYZE_AFTER_ROWS:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@transaction.atomic
def households_reform(*, today: dt.date | None = None) -> tuple[HouseholdResult, ReconcileResult]:
    """Form every household again and raise what that brings, as an import's last stages do.

    A push forms only the households around what it changed, so where agencies
    push rather than send extracts this is run nightly (``thinkfamily
    households``): roles then follow ages everywhere (a child who has turned 18
    is one of the household's adults). Every recent concern is raised again and
    adults who joined a household are asked about. Run twice, the second run
    changes nothing.
    """
    started = timezone.now()
    households = households_rebuild(today=today)
    audit_chain_hold()  # before the recent concerns are read, as in ``_write``
    prompts = prompts_reconcile(
        joined_since=started,
        now=_noon(today) if today else None,
        actor_label="system: households",
    )
    return households, prompts


def write_rejects(errors: list[RowError], path: Path) -> None:
    """Write each bad row with where it was and why, so it can be corrected and sent again."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "reason", "row"])
        for error in errors:
            writer.writerow([error.file, error.line, error.column, error.reason, error.raw])


def _finish(run: ImportRun, status: str, counts: dict[str, int]) -> None:
    """Store how the run ended: the run's row is written now, or updated if ``_write`` made it."""
    run.status = status
    run.counts = counts
    run.finished_at = timezone.now()
    run.save()


def _audit(run: ImportRun, counts: dict[str, int]) -> None:
    audit_record(
        actor=run.started_by,
        actor_label="" if run.started_by else "system: import",
        action=AuditEvent.Action.IMPORT,
        object_type="import_run",
        object_id=run.pk,
        detail={"source": run.source, "status": run.status, **counts},
    )


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of an import.

    An import allocates millions of rows, tuples and dicts that never form
    reference cycles; the collector's repeated passes over them cost about a
    third of the time spent reading a large extract. Reference counting still
    frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_cycle_collector_paused()
def extract_import(
    *,
    path: Path,
    rejects_path: Path | None = None,
    started_by: User | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import the agency extract in folder ``path``, whole or not at all.

    With any bad row nothing is written and the result lists every error.
    With ``rejects_path``, good rows are written and every bad row is listed
    in that CSV file instead; an unreadable file (bad header, broken quoting,
    not UTF-8) still refuses the whole extract, because its good rows cannot
    be told from its bad ones. Raises ApplicationError when ``path`` is not
    an extract at all.
    """
    progress = progress or _Silent()
    run = ImportRun(source=str(path), started_at=timezone.now(), started_by=started_by)
    extract = _read_extract(path, progress)
    return _import(
        extract, run, rejects_path=rejects_path, started_by=started_by, progress=progress,
        today=today,
    )  # fmt: skip


#: Each part of a pushed batch, with the columns and row rules of its file in an extract.
PUSHED_PARTS = {
    "records": (RECORD_COLUMNS, check_record_row),
    "relationships": (RELATIONSHIP_COLUMNS, check_relationship_row),
    "events": (EVENT_COLUMNS, None),
}


def _parsed_from_items(part: str, items: list[dict[str, str]], progress: Progress) -> ParsedFile:
    """The items of one part of a pushed batch, read exactly as the rows of its CSV file.

    Each item maps column names to text as a CSV cell would hold it; its
    "line" is its index in the batch's list, counted from 0.
    """
    columns, check = PUSHED_PARTS[part]
    header = list(columns)
    unknown = [
        RowError(part, index, key, "unknown field (check its spelling against the contract)")
        for index, item in enumerate(items)
        for key in item
        if key not in columns
    ]
    rows = (
        (index, [item.get(column, "") for column in header], "") for index, item in enumerate(items)
    )
    progress.stage(f"Reading {part}", len(items))
    parsed = read_rows(part, header, rows, columns, check_row=check, progress=progress.advance)
    if unknown:
        bad = {error.line for error in unknown}
        parsed.rows = [row for row in parsed.rows if row.line not in bad]
        parsed.errors = sorted([*parsed.errors, *unknown], key=lambda error: error.line)
    return parsed


@_cycle_collector_paused()
def rows_import(
    *,
    source: str,
    records: Sequence[dict[str, str]] = (),
    relationships: Sequence[dict[str, str]] = (),
    events: Sequence[dict[str, str]] = (),
    started_by: User | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import records, relationships and events given as rows rather than files: all or nothing.

    The agency systems' JSON API pushes through here. Each row maps the
    columns of ``shared/contracts/agency-extract.md`` to text as its CSV cell
    would hold it; the rows are then validated, linked, formed into
    households and prompted exactly as an extract folder is, and an error's
    ``file`` is the part's name (``records``, ``relationships``, ``events``)
    and its ``line`` the row's index in that list, from 0.
    """
    progress = progress or _Silent()
    run = ImportRun(source=source, started_at=timezone.now(), started_by=started_by)
    extract = _Extract(
        records=_parsed_from_items("records", list(records), progress),
        relationships=_parsed_from_items("relationships", list(relationships), progress),
        events=_parsed_from_items("events", list(events), progress),
        pushed=True,
    )
    return _import(
        extract, run, rejects_path=None, started_by=started_by, progress=progress, today=today
    )


@retrying_atomic
def _write(
    extract: _Extract,
    run: ImportRun,
    *,
    errors: list[RowError],
    started_by: User | None,
    progress: Progress,
    today: dt.date | None,
) -> dict[str, int]:
    """Write a validated extract in one transaction; what was written, counted.

    Run again from the start if PostgreSQL ends the transaction as a deadlock:
    an import locks people in several rounds (merging, then raising prompts
    over every recent concern) while holding the audit trail's lock, and a
    practitioner recording a concern at that moment may hold one of those
    children and wait for the audit trail.
    """
    # The run is stored in this transaction, with what it writes: an import killed
    # part-way leaves no run "running" for ever, as it leaves no records. (A retry
    # stores it afresh; the attempt before was rolled back with its row.)
    run.pk = None
    run.save()
    agency_ids = _agencies(extract)
    changes = _update_records(extract.records.rows, agency_ids, run, progress)
    # Events alone change nobody's identity or family: there is nothing to link.
    events_only = not extract.records.rows and not extract.relationships.rows
    related = changes.relationships(extract.relationships.rows, agency_ids)
    linked = (
        LinkResult(method="nothing to link")
        if events_only
        else records_link(
            touched_record_pks=changes.updated_pks,
            pending=changes.pending(),
            pending_relationships=related,
            actor=started_by,
            progress=progress,
            audit=False,  # written with the import's own entries, at the end
        )
    )
    progress.stage("Storing new records")
    _insert_records(changes, linked)
    counts = {
        "records_created": len(changes.new_rows),
        "records_updated": len(changes.updated_pks),
        "records_unchanged": changes.unchanged,
    }
    written, named = _write_relationships(extract.relationships.rows, agency_ids, progress)
    counts |= written
    counts |= {
        "people_created": linked.people_created,
        "people_updated": linked.people_updated,
        "people_removed": linked.people_removed,
        "people_merged": linked.people_merged,
        "records_relinked": linked.records_relinked,
        "identifier_conflicts": len(linked.conflicts),
        "identifiers_withheld": linked.identifiers_withheld,
        "pairs_for_review": linked.review_pairs,
    }
    counts |= _write_events(extract.events.rows, agency_ids, progress)
    # A push raises its own concerns; an extract raises every recent concern (below).
    pushed_concerns = (
        _concerns_among(extract.events.rows, agency_ids) if events_only or extract.pushed else None
    )
    # A push changes the households of its own records and of those its relationships name.
    around = (
        {row[0] for row in changes.new_rows} | changes.updated_pks | named
        if extract.pushed
        else None
    )
    counts |= _form_households(events_only, around, today, progress)
    counts["rejects"] = len(errors)
    # Concerns in this extract prompt exactly as on a form; and children or adults
    # this extract brought into a family with a recent concern are prompted too.
    progress.stage("Raising Think Sibling prompts")
    # Hold the audit trail (to commit) before reading the recent concerns: a concern being
    # recorded takes it before reading its family, so it is either stored before this read
    # or waits for this import to commit; never raised over the families as they were.
    # Not earlier: every audited page view waits while the trail is held, so the import
    # writes its entries (the link's too) only now, in its last stage.
    audit_chain_hold()
    link_audit(linked, actor=started_by)
    prompts = prompts_reconcile(
        joined_since=None if events_only else run.started_at,
        concerns=pushed_concerns,
        changed_people=None if around is None or events_only else _people_of(around),
        now=_noon(today) if today else None,
        actor=started_by,
        actor_label="system: import",
    )
    counts |= {
        "sibling_prompts_created": prompts.sibling_prompts_created,
        "concerns_added_to_open_prompts": prompts.concerns_added_to_open_prompts,
        "new_adult_prompts_created": prompts.new_adult_prompts_created,
    }
    status = ImportRun.Status.PARTIAL if errors else ImportRun.Status.SUCCEEDED
    _finish(run, status, counts)
    _audit(run, counts)
    # PostgreSQL checks every foreign key of the new rows now, at commit.
    progress.stage("Checking and committing")
    return counts


def _import(
    extract: _Extract,
    run: ImportRun,
    *,
    rejects_path: Path | None,
    started_by: User | None,
    progress: Progress,
    today: dt.date | None,
) -> ImportResult:
    """Validate a read extract, then write all of it in one transaction (or refuse it)."""
    if not extract.unreadable:
        _validate(extract)
    errors = extract.errors
    if errors and (rejects_path is None or extract.unreadable):
        _finish(run, ImportRun.Status.REFUSED, {"errors": len(errors)})
        _audit(run, {"errors": len(errors)})
        return ImportResult(run=run, errors=errors, counts=run.counts)

    try:
        counts = _write(
            extract, run, errors=errors, started_by=started_by, progress=progress, today=today
        )
    except Exception:
        run.pk = None  # its row, if _write stored one, was rolled back with the rest
        _finish(run, ImportRun.Status.FAILED, {})
        raise
    if rejects_path is not None and errors:
        write_rejects(errors, rejects_path)
    _refresh_planner_statistics(counts)
    return ImportResult(run=run, errors=errors, counts=counts)
