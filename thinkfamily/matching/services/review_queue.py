"""Putting the pairs linkage was unsure of in front of a reviewer.

Each pair carries what a reviewer needs to decide: every comparison's level
and weight with the two values compared, and why linkage did not decide on
its own. Decisions already made are labels and are never overwritten.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thinkfamily.core.bulk import in_chunks
from thinkfamily.linkage import LinkageResult
from thinkfamily.linkage.realtime import describe, level_labels
from thinkfamily.matching.models import CandidatePair
from thinkfamily.matching.records import LinkableRecord
from thinkfamily.people.models import AgencyRecord

#: Which record field each comparison looks at, to show beside its outcome.
COMPARED_FIELDS = {
    "given_name": ("given_name",),
    "family_name": ("family_name",),
    "date_of_birth": ("date_of_birth",),
    "location": ("address", "postcode"),
    "sex": ("sex",),
}

#: Why a pair waits for review, by what held it back (the tags of a linkage rule).
REVIEW_REASONS = {
    "unsure": "The model is not sure: the probability is below the level at which records "
    "are joined without a person looking.",
    "identity": "Surname and address agree but the given name or date of birth does not: "
    "brothers, sisters, twins and a parent look like this.",
    "ambiguous": "One of the records matches two people born a generation apart: "
    "a parent and a child of one name?",
    "doubtful": "One agency keeps both records in one household with different or missing "
    "dates of birth: a second record of one person, or two people of one name?",
}


def review_reason(rule: str) -> str:
    """What to tell a reviewer about why a pair is in front of them."""
    tags = [tag.strip() for tag in rule.split(",")[1:]]
    return " ".join(REVIEW_REASONS[tag] for tag in tags if tag in REVIEW_REASONS)


def candidates_queue(
    linked: LinkageResult, records: dict[int, LinkableRecord], person_of_pending: dict[int, int]
) -> int:
    """Put the pairs the model was unsure of in front of a reviewer, keeping past decisions.

    A pair already decided is a label and stays as it is; a pair still open is
    refreshed with the new scores; an open pair whose records are now one
    person needs nobody's decision any more and is withdrawn. Pairs may name
    records an import is about to store (``person_of_pending``): the foreign
    keys are checked when the import's transaction commits.
    """
    labels = level_labels(linked.model)
    scored = linked.scored.set_index(["unique_id_l", "unique_id_r"])
    existing = {
        (pair.record_id, pair.other_record_id): pair
        for pair in CandidatePair.objects.filter(status__in=CandidatePair.OPEN_STATUSES).only(
            "record_id", "other_record_id", "status"
        )
    }
    decided = set(
        CandidatePair.objects.exclude(status__in=CandidatePair.OPEN_STATUSES).values_list(
            "record_id", "other_record_id"
        )
    )
    person_of = dict(AgencyRecord.objects.values_list("pk", "person_id"))
    person_of.update(person_of_pending)
    fresh, refreshed, wanted = [], [], set()
    now = timezone.now()
    for left, right, probability, rule in linked.review.itertuples(index=False):
        key = (int(min(left, right)), int(max(left, right)))
        if key in decided or person_of.get(key[0]) == person_of.get(key[1]):
            continue
        wanted.add(key)
        weights = scored.loc[key].to_dict() if key in scored.index else {}
        comparisons = [
            {
                "name": outcome.name.replace("_", " "),
                "level": outcome.level,
                "match_weight": outcome.match_weight,
                "left": _shown(records[key[0]], outcome.name),
                "right": _shown(records[key[1]], outcome.name),
            }
            for outcome in describe(weights, labels)
        ]
        weight = weights.get("match_weight")
        if key in existing:
            pair = existing[key]
            pair.reason = review_reason(rule)
            pair.match_probability = float(probability)
            pair.match_weight = None if weight is None else float(weight)
            pair.comparisons = comparisons
            refreshed.append(pair)
        else:
            fresh.append(
                CandidatePair(
                    record_id=key[0],
                    other_record_id=key[1],
                    match_probability=float(probability),
                    match_weight=None if weight is None else float(weight),
                    comparisons=comparisons,
                    reason=review_reason(rule),
                    found_at=now,
                )
            )
    CandidatePair.objects.bulk_create(fresh, batch_size=2000)
    CandidatePair.objects.bulk_update(
        refreshed,
        ["match_probability", "match_weight", "comparisons", "reason"],
        batch_size=2000,
    )
    stale = [
        pair.pk
        for key, pair in existing.items()
        if key not in wanted and person_of.get(key[0]) == person_of.get(key[1])
    ]
    for chunk in in_chunks(stale):
        CandidatePair.objects.filter(pk__in=chunk).delete()
    return len(wanted)


def _shown(record: LinkableRecord, comparison: str) -> str:
    values = (getattr(record, name) for name in COMPARED_FIELDS.get(comparison, ()))
    return ", ".join(
        value.isoformat() if isinstance(value, dt.date) else str(value)
        for value in values
        if value not in (None, "")
    )
