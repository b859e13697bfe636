"""Prompts: the questions Think Family puts to the agencies that know a child.

The case review's central lesson was that a concern about one child may be a
concern for the others, and that preschool children are the least visible.
A *sibling prompt* asks every agency that knows a brother or sister: you
know this child — have you considered them, now that a concern has been
recorded about their sibling? A *new adult prompt* asks the agencies that
know the children of a household to understand the role of an adult who has
joined it.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, HouseholdMembership, Person


class PromptQuerySet(models.QuerySet["Prompt"]):
    def open(self) -> PromptQuerySet:
        return self.filter(status=Prompt.Status.OPEN)

    def overdue_on(self, day: dt.date) -> PromptQuerySet:
        return self.open().filter(due_on__lt=day)

    def routed_to(self, agency_id: int) -> PromptQuerySet:
        return self.filter(
            id__in=PromptRecipient.objects.filter(agency_id=agency_id).values("prompt_id")
        )

    def visible_to(self, user: User) -> PromptQuerySet:
        """Prompts this user may read: those routed to their agency; every prompt for the
        family-wide roles (children's social care, the partnership). A prompt about a sealed
        person is, outside the sealed-record roles, like no prompt at all."""
        if not user.is_active or user.agency_id is None:
            return self.none()
        prompts = self.all() if user.sees_whole_families else self.routed_to(user.agency_id)
        return prompts.hiding_sealed_from(user)

    def hiding_sealed_from(self, user: User) -> PromptQuerySet:
        """Leave out prompts about sealed people unless the user's role sees sealed records."""
        if user.role in sealed_person_roles():
            return self
        return self.exclude(person__sealed=True)


class Prompt(models.Model):
    """A question to the agencies that know a person: have you considered this child (or adult)?

    A sibling prompt is raised for every other child connected to a child of
    concern; a new-adult prompt for an adult who joined a household with
    children. Each names the event that raised it, says why the person
    matters (``reason``: age and visibility when it was raised), is routed to
    agencies (``PromptRecipient``) and is answered once, by someone in one of
    them. It is overdue after the partnership's number of working days.

    One open sibling prompt per child per *episode* (the household the
    concern arose in): a second concern in the same household adds a trigger
    to the open prompt rather than a second prompt.
    """

    class Kind(models.TextChoices):
        SIBLING = "sibling", "Think Sibling"
        NEW_ADULT = "new_adult", "New adult in the household"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"

    class Response(models.TextChoices):
        NO_CONCERN = "no_concern", "Considered — no concern for this child"
        ACTION_TAKEN = "action_taken", "Considered — action taken"
        REFERRAL_MADE = "referral_made", "Referral made"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="prompts",
        help_text="The sibling to consider, or the adult whose role is to be understood.",
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prompts",
        help_text="The household the concern arose in, or the adult joined.",
    )
    episode_key = models.CharField(
        max_length=40,
        help_text="household:<id>, or person:<id> when the child of concern has none.",
    )
    concern = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The concern that first raised a sibling prompt.",
    )
    membership = models.ForeignKey(
        HouseholdMembership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The household membership that brought a new adult in.",
    )
    connection = models.CharField(
        max_length=100,
        blank=True,
        help_text="How the sibling is connected to the child of concern.",
    )
    reason = models.TextField(help_text="Why this person matters, as it stood when raised.")
    preschool = models.BooleanField(help_text="Unborn or under school age when raised: first.")
    raised_at = models.DateTimeField()
    due_on = models.DateField(help_text="Overdue after this day (working days from raising).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.CharField(max_length=20, choices=Response.choices, blank=True)
    action_taken = models.TextField(blank=True)
    note = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_for = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The receiving agency that answered.",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prompts_answered",
        help_text="The referral made for this child, when that was the answer.",
    )

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["-preschool", "raised_at", "id"]
        constraints = [
            # The database refuses a second open prompt for one child in one episode,
            # whatever the race between two concerns.
            models.UniqueConstraint(
                fields=["person", "kind", "episode_key"],
                condition=Q(status="open"),
                name="prompt_one_open_per_episode",
            ),
            models.CheckConstraint(
                name="prompt_answered_has_response",
                condition=Q(status="open", response="", answered_at__isnull=True)
                | (Q(status="answered", answered_at__isnull=False) & ~Q(response="") & ~Q(note="")),
            ),
            models.CheckConstraint(
                name="prompt_action_taken_says_what",
                condition=~Q(response="action_taken") | ~Q(action_taken=""),
            ),
            models.CheckConstraint(
                name="prompt_referral_made_links_it",
                condition=~Q(response="referral_made") | Q(referral__isnull=False),
            ),
            models.CheckConstraint(
                name="prompt_sibling_has_concern",
                condition=~Q(kind="sibling") | Q(concern__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["kind", "person", "household"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} prompt about {self.person}"

    def get_absolute_url(self) -> str:
        return reverse("prompts:prompt", args=[self.pk])

    def is_overdue_on(self, day: dt.date) -> bool:
        return self.status == self.Status.OPEN and day > self.due_on


class PromptTrigger(models.Model):
    """An event that raised (or, for an open prompt, raised again) a prompt.

    Unique per prompt and event, so a concern imported twice, or recorded on
    the form and then arriving in an extract, prompts once.
    """

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="triggers")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="prompt_triggers")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "event"], name="prompt_trigger_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} raised {self.prompt}"


class PromptRecipient(models.Model):
    """An agency a prompt is routed to: one that knows the person, or children's social care."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="recipients")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="prompts_received")
    why = models.CharField(max_length=100, help_text="Why this agency receives the prompt.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "agency"], name="prompt_routed_once"),
        ]
        indexes = [models.Index(fields=["agency", "prompt"])]

    def __str__(self) -> str:
        return f"{self.prompt} to {self.agency}"
