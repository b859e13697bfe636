"""Recording verbal agreements, telling the family's network, signing off and reviewing them.

Each function is keyword-only and atomic, checks who may act before what was
typed, and validates everything before it writes: a refusal names every
problem (``ApplicationError.extra``, by field) and leaves nothing behind.
Recording and reviewing an agreement are entries on the chronology of each
child it concerns; every change is audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.backends import (
    ACT_ON_AGREEMENT,
    CHANGE_AGREEMENT_POLICY,
    RECORD_AGREEMENT,
    SIGN_OFF_AGREEMENT,
    access_reason,
)
from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import (
    AgreementPolicy,
    AgreementReview,
    AgreementShare,
    VerbalAgreement,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, HouseholdMembership, Person

__all__ = [
    "agreement_policy_update",
    "agreement_record",
    "agreement_review",
    "agreement_share",
    "agreement_sign_off",
]

Outcome = AgreementReview.Outcome


def _refuse(what: str, problems: dict[str, str]) -> None:
    if problems:
        raise ApplicationError(
            f"{what} could not be recorded: " + "; ".join(problems.values()) + ".",
            extra=problems,
        )


def _check_review_date(
    problems: dict[str, str],
    field: str,
    review_on: dt.date | None,
    *,
    after: dt.date,
    today: dt.date,
    policy: AgreementPolicy,
) -> None:
    """A review date is required, after ``after``, not in the past, and within the maximum."""
    if review_on is None:
        problems[field] = "Enter a review date"
    elif review_on < today:
        problems[field] = "The review date must not be in the past"
    elif review_on <= after:
        problems[field] = f"The review date must be after {after:%d %B %Y}"
    elif review_on > policy.latest_review_on(after):
        problems[field] = (
            f"The review date must be no more than {policy.max_weeks_to_review} weeks away "
            f"(by {policy.latest_review_on(after):%d %B %Y})"
        )


def _people(ids: Sequence[int]) -> tuple[dict[int, Person], list[int]]:
    """The people with these ids, and the ids of any who do not exist."""
    found = Person.objects.in_bulk(list(ids))
    return found, [pk for pk in ids if pk not in found]


def _chronology(agreement: VerbalAgreement, by: User, summary: str, at: dt.datetime) -> list[Event]:
    """An entry on the chronology of each child the agreement concerns."""
    assert by.agency_id is not None
    events = Event.objects.bulk_create(
        Event(
            person_id=person_id,
            agency_id=agreement.recording_agency_id,
            event_type=Event.EventType.AGREEMENT,
            occurred_at=at,
            summary=f"Verbal agreement {agreement.pk}: {summary}",
        )
        for person_id in agreement.children.values_list("pk", flat=True)
    )
    agreement.events.add(*events)
    return events


@transaction.atomic
def agreement_record(
    *,
    by: User,
    household: Household,
    made_with_ids: Sequence[int],
    children_ids: Sequence[int],
    agreed: str,
    need: str,
    if_not_kept: str,
    made_on: dt.date | None,
    review_on: dt.date | None,
    today: dt.date | None = None,
) -> VerbalAgreement:
    """Record a verbal agreement made with family members of ``household`` about its children.

    Refused to anyone who may not record one for this household; and, naming
    each problem, without a family member who made it, a child it concerns,
    what was agreed, the need it addresses or what happens if it is not kept,
    a date it was made (not in the future), or a review date (not in the past,
    after the day it was made and within the partnership's maximum); and for
    a person who does not exist or is not of this household.
    """
    today = today or timezone.localdate()
    if not by.has_perm(RECORD_AGREEMENT, household):
        raise ApplicationError(
            "You may not record a verbal agreement for this family: only staff working on cases "
            "in an agency that knows the family may."
        )
    policy = AgreementPolicy.current()
    problems: dict[str, str] = {}
    members = set(
        HouseholdMembership.objects.filter(household=household).values_list("person_id", flat=True)
    )
    for field, ids, who in (
        ("made_with", made_with_ids, "a family member who made the agreement"),
        ("children", children_ids, "a child the agreement concerns"),
    ):
        found, missing = _people(ids)
        if not ids:
            problems[field] = f"Select {who}"
        elif missing:
            problems[field] = f"No person exists with id {', '.join(map(str, missing))}"
        elif set(found) - members:
            names = ", ".join(str(found[pk]) for pk in sorted(set(found) - members))
            problems[field] = f"{names} is not a member of this household"
    if not agreed.strip():
        problems["agreed"] = "Enter what was agreed"
    if not need.strip():
        problems["need"] = (
            "Enter the need or risk the agreement addresses: an agreement must be proportionate "
            "to a need"
        )
    if not if_not_kept.strip():
        problems["if_not_kept"] = "Enter what happens if the agreement is not kept"
    if made_on is None:
        problems["made_on"] = "Enter the date the agreement was made"
    elif made_on > today:
        problems["made_on"] = "The date the agreement was made must not be in the future"
    else:
        _check_review_date(
            problems, "review_on", review_on, after=made_on, today=today, policy=policy
        )
    if made_on is None and review_on is None:
        problems["review_on"] = "Enter a review date"
    _refuse("The verbal agreement", problems)
    assert made_on is not None and review_on is not None and by.agency_id is not None

    now = timezone.now()
    agreement = VerbalAgreement.objects.create(
        household=household,
        recording_agency_id=by.agency_id,
        recorded_by=by,
        recorded_at=now,
        agreed=agreed.strip(),
        need=need.strip(),
        if_not_kept=if_not_kept.strip(),
        made_on=made_on,
        review_on=review_on,
        sign_off_required=policy.sign_off_required,
    )
    agreement.made_with.set(made_with_ids)
    agreement.children.set(children_ids)
    _chronology(
        agreement,
        by,
        f"recorded by {agreement.recording_agency.name}, made {made_on:%d %b %Y}; "
        f"review by {review_on:%d %b %Y}. Need: {agreement.need}",
        now,
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        detail={
            "made_with": sorted(made_with_ids),
            "children": sorted(children_ids),
            "review_on": review_on.isoformat(),
        },
    )
    return agreement


def _locked(agreement: VerbalAgreement, by: User, perm: str, refusal: str) -> VerbalAgreement:
    locked = VerbalAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not by.has_perm(perm, locked):
        raise ApplicationError(refusal)
    return locked


_RECORDING_AGENCY_ONLY = "Only staff of the agency that recorded this agreement may {what} it."


@transaction.atomic
def agreement_share(
    *,
    agreement: VerbalAgreement,
    by: User,
    person_id: int | None,
    how: str,
    shared_on: dt.date | None,
    today: dt.date | None = None,
) -> AgreementShare:
    """Record that someone in the family's network was told of the agreement: how and when."""
    today = today or timezone.localdate()
    agreement = _locked(
        agreement, by, ACT_ON_AGREEMENT, _RECORDING_AGENCY_ONLY.format(what="record sharing of")
    )
    problems: dict[str, str] = {}
    person = Person.objects.filter(pk=person_id).first() if person_id is not None else None
    if person_id is None:
        problems["person"] = "Select who the agreement was shared with"
    elif person is None or access_reason(by, person) is None:
        problems["person"] = f"No person you may see exists with id {person_id}"
    if how not in AgreementShare.How.values:
        problems["how"] = "Select how the agreement was shared"
    if shared_on is None:
        problems["shared_on"] = "Enter the date the agreement was shared"
    elif shared_on > today:
        problems["shared_on"] = "The date it was shared must not be in the future"
    elif shared_on < agreement.made_on:
        problems["shared_on"] = "The date it was shared cannot be before the agreement was made"
    _refuse("The sharing", problems)
    assert person is not None and shared_on is not None
    if AgreementShare.objects.filter(
        agreement=agreement, person=person, how=how, shared_on=shared_on
    ).exists():
        raise ApplicationError("This sharing is already recorded.")
    share = AgreementShare.objects.create(
        agreement=agreement, person=person, how=how, shared_on=shared_on, recorded_by=by,
        recorded_at=timezone.now(),
    )  # fmt: skip
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        detail={"shared_with": person.pk, "how": how, "shared_on": shared_on.isoformat()},
    )
    return share


@transaction.atomic
def agreement_sign_off(*, agreement: VerbalAgreement, by: User) -> VerbalAgreement:
    """A manager of the recording agency, not the recorder, signs off an agreement awaiting it."""
    agreement = _locked(
        agreement,
        by,
        SIGN_OFF_AGREEMENT,
        "Only a manager or designated safeguarding lead of the recording agency, other than "
        "the person who recorded it, may sign off this agreement.",
    )
    if not agreement.awaiting_sign_off:
        raise ApplicationError("This agreement is not awaiting sign-off.")
    agreement.signed_off_by = by
    agreement.signed_off_at = timezone.now()
    agreement.save(update_fields=["signed_off_by", "signed_off_at"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        detail={"signed_off": True},
    )
    return agreement


@transaction.atomic
def agreement_review(
    *,
    agreement: VerbalAgreement,
    by: User,
    outcome: str,
    note: str,
    reviewed_on: dt.date | None,
    next_review_on: dt.date | None = None,
    today: dt.date | None = None,
) -> AgreementReview:
    """Review an active agreement: kept or not kept (it continues, with a next review date
    within the maximum), ended, or converted into a written agreement (it closes).

    A review after the review date is allowed, and counted as late.
    """
    today = today or timezone.localdate()
    agreement = _locked(
        agreement, by, ACT_ON_AGREEMENT, _RECORDING_AGENCY_ONLY.format(what="review")
    )
    if not agreement.is_active:
        raise ApplicationError(
            f"This agreement is {agreement.get_status_display().lower()}: it has no review due."
        )
    policy = AgreementPolicy.current()
    problems: dict[str, str] = {}
    if outcome not in Outcome.values:
        problems["outcome"] = "Select the outcome of the review"
    if not note.strip():
        problems["note"] = "Enter what was found at the review"
    if reviewed_on is None:
        problems["reviewed_on"] = "Enter the date of the review"
    elif reviewed_on > today:
        problems["reviewed_on"] = "The date of the review must not be in the future"
    elif reviewed_on < agreement.made_on:
        problems["reviewed_on"] = "The review cannot be before the agreement was made"
    continues = outcome in AgreementReview.CONTINUING
    if continues and reviewed_on is not None and "reviewed_on" not in problems:
        _check_review_date(
            problems, "next_review_on", next_review_on, after=reviewed_on, today=today,
            policy=policy,
        )  # fmt: skip
    elif continues and next_review_on is None:
        problems["next_review_on"] = "Enter the next review date"
    _refuse("The review", problems)
    assert reviewed_on is not None

    review = AgreementReview.objects.create(
        agreement=agreement,
        outcome=outcome,
        note=note.strip(),
        reviewed_on=reviewed_on,
        due_on=agreement.review_on,
        next_review_on=next_review_on if continues else None,
        reviewed_by=by,
        recorded_at=timezone.now(),
    )
    if continues:
        assert next_review_on is not None
        agreement.review_on = next_review_on
        then = f"next review by {next_review_on:%d %b %Y}"
    else:
        agreement.status = (
            VerbalAgreement.Status.ENDED
            if outcome == Outcome.ENDED
            else VerbalAgreement.Status.CONVERTED
        )
        then = "closed"
    agreement.save(update_fields=["review_on", "status"])
    timing = "late" if review.late else "on time"
    _chronology(
        agreement,
        by,
        f"reviewed {reviewed_on:%d %b %Y} ({timing}): {Outcome(outcome).label.lower()}; {then}.",
        review.recorded_at,
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.REVIEW_AGREEMENT,
        object_type="verbal_agreement",
        object_id=agreement.pk,
        detail={"outcome": outcome, "late": review.late, "review": review.pk},
    )
    return review


@transaction.atomic
def agreement_policy_update(
    *,
    by: User,
    max_weeks_to_review: int | None,
    sign_off_required: bool,
    local_expectations: str,
) -> AgreementPolicy:
    """The partnership changes its settings for verbal agreements (partnership managers only).

    Agreements already recorded keep their review dates and sign-off rule.
    """
    if not by.has_perm(CHANGE_AGREEMENT_POLICY):
        raise ApplicationError(
            "Only partnership managers may change the settings for verbal agreements."
        )
    problems: dict[str, str] = {}
    if max_weeks_to_review is None or not 1 <= max_weeks_to_review <= 26:
        problems["max_weeks_to_review"] = "Enter a maximum of between 1 and 26 weeks"
    if not local_expectations.strip():
        problems["local_expectations"] = "Enter the local expectations for good practice"
    _refuse("The settings", problems)
    assert max_weeks_to_review is not None
    policy = AgreementPolicy.objects.select_for_update().get(pk=AgreementPolicy.current().pk)
    before = {"max_weeks": policy.max_weeks_to_review, "sign_off": policy.sign_off_required}
    policy.max_weeks_to_review = max_weeks_to_review
    policy.sign_off_required = sign_off_required
    policy.local_expectations = local_expectations.strip()
    policy.updated_by = by
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.RECORD_AGREEMENT,
        object_type="agreement_policy",
        object_id=policy.pk,
        detail={
            "before": before,
            "after": {"max_weeks": max_weeks_to_review, "sign_off": sign_off_required},
        },
    )
    return policy
