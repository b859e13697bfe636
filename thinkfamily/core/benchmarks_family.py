"""Think Sibling on a whole county: the measurements behind ``thinkfamily bench family``.

Three things a practitioner waits for, each measured on the database the
process is connected to (the bench command points it at a fresh PostgreSQL
database holding an imported synthetic county):

1. Recording a concern about a child who has a sibling, with the sibling
   prompts it raises, committed (``concern_record``).
2. The whole-family page (``/households/<pk>/``) as children's social care and
   as a practitioner of an agency that knows a child there, each request
   interleaved with a request for a trivial page (the empty search page) so
   that the machine's noise falls on both alike.
3. The invisible-children report (``invisible_children``) for the whole
   county (children's social care) and for one school.

Every series is warmed up before it is timed, samples are drawn with a seeded
random generator, and query logging is off (``DEBUG`` False) so the timings
are not inflated by Django recording every SQL statement. Figures are
medians, 95th percentiles and maxima: a benchmark, not a test, so nothing here
passes or fails on time (``TARGETS`` are reported against, not asserted).

Example:
    >>> result = family_bench_measure(samples=300, seed=1)  # doctest: +SKIP
    >>> result.concerns.timings.p95_ms  # doctest: +SKIP
    41.7
"""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.people.models import AgencyRecord, Household, HouseholdMembership, Person
from thinkfamily.prompts.rules import think_sibling_rules
from thinkfamily.prompts.selectors import invisible_children
from thinkfamily.prompts.services import concern_record

__all__ = [
    "FAMILY_PATH",
    "TARGETS",
    "TRIVIAL_PATH",
    "WARMUP",
    "ConcernFigures",
    "CountyFigures",
    "FamilyBenchResult",
    "FamilyPageFigures",
    "ReportFigures",
    "Timings",
    "family_bench_measure",
]

#: The issue's targets: concern recording and the family page at the 95th
#: percentile, the report's slowest run.
TARGETS = {"concern_p95_ms": 100.0, "family_page_p95_ms": 150.0, "report_max_s": 2.0}

#: The page every family page request is paired with: the search page with no
#: query runs the middleware, the session, the sign-in check and the base
#: layout, and asks the database nothing about people.
TRIVIAL_PATH = "/"
#: The whole-family page, by its address rather than its URL name: whichever
#: app serves it, this is the page a practitioner opens.
FAMILY_PATH = "/households/{pk}/"
#: Untimed calls before each timed series.
WARMUP = 5

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------------------
# Figures


def _percentile(values: Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile, interpolated between the nearest samples."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


@dataclass(frozen=True)
class Timings:
    """A timed series in milliseconds: how many samples, median, 95th percentile, slowest."""

    samples: int
    p50_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timings:
        if not seconds:
            raise ValueError("no timings to summarise")
        ms = [s * 1000 for s in seconds]
        return cls(len(ms), statistics.median(ms), _percentile(ms, 95), max(ms))


@dataclass(frozen=True)
class CountyFigures:
    """The size of the county measured, and how many samples could be drawn from it."""

    people: int
    agency_records: int
    households: int
    households_with_children: int
    children_with_a_sibling: int
    recent_concerns_before: int


@dataclass(frozen=True)
class ConcernFigures:
    """Recording a concern with its prompts: time per call and what each call raised."""

    timings: Timings
    prompts_created_mean: float
    prompts_added_to_mean: float
    agencies: int


@dataclass(frozen=True)
class FamilyPageFigures:
    """The family page for one kind of viewer, against the trivial page in the same run."""

    viewer: str
    family: Timings
    trivial: Timings
    agencies: int

    @property
    def ratio_p50(self) -> float:
        return self.family.p50_ms / self.trivial.p50_ms

    @property
    def ratio_p95(self) -> float:
        return self.family.p95_ms / self.trivial.p95_ms


@dataclass(frozen=True)
class ReportFigures:
    """The invisible-children report for one viewer: runs in seconds and its length."""

    viewer: str
    runs: int
    median_s: float
    max_s: float
    children: int


@dataclass(frozen=True)
class FamilyBenchResult:
    """Everything one measuring run found; ``to_dict``/``from_dict`` carry it between processes."""

    county: CountyFigures
    concerns: ConcernFigures
    family_pages: list[FamilyPageFigures]
    reports: list[ReportFigures]
    recent_concerns_at_report: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FamilyBenchResult:
        concerns = dict(data["concerns"])
        concerns["timings"] = Timings(**concerns["timings"])
        return cls(
            county=CountyFigures(**data["county"]),
            concerns=ConcernFigures(**concerns),
            family_pages=[
                FamilyPageFigures(
                    viewer=page["viewer"],
                    family=Timings(**page["family"]),
                    trivial=Timings(**page["trivial"]),
                    agencies=page["agencies"],
                )
                for page in data["family_pages"]
            ],
            reports=[ReportFigures(**report) for report in data["reports"]],
            recent_concerns_at_report=data["recent_concerns_at_report"],
        )

    def targets_met(self) -> dict[str, bool]:
        """Each target of ``TARGETS``, met or not."""
        return {
            "concern_p95_ms": self.concerns.timings.p95_ms < TARGETS["concern_p95_ms"],
            "family_page_p95_ms": all(
                page.family.p95_ms < TARGETS["family_page_p95_ms"] for page in self.family_pages
            ),
            "report_max_s": all(r.max_s < TARGETS["report_max_s"] for r in self.reports),
        }


# ---------------------------------------------------------------------------
# The county: who may be sampled


@dataclass
class _County:
    """Current households and their children, and the agencies that know each child."""

    children_by_household: dict[int, list[int]]
    agencies_by_person: dict[int, list[int]]
    agency_types: dict[int, str]

    @property
    def children_with_a_sibling(self) -> list[int]:
        """Children living with another child in a current household, in id order."""
        return sorted(
            {
                c
                for children in self.children_by_household.values()
                if len(children) > 1
                for c in children
            }
        )

    @property
    def households_with_children(self) -> list[int]:
        return sorted(self.children_by_household)


def _county_load(today: dt.date) -> _County:
    """Read the current households, which members are children, and who knows them."""
    # A coarse cut on the date of birth in the database; is_child_on decides exactly.
    young = Person.objects.filter(
        date_of_birth__gt=today - dt.timedelta(days=18 * 366)
    ) | Person.objects.filter(unborn=True)
    children = {
        person.pk
        for person in young.only("pk", "date_of_birth", "unborn")
        if person.is_child_on(today)
    }
    children_by_household: dict[int, set[int]] = defaultdict(set)
    for household_id, person_id in HouseholdMembership.objects.filter(
        end_date__isnull=True
    ).values_list("household_id", "person_id"):
        if person_id in children:
            children_by_household[household_id].add(person_id)
    agencies_by_person: dict[int, set[int]] = defaultdict(set)
    # Every record is read rather than filtered by an IN list of tens of thousands of children.
    for person_id, agency_id in AgencyRecord.objects.values_list("person_id", "agency_id").iterator(
        chunk_size=20000
    ):
        if person_id in children:
            agencies_by_person[person_id].add(agency_id)
    return _County(
        children_by_household={h: sorted(c) for h, c in children_by_household.items()},
        agencies_by_person={p: sorted(a) for p, a in agencies_by_person.items()},
        agency_types=dict(Agency.objects.values_list("pk", "agency_type")),
    )


def _recent_concerns(now: dt.datetime) -> int:
    window = dt.timedelta(days=think_sibling_rules().concern_window_days)
    return Event.objects.filter(
        event_type=Event.EventType.CONCERN, occurred_at__gte=now - window, occurred_at__lte=now
    ).count()


# ---------------------------------------------------------------------------
# The users the benchmark acts as


class _Staff:
    """One benchmark user per agency and role, created on first use."""

    def __init__(self) -> None:
        self._users: dict[tuple[int, str], User] = {}
        self._agencies = Agency.objects.in_bulk()

    def practitioner(self, agency_id: int) -> User:
        """A practitioner of the agency (its designated safeguarding lead for a school)."""
        agency = self._agencies[agency_id]
        role = (
            User.Role.DESIGNATED_SAFEGUARDING_LEAD
            if agency.agency_type == Agency.AgencyType.SCHOOL
            else User.Role.PRACTITIONER
        )
        return self._user(agency, role)

    def csc_worker(self) -> User:
        """A children's social care worker, of the county's CSC (created if it has none)."""
        agency = (
            Agency.objects.filter(agency_type=Agency.AgencyType.CSC).order_by("code").first()
        ) or Agency.objects.create(
            code="BENCH-CSC", name="Children's social care", agency_type=Agency.AgencyType.CSC
        )
        return self._user(agency, User.Role.CSC_WORKER)

    def _user(self, agency: Agency, role: str) -> User:
        key = (agency.pk, role)
        if key not in self._users:
            self._users[key], _ = User.objects.update_or_create(
                username=f"bench.{role}.{agency.code}".lower()[:150],
                defaults={"agency": agency, "role": role, "first_name": "Bench", "last_name": role},
            )
        return self._users[key]

    @property
    def agencies_used(self) -> int:
        return len({agency_id for agency_id, _ in self._users})


# ---------------------------------------------------------------------------
# 1. Recording a concern


def _measure_concerns(
    county: _County, staff: _Staff, rng: random.Random, *, samples: int, warmup: int
) -> ConcernFigures:
    """Record a concern about each of ``samples`` children who have a sibling, timing each call.

    The call is timed from entry to return, which includes the commit of its
    transaction (the process runs in autocommit, so ``concern_record``'s
    atomic block is the outermost one).
    """
    candidates = [c for c in county.children_with_a_sibling if county.agencies_by_person.get(c)]
    if not candidates:
        raise ValueError("the county has no child living with another child")
    chosen = rng.sample(candidates, min(len(candidates), samples + warmup))
    people = Person.objects.in_bulk(chosen)
    categories = list(Event.Category.values)
    seconds: list[float] = []
    created: list[int] = []
    added: list[int] = []
    for index, child_id in enumerate(chosen):
        by = staff.practitioner(rng.choice(county.agencies_by_person[child_id]))
        category = rng.choice(categories)
        started = time.perf_counter()
        result = concern_record(
            person=people[child_id],
            by=by,
            occurred_at=timezone.now(),
            category=category,
            summary="Benchmark: a concern recorded by thinkfamily bench family.",
        )
        elapsed = time.perf_counter() - started
        if index < warmup and len(chosen) > warmup:
            continue
        seconds.append(elapsed)
        created.append(len(result.prompts.created))
        added.append(len(result.prompts.added_to))
    return ConcernFigures(
        timings=Timings.of(seconds),
        prompts_created_mean=statistics.mean(created),
        prompts_added_to_mean=statistics.mean(added),
        agencies=staff.agencies_used,
    )


# ---------------------------------------------------------------------------
# 2. The whole-family page


def _verify_second_factor(client: Client, user: User) -> None:
    """Mark the client's session as having given the second factor, as signing in with a
    code does (``django_otp.login``), so the two-factor middleware lets its pages through."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _get_checked(client: Client, path: str, heading: str | None) -> float:
    """GET ``path``; seconds until the response returned. Refuses a page that is not whole."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise AssertionError(f"GET {path} answered {response.status_code}, not 200")
    if heading is not None and not _heading_in(response.content.decode(), heading):
        raise AssertionError(f"GET {path} does not show the household heading {heading!r}")
    return elapsed


def _heading_in(html: str, heading: str) -> bool:
    """Whether the page's ``<h1>`` names ``heading`` (as the template escapes it)."""
    inside_h1 = r"(?:(?!</h1>).)*"
    pattern = rf"<h1[^>]*>{inside_h1}{re.escape(escape(heading))}{inside_h1}</h1>"
    return re.search(pattern, html, flags=re.DOTALL) is not None


def _measure_family_pages(
    county: _County, staff: _Staff, rng: random.Random, *, samples: int, warmup: int
) -> list[FamilyPageFigures]:
    """GET the family page of ``samples`` households with children, each paired with "/".

    For each household, in turn: the family page as a CSC worker, the trivial
    page as the same worker, the family page as a practitioner of an agency
    that knows a child of the household, the trivial page as that
    practitioner. The practitioner's agency is drawn from those knowing a
    child there, children's social care only when no other agency does.
    """
    households = county.households_with_children
    if not households:
        raise ValueError("the county has no household with children")
    chosen = rng.sample(households, min(len(households), samples + warmup))
    headings = {h.pk: str(h) for h in Household.objects.filter(pk__in=chosen)}
    clients: dict[int, Client] = {}

    def client_for(user: User) -> Client:
        """A signed-in client per user, warmed before its first timed request.

        Each new Client builds its own handler on its first request, loading
        the middleware; WhiteNoise's then indexes every static file (about a
        quarter of a second here). A server does that once per process, so
        it is done here untimed, not charged to the first page the user asks for.
        """
        if user.pk not in clients:
            client = clients[user.pk] = Client()
            client.force_login(user)
            _verify_second_factor(client, user)
            _get_checked(client, TRIVIAL_PATH, None)
        return clients[user.pk]

    csc = client_for(staff.csc_worker())
    practitioner_agencies: set[int] = set()
    timed: dict[str, list[float]] = defaultdict(list)
    for index, household_id in enumerate(chosen):
        knowing = sorted(
            {
                a
                for c in county.children_by_household[household_id]
                for a in county.agencies_by_person.get(c, [])
            }
        )
        not_csc = [a for a in knowing if county.agency_types[a] != Agency.AgencyType.CSC]
        agency_id = rng.choice(not_csc or knowing)
        practitioner_agencies.add(agency_id)
        practitioner = client_for(staff.practitioner(agency_id))
        path = FAMILY_PATH.format(pk=household_id)
        heading = headings[household_id]
        pairs = [("csc", csc), ("practitioner", practitioner)]
        seconds = {}
        for viewer, client in pairs:
            seconds[f"{viewer} family"] = _get_checked(client, path, heading)
            seconds[f"{viewer} trivial"] = _get_checked(client, TRIVIAL_PATH, None)
        if index < warmup and len(chosen) > warmup:
            continue
        for series, value in seconds.items():
            timed[series].append(value)
    return [
        FamilyPageFigures(
            viewer="children's social care worker",
            family=Timings.of(timed["csc family"]),
            trivial=Timings.of(timed["csc trivial"]),
            agencies=1,
        ),
        FamilyPageFigures(
            viewer="practitioner of an agency knowing a child",
            family=Timings.of(timed["practitioner family"]),
            trivial=Timings.of(timed["practitioner trivial"]),
            agencies=len(practitioner_agencies),
        ),
    ]


# ---------------------------------------------------------------------------
# 3. The invisible-children report


def _largest_school() -> Agency | None:
    """The school holding the most records: the longest list a school's DSL could be shown."""
    schools = Agency.objects.filter(agency_type=Agency.AgencyType.SCHOOL)
    counts: dict[int, int] = defaultdict(int)
    for agency_id in (
        AgencyRecord.objects.filter(agency__in=schools)
        .values_list("agency_id", flat=True)
        .iterator(chunk_size=20000)
    ):
        counts[agency_id] += 1
    if not counts:
        return None
    return schools.get(pk=max(counts, key=lambda a: (counts[a], -a)))


def _measure_report(viewer: User, label: str, runs: int) -> ReportFigures:
    """One untimed warm-up, then ``runs`` timed runs of the report for ``viewer``."""
    report = invisible_children(viewer=viewer)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        report = invisible_children(viewer=viewer)
        seconds.append(time.perf_counter() - started)
    return ReportFigures(
        viewer=label,
        runs=runs,
        median_s=statistics.median(seconds),
        max_s=max(seconds),
        children=len(report),
    )


# ---------------------------------------------------------------------------
# The whole run


def family_bench_measure(
    *,
    samples: int = 300,
    seed: int = 1,
    warmup: int = WARMUP,
    report_runs: int = 7,
    progress: Progress | None = None,
) -> FamilyBenchResult:
    """Measure the three Think Sibling paths on the county in the connected database.

    Writes to that database as a practitioner would: creates benchmark users
    (``bench.<role>.<agency code>``), records ``samples + warmup`` concerns
    with their prompts, and leaves audit entries for every page and report.
    Run it on a database made for the purpose.

    Args:
        samples: timed concerns, and timed households for the family page.
        seed: seeds the choice of children, households, agencies and categories.
        warmup: untimed calls before each series (drawn like the timed ones).
        report_runs: timed runs of the report per viewer, after one warm-up.
        progress: told what is being measured, for a terminal.

    Raises:
        ValueError: the county has no child with a sibling, or no household with children.
    """
    say = progress or _quiet
    rng = random.Random(seed)
    allowed_hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(DEBUG=False, ALLOWED_HOSTS=allowed_hosts):
        # Logged queries would make every timing include Django's own bookkeeping.
        connection.force_debug_cursor = False
        assert not connection.queries_logged
        now = timezone.now()
        say("reading the county")
        county = _county_load(timezone.localdate(now))
        figures = CountyFigures(
            people=Person.objects.count(),
            agency_records=AgencyRecord.objects.count(),
            households=Household.objects.count(),
            households_with_children=len(county.households_with_children),
            children_with_a_sibling=len(county.children_with_a_sibling),
            recent_concerns_before=_recent_concerns(now),
        )
        staff = _Staff()
        say(f"recording {samples} concerns")
        concerns = _measure_concerns(county, staff, rng, samples=samples, warmup=warmup)
        say(f"requesting {samples} family pages, interleaved with the trivial page")
        pages = _measure_family_pages(county, staff, rng, samples=samples, warmup=warmup)
        say("running the invisible-children report")
        reports = [
            _measure_report(staff.csc_worker(), "children's social care worker", report_runs)
        ]
        school = _largest_school()
        if school is not None:
            reports.append(
                _measure_report(
                    staff.practitioner(school.pk), f"school DSL ({school.name})", report_runs
                )
            )
        recent_at_report = _recent_concerns(timezone.now())
    return FamilyBenchResult(
        county=figures,
        concerns=concerns,
        family_pages=pages,
        reports=reports,
        recent_concerns_at_report=recent_at_report,
    )
