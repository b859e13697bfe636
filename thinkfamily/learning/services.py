"""Every change to the learning loop: the register, action plans, publication, briefings.

Each function checks permission first, then validates every input and names
each problem against its field, then writes everything in one transaction
with its audit entry. Nothing is half-written: an error leaves the register
as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from thinkfamily.accounts.backends import (
    CHECK_COMPLIANCE,
    MANAGE_CASE_REVIEWS,
    RECORD_BRIEFING_SESSION,
    UPDATE_PLAN_ACTION,
    WRITE_BRIEFING,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.core.errors import ApplicationError
from thinkfamily.learning.indicators import INDICATORS
from thinkfamily.learning.ingest import ReviewDraft
from thinkfamily.learning.models import (
    Briefing,
    BriefingSession,
    CaseReview,
    ComplianceCheck,
    Evidence,
    PlanAction,
    Recommendation,
    RecommendationIndicator,
    ReviewItem,
)
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES
from thinkfamily.people.models import Person

__all__ = [
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_TYPES",
    "ReviewDates",
    "action_add",
    "action_update",
    "briefing_write",
    "compliance_check_record",
    "evidence_add",
    "recommendation_indicators_set",
    "recommendation_update",
    "review_confirm",
    "review_draft_record",
    "review_publish",
    "review_record",
    "review_update",
    "session_record",
]

#: Evidence files: what a partnership keeps as evidence, and no larger than this.
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
#: Extension → the bytes such a file starts with (None: plain text, checked as UTF-8).
EVIDENCE_TYPES: Mapping[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "txt": None,
    "csv": None,
}


def _refuse(what: str, problems: Mapping[str, str]) -> None:
    if problems:
        raise ApplicationError(
            f"{what} could not be saved: " + "; ".join(problems.values()) + ".",
            extra=dict(problems),
        )


def _require(by: User, perm: str, obj: Model | None, refusal: str) -> None:
    if not by.has_perm(perm, obj):
        raise ApplicationError(refusal)


def _audit(by: User, action: str, obj: object, **detail: object) -> None:
    audit_record(
        actor=by,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "pk", ""),
        detail=dict(detail),
    )


# ---------------------------------------------------------------------------
# The register


@dataclass(frozen=True)
class ReviewDates:
    """The dates that drive a review's clocks, and its review period."""

    incident_on: dt.date | None = None
    became_aware_on: dt.date | None = None
    notified_on: dt.date | None = None
    rapid_review_on: dt.date | None = None
    lcspr_decided_on: dt.date | None = None
    report_completed_on: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


def _check_reference(problems: dict[str, str], reference: str) -> None:
    """A reference is required, and used by one review only."""
    if not reference.strip():
        problems["reference"] = "Enter the partnership's reference for the review"
    elif CaseReview.objects.filter(reference=reference.strip()).exists():
        problems["reference"] = (
            f"A review with reference {reference.strip()} is already on the register"
        )


def _check_review(
    problems: dict[str, str],
    *,
    kind: str,
    title: str,
    child_pseudonym: str,
    dates: ReviewDates,
    themes: Sequence[str],
    agency_ids: Sequence[int],
    subject_id: int | None,
    today: dt.date,
) -> None:
    if kind not in CaseReview.Kind.values:
        problems["kind"] = "Select the kind of review"
    if not title.strip():
        problems["title"] = "Enter a title for the register"
    if not child_pseudonym.strip():
        problems["child_pseudonym"] = (
            'Enter the pseudonym the review uses for the child, like "Child H"'
        )
    for field, value in vars(dates).items():
        if value is not None and value > today:
            problems[field] = "The date must not be in the future"
    if dates.period_start and dates.period_end and dates.period_end < dates.period_start:
        problems["period_end"] = "The review period must end after it starts"
    if dates.became_aware_on and dates.notified_on and dates.notified_on < dates.became_aware_on:
        problems["notified_on"] = (
            "The notification must be on or after the day the local authority became aware"
        )
    if dates.notified_on and dates.rapid_review_on and dates.rapid_review_on < dates.notified_on:
        problems["rapid_review_on"] = "The rapid review must be on or after the notification"
    unknown = [theme for theme in themes if theme not in THEMES]
    if unknown:
        problems["themes"] = f"Unknown theme: {', '.join(unknown)}"
    found = set(Agency.objects.filter(pk__in=agency_ids).values_list("pk", flat=True))
    if set(agency_ids) - found:
        problems["agencies"] = "Select agencies from the list"
    if subject_id is not None and not Person.objects.filter(pk=subject_id).exists():
        problems["subject"] = f"No person exists with id {subject_id}"


@transaction.atomic
def review_record(
    *,
    by: User,
    reference: str,
    kind: str,
    title: str,
    child_pseudonym: str,
    dates: ReviewDates,
    agency_ids: Sequence[int] = (),
    themes: Sequence[str] = (),
    subject_id: int | None = None,
    today: dt.date | None = None,
) -> CaseReview:
    """Enter a review on the register (a notification as soon as the incident is known).

    Refused to anyone but a partnership manager; and, naming each problem, for
    a reference already used, a missing title or pseudonym, a date in the
    future, dates out of order, a theme outside the vocabulary or an unknown
    agency or person.
    """
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may add to the register.")
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    _check_reference(problems, reference)
    _check_review(
        problems, kind=kind, title=title, child_pseudonym=child_pseudonym, dates=dates,
        themes=themes, agency_ids=agency_ids, subject_id=subject_id, today=today,
    )  # fmt: skip
    _refuse("The review", problems)
    review = CaseReview.objects.create(
        reference=reference.strip(),
        kind=kind,
        title=title.strip(),
        child_pseudonym=child_pseudonym.strip(),
        subject_id=subject_id,
        themes=[key for key in THEMES if key in set(themes)],
        created_by=by,
        **vars(dates),
    )
    review.agencies.set(agency_ids)
    _audit(by, AuditEvent.Action.RECORD_REVIEW, review, change="recorded", kind=kind)
    return review


@transaction.atomic
def review_update(
    *,
    review: CaseReview,
    by: User,
    kind: str,
    status: str,
    title: str,
    child_pseudonym: str,
    dates: ReviewDates,
    agency_ids: Sequence[int],
    themes: Sequence[str],
    subject_id: int | None,
    today: dt.date | None = None,
) -> CaseReview:
    """Change a review's entry: its stage, status, dates, agencies, themes or linked child.

    A draft becomes open only by ``review_confirm``; a review is closed only
    when every action of its plan is complete.
    """
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may change the register.")
    today = today or timezone.localdate()
    review = CaseReview.objects.select_for_update().get(pk=review.pk)
    problems: dict[str, str] = {}
    _check_review(
        problems, kind=kind, title=title, child_pseudonym=child_pseudonym, dates=dates,
        themes=themes, agency_ids=agency_ids, subject_id=subject_id, today=today,
    )  # fmt: skip
    if status not in CaseReview.Status.values:
        problems["status"] = "Select a status"
    elif (status == CaseReview.Status.DRAFT) != (review.status == CaseReview.Status.DRAFT):
        problems["status"] = (
            "A draft is opened by confirming it, and an open review is never a draft again"
        )
    elif (
        status == CaseReview.Status.CLOSED
        and PlanAction.objects.filter(recommendation__review=review)
        .exclude(rag=PlanAction.Rag.COMPLETE)
        .exists()
    ):
        problems["status"] = "A review is closed only when every action of its plan is complete"
    _refuse("The review", problems)
    for field, value in vars(dates).items():
        setattr(review, field, value)
    review.kind = kind
    review.status = status
    review.title = title.strip()
    review.child_pseudonym = child_pseudonym.strip()
    review.subject_id = subject_id
    review.themes = [key for key in THEMES if key in set(themes)]
    review.save()
    review.agencies.set(agency_ids)
    _audit(by, AuditEvent.Action.RECORD_REVIEW, review, change="updated", status=status)
    return review


@transaction.atomic
def review_draft_record(
    *,
    by: User,
    draft: ReviewDraft,
    reference: str,
    kind: str,
    source_name: str,
) -> CaseReview:
    """Put a review drafted from a published document on the register, as a draft to confirm.

    The draft holds exactly what the document says: its recommendations with
    their addressees, its lessons and findings, its themes and any count of
    recommendations it states. A person reads it against the document and
    confirms it (``review_confirm``); until then it is marked as a draft.
    """
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may add to the register.")
    problems: dict[str, str] = {}
    _check_reference(problems, reference)
    if kind not in CaseReview.Kind.values:
        problems["kind"] = "Select the kind of review"
    _refuse("The draft", problems)
    title = draft.title.strip() or source_name
    review = CaseReview.objects.create(
        reference=reference.strip(),
        kind=kind,
        status=CaseReview.Status.DRAFT,
        title=title[:200],
        child_pseudonym="To confirm",
        themes=[key for key in THEMES if key in set(draft.themes)],
        recommendation_count_stated=draft.recommendation_count_stated,
        source_name=source_name[:255],
        created_by=by,
    )
    for kind_of_item, texts in (
        (ReviewItem.Kind.FINDING, draft.findings),
        (ReviewItem.Kind.LESSON, draft.lessons),
    ):
        ReviewItem.objects.bulk_create(
            ReviewItem(review=review, kind=kind_of_item, position=position, text=text)
            for position, text in enumerate(texts, start=1)
        )
    Recommendation.objects.bulk_create(
        Recommendation(
            review=review,
            number=item.number,
            text=item.text,
            addressees=[key for key in ADDRESSEES if key in set(item.addressees)],
        )
        for item in draft.recommendations
    )
    _audit(
        by, AuditEvent.Action.RECORD_REVIEW, review, change="drafted from a document",
        source=source_name, recommendations=len(draft.recommendations),
    )  # fmt: skip
    return review


@transaction.atomic
def review_confirm(
    *, review: CaseReview, by: User, child_pseudonym: str, today: dt.date | None = None
) -> CaseReview:
    """A person has read the draft against the document: the review joins the register."""
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may confirm a draft.")
    review = CaseReview.objects.select_for_update().get(pk=review.pk)
    problems: dict[str, str] = {}
    if review.status != CaseReview.Status.DRAFT:
        problems["status"] = "This review has already been confirmed"
    if not child_pseudonym.strip() or child_pseudonym.strip() == "To confirm":
        problems["child_pseudonym"] = (
            'Enter the pseudonym the review uses for the child, like "Child H"'
        )
    _refuse("The confirmation", problems)
    review.status = CaseReview.Status.OPEN
    review.child_pseudonym = child_pseudonym.strip()
    review.save(update_fields=["status", "child_pseudonym", "updated_at"])
    _audit(by, AuditEvent.Action.RECORD_REVIEW, review, change="confirmed")
    return review


# ---------------------------------------------------------------------------
# Recommendations and their indicators


@transaction.atomic
def recommendation_update(
    *, recommendation: Recommendation, by: User, text: str, addressees: Sequence[str]
) -> Recommendation:
    """Correct a recommendation's words or addressees (the review's words, as it made them)."""
    _require(
        by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may change a recommendation."
    )
    problems: dict[str, str] = {}
    if not text.strip():
        problems["text"] = "Enter the recommendation"
    unknown = [key for key in addressees if key not in ADDRESSEES]
    if unknown:
        problems["addressees"] = f"Unknown addressee: {', '.join(unknown)}"
    _refuse("The recommendation", problems)
    recommendation.text = text.strip()
    recommendation.addressees = [key for key in ADDRESSEES if key in set(addressees)]
    recommendation.save(update_fields=["text", "addressees"])
    _audit(by, AuditEvent.Action.RECORD_REVIEW, recommendation, change="recommendation updated")
    return recommendation


@transaction.atomic
def recommendation_indicators_set(
    *, recommendation: Recommendation, by: User, targets: Mapping[str, float | None]
) -> list[RecommendationIndicator]:
    """Choose the indicators that show whether a recommendation changed practice.

    ``targets`` maps each chosen indicator's code to its target per cent (None:
    the indicator's default target). Indicators not in ``targets`` are no
    longer followed for this recommendation.
    """
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may choose indicators.")
    problems: dict[str, str] = {}
    chosen: dict[str, float] = {}
    for code, target in targets.items():
        indicator = INDICATORS.get(code)
        if indicator is None:
            problems["indicators"] = f"Unknown indicator: {code}"
            continue
        value = indicator.default_target if target is None else target
        if not 0 <= value <= 100:
            problems[f"target_{code}"] = (
                f"The target for “{indicator.title}” must be between 0 and 100"
            )
        chosen[code] = float(value)
    _refuse("The indicators", problems)
    recommendation.indicators.exclude(indicator_code__in=chosen).delete()
    for code, target in chosen.items():
        RecommendationIndicator.objects.update_or_create(
            recommendation=recommendation, indicator_code=code, defaults={"target": target}
        )
    _audit(by, AuditEvent.Action.RECORD_REVIEW, recommendation, change="indicators", chosen=chosen)
    return list(recommendation.indicators.all())


# ---------------------------------------------------------------------------
# Action plans: actions, evidence, compliance checks


def _owner(problems: dict[str, str], owner_username: str, agency: Agency | None) -> User | None:
    if not owner_username.strip():
        return None
    owner = User.objects.filter(username=owner_username.strip(), is_active=True).first()
    if owner is None:
        problems["owner"] = f"No active account has the username {owner_username.strip()}"
    elif agency is not None and owner.agency_id != agency.pk:
        problems["owner"] = f"{owner_username.strip()} does not work for {agency.name}"
    return owner


@transaction.atomic
def action_add(
    *,
    recommendation: Recommendation,
    by: User,
    description: str,
    owner_agency_id: int | None,
    owner_username: str = "",
    due_on: dt.date | None,
    today: dt.date | None = None,
) -> PlanAction:
    """Add an action to a recommendation's plan: what, which agency owns it, by when."""
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may add to an action plan.")
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    if not description.strip():
        problems["description"] = "Enter what will be done"
    agency = Agency.objects.filter(pk=owner_agency_id).first() if owner_agency_id else None
    if agency is None:
        problems["owner_agency"] = "Select the agency that owns the action"
    owner = _owner(problems, owner_username, agency)
    if due_on is None:
        problems["due_on"] = "Enter the date the action is due"
    elif due_on < today:
        problems["due_on"] = "The due date must not be in the past"
    _refuse("The action", problems)
    assert agency is not None and due_on is not None
    action = PlanAction.objects.create(
        recommendation=recommendation,
        description=description.strip(),
        owner_agency=agency,
        owner=owner,
        due_on=due_on,
        created_by=by,
    )
    _audit(by, AuditEvent.Action.RECORD_LEARNING, action, change="action added", agency=agency.code)
    return action


@transaction.atomic
def action_update(
    *, action: PlanAction, by: User, rag: str, today: dt.date | None = None
) -> PlanAction:
    """The owner's judgement of progress: red, amber, green, or complete.

    Complete needs evidence first (a note, a link or a file): an action is
    done when something shows it happened. Marking a complete action
    otherwise reopens it.
    """
    _require(
        by, UPDATE_PLAN_ACTION, action,
        "Only the owning agency's managers, the action's owner or a partnership manager may "
        "update this action.",
    )  # fmt: skip
    today = today or timezone.localdate()
    action = PlanAction.objects.select_for_update().get(pk=action.pk)
    problems: dict[str, str] = {}
    if rag not in PlanAction.Rag.values:
        problems["rag"] = "Select red, amber, green or complete"
    elif rag == PlanAction.Rag.COMPLETE and not action.evidence.exists():
        problems["rag"] = "Add evidence that the action happened before marking it complete"
    _refuse("The action", problems)
    previous = action.rag
    if rag != PlanAction.Rag.COMPLETE:
        action.completed_on = None
    elif previous != PlanAction.Rag.COMPLETE:
        action.completed_on = today
    action.rag = rag
    action.save(update_fields=["rag", "completed_on", "updated_at"])
    _audit(by, AuditEvent.Action.RECORD_LEARNING, action, change="status", rag=rag, was=previous)
    return action


def _check_upload(problems: dict[str, str], upload: UploadedFile | None) -> str:
    """The upload's extension once it is known to be an allowed type of allowed size."""
    if upload is None:
        problems["file"] = "Choose a file"
        return ""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        problems["file"] = "The file must be a " + ", ".join(sorted(EVIDENCE_TYPES)).upper()
        return ""
    if upload.size is None or upload.size > EVIDENCE_MAX_BYTES:
        problems["file"] = f"The file must be smaller than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB"
        return ""
    if upload.size == 0:
        problems["file"] = "The file is empty"
        return ""
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = EVIDENCE_TYPES[extension]
    if signatures is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the 2 KB boundary is still text.
            if error.start < len(head) - 3:
                problems["file"] = f"The file is not a text file, though its name ends .{extension}"
    elif not any(head.startswith(signature) for signature in signatures):
        problems["file"] = (
            f"The file is not a {extension.upper()}, though its name ends .{extension}"
        )
    return extension


@transaction.atomic
def evidence_add(
    *,
    action: PlanAction,
    by: User,
    kind: str,
    text: str = "",
    url: str = "",
    upload: UploadedFile | None = None,
) -> Evidence:
    """Add evidence to an action: a note, a link, or a file (checked for type and size)."""
    _require(
        by, UPDATE_PLAN_ACTION, action,
        "Only the owning agency's managers, the action's owner or a partnership manager may "
        "add evidence to this action.",
    )  # fmt: skip
    problems: dict[str, str] = {}
    if kind == Evidence.Kind.TEXT:
        if not text.strip():
            problems["text"] = "Enter the evidence"
    elif kind == Evidence.Kind.LINK:
        try:
            URLValidator(schemes=["https", "http"])(url.strip())
        except ValidationError:
            problems["url"] = "Enter a full web address, starting https://"
    elif kind == Evidence.Kind.FILE:
        _check_upload(problems, upload)
    else:
        problems["kind"] = "Select a note, a link or a file"
    _refuse("The evidence", problems)
    evidence = Evidence(action=action, kind=kind, added_by=by, text=text.strip())
    if kind == Evidence.Kind.LINK:
        evidence.url = url.strip()
    if kind == Evidence.Kind.FILE and upload is not None:
        evidence.file_name = (upload.name or "")[:255]
        evidence.file.save(upload.name or "evidence", upload, save=False)
    evidence.save()
    _audit(by, AuditEvent.Action.RECORD_LEARNING, action, change="evidence", kind=kind)
    return evidence


@transaction.atomic
def compliance_check_record(
    *,
    action: PlanAction,
    by: User,
    checked_on: dt.date | None,
    result: str,
    note: str,
    next_check_on: dt.date | None,
    today: dt.date | None = None,
) -> ComplianceCheck:
    """Record that the partnership checked an action's change is happening, and when next.

    A result short of compliant needs a note saying what was found, and a
    next check: the partnership keeps checking until practice has changed.
    """
    _require(
        by, CHECK_COMPLIANCE, None,
        "Only a partnership manager or a reviewer may record a compliance check.",
    )  # fmt: skip
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    if checked_on is None:
        problems["checked_on"] = "Enter the date of the check"
    elif checked_on > today:
        problems["checked_on"] = "The date of the check must not be in the future"
    if result not in ComplianceCheck.Result.values:
        problems["result"] = "Select the result of the check"
    elif result != ComplianceCheck.Result.COMPLIANT:
        if not note.strip():
            problems["note"] = "Say what the check found"
        if next_check_on is None:
            problems["next_check_on"] = "Set the date of the next check"
    if next_check_on is not None and next_check_on <= max(today, checked_on or today):
        problems["next_check_on"] = "The next check must be after today"
    _refuse("The compliance check", problems)
    assert checked_on is not None
    check = ComplianceCheck.objects.create(
        action=action,
        checked_by=by,
        checked_on=checked_on,
        result=result,
        note=note.strip(),
        next_check_on=next_check_on,
    )
    _audit(by, AuditEvent.Action.RECORD_LEARNING, action, change="compliance check", result=result)
    return check


# ---------------------------------------------------------------------------
# Publication


@transaction.atomic
def review_publish(
    *,
    review: CaseReview,
    by: User,
    public_title: str,
    public_summary: str,
    published_item_ids: Sequence[int],
    published_recommendation_ids: Sequence[int],
    public_progress: Mapping[int, str],
    published: bool,
    today: dt.date | None = None,
) -> CaseReview:
    """Choose what of a review the public page shows, and publish or withdraw it.

    Only the fields written for publication reach the public page: the
    public title and summary, the findings, lessons and recommendations
    marked here, and each recommendation's public progress statement. A
    draft cannot be published.
    """
    _require(by, MANAGE_CASE_REVIEWS, None, "Only a partnership manager may publish a review.")
    today = today or timezone.localdate()
    review = CaseReview.objects.select_for_update().get(pk=review.pk)
    problems: dict[str, str] = {}
    if published:
        if review.status == CaseReview.Status.DRAFT:
            problems["published"] = "Confirm the draft before publishing it"
        if not public_title.strip():
            problems["public_title"] = "Enter the title to publish"
        if not public_summary.strip():
            problems["public_summary"] = "Enter the summary to publish"
    if set(published_item_ids) - set(review.items.values_list("pk", flat=True)):
        problems["items"] = "Select findings and lessons of this review"
    if set(published_recommendation_ids) - set(review.recommendations.values_list("pk", flat=True)):
        problems["recommendations"] = "Select recommendations of this review"
    _refuse("The publication", problems)
    review.public_title = public_title.strip()
    review.public_summary = public_summary.strip()
    review.published_on = (review.published_on or today) if published else None
    review.save(update_fields=["public_title", "public_summary", "published_on", "updated_at"])
    review.items.update(is_published=False)
    review.items.filter(pk__in=published_item_ids).update(is_published=True)
    for recommendation in review.recommendations.all():
        recommendation.is_published = recommendation.pk in set(published_recommendation_ids)
        recommendation.public_progress = public_progress.get(recommendation.pk, "").strip()
        recommendation.save(update_fields=["is_published", "public_progress"])
    _audit(
        by, AuditEvent.Action.RECORD_REVIEW, review, change="publication", published=published,
        items=sorted(published_item_ids), recommendations=sorted(published_recommendation_ids),
    )  # fmt: skip
    return review


# ---------------------------------------------------------------------------
# Briefings and the sessions that deliver them


BRIEFING_FIELDS = ("title", "background", "why_it_matters", "findings", "what_to_do", "questions")
_BRIEFING_QUESTIONS = {
    "title": "Enter a title",
    "background": "Enter the background: what happened, in a few sentences",
    "why_it_matters": "Enter why it matters",
    "findings": "Enter what the review found",
    "what_to_do": "Enter what practitioners should do",
    "questions": "Enter at least one question to reflect on",
}
#: One page of A4: a briefing longer than this does not fit and is not read in seven minutes.
BRIEFING_MAX_WORDS = 650


@transaction.atomic
def briefing_write(
    *,
    by: User,
    fields: Mapping[str, str],
    review: CaseReview | None = None,
    briefing: Briefing | None = None,
) -> Briefing:
    """Write a new 7-minute briefing (``briefing`` None) or rewrite one.

    Every part of the shape is required (background, why it matters,
    findings, what to do, questions to reflect on), and the whole must fit
    on one page.
    """
    _require(by, WRITE_BRIEFING, None, "Only a partnership manager may write a briefing.")
    problems: dict[str, str] = {}
    values = {name: (fields.get(name) or "").strip() for name in BRIEFING_FIELDS}
    for name, value in values.items():
        if not value:
            problems[name] = _BRIEFING_QUESTIONS[name]
    words = sum(len(value.split()) for value in values.values())
    if words > BRIEFING_MAX_WORDS:
        problems["__all__"] = (
            f"The briefing has {words} words: it must fit on one page, {BRIEFING_MAX_WORDS} "
            "words at most"
        )
    _refuse("The briefing", problems)
    if briefing is None:
        briefing = Briefing(written_by=by, review=review)
    else:
        briefing = Briefing.objects.select_for_update().get(pk=briefing.pk)
    for name, value in values.items():
        setattr(briefing, name, value)
    briefing.save()
    _audit(by, AuditEvent.Action.RECORD_LEARNING, briefing, change="briefing written")
    return briefing


@transaction.atomic
def session_record(
    *,
    briefing: Briefing,
    by: User,
    delivered_on: dt.date | None,
    agency_id: int | None,
    audience: str,
    attendance: int | None,
    today: dt.date | None = None,
) -> BriefingSession:
    """Record a session at which the briefing was delivered: when, to whom, how many came."""
    today = today or timezone.localdate()
    agency = Agency.objects.filter(pk=agency_id).first() if agency_id else None
    _require(
        by, RECORD_BRIEFING_SESSION, agency,
        "Only a partnership manager, or a lead recording a session for their own agency, may "
        "record a session.",
    )  # fmt: skip
    problems: dict[str, str] = {}
    if delivered_on is None:
        problems["delivered_on"] = "Enter the date of the session"
    elif delivered_on > today:
        problems["delivered_on"] = "The session must not be in the future"
    if agency is None:
        problems["agency"] = "Select the agency whose staff attended"
    if not audience.strip():
        problems["audience"] = "Enter who the session was for"
    if attendance is None or attendance < 1:
        problems["attendance"] = "Enter how many attended: at least 1"
    _refuse("The session", problems)
    assert delivered_on is not None and agency is not None and attendance is not None
    session = BriefingSession.objects.create(
        briefing=briefing,
        delivered_on=delivered_on,
        agency=agency,
        audience=audience.strip(),
        attendance=attendance,
        recorded_by=by,
    )
    _audit(
        by, AuditEvent.Action.RECORD_LEARNING, briefing, change="session", agency=agency.code,
        attendance=attendance,
    )  # fmt: skip
    return session
