"""What a linkage run hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from thinkfamily.linkage.model import LinkageModel


@dataclass
class LinkageResult:
    """The people found in a frame of records, and the evidence for them.

    Attributes:
        clusters: one row per record: ``unique_id``, ``cluster_id`` (the lowest
            ``unique_id`` of the cluster). Records of one cluster are one person.
        links: the edges that made the clusters: ``unique_id_l``, ``unique_id_r``
            (l < r), ``match_probability``, ``match_weight`` and ``rule``
            (``nhs_number``, ``upn``, ``must_link`` or ``model``).
        review: pairs the model was unsure of (between the review thresholds), or
            that scored as a match but could not be linked without joining two
            different identifiers: same columns as ``links`` with ``rule`` saying why.
        scored: every scored pair at or above the lowest threshold asked for
            (for evaluation): ``unique_id_l``, ``unique_id_r``, ``match_probability``.
        model: the trained (or loaded) model that scored the pairs.
        seconds: wall seconds per stage.
        conflicts: records sharing an NHS number or UPN that could not be joined
            (same columns as ``links``; ``rule`` names the identifier).
    """

    clusters: pd.DataFrame
    links: pd.DataFrame
    review: pd.DataFrame
    scored: pd.DataFrame
    model: LinkageModel
    seconds: dict[str, float] = field(default_factory=dict)
    conflicts: pd.DataFrame | None = None
