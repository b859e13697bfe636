"""An agency record as linking reads it, and what a person's demographics are made of."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

PERSON_FIELDS = [
    "given_name",
    "family_name",
    "date_of_birth",
    "unborn",
    "sex",
    "nhs_number",
    "upn",
]


class LinkableRecord(NamedTuple):
    """What linking reads of an agency record: identifiers, current person, demographics."""

    pk: int
    nhs_number: str
    upn: str
    person_id: int | None
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    unborn: bool
    sex: str
    updated_at: dt.datetime
    agency_id: int = 0
    other_names: str = ""
    address: str = ""
    postcode: str = ""
    household_ref: str = ""
    linked_by: str = ""
    link_probability: float | None = None


#: The AgencyRecord fields, in ``LinkableRecord`` order.
LINKABLE_FIELDS = LinkableRecord._fields


def person_values(records: list[LinkableRecord]) -> tuple[object, ...]:
    """The best-known demographics for a group of records, as a tuple in PERSON_FIELDS order.

    The record with an NHS number is trusted first (it came from a health
    system that checked it), then one with a date of birth, then the most
    recently updated. Identifiers come from whichever record holds them.
    """
    best = min(
        records,
        key=lambda r: (not r.nhs_number, r.date_of_birth is None, -r.updated_at.timestamp(), r.pk),
    )
    nhs = next((r.nhs_number for r in records if r.nhs_number), None)
    upn = next((r.upn for r in records if r.upn), None)
    return (best.given_name, best.family_name, best.date_of_birth, best.unborn, best.sex, nhs, upn)
