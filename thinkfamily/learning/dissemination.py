"""How the learning reaches practitioners: briefings, the sessions that deliver them, and reach.

A 7-minute briefing is the learning of a review on one page, for a team to
read and discuss together in the time it takes. Reads only: writing a
briefing and recording a session are ``learning.services`` (``briefing_write``,
``session_record``). Every member of staff with an agency reads briefings
(``VIEW_BRIEFINGS``); the partnership and its review panel see how far the
learning has reached (``VIEW_CASE_REVIEWS``), agency by agency, so an agency
whose staff have heard none of it shows as a gap rather than as an absence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from thinkfamily.accounts.backends import (
    RECORD_BRIEFING_SESSION,
    VIEW_BRIEFINGS,
    VIEW_CASE_REVIEWS,
    WRITE_BRIEFING,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.models import Briefing, BriefingSession, CaseReview

__all__ = [
    "BRIEFING_MARKING",
    "AgencyReach",
    "BriefingDetail",
    "Reach",
    "briefing_detail",
    "briefing_list",
    "briefing_pdf",
    "briefing_reach",
    "partnership_name",
    "review_date",
    "session_agencies",
]

#: The marking on the printed briefing: written for every practitioner, so OFFICIAL, not
#: OFFICIAL-SENSITIVE (it names no child and no family; the review uses a pseudonym).
BRIEFING_MARKING = "OFFICIAL"
#: Type sizes (points) tried in turn until the briefing fits one page of A4.
_PDF_TYPE_SIZES = (9.5, 9.0, 8.5, 8.0, 7.5, 7.0)


def partnership_name() -> str:
    """The safeguarding partnership's name, as its documents carry it."""
    return str(getattr(settings, "THINKFAMILY_PARTNERSHIP_NAME", "") or "Think Family partnership")


def briefing_list(*, viewer: User) -> QuerySet[Briefing]:
    """Every briefing, newest first, with how many sessions delivered it and to how many.

    Empty for someone who may not read briefings (a system administrator).
    """
    if not viewer.has_perm(VIEW_BRIEFINGS):
        return Briefing.objects.none()
    return (
        Briefing.objects.select_related("review")
        .annotate(session_count=Count("sessions"), attendance=Sum("sessions__attendance"))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class BriefingDetail:
    """One briefing as a member of staff reads it, with its sessions and what they may do."""

    briefing: Briefing
    sessions: list[BriefingSession]
    may_edit: bool
    may_record_session: bool
    may_see_review: bool

    @property
    def total_attendance(self) -> int:
        return sum(session.attendance for session in self.sessions)


def briefing_detail(*, briefing_id: int, viewer: User) -> BriefingDetail:
    """The briefing ``briefing_id`` for ``viewer``.

    Raises ``Briefing.DoesNotExist`` when there is no such briefing or the
    viewer may not read briefings, so the two look alike.
    """
    if not viewer.has_perm(VIEW_BRIEFINGS):
        raise Briefing.DoesNotExist
    briefing = Briefing.objects.select_related("review", "written_by").get(pk=briefing_id)
    sessions = list(briefing.sessions.select_related("agency", "recorded_by"))
    return BriefingDetail(
        briefing=briefing,
        sessions=sessions,
        may_edit=viewer.has_perm(WRITE_BRIEFING),
        may_record_session=viewer.has_perm(RECORD_BRIEFING_SESSION),
        may_see_review=briefing.review_id is not None and viewer.has_perm(VIEW_CASE_REVIEWS),
    )


def session_agencies(*, viewer: User) -> list[Agency]:
    """The agencies ``viewer`` may record a session for: every agency for the partnership,
    their own for an agency's lead, none for anyone else."""
    return [
        agency
        for agency in Agency.objects.order_by("name")
        if viewer.has_perm(RECORD_BRIEFING_SESSION, agency)
    ]


@dataclass(frozen=True)
class AgencyReach:
    """How far the learning reached one agency's staff: sessions, people, briefings, latest."""

    agency: Agency
    sessions: int
    attendance: int
    briefings: int
    last_session_on: dt.date | None


@dataclass(frozen=True)
class Reach:
    """Reach by agency: those with sessions (most attended first) and those with none."""

    briefing: Briefing | None
    reached: list[AgencyReach]
    not_reached: list[Agency]

    @property
    def total_sessions(self) -> int:
        return sum(row.sessions for row in self.reached)

    @property
    def total_attendance(self) -> int:
        return sum(row.attendance for row in self.reached)


def briefing_reach(*, viewer: User, briefing_id: int | None = None) -> Reach:
    """Per agency: sessions held, total attendance, distinct briefings delivered and the last
    session's date, for every briefing or only ``briefing_id``; and the agencies with no
    session at all, so the gaps show.

    One grouped query over sessions (and one for the agencies): never a query per agency.
    Raises ``Briefing.DoesNotExist`` for an unknown ``briefing_id``; an empty reach for a
    viewer who may not see it.
    """
    briefing = Briefing.objects.get(pk=briefing_id) if briefing_id is not None else None
    if not viewer.has_perm(VIEW_CASE_REVIEWS):
        return Reach(briefing=briefing, reached=[], not_reached=[])
    sessions = BriefingSession.objects.all()
    if briefing is not None:
        sessions = sessions.filter(briefing=briefing)
    grouped = {
        row["agency_id"]: row
        for row in sessions.order_by()
        .values("agency_id")
        .annotate(
            session_count=Count("id"),
            attendance_total=Sum("attendance"),
            briefing_count=Count("briefing_id", distinct=True),
            last_on=Max("delivered_on"),
        )
    }
    reached: list[AgencyReach] = []
    not_reached: list[Agency] = []
    for agency in Agency.objects.order_by("name"):
        row = grouped.get(agency.pk)
        if row is None:
            not_reached.append(agency)
            continue
        reached.append(
            AgencyReach(
                agency=agency,
                sessions=row["session_count"],
                attendance=row["attendance_total"] or 0,
                briefings=row["briefing_count"],
                last_session_on=row["last_on"],
            )
        )
    reached.sort(key=lambda row: (-row.attendance, row.agency.name))
    return Reach(briefing=briefing, reached=reached, not_reached=not_reached)


def review_date(review: CaseReview | None) -> dt.date | None:
    """The date a briefing gives for its review: the report's completion, else publication."""
    if review is None:
        return None
    return review.report_completed_on or review.published_on


class _NoFetching(URLFetcher):
    """A URL fetcher that fetches nothing: the briefing is made from its template alone."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        raise ValueError(f"The briefing PDF loads nothing from outside; refused {url[:100]}")


def briefing_pdf(*, briefing: Briefing, generated_on: dt.date | None = None) -> bytes:
    """The briefing as one page of A4: the classic 7-minute briefing of numbered boxes.

    Title, the review's reference and date, the five parts (background, why it
    matters, findings, what to do, questions to reflect on) in two columns, the
    OFFICIAL marking at head and foot, and the partnership's name in the footer.
    The type is set at the largest size at which the whole fits one page
    (``services.BRIEFING_MAX_WORDS`` words always do). The caller checks the
    viewer may read briefings and records the export in the audit trail.
    """
    generated_on = generated_on or timezone.localdate()
    document = None
    for size in _PDF_TYPE_SIZES:
        html = render_to_string(
            "learning/briefing_pdf.html",
            {
                "briefing": briefing,
                "review": briefing.review,
                "review_date": review_date(briefing.review),
                "marking": BRIEFING_MARKING,
                "partnership": partnership_name(),
                "generated_on": generated_on,
                "type_size": size,
            },
        )
        document = HTML(string=html, url_fetcher=_NoFetching()).render()
        if len(document.pages) == 1:
            break
    assert document is not None
    pdf: bytes = document.write_pdf()
    return pdf
