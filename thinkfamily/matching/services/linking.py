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

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.bulk import bulk_insert, bulk_update, in_chunks, reserve_ids
from thinkfamily.events.models import Event
from thinkfamily.linkage import LinkageModel, LinkageResult, link_records
from thinkfamily.matching.deterministic import (
    IdentifiedRecord,
    IdentifierConflict,
    group_by_identifiers,
)
from thinkfamily.matching.linkage_input import decisions, records_frame, relationships_frame
from thinkfamily.matching.records import (
    LINKABLE_FIELDS,
    PERSON_FIELDS,
    LinkableRecord,
    person_values,
)
from thinkfamily.matching.services.merging import people_merge
from thinkfamily.matching.services.one_at_a_time import groups_one_at_a_time
from thinkfamily.matching.services.review_queue import candidates_queue
from thinkfamily.people.models import AgencyRecord, HouseholdMembership, Person


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
    #: People written without an identifier their records hold, because another
    #: person's records hold it too (a clash for a person to resolve).
    identifiers_withheld: int = 0
    conflicts: list[IdentifierConflict] = field(default_factory=list)
    #: For records passed as ``pending`` (not yet stored): the person each belongs to,
    #: and the evidence that placed it there (rule, probability).
    person_of_pending: dict[int, int] = field(default_factory=dict)
    evidence_of_pending: dict[int, tuple[str, float | None]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Progress(Protocol):
    """Where linking reports how far it has got (a terminal bar, an import's progress)."""

    def stage(self, name: str, total: int | None = None) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass


#: Fewer records than this and there is too little to learn a model from:
#: linking uses identifiers alone until a model exists.
MIN_RECORDS_TO_TRAIN = 2000

NHS_AT, UPN_AT = PERSON_FIELDS.index("nhs_number"), PERSON_FIELDS.index("upn")

#: At most this many new records are matched one at a time against the linked
#: records (as a record entered on a form is); more, and everything is relinked.
ONE_AT_A_TIME_MAX = 1000

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


def _conflicts(
    linked: LinkageResult, records: dict[int, LinkableRecord]
) -> list[IdentifierConflict]:
    """Records that share an identifier but that linkage could not join, as conflicts."""
    if linked.conflicts is None:
        return []
    conflicts = []
    for left, right, _probability, rule in linked.conflicts.itertuples(index=False):
        record, other = records[int(right)], records[int(left)]
        value = record.nhs_number if rule == "nhs_number" else record.upn
        conflicts.append(
            IdentifierConflict(
                record_pk=record.pk,
                other_record_pk=other.pk,
                identifier=value,
                reason=f"share {value} but cannot be one person: another identifier or an "
                "agency's record says they are two",
            )
        )
    return conflicts


def _groups_changed(
    groups: list[list[int]], records: dict[int, LinkableRecord], pending_pks: set[int]
) -> list[list[int]]:
    """Of the groups that matching new records one at a time made, those that can differ
    from the people as stored: the only ones worth working out again.

    Those holding a new record or a record of nobody, then every group that
    shares an NHS number or UPN with one found so far (the identifier is
    contested: only one of them may keep it), and so on. Matching one at a
    time moves people whole (a group is whole people's records), so any other
    group is one person's records exactly as stored, holding no identifier a
    changed group holds: working it out again would write nothing.
    """
    by_identifier: dict[tuple[int, str], set[int]] = {}
    wanted: set[int] = set()
    for index, group in enumerate(groups):
        for pk in group:
            record = records[pk]
            if pk in pending_pks or record.person_id is None:
                wanted.add(index)
            for position, value in ((NHS_AT, record.nhs_number), (UPN_AT, record.upn)):
                if value:
                    by_identifier.setdefault((position, value), set()).add(index)
    frontier = set(wanted)
    while frontier:
        nearby: set[int] = set()
        for index in frontier:
            for pk in groups[index]:
                record = records[pk]
                for position, value in ((NHS_AT, record.nhs_number), (UPN_AT, record.upn)):
                    if value:
                        nearby |= by_identifier[(position, value)]
        frontier = nearby - wanted
        wanted |= frontier
    return [groups[index] for index in sorted(wanted)]


def _strength(evidence: tuple[str, float | None]) -> float:
    """How sure a record's evidence is: an identifier or a reviewer's decision is certain."""
    kind, probability = evidence
    return 0.0 if kind == "only_record" else 1.0 if probability is None else probability


def _evidence(
    groups: list[list[int]],
    linked: LinkageResult,
    stored: dict[int, LinkableRecord] | None = None,
) -> dict[int, tuple[str, float | None]]:
    """For each record, the strongest link that placed it with its person.

    With ``stored`` (new records matched one at a time, when ``linked`` holds
    only the links they made), a record keeps the evidence it was linked
    with unless a new link is stronger (an identifier or a reviewer's
    decision counts as certain, as in a batch run).
    """
    best: dict[int, tuple[float, str]] = {}
    for left, right, probability, rule in linked.links.itertuples(index=False):
        kind = MERGE_RULES.get(rule.split(",")[0], "model")
        for pk in (int(left), int(right)):
            if pk not in best or probability > best[pk][0]:
                best[pk] = (float(probability), kind)
    evidence: dict[int, tuple[str, float | None]] = {}
    for group in groups:
        for pk in group:
            found: list[tuple[str, float | None]] = [("only_record", None)]
            if len(group) > 1 and stored is not None and stored[pk].linked_by:
                found.append((stored[pk].linked_by, stored[pk].link_probability))
            if len(group) > 1 and pk in best:
                probability, kind = best[pk]
                found.append((kind, None if kind != "model" else round(probability, 6)))
            evidence[pk] = max(found, key=_strength)  # the first of equals: stored before new
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
    audit: bool = True,
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
    Running it twice in a row changes nothing the second time. With
    ``audit=False`` the caller writes the link's audit entry (``link_audit``)
    when it is ready to: an import does so in its last stage, because on
    PostgreSQL an entry holds the audit trail's lock until commit, and every
    audited page view needs that lock for a moment.
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
        groups, linked = groups_one_at_a_time(records, pending, model, pending_relationships)
        groups = _groups_changed(groups, records, {record.pk for record in pending})
        evidence = _evidence(groups, linked, stored=records)
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
        result.conflicts = _conflicts(linked, records)
        progress.stage("Merging people found to be one")
        if _merge_whole_people(groups, records, linked, actor, result):
            records = _load_records(pending)
    progress.stage("Updating people")
    _reconcile(groups, records, {record.pk for record in pending}, touched, evidence, result)
    if result.method.startswith("identifiers and model"):
        progress.stage("Queueing uncertain pairs for review")
        result.review_pairs = candidates_queue(linked, records, result.person_of_pending)
    if audit:
        link_audit(result, actor=actor)
    return result


def link_audit(result: LinkResult, *, actor: User | None) -> None:
    """Put a link that changed who is who on the audit trail (one that changed nothing is not)."""
    if not (result.people_created or result.records_relinked or result.people_removed):
        return
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
            "identifiers_withheld": result.identifiers_withheld,
            "review_pairs": result.review_pairs,
        },
    )


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


def _referenced() -> Q:
    """Whether anything at all points at a person: every relation to ``Person``, so a new
    model that refers to people is counted without being named here."""
    pointing = []
    for relation in Person._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # resolved once the apps are loaded
        rows = model._default_manager.filter(**{relation.field.name: OuterRef("pk")})
        pointing.append(Exists(rows))
    return Q(*pointing, _connector=Q.OR)


def _reconcile(
    groups: list[list[int]],
    records: dict[int, LinkableRecord],
    pending_pks: set[int],
    touched: set[int],
    evidence: dict[int, tuple[str, float | None]],
    result: LinkResult,
) -> None:
    """Make the people in the database match ``groups``, keeping people's keys where possible.

    ``groups`` may be only those that can have changed (``_groups_changed``):
    records in no group are left as they are.
    """
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

    # An identifier held by records of two groups (linkage kept them apart: the
    # records also disagree on the other identifier, or an agency relates them)
    # can belong to one person only: the largest group keeps it, the others are
    # written without it and the clash is counted for a person to resolve.
    owner: dict[tuple[int, str], int] = {}
    contested: set[int] = set()
    for index, (group, _) in enumerate(assignments):
        for pk in group:
            record = records[pk]
            for position, value in ((NHS_AT, record.nhs_number), (UPN_AT, record.upn)):
                if value and owner.setdefault((position, value), index) != index:
                    contested.update({index, owner[(position, value)]})

    # People who lose a record to another group must be worked out again even where their
    # own group is otherwise unchanged: what they hold (an NHS number, say) may have gone
    # with the record, and the person it went to cannot be written while they still hold it.
    losing = {
        records[pk].person_id
        for group, kept_pk in assignments
        for pk in group
        if records[pk].person_id is not None and records[pk].person_id != kept_pk
    }

    new_ids = iter(reserve_ids(Person, sum(1 for _, pk in assignments if pk is None)))
    existing: dict[int, tuple] = {}
    for chunk in in_chunks(sorted(claimed)):
        people = Person.objects.filter(pk__in=chunk).values_list("pk", *PERSON_FIELDS)
        existing.update((row[0], row[1:]) for row in people)
    new_people: list[tuple] = []
    changed_people: list[tuple] = []
    relinked: list[tuple[int, int]] = []
    abandoned: set[int] = set()
    for index, (group, kept_pk) in enumerate(assignments):
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
        if not (
            is_new
            or moved
            or index in contested
            or person_pk in losing
            or touched.intersection(group)
        ):
            continue
        values = person_values([records[pk] for pk in group])
        if index in contested:
            withheld = tuple(
                None
                if position in (NHS_AT, UPN_AT)
                and isinstance(value, str)
                and value
                and owner[(position, value)] != index
                else value
                for position, value in enumerate(values)
            )
            result.identifiers_withheld += withheld != values
            values = withheld
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
    # A person whose every record moved to someone else is no longer anybody, unless
    # something still points at them (an event, a membership, a prompt, a referral…).
    for chunk in in_chunks(sorted(abandoned)):
        removable = Person.objects.filter(pk__in=chunk).exclude(_referenced())
        result.people_removed += removable.delete()[0]
    result.people_created = len(new_people)
    result.people_updated = len(changed_people)
    result.records_relinked = len(relinked)
    result.evidence_of_pending = {pk: evidence[pk] for pk in pending_pks}
    changed_evidence = [
        (pk, *evidence[pk])
        for group in groups
        for pk in group
        if pk not in pending_pks
        and (records[pk].linked_by, records[pk].link_probability) != evidence[pk]
    ]
    bulk_update(AgencyRecord, ["linked_by", "link_probability"], changed_evidence)
