"""Reading and validating an agency extract, before anything touches the database.

An extract is a folder of UTF-8 CSV files (``records.csv``, and optionally
``relationships.csv`` and ``events.csv``) in the format of
``shared/contracts/agency-extract.md``. This module turns each file into
typed rows and a list of ``RowError``\\ s naming the file, line, column and
reason for every problem it finds. It checks everything that can be checked
from the extract alone; whether a related record exists *in the database* is
checked by the importer, which knows what is stored.

Nothing here imports Django, so the same validation can run anywhere.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from thinkfamily.people.identifiers import (
    IdentifierError,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
)

AGENCY_TYPES = frozenset(
    {
        "school",
        "early_years",
        "gp",
        "health_visiting",
        "midwifery",
        "hospital",
        "police",
        "csc",
        "housing",
        "probation",
        "cafcass",
        "youth_justice",
        "other",
    }
)
RELATIONSHIP_KINDS = frozenset(
    {
        "parent",
        "child",
        "sibling",
        "half_sibling",
        "step_sibling",
        "partner",
        "carer",
        "household_member",
    }
)
EVENT_TYPES = frozenset(
    {
        "contact",
        "concern",
        "referral",
        "visit",
        "appointment",
        "missed_appointment",
        "attendance",
        "incident",
        "assessment",
        "note",
    }
)
CONCERN_CATEGORIES = frozenset(
    {"neglect", "physical", "emotional", "sexual", "domestic_abuse", "exploitation", "other"}
)

RECORDS_FILE = "records.csv"
RELATIONSHIPS_FILE = "relationships.csv"
EVENTS_FILE = "events.csv"


@dataclass(frozen=True)
class RowError:
    """One problem with an extract: where it is (file, line, column) and what is wrong."""

    file: str
    line: int
    column: str
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class RowInvalid(Exception):
    """Raised by a column parser; the reader turns it into a RowError for that column."""


def _shown(text: str) -> str:
    """The cell as an error quotes it: in full when short, its start and length when long."""
    if len(text) <= 40:
        return repr(text)
    return f"{text[:40]!r}… ({len(text):,} characters)"


# --- Column parsers: each takes the raw text (never empty) and returns a value or raises. ---


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowInvalid(f"{_shown(text)} is not a date (expected YYYY-MM-DD)") from None


def _parse_datetime(text: str) -> dt.datetime:
    """A date or an ISO 8601 date-time; a date alone means the start of that day."""
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RowInvalid(
            f"{_shown(text)} is not a date or date-time "
            "(expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"
        ) from None
    # Stored in UTC: within a day (the largest offset) of the calendar's ends, it cannot be.
    if not _EARLIEST_MOMENT <= moment.replace(tzinfo=None) <= _LATEST_MOMENT:
        raise RowInvalid(f"{_shown(text)} is too near the ends of the calendar to store")
    return moment


_EARLIEST_MOMENT = dt.datetime.min + dt.timedelta(days=1)
_LATEST_MOMENT = dt.datetime.max - dt.timedelta(days=1)


def _parse_yes(text: str) -> bool:
    lowered = text.lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise RowInvalid(f"{_shown(text)} must be yes, no or empty")


def _one_of(allowed: frozenset[str], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise RowInvalid(
                f"{_shown(text)} is not a known {what} (one of {', '.join(sorted(allowed))})"
            )
        return text

    return parse


def _identifier(normalise: Callable[[str], str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            return normalise(text)
        except IdentifierError as error:
            raise RowInvalid(f"{_shown(text)} is not valid: {error}") from None

    return parse


def _postcode(text: str) -> str:
    try:
        return normalise_postcode(text)
    except ValueError:
        raise RowInvalid(f"{_shown(text)} is not a UK postcode") from None


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise RowInvalid(f"is {len(text)} characters long; at most {limit} are allowed")
        return text

    return parse


@dataclass(frozen=True)
class Column:
    """One column of the contract: its name, whether it must have a value, and its parser."""

    name: str
    required: bool
    parse: Callable[[str], Any]
    default: Any = ""


def _columns(*columns: Column) -> dict[str, Column]:
    return {column.name: column for column in columns}


RECORD_COLUMNS = _columns(
    Column("agency_code", True, _text(40)),
    Column("agency_type", True, _one_of(AGENCY_TYPES, "agency type")),
    Column("record_id", True, _text(100)),
    Column("given_name", True, _text(100)),
    Column("family_name", True, _text(100)),
    Column("other_names", False, _text(300)),
    Column("date_of_birth", False, _parse_date, None),
    Column("unborn", False, _parse_yes, False),
    Column("sex", False, _one_of(frozenset({"F", "M", "U"}), "sex")),
    Column("nhs_number", False, _identifier(normalise_nhs_number)),
    Column("upn", False, _identifier(normalise_upn)),
    Column("address", False, _text(300)),
    Column("postcode", False, _postcode),
    Column("household_ref", False, _text(100)),
)
RELATIONSHIP_COLUMNS = _columns(
    Column("agency_code", True, _text(40)),
    Column("record_id", True, _text(100)),
    Column("related_record_id", True, _text(100)),
    Column("relationship", True, _one_of(RELATIONSHIP_KINDS, "relationship")),
    Column("start_date", False, _parse_date, None),
    Column("end_date", False, _parse_date, None),
)
EVENT_COLUMNS = _columns(
    Column("agency_code", True, _text(40)),
    Column("record_id", True, _text(100)),
    Column("event_id", True, _text(100)),
    Column("event_type", True, _one_of(EVENT_TYPES, "event type")),
    Column("occurred_at", True, _parse_datetime),
    Column("seen_in_person", False, _parse_yes, False),
    Column("category", False, _one_of(CONCERN_CATEGORIES, "concern category")),
    Column("summary", False, _text(2000)),
    Column("restricted", False, _parse_yes, False),
)


@dataclass
class ParsedRow:
    """A row that passed every check: its line number, parsed values and the cells as read."""

    line: int
    values: dict[str, Any]
    cells: list[str]

    @property
    def raw(self) -> str:
        """The row as CSV text, for a rejects file (built only when a row turns out bad)."""
        return _raw_line(self.cells)

    def content_hash(self) -> str:
        """A hash of the parsed values, so an unchanged row is recognised without comparing."""
        canonical = "\x1f".join(f"{key}={self.values[key]}" for key in sorted(self.values))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ParsedFile:
    """The good rows of one file and the errors of its bad rows."""

    name: str
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: The file itself is unreadable (bad header, not UTF-8, broken quoting): its rows
    #: cannot all be told apart, so nothing of the extract may be written, rejects or not.
    unreadable: bool = False


def _raw_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str] | None, str]]:
    """Yield (line number, cells, problem) for each row; cells is None when unreadable."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                # Text is decoded a block ahead of the rows, so the reader's line is not it.
                yield _undecodable_line(path), None, f"is not UTF-8 text ({error.reason})"
                return
            except csv.Error as error:
                yield reader.line_num, None, f"is not valid CSV ({error})"
                return
            # A row of empty cells (",,,," as spreadsheets write) carries nothing, as a blank line.
            yield reader.line_num, cells if any(cells) else [], ""


NUL = "\x00"
#: No text may hold a NUL character (PostgreSQL cannot store one); most often the
#: file is UTF-16, whose every other byte is NUL for Latin letters.
NUL_PROBLEM = "contains a NUL character, which text cannot hold (is the file UTF-16, not UTF-8?)"


def _undecodable_line(path: Path) -> int:
    """The number of the first line of a file that is not UTF-8, counted as the CSV reader does."""
    number = 0
    with path.open("rb") as handle:
        for chunk in handle:  # split at "\n"; "\r" alone ends a line too
            for line in chunk.splitlines(keepends=True):
                number += 1
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    return number


#: A rule across the columns of one row: returns (column, reason) for each problem.
RowCheck = Callable[[dict[str, Any]], list[tuple[str, str]]]


def read_file(
    path: Path,
    columns: dict[str, Column],
    *,
    check_row: RowCheck | None = None,
    progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Parse and validate one CSV file of an extract against its columns.

    Every problem becomes a RowError; a row with any problem is left out of
    ``rows``. ``check_row`` may add rules that involve several columns of one
    row, returning (column, reason) pairs. ``progress`` is called with the
    number of rows read since it was last called.
    """
    rows = _csv_rows(path)
    first = next(rows, None)
    if first is None:
        parsed = ParsedFile(name=path.name, unreadable=True)
        parsed.errors.append(
            RowError(path.name, 1, "", "the file is empty: a header row is needed")
        )
        return parsed
    line, header, problem = first
    if header is None and line > 1:  # the header was fine; a later line was not
        parsed = ParsedFile(name=path.name, unreadable=True)
        parsed.errors.append(RowError(path.name, line, "", f"the row {problem}"))
        return parsed
    if header is None:
        parsed = ParsedFile(name=path.name, unreadable=True)
        with path.open("rb") as handle:
            start = handle.read(4)
        if start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            problem = "is UTF-32 text, not UTF-8: save the file as UTF-8"
        elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            problem = "is UTF-16 text, not UTF-8: save the file as UTF-8"
        parsed.errors.append(RowError(path.name, 1, "", f"the header row {problem}"))
        return parsed
    return read_rows(path.name, header, rows, columns, check_row=check_row, progress=progress)


def read_rows(
    name: str,
    header: list[str],
    rows: Iterable[tuple[int, list[str] | None, str]],
    columns: dict[str, Column],
    *,
    check_row: RowCheck | None = None,
    progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Parse and validate the rows of one file of an extract, wherever they were read from.

    ``rows`` yields (line, cells, problem) after the ``header``; cells is None
    for a row that could not be read at all. A CSV file comes here through
    ``read_file``; the JSON API sends its items as rows too, so both are held
    to exactly the same rules and report errors the same way.
    """
    parsed = ParsedFile(name=name)
    if any(NUL in column for column in header):
        parsed.errors.append(RowError(name, 1, "", f"the header row {NUL_PROBLEM}"))
        parsed.unreadable = True
        return parsed
    header = [column.strip() for column in header]
    unknown = [column for column in header if column not in columns]
    missing = [column for column, spec in columns.items() if spec.required and column not in header]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            parsed.errors.append(RowError(name, 1, column, "the column appears twice"))
        seen.add(column)
    for column in unknown:
        if not column:  # "a,,b", or a trailing comma: there is no name to quote
            position = header.index(column) + 1
            parsed.errors.append(
                RowError(
                    name, 1, "", f"the header row has a column with no name (number {position})"
                )
            )
            continue
        parsed.errors.append(
            RowError(name, 1, column, "unknown column (check its spelling against the contract)")
        )
    for column in missing:
        parsed.errors.append(RowError(name, 1, column, "required column is missing"))
    if parsed.errors:
        parsed.unreadable = True
        return parsed

    # Unpacked once, because this loop runs for every cell of millions of rows.
    positions = [
        (index, column, columns[column].required, columns[column].parse, columns[column].default)
        for index, column in enumerate(header)
    ]
    absent = {spec.name: spec.default for spec in columns.values() if spec.name not in header}
    pending = 0
    for line, cells, problem in rows:
        pending += 1
        if pending == 1000 and progress:
            progress(pending)
            pending = 0
        if cells is None:
            parsed.errors.append(RowError(name, line, "", f"the row {problem}"))
            parsed.unreadable = True
            break
        if not cells:
            continue  # a blank line carries nothing
        if len(cells) != len(header):
            parsed.errors.append(
                RowError(
                    name,
                    line,
                    "",
                    f"the row has {len(cells)} fields but the header has {len(header)}",
                    _raw_line(cells),
                )
            )
            continue
        values: dict[str, Any] = dict(absent)
        row_errors: list[RowError] = []
        for index, column, required, parse, default in positions:
            text = cells[index].strip()
            if NUL in text:
                row_errors.append(RowError(name, line, column, NUL_PROBLEM))
                continue
            if not text:
                if required:
                    row_errors.append(RowError(name, line, column, "is required"))
                values[column] = default
                continue
            try:
                values[column] = parse(text)
            except RowInvalid as error:
                row_errors.append(RowError(name, line, column, str(error)))
        if not row_errors and check_row:
            row_errors = [
                RowError(name, line, column, reason) for column, reason in check_row(values)
            ]
        if row_errors:
            raw = _raw_line(cells)
            parsed.errors.extend(replace(error, raw=raw) for error in row_errors)
        else:
            parsed.rows.append(ParsedRow(line=line, values=values, cells=cells))
    if progress and pending:
        progress(pending)
    return parsed


def check_record_row(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across the columns of one records.csv row."""
    born = values["date_of_birth"]
    if born and not values["unborn"] and born > dt.date.today():
        return [("date_of_birth", f"{born} is in the future; an unborn child needs unborn=yes")]
    return []


def check_relationship_row(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across the columns of one relationships.csv row."""
    problems = []
    if values["record_id"] == values["related_record_id"]:
        problems.append(("related_record_id", "a record cannot be related to itself"))
    start, end = values["start_date"], values["end_date"]
    if start and end and end < start:
        problems.append(("end_date", f"{end} is before the start date {start}"))
    return problems


def count_lines(path: Path) -> int:
    """How many lines a file has, read fast in binary, to size a progress bar."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines
