"""People, the agency records behind them, and the households they live in.

An agency knows a person through its own record (``AgencyRecord``). Linkage
decides which records are the same human being and points them at one
``Person``; merging and unmerging only ever move that pointer, so an agency's
record as it was recorded is never changed by linkage. Households are formed
from what agencies say about who lives together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import Agency, BreakGlassAccess, User
from thinkfamily.accounts.policy import household_members_visible, sealed_person_roles
from thinkfamily.people.identifiers import nhs_number_validator, upn_validator


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: User) -> PersonQuerySet:
        """People this user has a legitimate reason to see.

        Children's social care and partnership roles see every family. Anyone
        else sees the people their agency holds a record of, the members of
        those people's households (a school can see that the preschool sibling
        of its pupil exists; the partnership may turn this off, see
        ``accounts.policy``), and anyone they have opened by break-glass while
        the opening lasts. A sealed person is seen only by the sealed-record
        roles. A system administrator sees nobody.
        """
        if not user.is_authenticated or user.agency_id is None:
            return self.none()
        people = self
        if not user.sees_whole_families:
            known = _people_known_to(user.agency_id)
            legitimate = Q(id__in=known) | Q(id__in=break_glass_open_to(user).values("person_id"))
            if household_members_visible():
                members = HouseholdMembership.objects.filter(
                    household_id__in=_households_of(known), end_date__isnull=True
                ).values("person_id")
                legitimate |= Q(id__in=members)
            people = people.filter(legitimate)
        if user.role not in sealed_person_roles():
            people = people.exclude(sealed=True)
        return people


class HouseholdQuerySet(models.QuerySet["Household"]):
    def visible_to(self, user: User) -> HouseholdQuerySet:
        """Households this user may open: one of its members is known to their agency.

        Children's social care and partnership roles open every household but
        one whose only people living there now are sealed (its address is what
        the seal protects), unless their role sees sealed records; a system
        administrator opens none.
        """
        if not user.is_authenticated or user.agency_id is None:
            return self.none()
        if user.sees_whole_families:
            if user.role in sealed_person_roles():
                return self.all()
            return self.exclude(only_sealed_live_here())
        return self.filter(id__in=_households_of(_people_known_to(user.agency_id)))


def only_sealed_among(people_rows: models.QuerySet[Any, Any]) -> Q:
    """Rows (of a table with a ``person`` column, filtered to one outer row) that name someone
    sealed and nobody unsealed: a household only sealed people live in, a referral, a
    conversation or an agreement about sealed children alone."""
    return Q(models.Exists(people_rows.filter(person__sealed=True))) & ~Q(
        models.Exists(people_rows.filter(person__sealed=False))
    )


def only_sealed_live_here() -> Q:
    """Households where someone sealed lives now and nobody unsealed does."""
    return only_sealed_among(
        HouseholdMembership.objects.filter(
            household_id=models.OuterRef("pk"), end_date__isnull=True
        )
    )


# Access is decided by chains of indexed lookups (records by agency, memberships
# by person, memberships by household) rather than one long join, so that the
# database walks out from the agency's own records instead of scanning everyone.
# For the handful of people on one page, ``people_visible_among`` asks the same
# rule the other way round, walking out from those people.


#: Ids per ``IN (…)`` clause: SQLite allows some tens of thousands of parameters.
_IN_CHUNK = 5000


def people_visible_among(user: User, person_ids: Collection[int]) -> set[int]:
    """Which of ``person_ids`` the user may see: ``PersonQuerySet.visible_to``'s rule, for a few.

    ``visible_to`` builds everyone an agency may see, which for a health
    visiting team with tens of thousands of records is the wrong way round
    for a page about one family. Here each person is checked by lookups out
    from them, in one query: a record of the user's agency, a current
    household with a member the agency holds a record of, or an unexpired
    break-glass opening; and never a sealed person outside the sealed-record
    roles.
    """
    if not user.is_authenticated or user.agency_id is None:
        return set()
    ids = list(person_ids)
    sealed_seen = user.role in sealed_person_roles()
    if user.sees_whole_families and sealed_seen:
        return set(ids)
    relationship = None
    if not user.sees_whole_families:
        opened = BreakGlassAccess.objects.filter(
            person_id=models.OuterRef("pk"), user_id=user.pk, expires_at__gt=timezone.now()
        )
        relationship = _relationship(user.agency_id) | Q(models.Exists(opened))
    return _people_among(ids, relationship, sealed_seen=sealed_seen)


def known_or_housemates_among(agency_id: int, ids: list[int]) -> set[int]:
    """Which of ``ids`` the agency holds a record of, or (at the "summary" household level)
    lives now with someone it does: the relationship itself, before break-glass; never a
    sealed person."""
    return _people_among(ids, _relationship(agency_id), sealed_seen=False)


def _relationship(agency_id: int) -> Q:
    """A person the agency holds a record of, or (at the "summary" household level) who lives
    now with someone unsealed it does."""
    agency_knows = AgencyRecord.objects.filter(
        person_id=models.OuterRef("person_id"), agency_id=agency_id
    )
    condition = Q(
        models.Exists(
            AgencyRecord.objects.filter(person_id=models.OuterRef("pk"), agency_id=agency_id)
        )
    )
    if household_members_visible():
        known_housemate = HouseholdMembership.objects.filter(
            household_id=models.OuterRef("household_id"),
            end_date__isnull=True,
            person__sealed=False,
        ).filter(models.Exists(agency_knows))
        lives_with_known = HouseholdMembership.objects.filter(
            person_id=models.OuterRef("pk"), end_date__isnull=True
        ).filter(models.Exists(known_housemate))
        condition |= Q(models.Exists(lives_with_known))
    return condition


def _people_among(ids: list[int], condition: Q | None, *, sealed_seen: bool) -> set[int]:
    visible: set[int] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        people = Person.objects.filter(pk__in=ids[start : start + _IN_CHUNK])
        if condition is not None:
            people = people.filter(condition)
        if not sealed_seen:
            people = people.filter(sealed=False)
        visible.update(people.values_list("pk", flat=True))
    return visible


def break_glass_open_to(user: User) -> models.QuerySet[BreakGlassAccess]:
    """The user's break-glass openings that have not yet expired."""
    return BreakGlassAccess.objects.filter(user_id=user.pk, expires_at__gt=timezone.now())


def households_known_to_agency(household_ids: Collection[int], agency_id: int) -> set[int]:
    """Which of these households have someone living there now whom the agency holds a record of."""
    agency_knows = AgencyRecord.objects.filter(
        person_id=models.OuterRef("person_id"), agency_id=agency_id
    )
    # A sealed member never opens a household: its address may be the one being protected.
    return set(
        HouseholdMembership.objects.filter(
            household_id__in=list(household_ids), end_date__isnull=True, person__sealed=False
        )
        .filter(models.Exists(agency_knows))
        .values_list("household_id", flat=True)
    )


def _people_known_to(agency_id: int) -> models.QuerySet[Any, Any]:
    """Ids of the people an agency holds a record of."""
    return AgencyRecord.objects.filter(agency_id=agency_id).values("person_id")


def _households_of(people: models.QuerySet[Any, Any]) -> models.QuerySet[Any, Any]:
    """Ids of the households those people currently live in (a sealed person opens none)."""
    return HouseholdMembership.objects.filter(
        person_id__in=people, end_date__isnull=True, person__sealed=False
    ).values("household_id")


class Person(models.Model):
    """One human being, as the partnership knows them after linking every agency's records.

    The demographic fields are the best-known values drawn from the linked
    records (a record with an NHS number first); the records themselves keep
    what each agency wrote. NHS number and UPN are unique: two people never
    share one.
    """

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    unborn = models.BooleanField(
        default=False, help_text="An unborn child; the date of birth is the expected date."
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    nhs_number = models.CharField(
        max_length=10, null=True, blank=True, validators=[nhs_number_validator]
    )
    upn = models.CharField(
        "unique pupil number", max_length=13, null=True, blank=True, validators=[upn_validator]
    )
    sealed = models.BooleanField(
        default=False,
        db_default=False,  # rows written by bulk imports, which name their columns, are unsealed
        help_text="Sealed (for example after adoption): invisible except to the sealed-record "
        "roles (accounts.policy).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["nhs_number"],
                condition=Q(nhs_number__isnull=False),
                name="person_nhs_unique",
            ),
            models.UniqueConstraint(
                fields=["upn"], condition=Q(upn__isnull=False), name="person_upn_unique"
            ),
        ]
        indexes = [
            # Name search compares lower-cased prefixes as ranges (see people.selectors).
            models.Index(Lower("family_name"), name="person_family_name_lower"),
            models.Index(Lower("given_name"), name="person_given_name_lower"),
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def get_absolute_url(self) -> str:
        return reverse("people:person", args=[self.pk])

    def age_on(self, day: dt.date) -> int | None:
        """Whole years of age on ``day``; None when unborn or the date of birth is unknown."""
        if self.unborn or self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_child_on(self, day: dt.date) -> bool:
        """A child in safeguarding terms: unborn or under 18."""
        age = self.age_on(day)
        return self.unborn or (age is not None and age < 18)


class LinkRule(models.TextChoices):
    """Why a record belongs to its person."""

    NHS_NUMBER = "nhs_number", "Same NHS number"
    UPN = "upn", "Same unique pupil number"
    MODEL = "model", "Linkage model"
    REVIEW = "review", "Confirmed by a reviewer"
    ONLY_RECORD = "only_record", "The person's only record"


class AgencyRecord(models.Model):
    """One agency's record of one person, exactly as that agency recorded it.

    Unique per agency and the agency's own record id. When a re-import changes
    it, the previous values are kept as an ``AgencyRecordVersion``. Two records
    of one agency linked to the same person are a *parallel record*: the
    review found that parallel systems inside one agency hid a child.
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="records")
    record_id = models.CharField(max_length=100)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="records", null=True, blank=True
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    other_names = models.CharField(max_length=300, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    unborn = models.BooleanField(default=False)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True, validators=[nhs_number_validator])
    upn = models.CharField(max_length=13, blank=True, validators=[upn_validator])
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True, help_text="Normalised: AB1 2CD.")
    household_ref = models.CharField(max_length=100, blank=True)
    linked_by = models.CharField(
        max_length=20,
        choices=LinkRule.choices,
        blank=True,
        help_text="The evidence that placed this record with its person.",
    )
    link_probability = models.FloatField(
        null=True, blank=True, help_text="The model's probability, when the model linked it."
    )
    content_hash = models.CharField(
        max_length=64, help_text="Hash of the recorded values, to tell a changed row cheaply."
    )
    first_imported_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "record_id"], name="record_unique_per_agency"
            ),
        ]
        # Only the indexes a query uses: every index costs each imported row.
        indexes = [
            models.Index(Lower("family_name"), name="record_family_name_lower"),
            models.Index(Lower("given_name"), name="record_given_name_lower"),
            # Who else lives at an address or in an agency's household, for forming the
            # households around a push (people.services._homes_around).
            models.Index(fields=["postcode"], name="record_postcode", condition=~Q(postcode="")),
            models.Index(
                fields=["household_ref"],
                name="record_household_ref",
                condition=~Q(household_ref=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code} {self.record_id}"


class AgencyRecordVersion(models.Model):
    """The values an agency record held before a re-import changed them."""

    record = models.ForeignKey(AgencyRecord, on_delete=models.CASCADE, related_name="versions")
    values = models.JSONField()
    superseded_at = models.DateTimeField()
    superseded_by_import = models.ForeignKey(
        "extracts.ImportRun", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        ordering = ["-superseded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.record} before {self.superseded_at:%Y-%m-%d %H:%M}"


class Household(models.Model):
    """A group of people living together at one address, as agencies report it.

    Formed from agencies' own household groupings, from relationships, and
    from people recorded at the same address and postcode. ``key`` is a
    stable name for the group so a re-import finds the same household again.
    """

    key = models.CharField(max_length=200, unique=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()

    def __str__(self) -> str:
        return ", ".join(part for part in (self.address, self.postcode) if part) or (
            f"Household {self.pk}"
        )

    def get_absolute_url(self) -> str:
        return reverse("families:family", args=[self.pk])


class HouseholdMembership(models.Model):
    """A person living in a household, in a role, for a period, on one agency's word.

    Several agencies may report the same person in the same household; each
    report is its own membership so the evidence stays visible.
    """

    class Role(models.TextChoices):
        CHILD = "child", "Child"
        PARENT = "parent", "Parent"
        CARER = "carer", "Carer"
        PARTNER = "partner", "Partner"
        OTHER_ADULT = "other_adult", "Other adult"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    reported_by = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    source_record = models.ForeignKey(
        AgencyRecord,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="The agency record this membership was derived from, if any.",
    )
    recorded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Think Family first learned of this membership (empty: before it was kept).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "source_record"], name="membership_once_per_record"
            ),
            models.CheckConstraint(
                name="membership_ends_after_it_starts",
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} in {self.household}"


class Relationship(models.Model):
    """What one agency records about how two of its records are related.

    Read as: ``record`` is the ``kind`` of ``related_record`` (a parent of, a
    partner of). Stored between records, not people, so it is one agency's
    statement and follows the records when linkage merges or unmerges people.
    """

    class Kind(models.TextChoices):
        PARENT = "parent", "Parent"
        CHILD = "child", "Child"
        SIBLING = "sibling", "Sibling"
        HALF_SIBLING = "half_sibling", "Half-sibling"
        STEP_SIBLING = "step_sibling", "Step-sibling"
        PARTNER = "partner", "Partner"
        CARER = "carer", "Carer"
        HOUSEHOLD_MEMBER = "household_member", "Household member"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(AgencyRecord, on_delete=models.CASCADE, related_name="+")
    related_record = models.ForeignKey(AgencyRecord, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "related_record", "kind"], name="relationship_stated_once"
            ),
            models.CheckConstraint(
                name="relationship_not_to_itself", condition=~Q(record=models.F("related_record"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record} is {self.get_kind_display().lower()} of {self.related_record}"
