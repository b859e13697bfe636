"""Events: the dated entries that make up a person's chronology."""

from django.db import models
from django.db.models import Q

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import restricted_event_roles, sealed_person_roles
from thinkfamily.people.models import AgencyRecord, Person, break_glass_open_to


class EventQuerySet(models.QuerySet["Event"]):
    def visible_to(self, user: User) -> "EventQuerySet":
        """Events this user may read.

        Family-wide roles read every family's chronology; anyone else reads the
        events of people their agency itself knows, and of people they have
        opened by break-glass while the opening lasts. Knowing only that a
        sibling exists (through a household) does not open another agency's
        events. Restricted events are read by the restricted-record roles of
        the recording agency and by children's social care managers; a sealed
        person's events only by the sealed-record roles (``accounts.policy``).
        """
        if not user.is_authenticated or user.agency_id is None:
            return self.none()
        events = self
        if not user.sees_whole_families:
            known = AgencyRecord.objects.filter(agency_id=user.agency_id).values("person_id")
            opened = break_glass_open_to(user).values("person_id")
            events = events.filter(Q(person_id__in=known) | Q(person_id__in=opened))
        if user.role != User.Role.CSC_MANAGER:
            if user.role in restricted_event_roles():
                events = events.filter(Q(restricted=False) | Q(agency_id=user.agency_id))
            else:
                events = events.filter(restricted=False)
        if user.role not in sealed_person_roles():
            events = events.exclude(person__sealed=True)
        return events


class Event(models.Model):
    """Something that happened to or about a person, recorded by an agency.

    A contact, a concern, a referral, a home visit, a missed appointment. The
    chronology of a child is the list of these across every agency. Whether a
    professional *saw the person* is recorded explicitly, because how recently
    a child was seen is the measure of how visible they are. ``restricted``
    events (a refuge address, an ongoing police investigation) are readable
    only by the roles allowed to see them.
    """

    class EventType(models.TextChoices):
        CONTACT = "contact", "Contact"
        CONCERN = "concern", "Concern"
        REFERRAL = "referral", "Referral"
        VISIT = "visit", "Visit"
        APPOINTMENT = "appointment", "Appointment"
        MISSED_APPOINTMENT = "missed_appointment", "Missed appointment"
        ATTENDANCE = "attendance", "Attendance"
        INCIDENT = "incident", "Incident"
        ASSESSMENT = "assessment", "Assessment"
        NOTE = "note", "Note"
        CONVERSATION = "conversation", "Professional conversation"
        AGREEMENT = "agreement", "Verbal agreement"

    class Category(models.TextChoices):
        NEGLECT = "neglect", "Neglect"
        PHYSICAL = "physical", "Physical abuse"
        EMOTIONAL = "emotional", "Emotional abuse"
        SEXUAL = "sexual", "Sexual abuse"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
        EXPLOITATION = "exploitation", "Exploitation"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="events")
    record = models.ForeignKey(
        AgencyRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        help_text="The agency record the event was filed against, when it came from an extract.",
    )
    external_id = models.CharField(
        max_length=100, null=True, blank=True, help_text="The agency's own event id."
    )
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    seen_in_person = models.BooleanField(default=False)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    summary = models.TextField(blank=True)
    restricted = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: Entries Think Family writes itself from its own records; an agency extract never
    #: carries them (the contract's event types are the others).
    RECORDED_HERE = frozenset({EventType.CONVERSATION, EventType.AGREEMENT})

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=Q(external_id__isnull=False),
                name="event_unique_per_agency",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "occurred_at"]),
            # Recent concerns, for Think Sibling (prompts.services.prompts_reconcile).
            models.Index(fields=["event_type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} on {self.occurred_at:%d %b %Y}"
