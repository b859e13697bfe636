"""Build small agency extracts on disk for tests, with only obviously synthetic people."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.gb import nhs, upn

RECORD_HEADER = [
    "agency_code",
    "agency_type",
    "record_id",
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
RELATIONSHIP_HEADER = [
    "agency_code",
    "record_id",
    "related_record_id",
    "relationship",
    "start_date",
    "end_date",
]
EVENT_HEADER = [
    "agency_code",
    "record_id",
    "event_id",
    "event_type",
    "occurred_at",
    "seen_in_person",
    "category",
    "summary",
    "restricted",
]


def valid_nhs(seed: int) -> str:
    """The seed-th valid NHS number after 900 000 000 0 (test numbers, not anybody's)."""
    candidate = 900000000 + seed * 7
    while True:
        base = str(candidate)
        for digit in "0123456789":
            if nhs.is_valid(base + digit):
                return base + digit
        candidate += 1


def valid_upn(seed: int) -> str:
    """A valid Unique Pupil Number for local authority 801, made from ``seed``."""
    body = f"80120{seed:07d}"
    return upn.calc_check_digit(body) + body


def record(**values: str) -> dict[str, str]:
    """A records.csv row with sensible defaults for the required columns."""
    row = {"agency_code": "GP-Y00001", "agency_type": "gp", "given_name": "Test", "family_name":
           "Person"}  # fmt: skip
    row.update(values)
    return row


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def write_extract(
    folder: Path,
    records: list[dict[str, str]],
    relationships: list[dict[str, str]] | None = None,
    events: list[dict[str, str]] | None = None,
) -> Path:
    """Write an extract folder with the given rows; absent columns are written empty."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "records.csv", RECORD_HEADER, records)
    if relationships is not None:
        write_csv(folder / "relationships.csv", RELATIONSHIP_HEADER, relationships)
    if events is not None:
        write_csv(folder / "events.csv", EVENT_HEADER, events)
    return folder
