"""The partnership's learning loop, as data.

A case review is entered on the register when a child is seriously harmed
and abuse or neglect is suspected. Its findings and lessons say what went
wrong and why; its recommendations say what must change, each with an action
plan whose actions carry evidence and are checked for compliance. A
recommendation can be tied to indicators measured from the live record
(``learning.indicators``), so the partnership sees whether practice changed,
not only whether an action was ticked. Briefings carry the learning to
practitioners; sessions record who heard it. The public page shows only what
the partnership has marked published, drawn only from the fields written for
publication.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from thinkfamily.accounts.models import Agency
from thinkfamily.people.models import Person


class CaseReview(models.Model):
    """One entry on the partnership's register of case reviews.

    A serious incident is notified to the national panel within 5 working
    days of the local authority becoming aware of it; a rapid review follows
    within 15 working days of the notification and decides whether a local
    child safeguarding practice review (LCSPR) is needed. Legacy serious
    case reviews (SCRs) predate that process. One entry follows a case
    through these stages; ``kind`` says how far it has gone.

    The child is named on the register only by a pseudonym ("Child H"). The
    link to the person in the record (``subject``) is what lets the panel
    draw the integrated chronology; it is never published.
    """

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", "Serious incident notification"
        RAPID_REVIEW = "rapid_review", "Rapid review"
        LCSPR = "lcspr", "Local child safeguarding practice review"
        SCR = "scr", "Serious case review (legacy)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft from a document, to confirm"
        OPEN = "open", "Open"
        REPORT_COMPLETED = "report_completed", "Report completed"
        CLOSED = "closed", "Closed: action plan complete"

    reference = models.CharField(max_length=40, unique=True, help_text="The partnership's own.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    title = models.CharField(max_length=200, help_text="For the register; not published.")
    child_pseudonym = models.CharField(max_length=60, help_text='For example "Child H".')
    subject = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The child in the record, for the integrated chronology. Never published.",
    )
    incident_on = models.DateField(null=True, blank=True)
    became_aware_on = models.DateField(
        null=True, blank=True, help_text="When the local authority became aware of the incident."
    )
    notified_on = models.DateField(null=True, blank=True, help_text="Notified to the panel.")
    rapid_review_on = models.DateField(null=True, blank=True, help_text="Rapid review completed.")
    lcspr_decided_on = models.DateField(
        null=True, blank=True, help_text="Decision to undertake a local practice review."
    )
    report_completed_on = models.DateField(null=True, blank=True)
    period_start = models.DateField(
        null=True, blank=True, help_text="The review period: the chronology is drawn for it."
    )
    period_end = models.DateField(null=True, blank=True)
    agencies = models.ManyToManyField(Agency, blank=True, related_name="case_reviews")
    themes = models.JSONField(default=list, blank=True, help_text="Keys of learning.vocabulary.")
    recommendation_count_stated = models.PositiveIntegerField(
        null=True, blank=True, help_text="The count the report states, where it does."
    )
    source_name = models.CharField(
        max_length=255, blank=True, help_text="The document the entry was drafted from."
    )
    # Publication: the public page reads these fields and nothing else of the review.
    public_title = models.CharField(max_length=200, blank=True)
    public_summary = models.TextField(blank=True)
    published_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="case_review_period_in_order",
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
            ),
            models.CheckConstraint(
                name="case_review_notified_after_aware",
                condition=Q(notified_on__isnull=True)
                | Q(became_aware_on__isnull=True)
                | Q(notified_on__gte=F("became_aware_on")),
            ),
            models.CheckConstraint(
                name="case_review_published_has_public_text",
                condition=Q(published_on__isnull=True)
                | (~Q(public_title="") & ~Q(public_summary="")),
            ),
            models.CheckConstraint(
                name="case_review_draft_not_published",
                condition=~Q(status="draft") | Q(published_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("learning:review", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.published_on is not None


class ReviewItem(models.Model):
    """A key finding or a lesson learnt of a review, in the review's own words."""

    class Kind(models.TextChoices):
        FINDING = "finding", "Key finding"
        LESSON = "lesson", "Lesson learnt"

    review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveIntegerField()
    text = models.TextField()
    is_published = models.BooleanField(default=False)

    class Meta:
        ordering = ["review", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind", "position"], name="review_item_position_unique"
            ),
            models.CheckConstraint(name="review_item_has_text", condition=~Q(text="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position} of {self.review.reference}"


class Recommendation(models.Model):
    """What a review asks the partnership or named agencies to change.

    ``addressees`` are keys of ``learning.vocabulary.ADDRESSEES`` (the
    partnership, children's social care, education settings, Cafcass, …):
    reviews address sectors, not single organisations. Each recommendation
    has an action plan (its ``actions``) and may be tied to indicators
    measured from the record.
    """

    review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="recommendations")
    number = models.PositiveIntegerField()
    text = models.TextField()
    addressees = models.JSONField(default=list, blank=True)
    is_published = models.BooleanField(default=False)
    public_progress = models.TextField(
        blank=True, help_text="A progress statement written for publication."
    )

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="recommendation_number_unique"
            ),
            models.CheckConstraint(name="recommendation_has_text", condition=~Q(text="")),
            models.CheckConstraint(
                name="recommendation_number_positive", condition=Q(number__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"Recommendation {self.number} of {self.review.reference}"

    def get_absolute_url(self) -> str:
        return reverse("learning:recommendation", args=[self.pk])


class RecommendationIndicator(models.Model):
    """An indicator from ``learning.indicators`` the partnership follows for a recommendation."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="indicators"
    )
    indicator_code = models.CharField(max_length=60)
    target = models.FloatField(help_text="Per cent.")

    class Meta:
        ordering = ["recommendation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "indicator_code"], name="recommendation_indicator_unique"
            ),
            models.CheckConstraint(
                name="indicator_target_is_a_percentage", condition=Q(target__gte=0, target__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code} for {self.recommendation}"


class PlanAction(models.Model):
    """One action of a recommendation's action plan: an owner, a due date, a RAG status.

    The owner sets red, amber or green as they judge progress; an action
    past its due date and not complete counts as red whatever they set
    (``learning.rag``). Completing an action needs evidence.
    """

    class Rag(models.TextChoices):
        RED = "red", "Red: off track"
        AMBER = "amber", "Amber: at risk"
        GREEN = "green", "Green: on track"
        COMPLETE = "complete", "Complete"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField()
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person who owns the action, where known.",
    )
    due_on = models.DateField()
    rag = models.CharField(max_length=10, choices=Rag.choices, default=Rag.GREEN)
    completed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recommendation", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="plan_action_has_description", condition=~Q(description="")
            ),
            models.CheckConstraint(
                name="plan_action_complete_has_date",
                condition=(Q(rag="complete") & Q(completed_on__isnull=False))
                | (~Q(rag="complete") & Q(completed_on__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"Action on {self.recommendation}: {self.description[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("learning:action", args=[self.pk])

    def is_overdue(self, today: dt.date) -> bool:
        return self.rag != self.Rag.COMPLETE and self.due_on < today


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # The stored name is not the uploaded one: an uploaded name is input, and may be anything.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"learning/evidence/{instance.action_id}/{uuid.uuid4().hex}.{suffix}"


class Evidence(models.Model):
    """What shows an action happened: a note, a link, or an uploaded file."""

    class Kind(models.TextChoices):
        TEXT = "text", "Note"
        LINK = "link", "Link"
        FILE = "file", "File"

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, blank=True)
    file_name = models.CharField(max_length=255, blank=True, help_text="As uploaded, for display.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "added_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                name="evidence_matches_its_kind",
                condition=(Q(kind="text") & ~Q(text=""))
                | (Q(kind="link") & ~Q(url=""))
                | (Q(kind="file") & ~Q(file="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.action_id}"


class ComplianceCheck(models.Model):
    """A check, by the partnership, that an action's change is happening in practice."""

    class Result(models.TextChoices):
        COMPLIANT = "compliant", "Compliant"
        PARTLY = "partly", "Partly compliant"
        NOT_COMPLIANT = "not_compliant", "Not compliant"

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField()
    result = models.CharField(max_length=20, choices=Result.choices)
    note = models.TextField(blank=True)
    next_check_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "checked_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="compliance_next_check_after_check",
                condition=Q(next_check_on__isnull=True) | Q(next_check_on__gt=F("checked_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} on {self.checked_on}"


class Briefing(models.Model):
    """A "7-minute briefing": the learning of a review in one page, for teams to read together."""

    review = models.ForeignKey(
        CaseReview, on_delete=models.PROTECT, null=True, blank=True, related_name="briefings"
    )
    title = models.CharField(max_length=200)
    background = models.TextField()
    why_it_matters = models.TextField()
    findings = models.TextField()
    what_to_do = models.TextField()
    questions = models.TextField(help_text="Questions to reflect on, one per line.")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("learning:briefing", args=[self.pk])

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.questions.splitlines() if line.strip()]


class BriefingSession(models.Model):
    """A briefing delivered to a team: when, to which agency's staff, how many attended."""

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="sessions")
    delivered_on = models.DateField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=200, help_text='For example "Designated leads".')
    attendance = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(name="session_attended", condition=Q(attendance__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.briefing} to {self.agency} on {self.delivered_on}"
