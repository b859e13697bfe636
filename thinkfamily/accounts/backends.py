"""The one place that answers "may this user see this?".

Views, templates, commands and (later) the API all ask ``user.has_perm(perm,
obj)``, which Django routes here. The rules are need-to-know: a user sees a
person because their agency knows that person or a member of that person's
household, or because their role works with whole families. ``access_reason``
states which rule applied, for the audit trail.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import models
from django.db.models import Model

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.conversations.models import Action, Conversation
from thinkfamily.learning.models import PlanAction
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.people.models import (
    Household,
    Person,
    break_glass_open_to,
    households_known_to_agency,
    known_or_housemates_among,
    only_sealed_live_here,
)
from thinkfamily.prompts.models import Prompt, PromptRecipient
from thinkfamily.referrals.models import Referral

VIEW_PERSON = "people.view_person"
VIEW_HOUSEHOLD = "people.view_household"
REVIEW_CANDIDATE = "matching.review_candidate"
UNDO_MERGE = "matching.undo_merge"
VIEW_PARALLEL_RECORDS = "matching.view_parallel_records"
RECORD_CONCERN = "events.record_concern"
VIEW_PROMPT = "prompts.view_prompt"
ANSWER_PROMPT = "prompts.answer_prompt"
VIEW_RESPONSE_RATES = "prompts.view_response_rates"
MAKE_REFERRAL = "referrals.make_referral"
CONFIRM_REFERRAL = "referrals.confirm_referral"
ACT_ON_REFERRAL = "referrals.act_on_referral"
VIEW_REFERRAL = "referrals.view_referral"
VIEW_REFERRAL_MEASURES = "referrals.view_measures"
EXPORT_ANNEX_A = "referrals.export_annex_a"

#: Roles in a referring agency that confirm a decision not to tell the family.
REFERRAL_CONFIRMING_ROLES = frozenset({User.Role.MANAGER, User.Role.DESIGNATED_SAFEGUARDING_LEAD})
#: Roles in children's social care that take a referral through its steps.
REFERRAL_HANDLING_ROLES = frozenset({User.Role.CSC_WORKER, User.Role.CSC_MANAGER})

#: Roles that decide whether two records are one person, and may undo a merge:
#: joining two children into one, or parting one child into two, is a
#: safeguarding decision for children's social care and partnership managers.
LINKAGE_DECISION_ROLES = frozenset({User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER})


def access_reason(user: User, person: Person) -> str | None:
    """Why ``user`` may see ``person``, in words for the audit trail; None if they may not.

    A sealed person is seen only by the sealed-record roles. Otherwise: a role
    that works with whole families; the agency's own record; a member of a
    household the agency knows (unless the partnership has turned that off);
    or an unexpired break-glass opening, whose reason is quoted.
    """
    if not user.is_active or user.agency_id is None:
        return None
    if person.sealed and user.role not in sealed_person_roles():
        return None
    if user.sees_whole_families:
        return f"role: {user.get_role_display()}"
    if person.records.filter(agency_id=user.agency_id).exists():
        return "agency holds a record of this person"
    if person.pk in known_or_housemates_among(user.agency_id, [person.pk]):
        return "agency knows a member of this person's household"
    opening = break_glass_open_to(user).filter(person=person).order_by("-opened_at").first()
    if opening is not None:
        return f"{BREAK_GLASS_REASON_PREFIX}{opening.reason}"
    return None


#: How an access reason under break-glass begins, so the audit trail can flag those looks.
BREAK_GLASS_REASON_PREFIX = "break-glass: "


def household_access_reason(user: User, household: Household) -> str | None:
    """Why ``user`` may see ``household``; None if they may not."""
    if not user.is_active or user.agency_id is None:
        return None
    if user.sees_whole_families:
        if user.role not in sealed_person_roles() and (
            Household.objects.filter(pk=household.pk).filter(only_sealed_live_here()).exists()
        ):
            return None
        return f"role: {user.get_role_display()}"
    if households_known_to_agency([household.pk], user.agency_id):
        return "agency knows a member of this household"
    return None


def reads_chronology_of(user: User, person: Person) -> bool:
    """Whether the user may read a person's events, not only know the person exists.

    The per-person form of the rule ``EventQuerySet.visible_to`` applies to
    sets of events: family-wide roles, an agency that holds a record, or an
    unexpired break-glass opening; never a sealed person outside the
    sealed-record roles.
    """
    if not user.is_active or user.agency_id is None:
        return False
    if person.sealed and user.role not in sealed_person_roles():
        return False
    return (
        user.sees_whole_families
        or person.records.filter(agency_id=user.agency_id).exists()
        or break_glass_open_to(user).filter(person=person).exists()
    )


#: Roles that read but never write case records: they may not record a concern or answer a prompt.
READ_ONLY_ROLES = frozenset({User.Role.REVIEWER, User.Role.AUDITOR, User.Role.SYSTEM_ADMINISTRATOR})


def _works_on_cases(user: User) -> bool:
    return user.is_active and user.agency_id is not None and user.role not in READ_ONLY_ROLES


def prompt_routed_to_agency_of(user: User, prompt: Prompt) -> bool:
    return (
        user.agency_id is not None
        and PromptRecipient.objects.filter(prompt=prompt, agency_id=user.agency_id).exists()
    )


def _referral_oversight(user: User, perm: str) -> bool:
    """Measures are the partnership's; the Annex A lists are children's social care's return."""
    if not user.is_active or user.agency_id is None:
        return False
    if perm == VIEW_REFERRAL_MEASURES:
        return user.role == User.Role.PARTNERSHIP_MANAGER
    return user.role in (User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER)


def _may_on_referral(user: User, perm: str, referral: Referral) -> bool:
    if not user.is_active or user.agency_id is None:
        return False
    if perm == VIEW_REFERRAL:
        return user.sees_whole_families or user.agency_id in (
            referral.referring_agency_id,
            referral.to_agency_id,
        )
    if perm == CONFIRM_REFERRAL:
        # Four eyes: a manager or safeguarding lead of the referring agency, not the referrer.
        return (
            user.agency_id == referral.referring_agency_id
            and user.role in REFERRAL_CONFIRMING_ROLES
            and user.pk != referral.referred_by_id
        )
    if perm == ACT_ON_REFERRAL:
        # A referral that keeps a sealed child is taken on only by the sealed-record roles:
        # its decision names each child, and nobody else may know the sealed one exists.
        keeps_sealed = referral.children.filter(included=True, person__sealed=True).exists()
        return (
            user.agency_id == referral.to_agency_id
            and user.role in REFERRAL_HANDLING_ROLES
            and not (keeps_sealed and user.role not in sealed_person_roles())
        )
    return False


def decides_linkage(user: User) -> bool:
    """Whether the user may review candidate pairs and undo merges (any pair, any merge)."""
    return user.is_active and user.agency_id is not None and user.role in LINKAGE_DECISION_ROLES


# ---------------------------------------------------------------------------
# Professional conversations (issue 6): who may read, record, amend, acknowledge, close actions

VIEW_CONVERSATION = "conversations.view_conversation"
RECORD_CONVERSATION = "conversations.record_conversation"
AMEND_CONVERSATION = "conversations.amend_conversation"
ACKNOWLEDGE_CONVERSATION = "conversations.acknowledge_conversation"
CLOSE_ACTION = "conversations.close_action"
VIEW_CONVERSATION_COMPLIANCE = "conversations.view_compliance"

#: Roles in the recording agency that may correct a colleague's record of a conversation.
CONVERSATION_AMENDING_ROLES = frozenset(
    {User.Role.MANAGER, User.Role.DESIGNATED_SAFEGUARDING_LEAD, User.Role.CSC_MANAGER}
)


def _may_on_conversation(user: User, perm: str, obj: Conversation | Action) -> bool:
    """Read: the recording agency, the participants' agencies, and the family-wide roles.
    Amend: the recorder, or a manager of the recording agency. Acknowledge: a participant
    with an account. Close an action: the owner agency's case staff, or the recorder."""
    if not user.is_active or user.agency_id is None:
        return False
    if isinstance(obj, Action):
        conversation = obj.conversation
        return perm == CLOSE_ACTION and (
            user.pk == conversation.recorded_by_id
            or (_works_on_cases(user) and user.agency_id == obj.owner_agency_id)
        )
    if perm == VIEW_CONVERSATION:
        return (
            user.sees_whole_families
            or user.agency_id == obj.recording_agency_id
            or obj.participants.filter(
                models.Q(agency_id=user.agency_id) | models.Q(user__agency_id=user.agency_id)
            ).exists()
        )
    if perm == AMEND_CONVERSATION:
        return user.pk == obj.recorded_by_id or (
            user.agency_id == obj.recording_agency_id and user.role in CONVERSATION_AMENDING_ROLES
        )
    if perm == ACKNOWLEDGE_CONVERSATION:
        return obj.participants.filter(user_id=user.pk).exists()
    return False


# ---------------------------------------------------------------------------
# Verbal agreements (issue 6)

VIEW_AGREEMENT = "agreements.view_agreement"
RECORD_AGREEMENT = "agreements.record_agreement"
ACT_ON_AGREEMENT = "agreements.act_on_agreement"
SIGN_OFF_AGREEMENT = "agreements.sign_off_agreement"
CHANGE_AGREEMENT_POLICY = "agreements.change_policy"
VIEW_AGREEMENT_COMPLIANCE = "agreements.view_compliance"
AGREEMENT_PERMS = frozenset(
    {VIEW_AGREEMENT, RECORD_AGREEMENT, ACT_ON_AGREEMENT, SIGN_OFF_AGREEMENT,
     CHANGE_AGREEMENT_POLICY, VIEW_AGREEMENT_COMPLIANCE}
)  # fmt: skip
#: Roles in the recording agency that sign off a verbal agreement (never the recorder's own).
AGREEMENT_SIGN_OFF_ROLES = frozenset({User.Role.MANAGER, User.Role.DESIGNATED_SAFEGUARDING_LEAD})


def _may_on_agreements(user: User, perm: str, obj: Model | None) -> bool:
    """Verbal agreements: read by the recording agency, agencies that know a child it
    concerns, and the family-wide roles; recorded by anyone working on cases who may see the
    household; shared and reviewed only by the recording agency's staff; signed off by a
    manager of the recording agency who is not the recorder; the settings and the compliance
    figures are the partnership's."""
    if not user.is_active or user.agency_id is None:
        return False
    if perm in (CHANGE_AGREEMENT_POLICY, VIEW_AGREEMENT_COMPLIANCE):
        return obj is None and user.role == User.Role.PARTNERSHIP_MANAGER
    if perm == RECORD_AGREEMENT:
        return (
            isinstance(obj, Household)
            and _works_on_cases(user)
            and household_access_reason(user, obj) is not None
        )
    if not isinstance(obj, VerbalAgreement):
        return False
    own_agency = user.agency_id == obj.recording_agency_id
    if perm == VIEW_AGREEMENT:
        return (
            user.sees_whole_families
            or own_agency
            or obj.children.filter(records__agency_id=user.agency_id).exists()
        )
    if perm == ACT_ON_AGREEMENT:
        return own_agency and _works_on_cases(user)
    if perm == SIGN_OFF_AGREEMENT:
        return (
            own_agency and user.role in AGREEMENT_SIGN_OFF_ROLES and user.pk != obj.recorded_by_id
        )
    return False


# ---------------------------------------------------------------------------
# The learning loop (issue 7): the register of case reviews, action plans, briefings

VIEW_CASE_REVIEWS = "learning.view_reviews"
MANAGE_CASE_REVIEWS = "learning.manage_reviews"
UPDATE_PLAN_ACTION = "learning.update_action"
VIEW_PLAN_ACTION = "learning.view_action"
CHECK_COMPLIANCE = "learning.check_compliance"
WRITE_BRIEFING = "learning.write_briefing"
VIEW_BRIEFINGS = "learning.view_briefings"
RECORD_BRIEFING_SESSION = "learning.record_session"
LEARNING_PERMS = frozenset(
    {VIEW_CASE_REVIEWS, MANAGE_CASE_REVIEWS, UPDATE_PLAN_ACTION, VIEW_PLAN_ACTION, CHECK_COMPLIANCE,
     WRITE_BRIEFING, VIEW_BRIEFINGS, RECORD_BRIEFING_SESSION}
)  # fmt: skip
#: Roles that see the whole register: the partnership's managers and its review panel.
REGISTER_ROLES = frozenset({User.Role.PARTNERSHIP_MANAGER, User.Role.REVIEWER})
#: Roles in an agency that answer for its actions and brief its staff.
AGENCY_LEAD_ROLES = frozenset(
    {User.Role.MANAGER, User.Role.DESIGNATED_SAFEGUARDING_LEAD, User.Role.CSC_MANAGER}
)


def _may_on_learning(user: User, perm: str, obj: Model | None) -> bool:
    """The register is the partnership's: its managers run it and its review panel
    (reviewers) reads it and checks compliance. An agency's leads update the actions their
    agency owns, and every member of staff reads briefings. ``obj`` for UPDATE_PLAN_ACTION is
    the action; for RECORD_BRIEFING_SESSION the agency the session was for (or None)."""
    if not user.is_active or user.agency_id is None:
        return False
    partnership = user.role == User.Role.PARTNERSHIP_MANAGER
    if perm in (MANAGE_CASE_REVIEWS, WRITE_BRIEFING):
        return partnership
    if perm in (VIEW_CASE_REVIEWS, CHECK_COMPLIANCE):
        return user.role in REGISTER_ROLES
    if perm == VIEW_BRIEFINGS:
        return True
    if perm == VIEW_PLAN_ACTION:
        # The register's readers, and the staff of the agency that owns the action.
        return isinstance(obj, PlanAction) and (
            user.role in REGISTER_ROLES
            or user.agency_id == obj.owner_agency_id
            or user.pk == obj.owner_id
        )
    if perm == UPDATE_PLAN_ACTION:
        if not isinstance(obj, PlanAction):
            return False
        return (
            partnership
            or user.pk == obj.owner_id
            or (user.agency_id == obj.owner_agency_id and user.role in AGENCY_LEAD_ROLES)
        )
    if perm == RECORD_BRIEFING_SESSION:
        if partnership:
            return True
        own = obj is None or (isinstance(obj, Agency) and obj.pk == user.agency_id)
        return own and user.role in AGENCY_LEAD_ROLES
    return False


# ---------------------------------------------------------------------------
# Security and audit (issue 8)

VIEW_ACCESS_LOG = "audit.view_access_log"
VERIFY_AUDIT_TRAIL = "audit.verify_trail"
#: Roles that answer a subject access request: who has looked at a person's record.
ACCESS_LOG_ROLES = frozenset(
    {User.Role.AUDITOR, User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER}
)


def _may_on_audit(user: User, perm: str, obj: Model | None) -> bool:
    """An auditor reads any person's access log (that is their job, and it shows who looked,
    not the record); children's social care and partnership managers read the log of a
    person they may see. Verifying the whole trail is the auditors'."""
    if not user.is_active or user.agency_id is None:
        return False
    if perm == VERIFY_AUDIT_TRAIL:
        return obj is None and user.role == User.Role.AUDITOR
    if perm == VIEW_ACCESS_LOG and isinstance(obj, Person):
        if obj.sealed and user.role not in sealed_person_roles():
            return False
        if user.role == User.Role.AUDITOR:
            return True
        return user.role in ACCESS_LOG_ROLES and access_reason(user, obj) is not None
    return False


# ---------------------------------------------------------------------------
# Break-glass (issue 8)

OPEN_BREAK_GLASS = "accounts.open_break_glass"
REVIEW_BREAK_GLASS = "accounts.review_break_glass"
#: Roles that review their agency's break-glass openings.
BREAK_GLASS_REVIEWING_ROLES = frozenset(
    {User.Role.MANAGER, User.Role.DESIGNATED_SAFEGUARDING_LEAD, User.Role.CSC_MANAGER}
)
#: Roles that never break glass: they do not work on cases.
NEVER_BREAK_GLASS_ROLES = frozenset({User.Role.AUDITOR, User.Role.SYSTEM_ADMINISTRATOR})


def _may_break_glass(user: User, perm: str) -> bool:
    """Anyone on case work may open a record outside their relationship, for a reason; the
    managers and leads of their agency review the openings."""
    if not user.is_active or user.agency_id is None:
        return False
    if perm == OPEN_BREAK_GLASS:
        return user.role not in NEVER_BREAK_GLASS_ROLES
    return user.role in BREAK_GLASS_REVIEWING_ROLES


class SafeguardingAccessBackend(ModelBackend):
    """Django's model backend for sign-in, plus object-level rules for case records."""

    def has_perm(self, user_obj: object, perm: str, obj: Model | None = None) -> bool:
        if not isinstance(user_obj, User):
            return False
        if perm in AGREEMENT_PERMS:
            return _may_on_agreements(user_obj, perm, obj)
        if perm in LEARNING_PERMS:
            return _may_on_learning(user_obj, perm, obj)
        if perm in (VIEW_ACCESS_LOG, VERIFY_AUDIT_TRAIL):
            return _may_on_audit(user_obj, perm, obj)
        if perm in (OPEN_BREAK_GLASS, REVIEW_BREAK_GLASS) and obj is None:
            return _may_break_glass(user_obj, perm)
        if perm == REVIEW_CANDIDATE and (obj is None or isinstance(obj, CandidatePair)):
            # The role decides, not the pair: a manager reviews every pair in the partnership.
            return decides_linkage(user_obj)
        if perm == UNDO_MERGE and (obj is None or isinstance(obj, Merge)):
            return decides_linkage(user_obj)
        if perm == VIEW_PARALLEL_RECORDS:
            # Each agency resolves its own parallel records; the list is of its own records.
            return user_obj.is_active and user_obj.agency_id is not None
        if perm == VIEW_RESPONSE_RATES:
            return (
                user_obj.is_active
                and user_obj.agency_id is not None
                and user_obj.role == User.Role.PARTNERSHIP_MANAGER
            )
        if perm == VIEW_CONVERSATION_COMPLIANCE and obj is None:
            return _referral_oversight(user_obj, VIEW_REFERRAL_MEASURES)  # partnership managers
        if isinstance(obj, (Conversation, Action)):
            return _may_on_conversation(user_obj, perm, obj)
        if perm == RECORD_CONVERSATION and isinstance(obj, Person):
            return _works_on_cases(user_obj) and access_reason(user_obj, obj) is not None
        if perm in (VIEW_REFERRAL_MEASURES, EXPORT_ANNEX_A) and obj is None:
            return _referral_oversight(user_obj, perm)
        if obj is None:
            return super().has_perm(user_obj, perm, obj)
        if isinstance(obj, Referral):
            return _may_on_referral(user_obj, perm, obj)
        if perm == MAKE_REFERRAL and isinstance(obj, Person):
            # Anyone working on cases who may see a child may refer them to children's
            # social care, except children's social care itself.
            return (
                _works_on_cases(user_obj)
                and user_obj.agency is not None
                and user_obj.agency.agency_type != Agency.AgencyType.CSC
                and access_reason(user_obj, obj) is not None
            )
        if perm == RECORD_CONCERN and isinstance(obj, Person):
            # Anyone working on cases who may see the person may record a worry about them.
            return _works_on_cases(user_obj) and access_reason(user_obj, obj) is not None
        if (
            perm in (VIEW_PROMPT, ANSWER_PROMPT)
            and isinstance(obj, Prompt)
            and obj.person.sealed
            and user_obj.role not in sealed_person_roles()
        ):
            return False  # a prompt about a sealed person is, to everyone else, no prompt
        if perm == VIEW_PROMPT and isinstance(obj, Prompt):
            if not user_obj.is_active or user_obj.agency_id is None:
                return False
            return user_obj.sees_whole_families or prompt_routed_to_agency_of(user_obj, obj)
        if perm == ANSWER_PROMPT and isinstance(obj, Prompt):
            # Answered for an agency the prompt went to, by someone who works on cases there.
            return _works_on_cases(user_obj) and prompt_routed_to_agency_of(user_obj, obj)
        if perm == VIEW_PERSON and isinstance(obj, Person):
            return access_reason(user_obj, obj) is not None
        if perm == VIEW_HOUSEHOLD and isinstance(obj, Household):
            return household_access_reason(user_obj, obj) is not None
        return False
