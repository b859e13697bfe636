"""Linking agency records into people, in the database.

``records_link`` reads every agency record, asks the linkage package
(``thinkfamily.linkage``: identifiers, then the trained Splink model, under
the cannot-link rules) which records are one person, and brings the people
in the database into line:

- two whole people found to be one are merged with ``people_merge``, which
  records the evidence and can be undone exactly;
- every other change (new records, records moving) is a reconciliation that
  keeps each existing person's key with the group holding most of their records;
- pairs the model was unsure of become ``CandidatePair`` rows for clerical review;
- each record keeps the evidence that placed it (``linked_by``, ``link_probability``).

Until a model has been trained (``thinkfamily link --retrain``, or the first
link of a county large enough to learn from) linking uses identifiers alone.

Linking never edits an agency record's recorded values: it only moves the
record's pointer to a person. Events and household memberships derived from
a record follow the record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.bulk import bulk_insert, bulk_update, in_chunks, reserve_ids
from thinkfamily.events.models import Event
from thinkfamily.linkage import Edge, LinkageModel, LinkageResult, cluster, link_records
from thinkfamily.linkage.pipeline import LINK_COLUMNS, ONE_AT_A_TIME, model_edge
from thinkfamily.linkage.realtime import RecordMatcher, describe, level_labels
from thinkfamily.matching.deterministic import (
    IdentifiedRecord,
    IdentifierConflict,
    group_by_identifiers,
)
from thinkfamily.matching.linkage_input import decisions, records_frame, relationships_frame
from thinkfamily.matching.models import CandidatePair
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person

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


@dataclass
class LinkResult:
    """What a linking run changed."""

    method: str = ""
    model_trained: bool = False
    people_created: int = 0
    people_updated: int = 0
    people_removed: int = 0
    people_merged: int = 0
    records_relinked: int = 0
    review_pairs: int = 0
    conflicts: list[IdentifierConflict] = field(default_factory=list)
    #: For records passed as ``pending`` (not yet stored): the person each belongs to,
    #: and the evidence that placed it there (rule, probability).
    person_of_pending: dict[int, int] = field(default_factory=dict)
    evidence_of_pending: dict[int, tuple[str, float | None]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


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


class Progress(Protocol):
    """Where linking reports how far it has got (a terminal bar, an import's progress)."""

    def stage(self, name: str, total: int | None = None) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass


#: Fewer records than this and there is too little to learn a model from:
#: linking uses identifiers alone until a model exists.
MIN_RECORDS_TO_TRAIN = 2000

#: At most this many new records are matched one at a time against the linked
#: records (as a record entered on a form is); more, and everything is relinked.
ONE_AT_A_TIME_MAX = 1000

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


MERGE_RULES = {"nhs_number": "nhs_number", "upn": "upn", "must_link": "review", "model": "model"}


def linkage_model_path() -> Path:
    """Where the trained model lives (``LINKAGE_MODEL_PATH``, by default under var/)."""
    return Path(settings.LINKAGE_MODEL_PATH)


def linkage_model_load() -> LinkageModel | None:
    path = linkage_model_path()
    return LinkageModel.load(path) if path.exists() else None


def _load_records(pending: Sequence[LinkableRecord]) -> dict[int, LinkableRecord]:
    records = {
        row[0]: LinkableRecord(*row)
        for row in AgencyRecord.objects.values_list(*LINKABLE_FIELDS).iterator(chunk_size=20000)
    }
    records.update((record.pk, record) for record in pending)
    return records


def _groups_by_identifiers(
    records: dict[int, LinkableRecord],
) -> tuple[list[list[int]], list[IdentifierConflict], dict[int, tuple[str, float | None]]]:
    groups, conflicts = group_by_identifiers(
        IdentifiedRecord(pk, record.nhs_number, record.upn) for pk, record in records.items()
    )
    evidence: dict[int, tuple[str, float | None]] = {}
    for group in groups:
        for pk in group:
            record = records[pk]
            rule = "nhs_number" if record.nhs_number else "upn" if record.upn else "only_record"
            evidence[pk] = (rule if len(group) > 1 else "only_record", None)
    return groups, conflicts, evidence


def _groups_by_model(
    records: dict[int, LinkableRecord],
    model: LinkageModel | None,
    pending_relationships: Sequence[tuple[int, int]],
    engine: str,
) -> tuple[list[list[int]], LinkageResult]:
    decided = decisions()
    linked = link_records(
        records_frame(records.values()),
        relationships=relationships_frame(pending_relationships),
        cannot_link=decided.rejected,
        must_link=decided.confirmed,
        model=model,
        engine=engine,
    )
    members: dict[int, list[int]] = {}
    for unique_id, cluster_id in zip(
        linked.clusters.unique_id, linked.clusters.cluster_id, strict=True
    ):
        members.setdefault(int(cluster_id), []).append(int(unique_id))
    return [sorted(group) for group in members.values()], linked


def _groups_one_at_a_time(
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
    matcher = RecordMatcher(model, frame[~frame.unique_id.isin(pending_pks)])
    person_records: dict[int, list[int]] = {}
    for pk, record in stored.items():
        if record.person_id is not None:
            person_records.setdefault(record.person_id, []).append(pk)
    group_of: dict[int, list[int]] = {
        pk: person_records[record.person_id] if record.person_id is not None else [pk]
        for pk, record in stored.items()
    }
    decided = decisions()
    cannot = set(zip(decided.rejected.unique_id_l, decided.rejected.unique_id_r, strict=True))
    related = relationships_frame(pending_relationships)
    cannot |= {
        (min(a, b), max(a, b))
        for a, b in zip(related.unique_id, related.related_unique_id, strict=True)
    }
    kinds = dict(Agency.objects.values_list("pk", "agency_type"))
    links, review, scored = [], [], []
    for record in sorted(pending, key=lambda each: each.pk):
        row = by_pk.loc[record.pk].to_dict()
        found = matcher.candidates(row)
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
        found_here = cluster(
            sorted(members),
            identifiers={pk: _one_only(records[pk], kinds) for pk in members},
            edges=edges,
            cannot_link=[pair for pair in cannot if pair[0] in members and pair[1] in members],
            doubtful=_doubtful_among([records[pk] for pk in members]),
        )
        mine = [
            pk for pk in members if found_here.cluster_of[pk] == found_here.cluster_of[record.pk]
        ]
        joined = sorted(set().union(*(group_of.get(pk, [pk]) for pk in mine)))
        for pk in joined:
            group_of[pk] = joined
        links += [edge for edge in found_here.links if edge.rule != "existing"]
        review += found_here.review
        matcher.add(frame[frame.unique_id == record.pk])
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


def _one_only(record: LinkableRecord, kinds: dict[int, str]) -> tuple[str, ...]:
    """What a person has only one of, as batch clustering compares it."""
    kind = kinds.get(record.agency_id, "")
    return (
        record.nhs_number,
        record.upn,
        *(str(record.agency_id) if kind == one else "" for one in ONE_AT_A_TIME),
    )


def _doubtful_among(records: list[LinkableRecord]) -> list[tuple[int, int]]:
    """One agency's records in one household whose dates of birth differ or are missing."""
    return [
        (first.pk, second.pk)
        for first in records
        for second in records
        if first.pk < second.pk
        and first.agency_id == second.agency_id
        and first.household_ref
        and first.household_ref == second.household_ref
        and (first.date_of_birth is None or first.date_of_birth != second.date_of_birth)
    ]


def _evidence(
    groups: list[list[int]], linked: LinkageResult
) -> dict[int, tuple[str, float | None]]:
    """For each record, the strongest link that placed it with its person."""
    best: dict[int, tuple[float, str]] = {}
    for left, right, probability, rule in linked.links.itertuples(index=False):
        kind = MERGE_RULES.get(rule.split(",")[0], "model")
        for pk in (int(left), int(right)):
            if pk not in best or probability > best[pk][0]:
                best[pk] = (float(probability), kind)
    evidence: dict[int, tuple[str, float | None]] = {}
    for group in groups:
        for pk in group:
            if len(group) == 1 or pk not in best:
                evidence[pk] = ("only_record", None)
            else:
                probability, kind = best[pk]
                evidence[pk] = (kind, None if kind != "model" else round(probability, 6))
    return evidence


@transaction.atomic
def records_link(
    *,
    touched_record_pks: set[int] | None = None,
    pending: Sequence[LinkableRecord] = (),
    pending_relationships: Sequence[tuple[int, int]] = (),
    actor: User | None = None,
    retrain: bool = False,
    engine: str = "duckdb",
    progress: Progress | None = None,
) -> LinkResult:
    """Link every agency record to the right person and update the people it touches.

    ``touched_record_pks`` are records whose values changed since the last
    run (an import passes the records it updated): their people's
    demographics are recomputed even if the grouping stayed the same.
    ``pending`` are records about to be inserted (their keys already
    reserved), with ``pending_relationships`` between them: they are linked
    with the rest, and ``person_of_pending`` says which person to insert each
    with, which spares rewriting every new row. ``retrain`` learns the model
    afresh from the records (and the reviewers' decisions) and saves it.
    Running it twice in a row changes nothing the second time.
    """
    progress = progress or _Silent()
    touched = (touched_record_pks or set()) | {record.pk for record in pending}
    progress.stage("Reading records")
    records = _load_records(pending)
    model = None if retrain else linkage_model_load()
    result = LinkResult()
    if model is None and len(records) < MIN_RECORDS_TO_TRAIN:
        progress.stage("Linking by NHS number and UPN (no model yet)")
        groups, result.conflicts, evidence = _groups_by_identifiers(records)
        result.method = "identifiers only"
    elif model is not None and 0 < len(pending) <= ONE_AT_A_TIME_MAX and not touched_record_pks:
        progress.stage(f"Matching {len(pending):,} new records against the linked records")
        groups, linked = _groups_one_at_a_time(records, pending, model, pending_relationships)
        evidence = _evidence(groups, linked)
        result.method = "identifiers and model, one record at a time"
        if _merge_whole_people(groups, records, linked, actor, result):
            records = _load_records(pending)
    else:
        progress.stage(
            "Linking: identifiers, then the model" + (" (training)" if model is None else "")
        )
        groups, linked = _groups_by_model(records, model, pending_relationships, engine)
        if model is None:
            linkage_model_path().parent.mkdir(parents=True, exist_ok=True)
            linked.model.save(linkage_model_path())
            result.model_trained = True
        evidence = _evidence(groups, linked)
        result.method = "identifiers and model"
        result.seconds = linked.seconds
        progress.stage("Merging people found to be one")
        if _merge_whole_people(groups, records, linked, actor, result):
            records = _load_records(pending)
    progress.stage("Updating people")
    _reconcile(groups, records, {record.pk for record in pending}, touched, evidence, result)
    if result.method.startswith("identifiers and model"):
        progress.stage("Queueing uncertain pairs for review")
        result.review_pairs = _queue_for_review(linked, records, result.person_of_pending)
    if result.people_created or result.records_relinked or result.people_removed:
        audit_record(
            actor=actor,
            actor_label="" if actor else "system: linkage",
            action=AuditEvent.Action.LINK,
            detail={
                "method": result.method,
                "people_created": result.people_created,
                "people_updated": result.people_updated,
                "people_removed": result.people_removed,
                "people_merged": result.people_merged,
                "records_relinked": result.records_relinked,
                "identifier_conflicts": len(result.conflicts),
                "review_pairs": result.review_pairs,
            },
        )
    return result


def _merge_whole_people(
    groups: list[list[int]],
    records: dict[int, LinkableRecord],
    linked: LinkageResult,
    actor: User | None,
    result: LinkResult,
) -> bool:
    """Merge people all of whose records fall in one group, with the evidence, undoably.

    Returns whether anything was merged (the records then point elsewhere).
    """
    from thinkfamily.matching.services.merging import people_merge

    records_of: dict[int, list[int]] = {}
    for pk, record in records.items():
        if record.person_id is not None:
            records_of.setdefault(record.person_id, []).append(pk)
    strongest: dict[frozenset[int], tuple[float, str]] = {}
    for left, right, probability, rule in linked.links.itertuples(index=False):
        first, second = records[int(left)].person_id, records[int(right)].person_id
        if first is None or second is None or first == second:
            continue
        pair = frozenset({first, second})
        if pair not in strongest or probability > strongest[pair][0]:
            strongest[pair] = (float(probability), rule)
    merged = False
    for group in groups:
        people = {person for pk in group if (person := records[pk].person_id) is not None}
        whole = sorted(
            (person for person in people if set(records_of[person]) <= set(group)),
            key=lambda person: (-len(records_of[person]), person),
        )
        if len(whole) < 2:
            continue
        survivor = Person.objects.get(pk=whole[0])
        for other in whole[1:]:
            probability, rule = max(
                (
                    strongest.get(frozenset({kept, other}), (0.0, "model"))
                    for kept in whole
                    if kept != other
                ),
                key=lambda item: item[0],
            )
            kind = MERGE_RULES.get(rule.split(",")[0], "model")
            people_merge(
                survivor=survivor,
                absorbed=Person.objects.get(pk=other),
                rule=kind,
                match_probability=probability if kind == "model" else None,
                by=actor,
            )
            survivor.refresh_from_db()
            result.people_merged += 1
            merged = True
    return merged


def _queue_for_review(
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


def _reconcile(
    groups: list[list[int]],
    records: dict[int, LinkableRecord],
    pending_pks: set[int],
    touched: set[int],
    evidence: dict[int, tuple[str, float | None]],
    result: LinkResult,
) -> None:
    """Make the people in the database match ``groups``, keeping people's keys where possible."""
    # Keep each existing person with the group holding most of their records,
    # largest groups first, so a person's id (and what points at it) survives.
    claimed: set[int] = set()
    assignments: list[tuple[list[int], int | None]] = []
    for group in sorted(groups, key=lambda g: (-len(g), g[0])):
        counts = Counter(records[pk].person_id for pk in group if records[pk].person_id is not None)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        survivor = next((pk for pk, _ in ranked if pk not in claimed), None)
        if survivor is not None:
            claimed.add(survivor)
        assignments.append((group, survivor))

    new_ids = iter(reserve_ids(Person, sum(1 for _, pk in assignments if pk is None)))
    existing: dict[int, tuple] = {}
    for chunk in in_chunks(sorted(claimed)):
        people = Person.objects.filter(pk__in=chunk).values_list("pk", *PERSON_FIELDS)
        existing.update((row[0], row[1:]) for row in people)
    new_people: list[tuple] = []
    changed_people: list[tuple] = []
    relinked: list[tuple[int, int]] = []
    abandoned: set[int] = set()
    for group, kept_pk in assignments:
        is_new = kept_pk is None
        person_pk: int = next(new_ids) if kept_pk is None else kept_pk
        moved = [pk for pk in group if records[pk].person_id != person_pk]
        for pk in moved:
            previous = records[pk].person_id
            if pk in pending_pks:
                result.person_of_pending[pk] = person_pk
                continue
            relinked.append((pk, person_pk))
            if previous is not None:
                abandoned.add(previous)
        if not (is_new or moved or touched.intersection(group)):
            continue
        values = person_values([records[pk] for pk in group])
        if is_new:
            new_people.append((person_pk, *values))
        elif existing[person_pk] != values:
            changed_people.append((person_pk, *values))
    abandoned -= claimed

    now = timezone.now()
    # A person's identifiers may pass to another person in this run; clear the
    # old holders first so the unique constraints hold at every statement.
    changing = [row[0] for row in changed_people] + list(abandoned)
    for chunk in in_chunks(changing):
        Person.objects.filter(pk__in=chunk).update(nhs_number=None, upn=None)
    bulk_insert(
        Person,
        ["id", *PERSON_FIELDS, "created_at", "updated_at"],
        ((*row, now, now) for row in new_people),
    )
    bulk_update(Person, [*PERSON_FIELDS, "updated_at"], ((*row, now) for row in changed_people))
    bulk_update(AgencyRecord, ["person"], relinked)
    relinked_pks = [pk for pk, _ in relinked]
    for chunk in in_chunks(relinked_pks):
        person_of_record = Subquery(
            AgencyRecord.objects.filter(pk=OuterRef("record_id")).values("person_id")[:1]
        )
        Event.objects.filter(record_id__in=chunk).update(person_id=person_of_record)
        person_of_source = Subquery(
            AgencyRecord.objects.filter(pk=OuterRef("source_record_id")).values("person_id")[:1]
        )
        HouseholdMembership.objects.filter(source_record_id__in=chunk).update(
            person_id=person_of_source
        )
    # A person whose every record moved to someone else is no longer anybody.
    for chunk in in_chunks(sorted(abandoned)):
        removable = Person.objects.filter(pk__in=chunk).exclude(
            Exists(AgencyRecord.objects.filter(person_id=OuterRef("pk")))
            | Exists(Event.objects.filter(person_id=OuterRef("pk")))
            | Exists(HouseholdMembership.objects.filter(person_id=OuterRef("pk")))
        )
        result.people_removed += removable.delete()[0]
    result.people_created = len(new_people)
    result.people_updated = len(changed_people)
    result.records_relinked = len(relinked)
    result.evidence_of_pending = {pk: evidence[pk] for pk in pending_pks}
    changed_evidence = [
        (pk, *evidence[pk])
        for pk, record in records.items()
        if pk not in pending_pks and (record.linked_by, record.link_probability) != evidence[pk]
    ]
    bulk_update(AgencyRecord, ["linked_by", "link_probability"], changed_evidence)
