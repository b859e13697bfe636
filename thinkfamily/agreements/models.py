"""Verbal agreements: undertakings a family gives a practitioner without a written document.

The case review found verbal agreements relied on although they were hard to
enforce, easy to misread and never reviewed. Here each one names the need it
answers, what happens if it is not kept, who in the family's network knows of
it, and a review date no more than a few weeks away (``AgreementPolicy``);
each review says whether it was kept and, if it continues, when it is next
reviewed. The database refuses what the services would refuse, so a script
cannot write an agreement without a need or a review date.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person, only_sealed_among

DEFAULT_LOCAL_EXPECTATIONS = """\
A verbal agreement is not a safety plan and cannot be enforced. Use one only where it is \
proportionate to an identified need, and never instead of a referral to children's social care \
when a child may be at risk of significant harm.

Before you record an agreement:
- Name the need or risk it addresses, in words the family would recognise.
- Agree it with the family members who will keep it, and check they understand it.
- Say plainly what will happen if it is not kept.

After you record it:
- Tell the family's network who needs to know (for example a grandparent who helps with care), \
and record who you told, how and when. An agreement no one else knows of protects no one.
- Review it on or before the review date, at most 6 weeks away. Record whether it was kept. If it \
continues, set the next review; if it is not being kept, or is needed for longer, consider a \
written agreement or a referral.
- Discuss it with your manager or designated safeguarding lead in supervision."""


class AgreementPolicy(models.Model):
    """The partnership's settings for verbal agreements; there is one row (``current()``).

    ``max_weeks_to_review`` bounds every review date; ``sign_off_required``
    asks a manager of the recording agency, other than the recorder, to sign
    each new agreement off; ``local_expectations`` is the partnership's own
    statement of good practice, shown beside the form.
    """

    max_weeks_to_review = models.PositiveSmallIntegerField(default=6)
    sign_off_required = models.BooleanField(default=False)
    local_expectations = models.TextField(default=DEFAULT_LOCAL_EXPECTATIONS)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "agreement policies"
        constraints = [
            models.CheckConstraint(name="agreement_policy_singleton", condition=Q(pk=1)),
            models.CheckConstraint(
                name="agreement_policy_weeks_in_range",
                condition=Q(max_weeks_to_review__gte=1, max_weeks_to_review__lte=26),
            ),
        ]

    def __str__(self) -> str:
        return "Verbal agreement settings"

    @classmethod
    def current(cls) -> AgreementPolicy:
        """The partnership's settings, created with the defaults the first time they are read."""
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def latest_review_on(self, from_day: dt.date) -> dt.date:
        """The latest review date allowed for an agreement made, or reviewed, on ``from_day``."""
        return from_day + dt.timedelta(weeks=self.max_weeks_to_review)


class VerbalAgreementQuerySet(models.QuerySet["VerbalAgreement"]):
    def visible_to(self, user: User) -> VerbalAgreementQuerySet:
        """Agreements the user may read: those their agency recorded, those about a child
        their agency holds a record of; all, for the family-wide roles."""
        if not user.is_active or user.agency_id is None:
            return self.none()
        if user.sees_whole_families:
            return self.all()
        return self.filter(
            Q(recording_agency_id=user.agency_id) | Q(children__records__agency_id=user.agency_id)
        ).distinct()

    def hiding_sealed_from(self, user: User) -> VerbalAgreementQuerySet:
        """Leave out agreements whose children are all sealed, unless the user's role sees
        sealed records: to anyone else such an agreement is like none."""
        if user.role in sealed_person_roles():
            return self
        about = VerbalAgreement.children.through.objects.filter(
            verbalagreement_id=models.OuterRef("pk")
        )
        return self.exclude(only_sealed_among(about))

    def active(self) -> VerbalAgreementQuerySet:
        return self.filter(status=VerbalAgreement.Status.ACTIVE)

    def review_overdue(self, today: dt.date) -> VerbalAgreementQuerySet:
        """Active agreements whose review date has passed (due today is still in time)."""
        return self.active().filter(review_on__lt=today)

    def shared_with_nobody(self) -> VerbalAgreementQuerySet:
        return self.active().filter(shares__isnull=True)


class VerbalAgreement(models.Model):
    """A verbal agreement is an undertaking given by family members to a practitioner, not
    written down.

    It must name the need or risk it addresses (an agreement must be
    proportionate to a need), what happens if it is not kept, and a review
    date after the day it was made and within the partnership's maximum. It
    stays active through reviews that find it kept or not kept, and closes
    when a review ends it or converts it into a written agreement. Where the
    partnership asks for it, it is "awaiting sign-off" until a manager of the
    recording agency, not the recorder, signs it off.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        CONVERTED = "converted", "Converted into a written agreement"

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="verbal_agreements"
    )
    made_with = models.ManyToManyField(
        Person, related_name="verbal_agreements_made", help_text="The family members who made it."
    )
    children = models.ManyToManyField(
        Person, related_name="verbal_agreements_about", help_text="The children it concerns."
    )
    recording_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="verbal_agreements"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    agreed = models.TextField(help_text="What was agreed, in the family's words where possible.")
    need = models.TextField(help_text="The identified need or risk the agreement addresses.")
    if_not_kept = models.TextField(help_text="What happens if the agreement is not kept.")
    made_on = models.DateField()
    review_on = models.DateField(help_text="When it is next reviewed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    sign_off_required = models.BooleanField(default=False)
    signed_off_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    events = models.ManyToManyField(Event, related_name="verbal_agreements", blank=True)

    objects = VerbalAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["review_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="agreement_review_after_made", condition=Q(review_on__gt=F("made_on"))
            ),
            models.CheckConstraint(
                name="agreement_names_need_and_terms",
                condition=~Q(need="") & ~Q(agreed="") & ~Q(if_not_kept=""),
            ),
            models.CheckConstraint(
                name="agreement_signed_off_with_when",
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
            ),
            # Four eyes: the recorder never signs off their own agreement.
            models.CheckConstraint(
                name="agreement_not_signed_off_by_recorder",
                condition=Q(signed_off_by__isnull=True) | ~Q(signed_off_by=F("recorded_by")),
            ),
        ]
        indexes = [models.Index(fields=["recording_agency", "status", "review_on"])]

    def __str__(self) -> str:
        return f"Verbal agreement {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("agreements:agreement", args=[self.pk])

    @property
    def awaiting_sign_off(self) -> bool:
        return self.sign_off_required and self.signed_off_by_id is None

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def review_overdue_on(self, today: dt.date) -> bool:
        return self.is_active and self.review_on < today


class AgreementShare(models.Model):
    """Someone in the family's network told of the agreement: who, how and when."""

    class How(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        LETTER = "letter", "By letter"
        MESSAGE = "message", "By message"

    agreement = models.ForeignKey(VerbalAgreement, on_delete=models.CASCADE, related_name="shares")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=10, choices=How.choices)
    shared_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["shared_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "person", "how", "shared_on"], name="agreement_share_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} shared with {self.person}"


class AgreementReview(models.Model):
    """A review of a verbal agreement: was it kept, and what now.

    ``due_on`` is the review date it answered, so whether it was on time or
    late can be counted. Kept or not kept, the agreement continues and
    ``next_review_on`` is required; ended or converted into a written
    agreement, it closes and there is no next review.
    """

    class Outcome(models.TextChoices):
        KEPT = "kept", "Kept"
        NOT_KEPT = "not_kept", "Not kept"
        ENDED = "ended", "Ended"
        CONVERTED = "converted", "Converted into a written agreement"

    CONTINUING = frozenset({Outcome.KEPT, Outcome.NOT_KEPT})

    agreement = models.ForeignKey(VerbalAgreement, on_delete=models.CASCADE, related_name="reviews")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField()
    reviewed_on = models.DateField()
    due_on = models.DateField()
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="agreement_review_next_date_when_continuing",
                condition=Q(
                    outcome__in=["kept", "not_kept"],
                    next_review_on__isnull=False,
                    next_review_on__gt=F("reviewed_on"),
                )
                | Q(outcome__in=["ended", "converted"], next_review_on__isnull=True),
            ),
            models.CheckConstraint(name="agreement_review_has_note", condition=~Q(note="")),
        ]

    def __str__(self) -> str:
        return f"Review of {self.agreement} on {self.reviewed_on}"

    @property
    def late(self) -> bool:
        return self.reviewed_on > self.due_on
