"""What people decide about linkage: candidate pairs under review, and merges that can be undone.

The linkage engine joins agency records into people where the evidence is
strong and puts the uncertain pairs in front of a person. Every decision is
kept: a confirmed pair says "the same person", a rejected pair says "two
different people" for good, and both are labels the model can learn from. A
merge keeps everything needed to put the two people back exactly as they were.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.people.models import AgencyRecord, Person


class CandidatePairQuerySet(models.QuerySet["CandidatePair"]):
    def between(self, record_pk: int, other_record_pk: int) -> CandidatePairQuerySet:
        """The pair of these two records, whichever order they are given in."""
        low, high = sorted((record_pk, other_record_pk))
        return self.filter(record_id=low, other_record_id=high)

    def across(
        self, records: models.QuerySet[AgencyRecord], others: models.QuerySet[AgencyRecord]
    ) -> CandidatePairQuerySet:
        """Pairs with one record in ``records`` and the other in ``others``."""
        return self.filter(
            Q(record__in=records, other_record__in=others)
            | Q(record__in=others, other_record__in=records)
        )


class CandidatePair(models.Model):
    """Two agency records that may be the same person, put in front of a person to decide.

    Linkage found evidence that the records describe one human being, but not
    enough to join them on its own: twins, a child and a parent of one name, a
    nickname and a changed surname all look alike. Joining two children into
    one hides a child; leaving one child as two splits their chronology. A
    manager looks at the evidence (``comparisons``: each comparison's level
    and its weight, the log2 Bayes factor, positive for a match) and decides.
    A *rejected* pair is a permanent "these are two different people": linkage
    must never join them again. A *confirmed* pair is "the same person". Both
    are kept as training labels for the model.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        CONFIRMED = "confirmed", "The same person"
        REJECTED = "rejected", "Different people"
        DEFERRED = "deferred", "Deferred"

    #: Statuses in which a pair is still waiting for a decision.
    OPEN_STATUSES = frozenset({Status.PENDING, Status.DEFERRED})

    record = models.ForeignKey(AgencyRecord, on_delete=models.CASCADE, related_name="+")
    other_record = models.ForeignKey(AgencyRecord, on_delete=models.CASCADE, related_name="+")
    match_probability = models.FloatField(
        null=True, blank=True, help_text="The model's probability; empty if it did not score it."
    )
    match_weight = models.FloatField(
        null=True, blank=True, help_text="The model's total match weight (log2 Bayes factor)."
    )
    comparisons = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'A list of {"name", "level", "match_weight", "left", "right"}, one per comparison; '
            "match_weight is that comparison's log2 Bayes factor, positive for a match."
        ),
    )
    reason = models.TextField(
        blank=True,
        help_text="Why linkage put the pair here rather than joining or parting the records.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    found_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = CandidatePairQuerySet.as_manager()

    class Meta:
        constraints = [
            # One order for a pair, so "A and B" and "B and A" cannot both be stored.
            models.CheckConstraint(
                name="candidate_pair_ordered", condition=Q(record__lt=models.F("other_record"))
            ),
            models.UniqueConstraint(fields=["record", "other_record"], name="candidate_pair_once"),
            models.CheckConstraint(
                name="candidate_probability_is_a_probability",
                condition=Q(match_probability__isnull=True)
                | Q(match_probability__gte=0, match_probability__lte=1),
            ),
            models.CheckConstraint(
                name="candidate_rejection_has_a_note",
                condition=~Q(status="rejected") | ~Q(note=""),
            ),
        ]
        indexes = [models.Index(fields=["status", "match_probability"])]

    def __str__(self) -> str:
        return f"Candidate pair {self.record_id} and {self.other_record_id}"

    def get_absolute_url(self) -> str:
        return reverse("matching:candidate", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Merge(models.Model):
    """Two people found to be one, joined: and everything needed to part them again exactly.

    The absorbed person's records, events and household memberships moved to
    the survivor and the absorbed person was deleted. ``snapshot`` holds the
    absorbed person's values, the survivor's values before, and the keys of
    every row moved, so an undo recreates the absorbed person with the same
    key and moves back exactly what was moved. ``rule`` says why the two were
    joined: a shared identifier, the model, a reviewer, or by hand.
    """

    class Rule(models.TextChoices):
        NHS_NUMBER = "nhs_number", "Same NHS number"
        UPN = "upn", "Same unique pupil number"
        MODEL = "model", "Linkage model"
        REVIEW = "review", "Clerical review"
        MANUAL = "manual", "Merged by hand"

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges")
    absorbed_person_id = models.BigIntegerField(
        help_text="The absorbed person's key: deleted by the merge, recreated by an undo."
    )
    snapshot = models.JSONField(
        help_text="The absorbed and surviving people's values and the keys of the rows moved."
    )
    rule = models.CharField(max_length=20, choices=Rule.choices)
    match_probability = models.FloatField(null=True, blank=True)
    candidate = models.ForeignKey(
        CandidatePair, on_delete=models.SET_NULL, null=True, blank=True, related_name="merges"
    )
    merged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="merge_probability_is_a_probability",
                condition=Q(match_probability__isnull=True)
                | Q(match_probability__gte=0, match_probability__lte=1),
            ),
            models.CheckConstraint(
                name="merge_undo_has_a_reason",
                condition=Q(undone_at__isnull=True) | ~Q(undo_reason=""),
            ),
        ]
        indexes = [models.Index(fields=["absorbed_person_id"])]

    def __str__(self) -> str:
        return f"Person {self.absorbed_person_id} merged into {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
