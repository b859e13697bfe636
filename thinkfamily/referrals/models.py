"""Referrals: an agency asks children's social care to help a child, in partnership with the family.

The case review asked three things of a referral: that the referrer tell the
parents unless telling them would put the child at risk of significant harm;
that children's social care confirm with the referrer that the family knows;
and that it tell the family it intends to visit. A ``Referral`` carries the
referrer's answer to "was the family told?" (a referral cannot be made
without one), and moves through children's social care's steps in order, each
recorded as a ``ReferralStep`` with who and when and as an entry on every
child's chronology.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person, only_sealed_among


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: User) -> ReferralQuerySet:
        """Referrals the user may read: those their agency made or received; all, for the
        family-wide roles (children's social care and the partnership)."""
        if not user.is_active or user.agency_id is None:
            return self.none()
        if user.sees_whole_families:
            return self.all()
        return self.filter(Q(referring_agency_id=user.agency_id) | Q(to_agency_id=user.agency_id))

    def hiding_sealed_from(self, user: User) -> ReferralQuerySet:
        """Leave out referrals whose kept children are all sealed, unless the user's role sees
        sealed records: to anyone else such a referral is like none."""
        if user.role in sealed_person_roles():
            return self
        kept = ReferralChild.objects.filter(referral_id=models.OuterRef("pk"), included=True)
        return self.exclude(only_sealed_among(kept))

    def open(self) -> ReferralQuerySet:
        return self.exclude(status=Referral.Status.CLOSED)


class Referral(models.Model):
    """A request from an agency to children's social care to help one or more children.

    Made with the children it concerns (each child of the household kept or
    removed with a reason, so siblings are considered rather than forgotten),
    the concerns, what the referrer has done, and whether the family was told:
    when, by whom, how and how they responded; or why not, which a manager in
    the referring agency confirms before the referral is sent.

    Children's social care then takes it through ``Status`` in order, never
    skipping a step. ``version`` rises with every step, so two people acting
    on the same referral at once cannot both succeed.
    """

    class Status(models.TextChoices):
        AWAITING_MANAGER = "awaiting_manager", "Waiting for a manager to confirm"
        RECEIVED = "received", "Received by children's social care"
        ACKNOWLEDGED = "acknowledged", "Acknowledged to the referrer"
        AWARENESS_CONFIRMED = "awareness_confirmed", "Family's awareness confirmed"
        DECIDED = "decided", "Decided"
        VISIT_INTENTION_RECORDED = "visit_intention_recorded", "Visit intention recorded"
        CLOSED = "closed", "Closed, outcome fed back"

    class FamilyInformed(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"

    class InformedHow(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        LETTER = "letter", "By letter"

    class NotInformedReason(models.TextChoices):
        RISK_OF_HARM = (
            "risk_of_harm",
            "Telling them would place the child at risk of significant harm",
        )
        COULD_NOT_CONTACT = "could_not_contact", "They could not be contacted"
        OTHER = "other", "Other reason"

    class TellingDecision(models.TextChoices):
        REFERRER_WILL_TELL = "referrer_will_tell", "The referrer will tell the family"
        CSC_WILL_TELL = "csc_will_tell", "Children's social care will tell the family"
        NOT_TO_BE_TOLD = "not_to_be_told", "The family is not to be told yet (risk of harm)"

    referring_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals_made"
    )
    to_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals_received"
    )
    referred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    concerns = models.TextField(help_text="What the referrer is worried about.")
    categories = models.JSONField(help_text="Concern categories (events.Event.Category values).")
    done_so_far = models.TextField(help_text="What the referrer has done so far.")

    family_informed = models.CharField(max_length=3, choices=FamilyInformed.choices)
    informed_on = models.DateField(null=True, blank=True)
    informed_by_name = models.CharField(max_length=200, blank=True)
    informed_how = models.CharField(max_length=10, choices=InformedHow.choices, blank=True)
    family_response = models.TextField(blank=True)
    not_informed_reason = models.CharField(
        max_length=20, choices=NotInformedReason.choices, blank=True
    )
    not_informed_detail = models.TextField(blank=True)
    contact_attempts = models.TextField(blank=True)
    manager_confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manager_confirmed_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=30, choices=Status.choices)
    version = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    family_aware = models.BooleanField(null=True, blank=True)
    telling_decision = models.CharField(max_length=30, choices=TellingDecision.choices, blank=True)
    telling_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    strategy_discussion_on = models.DateField(null=True, blank=True)
    visit_intention_communicated = models.BooleanField(null=True, blank=True)
    visit_intention_on = models.DateField(null=True, blank=True)
    visit_intention_how = models.CharField(max_length=10, choices=InformedHow.choices, blank=True)
    no_visit_intention_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_feedback = models.TextField(blank=True)

    acknowledgement_due_on = models.DateField(null=True, blank=True)
    decision_due_on = models.DateField(null=True, blank=True)
    assessment_due_on = models.DateField(null=True, blank=True)
    conference_due_on = models.DateField(
        null=True, blank=True, help_text="Initial child protection conference."
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="referral_not_to_itself",
                condition=~Q(referring_agency=models.F("to_agency")),
            ),
            # The family-informed question cannot be skipped, whatever writes the row.
            models.CheckConstraint(
                name="referral_family_informed_answered",
                condition=(
                    Q(family_informed="yes", informed_on__isnull=False)
                    & ~Q(informed_by_name="")
                    & ~Q(informed_how="")
                )
                | (Q(family_informed="no") & ~Q(not_informed_reason="")),
            ),
            models.CheckConstraint(
                name="referral_sent_only_once_confirmed",
                condition=Q(family_informed="yes")
                | Q(status="awaiting_manager")
                | Q(manager_confirmed_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["to_agency", "status"])]

    def __str__(self) -> str:
        return f"Referral {self.pk} from {self.referring_agency}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:referral", args=[self.pk])


class ReferralChild(models.Model):
    """A child of the household on a referral: kept on it, or removed with a reason.

    Children's social care records its decision for each child kept.
    """

    class Decision(models.TextChoices):
        NO_FURTHER_ACTION = "nfa", "No further action"
        EARLY_HELP = "early_help", "Early help"
        ASSESSMENT = "assessment", "Assessment"
        STRATEGY_DISCUSSION = "strategy_s47", "Strategy discussion / section 47 enquiry"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="children")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    included = models.BooleanField()
    removal_reason = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["referral", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "person"], name="referral_child_once"),
            models.CheckConstraint(
                name="referral_child_removed_with_reason",
                condition=Q(included=True) | ~Q(removal_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.referral}"


class ReferralStep(models.Model):
    """One step of a referral: who moved it from which status to which, when, and why.

    Each step is also an event on every included child's chronology (``events``).
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, choices=Referral.Status.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    events = models.ManyToManyField(Event, related_name="referral_steps", blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral}: {self.from_status or 'new'} → {self.to_status}"
