"""Linking a few new records at once, against everyone already linked.

A nursery sending one new child, or a form recording one, should not wait
for the whole county to be relinked. Each new record is matched with the
real-time matcher (``linkage.realtime``) and placed by the same constrained
clustering as a batch run, on the small graph of the new record and the
people it may belong to. ``thinkfamily link`` later reconsiders everything.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from thinkfamily.linkage import Edge, LinkageModel, LinkageResult, cluster
from thinkfamily.linkage.pipeline import LINK_COLUMNS, model_edge
from thinkfamily.linkage.realtime import RecordMatcher
from thinkfamily.matching.linkage_input import decisions, records_frame, relationships_frame
from thinkfamily.matching.records import LinkableRecord


def groups_one_at_a_time(
    records: dict[int, LinkableRecord],
    pending: Sequence[LinkableRecord],
    model: LinkageModel,
    pending_relationships: Sequence[tuple[int, int]],
) -> tuple[list[list[int]], LinkageResult]:
    """Place each new record with the person it matches, leaving everyone else as they are.

    The new record's candidates come from the real-time matcher (the batch
    model's blocking rules and weights); whether it joins them is decided by
    the same constrained clustering as a batch run, on the small graph of the
    new record and the people it may belong to. ``thinkfamily link`` later
    reconsiders everything together.
    """
    pending_pks = {record.pk for record in pending}
    stored = {pk: record for pk, record in records.items() if pk not in pending_pks}
    frame = records_frame(records.values())
    by_pk = frame.set_index("unique_id", drop=False)
    is_pending = frame.unique_id.isin(pending_pks)
    matcher = RecordMatcher(model, frame[~is_pending])
    matcher.stage(frame[is_pending])
    person_records: dict[int, list[int]] = {}
    for pk, record in stored.items():
        if record.person_id is not None:
            person_records.setdefault(record.person_id, []).append(pk)
    group_of: dict[int, list[int]] = {
        pk: person_records[record.person_id] if record.person_id is not None else [pk]
        for pk, record in stored.items()
    }
    # Records known to be other people (an agency relates them, a reviewer rejected
    # the pair), looked up by record so each new record's small graph finds its own.
    different: dict[int, set[int]] = {}
    rejected = decisions().rejected
    related = relationships_frame(pending_relationships)
    for first, second in (
        *zip(rejected.unique_id_l, rejected.unique_id_r, strict=True),
        *zip(related.unique_id, related.related_unique_id, strict=True),
    ):
        different.setdefault(int(first), set()).add(int(second))
        different.setdefault(int(second), set()).add(int(first))
    links, review, scored = [], [], []
    for record in sorted(pending, key=lambda each: each.pk):
        found = matcher.candidates(by_pk.loc[record.pk].to_dict())
        matcher.add_staged(record.pk)
        members = {record.pk}
        for candidate in found:
            members.update(group_of.get(candidate.unique_id, [candidate.unique_id]))
        edges = [
            Edge(group[0], other, 1.0, "existing")
            for group in {tuple(group_of.get(pk, [pk])) for pk in members - {record.pk}}
            for other in group[1:]
        ]
        for candidate in found:
            other = records[candidate.unique_id]
            left, right = sorted((record.pk, candidate.unique_id))
            if candidate.shares_identifier:
                shared = "nhs_number" if record.nhs_number == other.nhs_number else "upn"
                edges.append(Edge(left, right, 1.0, shared))
            else:
                edges.append(
                    model_edge(
                        left,
                        right,
                        candidate.match_probability,
                        identity_agrees=candidate.identity_agrees,
                        ambiguous=False,
                        needed=model.thresholds.link,
                    )
                )
            scored.append(
                {
                    "unique_id_l": left,
                    "unique_id_r": right,
                    "match_probability": candidate.match_probability,
                    "match_weight": candidate.match_weight,
                }
                | {f"mw_{each.name}": each.match_weight for each in candidate.comparisons}
            )
        rules = matcher.rules_among(
            members,
            cannot_link=[
                (pk, other) for pk in members for other in different.get(pk, ()) if other in members
            ],
        )
        found_here = cluster(
            sorted(members),
            identifiers=rules.identifiers,
            edges=edges,
            cannot_link=rules.cannot_link,
            doubtful=rules.doubtful,
        )
        mine = [
            pk for pk in members if found_here.cluster_of[pk] == found_here.cluster_of[record.pk]
        ]
        joined = sorted(set().union(*(group_of.get(pk, [pk]) for pk in mine)))
        for pk in joined:
            group_of[pk] = joined
        links += [edge for edge in found_here.links if edge.rule != "existing"]
        review += found_here.review
    groups = {tuple(group) for group in group_of.values()}
    linked = LinkageResult(
        clusters=pd.DataFrame(
            [(pk, group[0]) for group in groups for pk in group],
            columns=["unique_id", "cluster_id"],
        ),
        links=pd.DataFrame(
            [(e.left, e.right, e.probability, e.rule) for e in links], columns=LINK_COLUMNS
        ),
        review=pd.DataFrame(
            [(e.left, e.right, e.probability, e.rule) for e in review], columns=LINK_COLUMNS
        ),
        scored=pd.DataFrame(scored).drop_duplicates(["unique_id_l", "unique_id_r"])
        if scored
        else pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"]),
        model=model,
    )
    return [list(group) for group in groups], linked
