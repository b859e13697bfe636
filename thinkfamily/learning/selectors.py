"""Reads of the register: the list of reviews with their clocks, one review, one
recommendation with its plan and indicators, the overdue lists, and the integrated
chronology a review panel needs.

Aggregate reads of the register name no person. The integrated chronology does: it
is read through ``Event.objects.visible_to(viewer)``, like every other chronology,
and the caller audits it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from thinkfamily.accounts.backends import VIEW_CASE_REVIEWS
from thinkfamily.accounts.models import User
from thinkfamily.events.models import Event
from thinkfamily.learning.indicators import (
    INDICATORS,
    CurrentFigure,
    Indicator,
    Trend,
    indicator_current,
    indicator_trend,
)
from thinkfamily.learning.models import (
    CaseReview,
    ComplianceCheck,
    PlanAction,
    Recommendation,
    RecommendationIndicator,
)
from thinkfamily.learning.timescales import (
    RagStatus,
    Timescale,
    action_rag,
    check_overdue,
    recommendation_rag,
    review_timescales,
)
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES
from thinkfamily.people.models import HouseholdMembership, Person, people_visible_among


def timescales_of(review: CaseReview, today: dt.date) -> list[Timescale]:
    return review_timescales(
        kind=review.kind,
        became_aware_on=review.became_aware_on,
        notified_on=review.notified_on,
        rapid_review_on=review.rapid_review_on,
        lcspr_decided_on=review.lcspr_decided_on,
        report_completed_on=review.report_completed_on,
        today=today,
    )


def theme_labels(keys: Sequence[str]) -> list[str]:
    return [THEMES[key].label for key in keys if key in THEMES]


def addressee_labels(keys: Sequence[str]) -> list[str]:
    return [ADDRESSEES[key].label for key in keys if key in ADDRESSEES]


@dataclass(frozen=True)
class ActionRow:
    """An action as the plan shows it: its status now, and whether its checks are behind."""

    action: PlanAction
    status: RagStatus
    overdue: bool
    last_check: ComplianceCheck | None
    check_overdue: bool


def _action_row(action: PlanAction, today: dt.date) -> ActionRow:
    checks = list(action.checks.all())  # prefetched, in date order
    last = checks[-1] if checks else None
    return ActionRow(
        action=action,
        status=action_rag(rag=action.rag, due_on=action.due_on, today=today),
        overdue=action.is_overdue(today),
        last_check=last,
        check_overdue=bool(last and check_overdue(next_check_on=last.next_check_on, today=today)),
    )


def _actions_prefetch() -> Prefetch:
    return Prefetch(
        "actions",
        queryset=PlanAction.objects.select_related("owner_agency", "owner").prefetch_related(
            "checks"
        ),
    )


@dataclass(frozen=True)
class RecommendationRow:
    recommendation: Recommendation
    addressees: list[str]
    status: RagStatus
    actions: list[ActionRow]

    @property
    def complete_count(self) -> int:
        return sum(1 for row in self.actions if row.status is RagStatus.COMPLETE)


def _recommendation_row(recommendation: Recommendation, today: dt.date) -> RecommendationRow:
    actions = [_action_row(action, today) for action in recommendation.actions.all()]
    return RecommendationRow(
        recommendation=recommendation,
        addressees=addressee_labels(recommendation.addressees),
        status=recommendation_rag(row.status for row in actions),
        actions=actions,
    )


@dataclass(frozen=True)
class RegisterRow:
    """One review on the register, with what needs attention."""

    review: CaseReview
    timescales: list[Timescale]
    recommendation_count: int
    statuses: dict[str, int]
    overdue_actions: int

    @property
    def overdue_timescales(self) -> list[Timescale]:
        return [clock for clock in self.timescales if clock.state.needs_attention]


def register_rows(*, today: dt.date | None = None, kind: str = "") -> list[RegisterRow]:
    """Every review on the register, newest first, with its clocks and its plan's progress.

    Three queries whatever the size of the register. The caller checks the
    viewer may see the register (``VIEW_CASE_REVIEWS``).
    """
    today = today or timezone.localdate()
    reviews = CaseReview.objects.prefetch_related(
        Prefetch("recommendations", queryset=Recommendation.objects.prefetch_related("actions"))
    )
    if kind:
        reviews = reviews.filter(kind=kind)
    rows = []
    for review in reviews:
        statuses: dict[str, int] = defaultdict(int)
        overdue = 0
        recommendations = list(review.recommendations.all())
        for recommendation in recommendations:
            action_statuses = [
                action_rag(rag=a.rag, due_on=a.due_on, today=today)
                for a in recommendation.actions.all()
            ]
            overdue += sum(1 for a in recommendation.actions.all() if a.is_overdue(today))
            statuses[recommendation_rag(action_statuses).value] += 1
        rows.append(
            RegisterRow(
                review=review,
                timescales=timescales_of(review, today),
                recommendation_count=len(recommendations),
                statuses=dict(statuses),
                overdue_actions=overdue,
            )
        )
    return rows


@dataclass(frozen=True)
class ReviewDetail:
    review: CaseReview
    timescales: list[Timescale]
    themes: list[str]
    findings: list[str]
    lessons: list[str]
    recommendations: list[RecommendationRow]
    agencies: list[str]
    briefings: list[object] = field(default_factory=list)


def review_detail(*, review: CaseReview, today: dt.date | None = None) -> ReviewDetail:
    """A review with its findings, lessons, recommendations and each plan's progress."""
    today = today or timezone.localdate()
    items = list(review.items.all())
    recommendations = review.recommendations.prefetch_related(_actions_prefetch())
    return ReviewDetail(
        review=review,
        timescales=timescales_of(review, today),
        themes=theme_labels(review.themes),
        findings=[item.text for item in items if item.kind == item.Kind.FINDING],
        lessons=[item.text for item in items if item.kind == item.Kind.LESSON],
        recommendations=[_recommendation_row(r, today) for r in recommendations],
        agencies=[agency.name for agency in review.agencies.all()],
        briefings=list(review.briefings.all()),
    )


@dataclass(frozen=True)
class IndicatorView:
    """An indicator followed for a recommendation: its target, figure now and trend."""

    indicator: Indicator
    target: float
    current: CurrentFigure
    trend: Trend

    @property
    def meets_target(self) -> bool | None:
        if self.current.value is None:
            return None
        return self.current.value >= self.target


def indicator_view(
    *, code: str, target: float | None = None, today: dt.date | None = None
) -> IndicatorView:
    indicator = INDICATORS[code]
    return IndicatorView(
        indicator=indicator,
        target=indicator.default_target if target is None else target,
        current=indicator_current(code=code, today=today),
        trend=indicator_trend(code=code, today=today),
    )


@dataclass(frozen=True)
class RecommendationDetail:
    row: RecommendationRow
    indicators: list[IndicatorView]


def recommendation_detail(
    *, recommendation: Recommendation, today: dt.date | None = None
) -> RecommendationDetail:
    """A recommendation with its action plan and the indicators that measure it."""
    today = today or timezone.localdate()
    recommendation = (
        Recommendation.objects.select_related("review")
        .prefetch_related(_actions_prefetch())
        .get(pk=recommendation.pk)
    )
    followed: list[RecommendationIndicator] = list(recommendation.indicators.all())
    return RecommendationDetail(
        row=_recommendation_row(recommendation, today),
        indicators=[
            indicator_view(code=chosen.indicator_code, target=chosen.target, today=today)
            for chosen in followed
            if chosen.indicator_code in INDICATORS
        ],
    )


@dataclass(frozen=True)
class OverdueLists:
    """What the partnership manager must chase: late clocks, actions and compliance checks."""

    timescales: list[tuple[CaseReview, Timescale]]
    actions: list[ActionRow]
    checks: list[ActionRow]
    agency_actions: list[ActionRow]


def overdue_lists(*, viewer: User, today: dt.date | None = None) -> OverdueLists:
    """Everything overdue on the register, and the open actions of the viewer's own agency.

    The partnership-wide lists are filled only for viewers who see the
    register; everyone sees their own agency's open actions.
    """
    today = today or timezone.localdate()
    sees_register = viewer.has_perm(VIEW_CASE_REVIEWS)
    base = PlanAction.objects.select_related(
        "recommendation__review", "owner_agency", "owner"
    ).prefetch_related("checks")
    timescales: list[tuple[CaseReview, Timescale]] = []
    actions: list[ActionRow] = []
    checks: list[ActionRow] = []
    if sees_register:
        for review in CaseReview.objects.exclude(status=CaseReview.Status.DRAFT):
            timescales.extend(
                (review, clock)
                for clock in timescales_of(review, today)
                if clock.state.needs_attention
            )
        actions = [
            _action_row(action, today)
            for action in base.exclude(rag=PlanAction.Rag.COMPLETE).filter(due_on__lt=today)
        ]
        candidates = base.filter(checks__next_check_on__lt=today).distinct()
        checks = [row for row in (_action_row(a, today) for a in candidates) if row.check_overdue]
    agency_actions = [
        _action_row(action, today)
        for action in base.filter(owner_agency_id=viewer.agency_id).exclude(
            rag=PlanAction.Rag.COMPLETE
        )
    ]
    return OverdueLists(
        timescales=timescales, actions=actions, checks=checks, agency_actions=agency_actions
    )


def action_detail(*, action: PlanAction, today: dt.date | None = None) -> ActionRow:
    today = today or timezone.localdate()
    action = (
        PlanAction.objects.select_related("recommendation__review", "owner_agency", "owner")
        .prefetch_related("checks__checked_by", "evidence__added_by")
        .get(pk=action.pk)
    )
    return _action_row(action, today)


@dataclass(frozen=True)
class ReviewChronology:
    """The integrated multi-agency chronology of a review period, as far as the viewer may read.

    ``people`` are the child and everyone who lived with them during the
    period; ``hidden`` counts the events of those people the viewer may not
    read (a panel member sees that entries exist without seeing them).
    """

    subject: Person | None
    start: dt.date | None
    end: dt.date | None
    people: list[Person]
    entries: list[Event]
    hidden: int


def review_chronology(*, review: CaseReview, viewer: User) -> ReviewChronology:
    """Every agency's events, in date order, for the child and their household in the period.

    The household is everyone whose membership of a household the child
    lived in overlaps the review period (a partner who moved in and out
    within it included). Without a linked child or a period it is empty:
    the register never guesses which child a review is about. The caller
    must audit the read.
    """
    subject = review.subject
    if subject is None or review.period_start is None or review.period_end is None:
        return ReviewChronology(subject, review.period_start, review.period_end, [], [], 0)
    start, end = review.period_start, review.period_end
    overlapping = Q(start_date__isnull=True) | Q(start_date__lte=end)
    overlapping &= Q(end_date__isnull=True) | Q(end_date__gte=start)
    households = HouseholdMembership.objects.filter(overlapping, person=subject).values(
        "household_id"
    )
    people_ids = set(
        HouseholdMembership.objects.filter(overlapping, household_id__in=households).values_list(
            "person_id", flat=True
        )
    ) | {subject.pk}
    in_period = Event.objects.filter(
        person_id__in=people_ids,
        occurred_at__date__gte=start,
        occurred_at__date__lte=end,
    )
    entries = list(
        in_period.visible_to(viewer)
        .select_related("person", "agency")
        .order_by("occurred_at", "id")
    )
    return ReviewChronology(
        subject=subject,
        start=start,
        end=end,
        people=list(
            Person.objects.filter(pk__in=people_visible_among(viewer, sorted(people_ids))).order_by(
                "date_of_birth"
            )
        ),
        entries=entries,
        hidden=in_period.count() - len(entries),
    )
