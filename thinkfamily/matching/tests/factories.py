"""Builders of candidate pairs and the people behind them, for the matching tests."""

from __future__ import annotations

from thinkfamily.matching.models import CandidatePair
from thinkfamily.people.models import AgencyRecord

#: What the linkage engine writes for a pair: one entry per comparison.
COMPARISONS = [
    {
        "name": "given name",
        "level": "nickname or short form",
        "match_weight": 3.21,
        "left": "Tom",
        "right": "Thomas",
    },
    {
        "name": "date of birth",
        "level": "exact",
        "match_weight": 7.5,
        "left": "2019-04-03",
        "right": "2019-04-03",
    },
    {
        "name": "postcode",
        "level": "different",
        "match_weight": -2.4,
        "left": "ZZ9 1AA",
        "right": "ZZ8 2BB",
    },
]


def make_candidate(
    record: AgencyRecord,
    other_record: AgencyRecord,
    *,
    probability: float = 0.8,
    weight: float = 2.0,
    status: str = CandidatePair.Status.PENDING,
    note: str = "",
    comparisons: list[dict[str, object]] | None = None,
) -> CandidatePair:
    """A pair of two records, stored in the one order the table allows."""
    low, high = sorted((record, other_record), key=lambda r: r.pk)
    return CandidatePair.objects.create(
        record=low,
        other_record=high,
        match_probability=probability,
        match_weight=weight,
        status=status,
        note=note or ("Different people" if status == CandidatePair.Status.REJECTED else ""),
        comparisons=COMPARISONS if comparisons is None else comparisons,
    )
