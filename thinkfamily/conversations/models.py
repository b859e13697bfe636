"""Professional conversations: what was said between professionals about a family, and agreed.

The case review found that professionals left "What If" conversations with
different understandings of what had been agreed. A ``Conversation`` makes
the understanding explicit and shared: a status that cannot be left vague
(information shared, advice given, or a decision made), outcomes each written
as a sentence, and actions each owned by an agency with a due date. The
record is circulated: every participant with an account acknowledges it as
accurate or disputes it with a comment. Changing the outcomes or status after
circulation makes a new ``ConversationVersion``; the old ones stay readable,
and everyone is asked to acknowledge again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person, only_sealed_among


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: User) -> ConversationQuerySet:
        """Conversations the user may read: those their agency recorded or took part in; all,
        for the family-wide roles (children's social care and the partnership)."""
        if not user.is_active or user.agency_id is None:
            return self.none()
        if user.sees_whole_families:
            return self.all()
        return self.filter(
            Q(recording_agency_id=user.agency_id)
            | Q(participants__agency_id=user.agency_id)
            | Q(participants__user__agency_id=user.agency_id)
        ).distinct()

    def hiding_sealed_from(self, user: User) -> ConversationQuerySet:
        """Leave out conversations whose children are all sealed, unless the user's role sees
        sealed records: to anyone else such a conversation is like none."""
        if user.role in sealed_person_roles():
            return self
        about = Conversation.children.through.objects.filter(conversation_id=models.OuterRef("pk"))
        return self.exclude(only_sealed_among(about))


class Conversation(models.Model):
    """A conversation between professionals about a family's children.

    Recorded by one practitioner for their agency, about at least one child,
    with the people who took part. What was concluded lives in its versions:
    ``current_version`` is the one participants are asked to acknowledge.
    ``circulated_at`` is when the current version was sent round.
    """

    class Kind(models.TextChoices):
        WHAT_IF = "what_if", "“What If” discussion"
        STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
        CONSULTATION = "consultation", "Consultation"
        PROFESSIONALS_MEETING = "professionals_meeting", "Professionals meeting"
        PHONE_CALL = "phone_call", "Phone call"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    held_at = models.DateTimeField()
    recording_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="conversations_recorded"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="conversations"
    )
    children = models.ManyToManyField(Person, related_name="conversations")
    current_version = models.PositiveIntegerField(default=1)
    circulated_at = models.DateTimeField()
    events = models.ManyToManyField(Event, related_name="conversations", blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-held_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="conversation_version_from_one", condition=Q(current_version__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("conversations:conversation", args=[self.pk])


class ConversationVersion(models.Model):
    """What a conversation concluded, as circulated once: its status, summary and outcomes.

    Never changed once written: an amendment after circulation is a new
    version, so what each participant acknowledged can always be read again.
    """

    class Status(models.TextChoices):
        INFORMATION_SHARED = "information_shared", "Information shared only"
        ADVICE_GIVEN = "advice_given", "Advice given"
        DECISION_MADE = "decision_made", "Decision made"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices)
    summary = models.TextField(blank=True)
    outcomes = models.JSONField(help_text="The agreed outcomes, each a sentence.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["conversation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "number"], name="conversation_version_once"
            ),
            models.CheckConstraint(
                name="conversation_version_status_recorded",
                condition=Q(status__in=["information_shared", "advice_given", "decision_made"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation}, version {self.number}"


class Participant(models.Model):
    """Someone who took part: a user with an account, or a named person of an agency."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["conversation", "id"]
        constraints = [
            models.CheckConstraint(
                name="participant_user_or_named_agency",
                condition=Q(user__isnull=False) | (Q(agency__isnull=False) & ~Q(name="")),
            ),
            models.UniqueConstraint(
                fields=["conversation", "user"],
                condition=Q(user__isnull=False),
                name="participant_user_once",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id is not None:
            return str(self.user)
        return f"{self.name} ({self.agency})"


class Acknowledgement(models.Model):
    """A participant's answer to "is this version an accurate record?": yes, or a dispute."""

    class Answer(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged as accurate"
        DISPUTED = "disputed", "Disputed"

    version = models.ForeignKey(
        ConversationVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=20, choices=Answer.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["version", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="acknowledgement_once"),
            models.CheckConstraint(
                name="dispute_has_comment",
                condition=Q(answer="acknowledged") | ~Q(comment=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.answer} {self.version}"


class Action(models.Model):
    """Something a conversation asked an agency to do, by a date.

    Closed as done (with evidence of what was done) or cancelled (with the
    reason), by whom and when.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    evidence = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(name="action_described", condition=~Q(description="")),
            models.CheckConstraint(
                name="action_closed_with_evidence_or_reason",
                condition=Q(state="open", closed_at__isnull=True)
                | (Q(state="done", closed_at__isnull=False) & ~Q(evidence=""))
                | (Q(state="cancelled", closed_at__isnull=False) & ~Q(cancel_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Action {self.pk}: {self.description[:40]}"
