"""What the database tells linkage: the records, and what people and agencies already decided.

Linkage (``thinkfamily.linkage``) knows nothing of Django; this module reads
the tables into the frames it takes:

- every agency record, in ``linkage.RECORD_COLUMNS`` shape;
- relationships an agency recorded between its own records (two people);
- pairs a reviewer rejected (two people, for good);
- pairs a reviewer confirmed and merges nobody has undone (one person, for good).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from thinkfamily.accounts.models import Agency
from thinkfamily.linkage import RECORD_COLUMNS
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.people.models import AgencyRecord, Relationship

if TYPE_CHECKING:
    from thinkfamily.matching.records import LinkableRecord

PAIR_COLUMNS = ["unique_id_l", "unique_id_r"]


class Decisions(NamedTuple):
    """What people have already decided about which records are one person."""

    rejected: pd.DataFrame
    confirmed: pd.DataFrame


def records_frame(records: Iterable[LinkableRecord]) -> pd.DataFrame:
    """Agency records as linkage reads them. The household is scoped by agency."""
    kinds = dict(Agency.objects.values_list("pk", "agency_type"))
    rows = [
        (
            record.pk,
            str(record.agency_id),
            kinds.get(record.agency_id, ""),
            record.given_name,
            record.family_name,
            record.other_names,
            record.date_of_birth.isoformat() if isinstance(record.date_of_birth, dt.date) else "",
            record.sex,
            record.nhs_number,
            record.upn,
            "",
            record.address,
            record.postcode,
            f"{record.agency_id}:{record.household_ref}" if record.household_ref else "",
        )
        for record in records
    ]
    columns = list(RECORD_COLUMNS)
    return pd.DataFrame(rows, columns=[*columns[:2], "source_type", *columns[2:]])


def relationships_frame(pending: Sequence[tuple[int, int]] = ()) -> pd.DataFrame:
    """Pairs of records an agency relates to each other: stored ones and ``pending`` ones."""
    stored = list(Relationship.objects.values_list("record_id", "related_record_id"))
    return pd.DataFrame([*stored, *pending], columns=["unique_id", "related_unique_id"])


def _pairs(rows: Iterable[tuple[int, int]]) -> pd.DataFrame:
    ordered = {(min(left, right), max(left, right)) for left, right in rows if left != right}
    return pd.DataFrame(sorted(ordered), columns=PAIR_COLUMNS)


def decisions() -> Decisions:
    """Rejected pairs, and confirmed pairs plus the records of merges still standing."""
    rejected = CandidatePair.objects.filter(status=CandidatePair.Status.REJECTED).values_list(
        "record_id", "other_record_id"
    )
    confirmed = list(
        CandidatePair.objects.filter(status=CandidatePair.Status.CONFIRMED).values_list(
            "record_id", "other_record_id"
        )
    )
    for merge in Merge.objects.filter(undone_at__isnull=True).only("survivor", "snapshot"):
        moved = merge.snapshot.get("records", [])
        anchor = (
            AgencyRecord.objects.filter(person_id=merge.survivor_id)
            .exclude(pk__in=moved)
            .values_list("pk", flat=True)
            .first()
        )
        if anchor is not None:
            confirmed.extend((anchor, record) for record in moved)
    return Decisions(rejected=_pairs(rejected), confirmed=_pairs(confirmed))
