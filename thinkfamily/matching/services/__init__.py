"""State changes of linkage, in the database.

- ``linking``: assign every agency record to a person (identifiers, then the model);
  ``one_at_a_time`` places a few new records without relinking everyone;
- ``review_queue``: put the pairs linkage was unsure of in front of a reviewer;
- ``review``: a reviewer's decisions on those pairs;
- ``merging``: merge two people with the evidence for it, and undo a merge exactly.
"""

from thinkfamily.matching.records import LinkableRecord
from thinkfamily.matching.services.linking import LinkResult, link_audit, records_link
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
    "link_audit",
    "merge_undo",
    "merge_undo_refusal",
    "people_merge",
    "records_link",
]
