"""State changes of linkage, in the database.

- ``linking``: assign every agency record to a person (identifiers, then the model).
- ``merging``: merge two people with the evidence for it, and undo a merge exactly.
- ``review``: clerical review of uncertain candidate pairs.
"""

from thinkfamily.matching.services.linking import (
    LinkableRecord,
    LinkResult,
    records_link,
)
from thinkfamily.matching.services.merging import merge_undo, merge_undo_refusal, people_merge
from thinkfamily.matching.services.review import (
    candidate_confirm,
    candidate_defer,
    candidate_reject,
)

__all__ = [
    "LinkResult",
    "LinkableRecord",
    "candidate_confirm",
    "candidate_defer",
    "candidate_reject",
    "merge_undo",
    "merge_undo_refusal",
    "people_merge",
    "records_link",
]
