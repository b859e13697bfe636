"""Agencies of the safeguarding partnership and the people who work for them."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Agency(models.Model):
    """An organisation in the local safeguarding partnership that holds records about people.

    A school, a GP practice, the police, children's social care (CSC) and so on.
    Its ``code`` is how its extracts and systems name it (``SCH-BROOKFIELD``,
    ``GP-Y01234``); its type says what kind of knowledge its records carry.
    """

    class AgencyType(models.TextChoices):
        SCHOOL = "school", "School"
        EARLY_YEARS = "early_years", "Early years setting"
        GP = "gp", "GP practice"
        HEALTH_VISITING = "health_visiting", "Health visiting"
        MIDWIFERY = "midwifery", "Midwifery"
        HOSPITAL = "hospital", "Hospital"
        POLICE = "police", "Police"
        CSC = "csc", "Children's social care"
        HOUSING = "housing", "Housing"
        PROBATION = "probation", "Probation"
        CAFCASS = "cafcass", "Cafcass"
        YOUTH_JUSTICE = "youth_justice", "Youth justice"
        OTHER = "other", "Other"

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=20, choices=AgencyType.choices)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A practitioner or officer who signs in, always on behalf of one agency and in one role.

    What a user may see follows from their agency's relationship with a person
    and from their role (see ``accounts.backends``). A system administrator
    manages accounts and has no agency and no access to case records.
    """

    class Role(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        DESIGNATED_SAFEGUARDING_LEAD = "dsl", "Designated safeguarding lead"
        MANAGER = "manager", "Manager"
        CSC_WORKER = "csc_worker", "Children's social care worker"
        CSC_MANAGER = "csc_manager", "Children's social care manager"
        PARTNERSHIP_MANAGER = "partnership_manager", "Partnership manager"
        REVIEWER = "reviewer", "Reviewer"
        AUDITOR = "auditor", "Auditor"
        SYSTEM_ADMINISTRATOR = "sysadmin", "System administrator"

    #: Roles that work with whole families across agencies and so may see every person.
    FAMILY_WIDE_ROLES = frozenset({Role.CSC_WORKER, Role.CSC_MANAGER, Role.PARTNERSHIP_MANAGER})

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.PRACTITIONER)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_has_agency_unless_sysadmin",
                condition=models.Q(agency__isnull=False) | models.Q(role="sysadmin"),
            ),
        ]

    def __str__(self) -> str:
        full_name = self.get_full_name() or self.username
        return f"{full_name} ({self.agency})" if self.agency_id else full_name

    @property
    def sees_whole_families(self) -> bool:
        """True for roles whose work is with whole families across the partnership."""
        return self.role in self.FAMILY_WIDE_ROLES


class BreakGlassAccess(models.Model):
    """An opening of one person's record outside the user's relationship, for a stated reason.

    A practitioner who must see someone their agency does not know (a child
    brought to an emergency department from another area, say) may open that
    person's record by giving a reason. The opening lasts a few hours
    (``accounts.policy.break_glass_hours``), every look during it is marked on
    the audit trail as break-glass, and it lands on the review list of the
    managers of the user's agency, who record whether it was justified.
    """

    class Outcome(models.TextChoices):
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified: to be followed up"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["user", "person", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="break_glass_expires_after_opening",
                condition=models.Q(expires_at__gt=models.F("opened_at")),
            ),
            models.CheckConstraint(name="break_glass_has_reason", condition=~models.Q(reason="")),
            models.CheckConstraint(
                name="break_glass_review_complete",
                condition=(
                    models.Q(reviewed_at__isnull=True, outcome="", reviewed_by__isnull=True)
                    | (
                        models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False)
                        & ~models.Q(outcome="")
                    )
                ),
            ),
            models.CheckConstraint(
                name="break_glass_not_reviewed_by_user",
                condition=~models.Q(reviewed_by=models.F("user")),
            ),
        ]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} at {self.opened_at:%d %b %Y %H:%M}"
