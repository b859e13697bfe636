"""State changes of linkage, in the database.

- ``linking``: assign every agency record to a person (identifiers, then the model).
- ``merging``: merge two people with the evidence for it, and undo a merge exactly.
- ``review``: clerical review of uncertain candidate pairs.
"""

from thinkfamily.matching.services.linking import (
    LinkableRecord,
    LinkResult,
    records_link_deterministically,
)

__all__ = ["LinkResult", "LinkableRecord", "records_link_deterministically"]
