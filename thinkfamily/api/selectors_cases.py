"""What the API reads about the work on a case: households, prompts, referrals, conversations,
verbal agreements.

Each read is made as the token's service user with the web app's own rules:
the querysets' ``visible_to`` and ``hiding_sealed_from``, ``has_perm`` in
``accounts.backends``, and ``people_visible_among`` for who on a record may be
named. An object the caller may not see is ``Http404`` exactly as one that
does not exist. Each read is audited with the action the web page uses, as the
service user, naming the token (``api_token.label``).

The lists hold what the web lists hold for the caller's agency, ordered for
stable cursor paging (oldest first, by the moment each thing happened) rather
than the web's priority order, which changes as the work is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACKNOWLEDGE_CONVERSATION,
    ACT_ON_AGREEMENT,
    ANSWER_PROMPT,
    REFERRAL_HANDLING_ROLES,
    VIEW_AGREEMENT,
    VIEW_CONVERSATION,
    VIEW_PROMPT,
    VIEW_REFERRAL,
    household_access_reason,
)
from thinkfamily.accounts.models import User
from thinkfamily.accounts.policy import sealed_person_roles
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.api.models import ApiToken
from thinkfamily.api.selectors import Page, cursor_page
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.conversations.models import Conversation
from thinkfamily.people.models import Household, Person, people_visible_among
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.visibility import Visibility, visibility_of
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.selectors import NEXT_STEPS, NextStep

M = TypeVar("M", bound=Model)


def _one_visible(objects: QuerySet[M], pk: int, *, viewer: User, perm: str, what: str) -> M:
    """The object with ``pk`` among ``objects`` if the viewer has ``perm`` on it; else
    ``Http404``, exactly as for an id that does not exist. Not audited (the act endpoints
    use it, and their services audit)."""
    found = objects.filter(pk=pk).first()
    if found is None or not viewer.has_perm(perm, found):
        raise Http404(f"No {what} you may see has this id.")
    return found


def _audited_page(
    api_token: ApiToken,
    objects: QuerySet[M],
    *,
    moment_field: str,
    cursor: str | None,
    limit: int,
    action: str,
    object_type: str,
    detail: dict[str, Any],
    reason: str = "",
) -> Page:
    """A cursor page of ``objects`` (``_cursor_page``), its reading audited as ``action``
    with ``detail`` and the number of items."""
    page = cursor_page(objects, moment_field=moment_field, cursor=cursor, limit=limit)
    _audit(
        api_token,
        action,
        object_type=object_type,
        reason=reason,
        detail={**detail, object_type: len(page.items)},
    )
    return page


def _audit(api_token: ApiToken, action: str, **entry: Any) -> None:
    audit_record(actor=api_token.service_user, actor_label=api_token.label, action=action, **entry)


def _named(api_token: ApiToken, people: list[Person]) -> list[Person]:
    """Those of ``people`` the caller may see: a sealed child is never named."""
    may_see = people_visible_among(api_token.service_user, {p.pk for p in people})
    return [p for p in people if p.pk in may_see]


# ---------------------------------------------------------------------------
# Households


@dataclass(frozen=True)
class ApiMember:
    person: Person
    roles: list[str]
    child: bool
    visibility: Visibility
    may_open: bool
    open_prompts: int


@dataclass(frozen=True)
class ApiHousehold:
    household: Household
    members: list[ApiMember]


def household_for_api(*, api_token: ApiToken, household_id: int) -> ApiHousehold:
    """Who lives in the household now, as the family page lists them; audited.

    As on the family page a sealed person is, outside the sealed-record roles,
    no member at all; the others are all named, ``may_open`` saying whether
    the caller may open them (``/people/{id}``).
    """
    viewer = api_token.service_user
    household = Household.objects.filter(pk=household_id).first()
    reason = household_access_reason(viewer, household) if household is not None else None
    if household is None or reason is None:
        raise Http404("No household you may see has this id.")
    sees_sealed = viewer.role in sealed_person_roles()
    roles: dict[int, set[str]] = {}
    people: dict[int, Person] = {}
    for membership in household.memberships.filter(end_date__isnull=True).select_related("person"):
        if sees_sealed or not membership.person.sealed:
            people[membership.person_id] = membership.person
            roles.setdefault(membership.person_id, set()).add(membership.role)
    today = timezone.localdate()
    visibility = visibility_of(
        list(people.values()),
        today=today,
        preschool_below_age=think_sibling_rules().preschool_below_age,
    )
    may_open = people_visible_among(viewer, set(people))
    # How many prompts are open about each member: part of what every agency that knows the
    # family may know about a sibling, even one whose chronology is not theirs to read.
    open_prompts = dict(
        Prompt.objects.filter(person_id__in=people, status=Prompt.Status.OPEN)
        .values_list("person_id")
        .annotate(count=Count("id"))
        .values_list("person_id", "count")
    )
    members = [
        ApiMember(
            person=person,
            roles=sorted(roles[pid]),
            child=person.is_child_on(today),
            visibility=visibility[pid],
            may_open=pid in may_open,
            open_prompts=open_prompts.get(pid, 0),
        )
        for pid, person in sorted(people.items())
    ]
    _audit(
        api_token,
        AuditEvent.Action.VIEW_HOUSEHOLD,
        object_type="household",
        object_id=household.pk,
        reason=reason,
        detail={"api": "GET /api/v1/households/{id}"},
    )
    return ApiHousehold(household=household, members=members)


# ---------------------------------------------------------------------------
# Prompts


def _prompts_of_agency(api_token: ApiToken) -> QuerySet[Prompt]:
    """The prompts routed to the caller's agency, none about a person sealed from them: the
    worklist's prompts (``prompts.selectors.agency_worklist``), open or answered."""
    return (
        Prompt.objects.routed_to(api_token.agency_id)
        .hiding_sealed_from(api_token.service_user)
        .select_related("person", "household", "answered_for")
    )


def prompts_page(
    *,
    api_token: ApiToken,
    person_id: int | None,
    status: str,
    cursor: str | None,
    limit: int,
) -> Page:
    """The caller agency's prompts with ``status``, oldest raised first; audited as the
    worklist. Raises ``BadCursor``."""
    prompts = _prompts_of_agency(api_token).filter(status=status)
    if person_id is not None:
        prompts = prompts.filter(person_id=person_id)
    return _audited_page(
        api_token,
        prompts,
        moment_field="raised_at",
        cursor=cursor,
        limit=limit,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="prompts",
        reason="prompts routed to the viewer's agency",
        detail={"api": "GET /api/v1/prompts", "status": status},
    )


@dataclass(frozen=True)
class ApiPrompt:
    prompt: Prompt
    may_answer: bool


def prompt_visible(*, api_token: ApiToken, prompt_id: int) -> Prompt:
    """The prompt if the caller may read it (``VIEW_PROMPT``, its person not sealed from
    them); else ``Http404``. Not audited: for the act endpoints, whose service audits."""
    viewer = api_token.service_user
    return _one_visible(
        Prompt.objects.hiding_sealed_from(viewer).select_related(
            "person", "household", "answered_for"
        ),
        prompt_id,
        viewer=viewer,
        perm=VIEW_PROMPT,
        what="prompt",
    )


def prompt_for_api(*, api_token: ApiToken, prompt_id: int) -> ApiPrompt:
    """One prompt the caller may read; audited as the prompt page audits it."""
    prompt = prompt_visible(api_token=api_token, prompt_id=prompt_id)
    viewer = api_token.service_user
    _audit(
        api_token,
        AuditEvent.Action.VIEW_PROMPT,
        object_type="prompt",
        object_id=prompt.pk,
        reason="prompt routed to the viewer's agency",
        detail={"api": "GET /api/v1/prompts/{id}", "person": prompt.person_id},
    )
    return ApiPrompt(
        prompt=prompt,
        may_answer=prompt.status == Prompt.Status.OPEN and viewer.has_perm(ANSWER_PROMPT, prompt),
    )


# ---------------------------------------------------------------------------
# Referrals


def _referrals_of_agency(api_token: ApiToken) -> QuerySet[Referral]:
    """What the referrals worklist lists: those the caller's agency made
    (``referrals_made``) and, for children's social care, the open ones it has received and
    not still waiting for the referrer's manager (``referral_worklist``)."""
    viewer = api_token.service_user
    shown = Q(referring_agency_id=api_token.agency_id)
    if viewer.role in REFERRAL_HANDLING_ROLES:
        shown |= Q(
            pk__in=Referral.objects.open()
            .filter(to_agency_id=api_token.agency_id)
            .exclude(status=Referral.Status.AWAITING_MANAGER)
            .values("pk")
        )
    return (
        Referral.objects.visible_to(viewer)
        .hiding_sealed_from(viewer)
        .filter(shown)
        .select_related("referring_agency", "to_agency")
    )


@dataclass(frozen=True)
class ApiReferral:
    referral: Referral
    children: list[Person]
    next_step: NextStep | None
    may_take_next_step: bool
    shows_outcome: bool


def _as_api_referral(api_token: ApiToken, referral: Referral) -> ApiReferral:
    viewer = api_token.service_user
    kept = [c.person for c in referral.children.filter(included=True).select_related("person")]
    next_step = NEXT_STEPS.get(referral.status)
    sees_working = viewer.sees_whole_families or viewer.agency_id == referral.to_agency_id
    return ApiReferral(
        referral=referral,
        children=_named(api_token, kept),
        next_step=next_step,
        may_take_next_step=next_step is not None and viewer.has_perm(next_step.perm, referral),
        shows_outcome=sees_working or referral.status == Referral.Status.CLOSED,
    )


def referrals_page(*, api_token: ApiToken, cursor: str | None, limit: int) -> Page:
    """The referrals on the caller agency's worklist, oldest first; audited as the worklist.
    Items are ``ApiReferral``. Raises ``BadCursor``."""
    page = _audited_page(
        api_token,
        _referrals_of_agency(api_token),
        moment_field="referred_at",
        cursor=cursor,
        limit=limit,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="referrals",
        reason="referrals made or received by the viewer's agency",
        detail={"api": "GET /api/v1/referrals"},
    )
    return Page(
        items=[_as_api_referral(api_token, r) for r in page.items], next_cursor=page.next_cursor
    )


def referral_visible(*, api_token: ApiToken, referral_id: int) -> Referral:
    """The referral if the caller may see it (``VIEW_REFERRAL``, not only about children
    sealed from them); else ``Http404``. Not audited: for the act endpoints."""
    viewer = api_token.service_user
    return _one_visible(
        Referral.objects.hiding_sealed_from(viewer).select_related("referring_agency", "to_agency"),
        referral_id,
        viewer=viewer,
        perm=VIEW_REFERRAL,
        what="referral",
    )


def referral_for_api(*, api_token: ApiToken, referral_id: int) -> ApiReferral:
    """One referral the caller may see; audited as the referral page audits it."""
    referral = referral_visible(api_token=api_token, referral_id=referral_id)
    viewer = api_token.service_user
    if viewer.agency_id == referral.to_agency_id:
        reason = "referral received by the viewer's agency"
    elif viewer.agency_id == referral.referring_agency_id:
        reason = "referral made by the viewer's agency"
    else:
        reason = f"role: {viewer.get_role_display()}"
    found = _as_api_referral(api_token, referral)
    _audit(
        api_token,
        AuditEvent.Action.VIEW_REFERRAL,
        object_type="referral",
        object_id=referral.pk,
        reason=reason,
        detail={
            "api": "GET /api/v1/referrals/{id}",
            "people": [p.pk for p in found.children],
            "status": referral.status,
        },
    )
    return found


# ---------------------------------------------------------------------------
# Conversations


@dataclass(frozen=True)
class ApiConversation:
    conversation: Conversation
    children: list[Person]
    may_acknowledge: bool


def _as_api_conversation(api_token: ApiToken, conversation: Conversation) -> ApiConversation:
    viewer = api_token.service_user
    return ApiConversation(
        conversation=conversation,
        children=_named(api_token, list(conversation.children.all())),
        may_acknowledge=viewer.has_perm(ACKNOWLEDGE_CONVERSATION, conversation),
    )


def conversations_page(*, api_token: ApiToken, cursor: str | None, limit: int) -> Page:
    """The conversations the caller's agency may read (recorded or took part in), oldest
    recorded first, as a family page lists them; audited. Raises ``BadCursor``."""
    viewer = api_token.service_user
    conversations = (
        Conversation.objects.visible_to(viewer)
        .hiding_sealed_from(viewer)
        .select_related("recording_agency")
        .prefetch_related("children")
    )
    page = cursor_page(conversations, moment_field="recorded_at", cursor=cursor, limit=limit)
    _audit(
        api_token,
        AuditEvent.Action.VIEW_CONVERSATION,
        object_type="conversations",
        detail={
            "api": "GET /api/v1/conversations",
            "conversations": [c.pk for c in page.items],
        },
    )
    return Page(
        items=[_as_api_conversation(api_token, c) for c in page.items],
        next_cursor=page.next_cursor,
    )


def conversation_visible(*, api_token: ApiToken, conversation_id: int) -> Conversation:
    """The conversation if the caller may read it; else ``Http404``. Not audited."""
    viewer = api_token.service_user
    return _one_visible(
        Conversation.objects.hiding_sealed_from(viewer).select_related("recording_agency"),
        conversation_id,
        viewer=viewer,
        perm=VIEW_CONVERSATION,
        what="conversation",
    )


def conversation_for_api(*, api_token: ApiToken, conversation_id: int) -> ApiConversation:
    """One conversation the caller may read; audited as the conversation page audits it."""
    conversation = conversation_visible(api_token=api_token, conversation_id=conversation_id)
    _audit(
        api_token,
        AuditEvent.Action.VIEW_CONVERSATION,
        object_type="conversation",
        object_id=conversation.pk,
        detail={"api": "GET /api/v1/conversations/{id}", "version": conversation.current_version},
    )
    return _as_api_conversation(api_token, conversation)


def current_outcomes(conversation: Conversation) -> tuple[str, list[str]]:
    """The status and agreed outcomes of the conversation's current version."""
    current = conversation.versions.get(number=conversation.current_version)
    return current.status, list(current.outcomes)


# ---------------------------------------------------------------------------
# Verbal agreements


@dataclass(frozen=True)
class ApiAgreement:
    agreement: VerbalAgreement
    made_with: list[Person]
    children: list[Person]
    may_act: bool


def _as_api_agreement(api_token: ApiToken, agreement: VerbalAgreement) -> ApiAgreement:
    viewer = api_token.service_user
    return ApiAgreement(
        agreement=agreement,
        made_with=_named(api_token, list(agreement.made_with.all())),
        children=_named(api_token, list(agreement.children.all())),
        may_act=agreement.is_active and viewer.has_perm(ACT_ON_AGREEMENT, agreement),
    )


def agreements_page(*, api_token: ApiToken, cursor: str | None, limit: int) -> Page:
    """The register: the caller agency's active agreements (``agreement_register``), oldest
    made first; audited as the register. Raises ``BadCursor``."""
    viewer = api_token.service_user
    agreements = (
        VerbalAgreement.objects.active()
        .filter(recording_agency_id=api_token.agency_id)
        .hiding_sealed_from(viewer)
        .select_related("recording_agency")
        .prefetch_related("children", "made_with")
    )
    page = _audited_page(
        api_token,
        agreements,
        moment_field="recorded_at",
        cursor=cursor,
        limit=limit,
        action=AuditEvent.Action.VIEW_WORKLIST,
        object_type="verbal_agreements",
        reason="agreements recorded by the viewer's agency",
        detail={"api": "GET /api/v1/agreements"},
    )
    return Page(
        items=[_as_api_agreement(api_token, a) for a in page.items], next_cursor=page.next_cursor
    )


def agreement_for_api(*, api_token: ApiToken, agreement_id: int) -> ApiAgreement:
    """One agreement the caller may see; audited as the agreement page audits it."""
    viewer = api_token.service_user
    agreement = _one_visible(
        VerbalAgreement.objects.hiding_sealed_from(viewer).select_related("recording_agency"),
        agreement_id,
        viewer=viewer,
        perm=VIEW_AGREEMENT,
        what="agreement",
    )
    if viewer.agency_id == agreement.recording_agency_id:
        reason = "agreement recorded by the viewer's agency"
    elif viewer.sees_whole_families:
        reason = f"role: {viewer.get_role_display()}"
    else:
        reason = "agency holds a record of a child the agreement concerns"
    _audit(
        api_token,
        AuditEvent.Action.VIEW_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        reason=reason,
        detail={"api": "GET /api/v1/agreements/{id}"},
    )
    return _as_api_agreement(api_token, agreement)


__all__ = [
    "ApiAgreement",
    "ApiConversation",
    "ApiHousehold",
    "ApiPrompt",
    "ApiReferral",
    "agreement_for_api",
    "agreements_page",
    "conversation_for_api",
    "conversation_visible",
    "conversations_page",
    "current_outcomes",
    "household_for_api",
    "prompt_for_api",
    "prompt_visible",
    "prompts_page",
    "referral_for_api",
    "referral_visible",
    "referrals_page",
]
