"""The JSON API's pushes timed through HTTP: the measurements behind ``thinkfamily bench api``.

Measured on the database the process is connected to (the bench command
points it at a fresh PostgreSQL database holding an imported synthetic
county), as an agency system would call it, with a real token:

1. Single-event push: ``POST /api/v1/events``, one concern (which raises
   Think Sibling prompts) or one attendance per call, about the agency's own
   records.
2. Single-record push: ``POST /api/v1/records``, one new record per call.
3. Bulk push: ``POST /api/v1/batch`` with ``batch_size`` new records at a
   time, ``batches`` times; records per second.
4. A trivial read, ``GET /api/v1/people/<id>``, after each single push, so
   that the machine's noise falls on both alike and each push can be given as
   a ratio of it.

The caller is the system of the county's busiest GP practice (its own token
is issued for the run). Each pushed record is new to it: a copy of another
agency's record of someone the practice does not yet know, with a new record
id, so every push does the linkage work a real one does. Events are measured
first, on the county as imported; a push of events alone links nobody and
re-forms no household, so it costs what writing the events and raising their
prompts costs.

Requests go over HTTP on
127.0.0.1 to Django's own WSGI server running in a thread of the measuring
process (one request at a time, a new connection per request, no TLS or
proxy); ``transport="client"`` uses Django's test ``Client`` instead, in
process, for the tests. Every series is warmed up, query logging is off and
the token's rate limit is lifted for the run. Figures are medians, 95th
percentiles and maxima: a benchmark, not a test, so nothing here passes or
fails on time.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from thinkfamily.accounts.models import Agency
from thinkfamily.api.services import api_token_create
from thinkfamily.core.benchmarks_family import Timings
from thinkfamily.people.models import AgencyRecord, Person

__all__ = [
    "BENCH_AGENCY",
    "WARMUP",
    "ApiBenchResult",
    "Timings",
    "api_bench_measure",
]

#: The agency whose system pushes when the county has no GP practice: created for the run.
BENCH_AGENCY = "BENCH-API"
#: The pushed records' ids, new to the agency.
PUSHED_PREFIX = "BENCH-"
#: Untimed calls before each timed series (one untimed batch).
WARMUP = 5
PREFIX = "/api/v1"

Progress = Callable[[str], None]
Transport = Literal["http", "client"]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class ApiBenchResult:
    """Everything one measuring run found; ``to_dict``/``from_dict`` carry it between processes."""

    transport: str
    #: The agency whose system pushed.
    agency: str
    people_before: int
    agency_records_before: int
    batch_size: int
    #: Seconds each timed batch took, in order.
    batch_seconds: list[float]
    batch: Timings
    record: Timings
    concern: Timings
    attendance: Timings
    trivial: Timings
    prompts_raised: int

    @property
    def records_per_second(self) -> list[float]:
        return [self.batch_size / seconds for seconds in self.batch_seconds]

    @property
    def records_per_second_median(self) -> float:
        return statistics.median(self.records_per_second)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiBenchResult:
        timings = {"batch", "record", "concern", "attendance", "trivial"}
        values: dict[str, Any] = {k: Timings(**v) if k in timings else v for k, v in data.items()}
        return cls(**values)


# ---------------------------------------------------------------------------
# Calling the API


class _Caller:
    """Sends JSON with the token; answers (status, body). Refuses an answer it did not expect."""

    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}

    def send(self, method: str, path: str, body: Any | None) -> tuple[int, bytes]:
        raise NotImplementedError

    def call(self, method: str, path: str, body: Any | None = None) -> tuple[float, Any]:
        """Seconds until the whole answer was read, and the answer; anything but 200 is an error."""
        data = None if body is None else json.dumps(body)
        started = time.perf_counter()
        status, content = self.send(method, PREFIX + path, data)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise AssertionError(f"{method} {path} answered {status}: {content[:500]!r}")
        return elapsed, json.loads(content)


class _HttpCaller(_Caller):
    def __init__(self, token: str, port: int) -> None:
        super().__init__(token)
        self.port = port

    def send(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


class _ClientCaller(_Caller):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.client = Client()

    def send(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        response = self.client.generic(
            method, path, data=body or "", content_type="application/json", headers=self.headers
        )
        return response.status_code, response.content


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _server() -> Iterator[int]:
    """Django's WSGI server on 127.0.0.1 (a free port) in a thread; yields the port."""
    httpd = WSGIServer(("127.0.0.1", 0), _QuietHandler, ipv6=False, allow_reuse_address=True)
    httpd.set_app(get_wsgi_application())
    thread = threading.Thread(target=httpd.serve_forever, name="bench-api-server", daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# ---------------------------------------------------------------------------
# What is pushed


def _pushing_agency() -> Agency:
    """The county's GP practice with the most records (``BENCH-API``, a new GP, if it has none)."""
    busiest = (
        Agency.objects.filter(agency_type=Agency.AgencyType.GP)
        .annotate(record_count=Count("records"))
        .filter(record_count__gt=0)
        .order_by("-record_count", "code")
        .first()
    )
    if busiest is not None:
        return busiest
    agency, _ = Agency.objects.get_or_create(
        code=BENCH_AGENCY,
        defaults={"name": "Benchmark GP system", "agency_type": Agency.AgencyType.GP},
    )
    return agency


def _record_items(agency: Agency, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` new records for ``agency``: copies of others' records of people it does not know.

    One record per person (its newest), so no two pushed records are the same person.
    """
    known = set(agency.records.values_list("person_id", flat=True))
    newest = dict(
        AgencyRecord.objects.exclude(agency=agency)
        .filter(person__isnull=False)
        .order_by("pk")
        .values_list("person_id", "pk")
    )
    candidates = sorted(pk for person, pk in newest.items() if person not in known)
    if len(candidates) < count:
        raise ValueError(f"the county has {len(candidates)} people to push; {count} are needed")
    chosen = sorted(rng.sample(candidates, count))
    records = AgencyRecord.objects.in_bulk(chosen)
    items = []
    for index, pk in enumerate(chosen):
        record = records[pk]
        item: dict[str, Any] = {
            "record_id": f"{PUSHED_PREFIX}{index:07d}",
            "given_name": record.given_name,
            "family_name": record.family_name,
            "other_names": record.other_names or None,
            "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
            "unborn": record.unborn,
            "sex": record.sex or None,
            "nhs_number": record.nhs_number or None,
            "upn": record.upn or None,
            "address": record.address or None,
            "postcode": record.postcode or None,
        }
        items.append({k: v for k, v in item.items() if v is not None})
    rng.shuffle(items)
    return items


def api_bench_measure(
    *,
    batches: int = 3,
    batch_size: int = 500,
    samples: int = 20,
    seed: int = 1,
    warmup: int = WARMUP,
    transport: Transport = "http",
    progress: Progress | None = None,
) -> ApiBenchResult:
    """Time single and bulk pushes against the county in the connected database.

    Writes to that database as an agency system would: issues a token (scopes
    push and read) to the county's busiest GP practice and pushes
    ``2 * (samples + warmup)`` events about its records, then
    ``samples + warmup`` single records and ``(batches + 1) * batch_size``
    records in batches, each new to it.
    """
    say = progress or _quiet
    rng = random.Random(seed)
    with override_settings(DEBUG=False, THINKFAMILY_API_RATE_PER_MINUTE=10**9):
        # Logged queries would make every timing include Django's own bookkeeping.
        connection.force_debug_cursor = False
        people_before = Person.objects.count()
        records_before = AgencyRecord.objects.count()
        agency = _pushing_agency()
        token = api_token_create(
            agency=agency, name=f"bench-{timezone.now():%Y%m%d%H%M%S%f}", scopes=["push", "read"]
        ).token
        say(f"pushing as {agency.code}; choosing records to push")
        own = list(
            agency.records.filter(person__isnull=False).values_list(
                "record_id", "person_id", "date_of_birth"
            )
        )
        bulk = (batches + 1) * batch_size
        items = _record_items(agency, rng, bulk + samples + warmup)
        with _caller(token, transport) as caller:
            result = _measure(
                caller, own, items[:bulk], items[bulk:], batch_size, samples, warmup, rng, say
            )
    return ApiBenchResult(
        transport=transport,
        agency=agency.code,
        people_before=people_before,
        agency_records_before=records_before,
        batch_size=batch_size,
        **result,
    )


@contextmanager
def _caller(token: str, transport: Transport) -> Iterator[_Caller]:
    if transport == "client":
        yield _ClientCaller(token)
        return
    with _server() as port:
        yield _HttpCaller(token, port)


def _measure(
    caller: _Caller,
    own: list[tuple[str, int, dt.date | None]],
    bulk_items: list[dict[str, Any]],
    single_items: list[dict[str, Any]],
    batch_size: int,
    samples: int,
    warmup: int,
    rng: random.Random,
    say: Progress,
) -> dict[str, Any]:
    person_ids = [person_id for _, person_id, _ in own]
    trivial_s: list[float] = []

    def trivial() -> float:
        return caller.call("GET", f"/people/{rng.choice(person_ids)}")[0]

    # 1. One event at a time about the agency's own records: concerns about
    # children (with their prompts), then attendances. Events come first: see
    # the module's docstring.
    today = timezone.localdate()
    adult_before = today - dt.timedelta(days=18 * 365)
    children = [record for record, _, born in own if born is not None and born > adult_before]
    about = children or [record for record, _, _ in own]
    series: dict[str, list[float]] = {"concern": [], "attendance": []}
    prompts = 0
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    for event_type, extra in (
        ("concern", {"category": "neglect", "summary": "Benchmark: thinkfamily bench api."}),
        ("attendance", {"seen_in_person": True}),
    ):
        say(f"{samples} single {event_type} events")
        for index in range(samples + warmup):
            event = {
                "record_id": rng.choice(about),
                "event_id": f"BENCH-{stamp}-{event_type}-{index}",
                "event_type": event_type,
                "occurred_at": timezone.localtime().isoformat(),
                **extra,
            }
            seconds, answer = caller.call("POST", "/events", event)
            after = trivial()
            prompts += int(answer["counts"].get("sibling_prompts_created", 0))
            if index >= warmup:
                series[event_type].append(seconds)
                trivial_s.append(after)

    # 2. One new record at a time.
    say(f"{samples} single records")
    record_s = []
    for index, item in enumerate(single_items):
        seconds, _ = caller.call("POST", "/records", item)
        after = trivial()
        if index >= warmup:
            record_s.append(seconds)
            trivial_s.append(after)

    # 3. Bulk: the first batch is the warm-up.
    batch_seconds = []
    chunks = [bulk_items[i : i + batch_size] for i in range(0, len(bulk_items), batch_size)]
    for index, chunk in enumerate(chunks):
        say(f"batch {index + 1}/{len(chunks)} of {batch_size:,} records")
        seconds, answer = caller.call("POST", "/batch", {"records": chunk})
        if len(answer["records"]) != len(chunk):
            raise AssertionError("a batch answered for fewer records than it pushed")
        if index > 0:
            batch_seconds.append(seconds)
    return {
        "batch_seconds": batch_seconds,
        "batch": Timings.of(batch_seconds),
        "record": Timings.of(record_s),
        "concern": Timings.of(series["concern"]),
        "attendance": Timings.of(series["attendance"]),
        "trivial": Timings.of(trivial_s),
        "prompts_raised": prompts,
    }
