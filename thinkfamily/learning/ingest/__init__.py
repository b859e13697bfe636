# ruff: noqa: RUF002 - reviews are typeset: en dashes, curly quotes and bullets are
# the very characters this module reads, so they appear in its patterns and docstrings.
"""Reading a published case review into a draft register entry.

The ingest reads a review as plain text, HTML or PDF and drafts what the learning
register records of it: its recommendations (number, text, addressee agencies), the
number of recommendations it says it made, its lessons learnt, key findings and themes.
It never invents an item, and everything it gives is a draft for a person to confirm.
It has no dependency on the web app::

    draft = draft_from_file("serious-case-review-H.txt")
    draft.recommendations[0]   # RecommendationDraft(number=1, text="The LSCB’s …", …)
    draft.as_dict()            # what ``thinkfamily ingest-review FILE --json`` prints

How a review is read is described in :mod:`thinkfamily.learning.ingest.extract` and in
``docs/learning-ingest.md``.
"""

from thinkfamily.learning.ingest.draft import RecommendationDraft, ReviewDraft
from thinkfamily.learning.ingest.errors import IngestError
from thinkfamily.learning.ingest.extract import draft_from_bytes, draft_from_file, draft_from_text

__all__ = [
    "IngestError",
    "RecommendationDraft",
    "ReviewDraft",
    "draft_from_bytes",
    "draft_from_file",
    "draft_from_text",
]
