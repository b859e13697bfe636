"""The shape of the records linkage reads, whoever supplies them.

Linkage takes a pandas DataFrame with one row per record as one source
(an agency; a FEBRL file) holds it. Every column is text except
``unique_id``; a value that is not known is the empty string. The Django
side builds this frame from ``AgencyRecord``; the evaluation builds it from
FEBRL or a synthetic extract folder.

| column | meaning |
|---|---|
| unique_id | an integer unique across the frame (the AgencyRecord key) |
| source | who holds the record: an agency code, or a FEBRL file name |
| source_type | optional: the kind of agency (``gp``, ``school``, …; see the extract contract) |
| given_name, family_name | as recorded |
| other_names | middle names, aliases, former names, ``;``-separated |
| date_of_birth | ISO 8601 date (``2019-04-30``) |
| sex | ``F``, ``M`` or empty (``U`` counts as unknown) |
| nhs_number, upn | valid national identifiers (invalid ones never reach linkage) |
| other_id | any other identifier the data carries (FEBRL's social security id) |
| address, postcode | as recorded |
| household | the source's own key for the household the record lives in, scoped by source |
"""

from __future__ import annotations

RECORD_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "other_id",
    "address",
    "postcode",
    "household",
)
