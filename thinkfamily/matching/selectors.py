"""Reads for the people who decide linkage: pairs to review, merges to check, parallel records.

Every function takes the viewer and answers only with what they may see:
the review list, a pair and the merges only for the roles the access
backend allows (anyone else gets nothing, or ``DoesNotExist`` as for a pair
that is not there); the parallel records only of the viewer's own agency.
Each read that shows people is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Value, When

from thinkfamily.accounts.backends import REVIEW_CANDIDATE, UNDO_MERGE, VIEW_PARALLEL_RECORDS
from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.events.models import Event
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.services.merging import merge_undo_refusal, person_from_snapshot
from thinkfamily.people.models import (
    AgencyRecord,
    HouseholdMembership,
    Person,
    Relationship,
)

WORKLIST_LIMIT = 200

#: The fields of two records shown side by side: (label, attribute).
RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("Agency", "agency"),
    ("Record id", "record_id"),
    ("Given name", "given_name"),
    ("Family name", "family_name"),
    ("Other names", "other_names"),
    ("Date of birth", "date_of_birth"),
    ("Unborn", "unborn"),
    ("Sex", "sex"),
    ("NHS number", "nhs_number"),
    ("Unique pupil number (UPN)", "upn"),
    ("Address", "address"),
    ("Postcode", "postcode"),
    ("Agency's household reference", "household_ref"),
)


def _audit_worklist(viewer: User, name: str, count: int) -> None:
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_WORKLIST,
        reason=f"role: {viewer.get_role_display()}",
        detail={"worklist": name, "shown": count},
    )


def candidates_for_review(*, viewer: User, limit: int = WORKLIST_LIMIT) -> list[CandidatePair]:
    """Pairs waiting for a decision: pending before deferred, most probable first."""
    if not viewer.has_perm(REVIEW_CANDIDATE):
        return []
    pairs = list(
        CandidatePair.objects.filter(status__in=CandidatePair.OPEN_STATUSES)
        .select_related("record__agency", "other_record__agency")
        .annotate(
            deferred=Case(
                When(status=CandidatePair.Status.DEFERRED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("deferred", F("match_probability").desc(nulls_last=True), "found_at", "pk")[
            :limit
        ]
    )
    _audit_worklist(viewer, "candidates_for_review", len(pairs))
    return pairs


def _display(record: AgencyRecord, attribute: str) -> str:
    if attribute == "agency":
        return record.agency.name
    if attribute == "sex":
        return record.get_sex_display() if record.sex else ""
    if attribute == "unborn":
        return "Yes" if record.unborn else "No"
    value = getattr(record, attribute)
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value or "")


#: Fields that say who holds a record rather than who it is about: never flagged as differing.
_HOLDER_FIELDS = frozenset({"agency", "record_id", "household_ref"})


@dataclass(frozen=True)
class FieldRow:
    """One field of the two records, side by side; ``differs`` when both are known and disagree."""

    label: str
    left: str
    right: str
    about_the_person: bool = True

    @property
    def differs(self) -> bool:
        return self.about_the_person and bool(self.left and self.right and self.left != self.right)


@dataclass(frozen=True)
class Comparison:
    """One comparison the model made, with its weight (log2 Bayes factor; positive for a match)."""

    name: str
    level: str
    match_weight: float
    left: str
    right: str

    @property
    def signed_weight(self) -> str:
        """The weight with its sign, to two places ("+3.21"), negatives with a true minus sign."""
        return f"{self.match_weight:+.2f}".replace("-", "\u2212")

    @property
    def direction(self) -> str:
        """ "for", "against" or "neutral": which way this comparison pushes the decision."""
        if self.match_weight > 0:
            return "for"
        if self.match_weight < 0:
            return "against"
        return "neutral"


@dataclass(frozen=True)
class Residence:
    """A current household of the person a record belongs to, and who else lives there."""

    membership: HouseholdMembership
    others: list[Person]


@dataclass(frozen=True)
class RelationshipLine:
    """An agency's statement relating this record to another record.

    ``outgoing``: this record is the ``kind`` of the other (a parent of);
    otherwise the other record is the ``kind`` of this one.
    """

    relationship: Relationship
    other: AgencyRecord
    outgoing: bool


@dataclass(frozen=True)
class RecordSide:
    """One record of the pair with what surrounds it: its person's households and relationships."""

    record: AgencyRecord
    person: Person | None
    residences: list[Residence]
    relationships: list[RelationshipLine]
    event_count: int


@dataclass(frozen=True)
class CandidateDetail:
    candidate: CandidatePair
    left: RecordSide
    right: RecordSide
    fields: list[FieldRow]
    comparisons: list[Comparison]

    @property
    def already_one_person(self) -> bool:
        return self.left.person is not None and self.left.person == self.right.person


def _residences(person: Person | None) -> list[Residence]:
    if person is None:
        return []
    memberships = list(
        HouseholdMembership.objects.filter(person=person, end_date__isnull=True)
        .select_related("household", "reported_by")
        .order_by("household_id", "reported_by__name")
    )
    household_ids = {membership.household_id for membership in memberships}
    others: dict[int, dict[int, Person]] = {pk: {} for pk in household_ids}
    for other in (
        HouseholdMembership.objects.filter(household_id__in=household_ids, end_date__isnull=True)
        .exclude(person=person)
        .select_related("person")
        .order_by("person__date_of_birth", "person_id")
    ):
        others[other.household_id].setdefault(other.person_id, other.person)
    return [
        Residence(membership, list(others[membership.household_id].values()))
        for membership in memberships
    ]


def _relationships(record: AgencyRecord) -> list[RelationshipLine]:
    lines = [
        RelationshipLine(relationship, relationship.related_record, outgoing=True)
        for relationship in Relationship.objects.filter(record=record).select_related(
            "agency", "related_record__agency"
        )
    ]
    lines += [
        RelationshipLine(relationship, relationship.record, outgoing=False)
        for relationship in Relationship.objects.filter(related_record=record).select_related(
            "agency", "record__agency"
        )
    ]
    return lines


def _side(record: AgencyRecord) -> RecordSide:
    return RecordSide(
        record=record,
        person=record.person,
        residences=_residences(record.person),
        relationships=_relationships(record),
        event_count=Event.objects.filter(record=record).count(),
    )


def _comparisons(raw: Any) -> list[Comparison]:
    """The engine's comparisons as rows; anything malformed is shown as it is, not dropped."""
    rows = []
    for item in raw if isinstance(raw, list) else []:
        item = item if isinstance(item, dict) else {}
        try:
            weight = float(item.get("match_weight", 0.0))
        except (TypeError, ValueError):
            weight = 0.0
        rows.append(
            Comparison(
                name=str(item.get("name", "")),
                level=str(item.get("level", "")),
                match_weight=weight,
                left=str(item.get("left") or ""),
                right=str(item.get("right") or ""),
            )
        )
    return rows


def candidate_detail(*, candidate: CandidatePair, viewer: User) -> CandidateDetail:
    """Both records of a pair side by side, the model's evidence, and the people around them.

    Raises ``CandidatePair.DoesNotExist`` when the viewer may not review
    pairs, exactly as for a pair that is not there. Audited as a view of each
    person shown.
    """
    if not viewer.has_perm(REVIEW_CANDIDATE, candidate):
        raise CandidatePair.DoesNotExist
    records = {
        record.pk: record
        for record in AgencyRecord.objects.select_related("agency", "person").filter(
            pk__in=[candidate.record_id, candidate.other_record_id]
        )
    }
    left, right = records[candidate.record_id], records[candidate.other_record_id]
    for person in {record.person for record in (left, right) if record.person is not None}:
        audit_record(
            actor=viewer,
            action=AuditEvent.Action.VIEW_PERSON,
            object_type="person",
            object_id=person.pk,
            reason=f"clerical review of candidate pair {candidate.pk}",
        )
    return CandidateDetail(
        candidate=candidate,
        left=_side(left),
        right=_side(right),
        fields=[
            FieldRow(
                label,
                _display(left, attribute),
                _display(right, attribute),
                about_the_person=attribute not in _HOLDER_FIELDS,
            )
            for label, attribute in RECORD_FIELDS
        ],
        comparisons=_comparisons(candidate.comparisons),
    )


@dataclass(frozen=True)
class ParallelPerson:
    """A person the viewer's agency holds two or more records of: a parallel record to resolve."""

    person: Person
    records: list[AgencyRecord]


def parallel_records_for(*, viewer: User, limit: int = WORKLIST_LIMIT) -> list[ParallelPerson]:
    """People with more than one record of the viewer's own agency, for that agency to resolve."""
    if not viewer.has_perm(VIEW_PARALLEL_RECORDS) or viewer.agency_id is None:
        return []
    own = AgencyRecord.objects.filter(agency_id=viewer.agency_id, person__isnull=False)
    person_ids = (
        own.values("person_id").annotate(records=Count("id")).filter(records__gte=2)
    ).values("person_id")
    people = list(
        Person.objects.filter(id__in=person_ids).order_by(
            "family_name", "given_name", "date_of_birth", "id"
        )[:limit]
    )
    records: dict[int, list[AgencyRecord]] = {person.pk: [] for person in people}
    for record in own.filter(person_id__in=records).select_related("agency").order_by("record_id"):
        assert record.person_id is not None
        records[record.person_id].append(record)
    _audit_worklist(viewer, "parallel_records", len(people))
    return [ParallelPerson(person, records[person.pk]) for person in people]


def merges_recent(*, viewer: User, limit: int = 100) -> list[Merge]:
    """The latest merges, newest first, for those who may undo them."""
    if not viewer.has_perm(UNDO_MERGE):
        return []
    merges = list(
        Merge.objects.select_related("survivor", "merged_by", "undone_by", "candidate").order_by(
            "-merged_at", "-pk"
        )[:limit]
    )
    _audit_worklist(viewer, "merges_recent", len(merges))
    return merges


@dataclass(frozen=True)
class UndoPreview:
    """What undoing a merge will put back, and why it cannot be undone now if it cannot."""

    merge: Merge
    absorbed: Person
    records: list[AgencyRecord]
    events: int
    memberships: int
    refusal: str | None


def merge_undo_preview(*, merge: Merge, viewer: User) -> UndoPreview:
    """What an undo would restore; raises ``Merge.DoesNotExist`` for those who may not undo it."""
    if not viewer.has_perm(UNDO_MERGE, merge):
        raise Merge.DoesNotExist
    snapshot = merge.snapshot
    audit_record(
        actor=viewer,
        action=AuditEvent.Action.VIEW_PERSON,
        object_type="person",
        object_id=merge.survivor_id,
        reason=f"checking merge {merge.pk} before undoing it",
    )
    return UndoPreview(
        merge=merge,
        absorbed=person_from_snapshot(snapshot["absorbed"]),
        records=list(
            AgencyRecord.objects.filter(pk__in=snapshot["records"])
            .select_related("agency")
            .order_by("agency__name", "record_id")
        ),
        events=len(snapshot["events"]),
        memberships=len(snapshot["memberships"]),
        refusal=merge_undo_refusal(merge=merge),
    )
