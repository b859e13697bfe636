"""The load test behind ``thinkfamily bench load``: practitioners on gunicorn, driven by locust.

Three parts, each usable on its own (the CI test ``core/tests/test_load.py``
runs them on a small county):

1. ``load_work_prepare`` (in a process connected to the database): creates a
   staff account per simulated user — agencies of every kind, each account
   with a password and a confirmed authenticator (TOTP) — and the work list
   each reads: households and people its agency knows, children it may
   record a concern about, open prompts routed to its agency (each prompt
   given to one account only, so no two users answer the same one).
2. ``gunicorn_serving``: gunicorn on 127.0.0.1 with the production settings
   (``THINKFAMILY_ENVIRONMENT=production``: DEBUG off, secure cookies, HSTS,
   two-factor sign-in) as it runs behind its TLS proxy. The only thing the
   load test adds is what that proxy would: ``THINKFAMILY_BEHIND_TLS_PROXY``
   on the server, and ``X-Forwarded-Proto: https`` on each request.
3. ``locust_run``: locust, headless and bounded in time, with
   ``thinkfamily/core/loadtest/locustfile.py``; its statistics read back from
   the CSV files it writes, per kind of request and overall.

A benchmark, not a test: nothing here passes or fails on time.

Example:
    >>> with gunicorn_serving(database_url=url, workers=5, log=log) as host:  # doctest: +SKIP
    ...     step = locust_run(host=host, work=work, users=8, run_time_s=60, out=out)
    >>> step.overall.p95_ms, step.errors  # doctest: +SKIP
    (120.0, 0)
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from thinkfamily.accounts.models import Agency, User
from thinkfamily.accounts.two_factor import DEVICE_NAME
from thinkfamily.core.benchmarks_family import _county_load
from thinkfamily.events.models import Event
from thinkfamily.people.models import Household, Person
from thinkfamily.prompts.models import Prompt, PromptRecipient

__all__ = [
    "LOCUSTFILE",
    "P95_LIMIT_MS",
    "LoadStep",
    "RequestFigures",
    "gunicorn_serving",
    "held_step",
    "load_work_prepare",
    "locust_run",
    "step_work_write",
]

LOCUSTFILE = Path(__file__).resolve().parent / "loadtest" / "locustfile.py"
#: The issue's bound: the throughput reported is the highest step whose overall p95 is under it.
P95_LIMIT_MS = 300.0
#: The environment variables the locustfile reads the work list's path from, and the path
#: to write its figures to.
WORK_ENVIRONMENT = "THINKFAMILY_LOAD_WORK"
RESULTS_ENVIRONMENT = "THINKFAMILY_LOAD_RESULTS"


# ---------------------------------------------------------------------------
# 1. The accounts and their work


def _role_for(agency: Agency) -> str:
    if agency.agency_type == Agency.AgencyType.CSC:
        return User.Role.CSC_WORKER
    if agency.agency_type == Agency.AgencyType.SCHOOL:
        return User.Role.DESIGNATED_SAFEGUARDING_LEAD
    return User.Role.PRACTITIONER


def _agencies_in_turn(children_by_agency: dict[int, list[int]], count: int) -> list[Agency]:
    """``count`` agencies to act as: one of each kind in turn (the kinds knowing most children
    first), within a kind the agencies knowing most children first; again from the start
    when there are fewer agencies than accounts."""
    agencies = Agency.objects.in_bulk(list(children_by_agency))
    by_kind: dict[str, list[Agency]] = defaultdict(list)
    for agency in sorted(agencies.values(), key=lambda a: (-len(children_by_agency[a.pk]), a.code)):
        by_kind[agency.agency_type].append(agency)
    kinds = sorted(
        by_kind.values(), key=lambda kind: -sum(len(children_by_agency[a.pk]) for a in kind)
    )
    interleaved = [
        agency
        for rank in range(max(len(kind) for kind in kinds))
        for kind in kinds
        if rank < len(kind)
        for agency in [kind[rank]]
    ]
    return [interleaved[index % len(interleaved)] for index in range(count)]


def _name(person: Person) -> str:
    return " ".join(f"{person.given_name} {person.family_name}".split())


def load_work_prepare(
    *, accounts: int, seed: int = 1, per_account: int = 40, password: str | None = None
) -> dict[str, Any]:
    """Create ``accounts`` staff accounts and the work list the locustfile reads.

    Writes to the connected database (accounts named ``load.<n>.<agency code>``
    and their authenticators): run it on a database made for the purpose.
    Returns the work list, JSON-ready: ``today``, ``concern_categories`` and
    ``accounts``, each with its username, password, TOTP key (hex), agency,
    role, ``households`` and ``people`` (to open and search for; a person's
    ``search`` is the first word of the family name and the date of birth),
    ``concern_people`` (children living with another child) and ``prompts``.

    Raises:
        ValueError: the county has no household with children its agencies know.
    """
    rng = random.Random(seed)
    today = timezone.localdate()
    county = _county_load(today)
    household_of: dict[int, int] = {
        child: household
        for household, children in county.children_by_household.items()
        for child in children
    }
    with_sibling = set(county.children_with_a_sibling)
    children_by_agency: dict[int, list[int]] = defaultdict(list)
    for child, agency_ids in county.agencies_by_person.items():
        if child in household_of:
            for agency_id in agency_ids:
                children_by_agency[agency_id].append(child)
    if not children_by_agency:
        raise ValueError("the county has no household with children an agency knows")
    password = password or secrets.token_urlsafe(24)
    hashed = make_password(password)  # one hash for every account: a load test, not a login test
    taken_prompts: set[int] = set()
    work: list[dict[str, Any]] = []
    for index, agency in enumerate(_agencies_in_turn(children_by_agency, accounts)):
        known = sorted(children_by_agency[agency.pk])
        people = Person.objects.in_bulk(rng.sample(known, min(len(known), per_account * 2)))
        shown = [p for p in people.values() if not p.sealed and p.date_of_birth and p.family_name]
        shown = sorted(shown, key=lambda p: p.pk)[:per_account]
        household_ids = sorted({household_of[p.pk] for p in shown})
        households = Household.objects.in_bulk(household_ids)
        siblings = [p for p in shown if p.pk in with_sibling] or shown
        prompts = list(
            PromptRecipient.objects.filter(
                agency=agency, prompt__status=Prompt.Status.OPEN, prompt__person__sealed=False
            )
            .exclude(prompt_id__in=taken_prompts)
            .select_related("prompt__person")
            .order_by("prompt_id")[:per_account]
        )
        taken_prompts.update(recipient.prompt_id for recipient in prompts)
        user = User.objects.create(
            username=f"load.{index:03d}.{agency.code}".lower()[:150],
            password=hashed,
            agency=agency,
            role=_role_for(agency),
            first_name="Load",
            last_name=f"Test {index}",
        )
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        work.append(
            {
                "username": user.username,
                "password": password,
                "totp_key": device.key,
                "agency": agency.code,
                "agency_type": agency.agency_type,
                "role": user.role,
                "households": [{"id": h.pk, "heading": str(h)} for h in households.values()],
                "people": [
                    {
                        "id": p.pk,
                        "name": _name(p),
                        "search": f"{p.family_name.split()[0]} {p.date_of_birth:%d/%m/%Y}",
                    }
                    for p in shown
                ],
                "concern_people": [{"id": p.pk, "name": _name(p)} for p in siblings],
                "prompts": [{"id": r.prompt_id, "name": _name(r.prompt.person)} for r in prompts],
            }
        )
    return {
        "today": today.isoformat(),
        "concern_categories": list(Event.Category.values),
        "accounts": work,
    }


def step_work_write(work: dict[str, Any], accounts: slice, path: Path) -> Path:
    """Write the work list of one step: the same, with only the accounts in ``accounts``.

    Each step signs in accounts no earlier step used, so no code is used twice
    (django-otp refuses a code already accepted for an account).
    """
    chosen = work["accounts"][accounts]
    path.write_text(json.dumps(work | {"accounts": chosen}), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# 2. The server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _production_environment(database_url: str) -> dict[str, str]:
    """The process environment of production, with a key made for the run; nothing weakened.

    ``THINKFAMILY_BEHIND_TLS_PROXY`` is production's own setting for running behind a
    proxy that ends TLS; the load test's client plays that proxy's part.
    """
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "THINKFAMILY_REQUIRE_TWO_FACTOR"} and not key.startswith("DJANGO_")
    }
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "thinkfamily.settings",
        "THINKFAMILY_ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "THINKFAMILY_BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "60",
    }


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    request = urllib.request.Request(f"{url}/sign-in/", headers={"X-Forwarded-Proto": "https"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ended at start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within a minute:\n{log.read_text()[-3000:]}")


@contextmanager
def gunicorn_serving(*, database_url: str, workers: int, log: Path) -> Iterator[str]:
    """gunicorn (sync workers) on 127.0.0.1 at a free port, with production's settings;
    yields its URL, and stops it (SIGTERM: the workers finish their requests) afterwards.
    Its own messages and any error Django logs go to ``log``."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "thinkfamily.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--timeout", "120", "--graceful-timeout", "30", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=_production_environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------
# 3. Locust


@dataclass(frozen=True)
class RequestFigures:
    """One kind of request (or all, ``name`` "Aggregated") in one step; times in ms.

    Locust keeps response times rounded (to 10 ms from 100 ms, to 100 ms from
    1 s), so its percentiles are that coarse.
    """

    name: str
    requests: int
    failures: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class LoadStep:
    """One locust run at a number of users: overall, per kind, and what went wrong."""

    users: int
    run_time_s: int
    overall: RequestFigures
    after_sign_in: RequestFigures
    kinds: list[RequestFigures]
    failures: list[str]
    exceptions: list[str]
    exception_count: int

    @property
    def errors(self) -> int:
        """Failed requests, and errors in the simulated users' own code (none expected)."""
        return self.overall.failures + self.exception_count

    @property
    def error_rate(self) -> float:
        return self.errors / self.overall.requests if self.overall.requests else 1.0

    def requests_of(self, name: str) -> int:
        return sum(kind.requests for kind in self.kinds if kind.name == name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadStep:
        return cls(
            users=data["users"],
            run_time_s=data["run_time_s"],
            overall=RequestFigures(**data["overall"]),
            after_sign_in=RequestFigures(**data["after_sign_in"]),
            kinds=[RequestFigures(**kind) for kind in data["kinds"]],
            failures=list(data["failures"]),
            exceptions=list(data["exceptions"]),
            exception_count=data["exception_count"],
        )


def locust_run(
    *,
    host: str,
    work: Path,
    users: int,
    run_time_s: int,
    out: Path,
    spawn_rate: float | None = None,
    think_time: tuple[float, float] | None = None,
    every_task_first: bool = False,
) -> LoadStep:
    """Run the locustfile headless against ``host`` for ``run_time_s`` seconds at ``users``
    users (started ``spawn_rate`` a second: by default all within about two seconds), each
    signing in with the next account of ``work`` and pausing ``think_time`` seconds (at least,
    at most) between tasks, 0.5 to 1.5 by default, and, when ``every_task_first``, doing
    each task once straight after signing in; its figures, also kept as JSON under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / f"users-{users}.json"
    results.unlink(missing_ok=True)
    rate = spawn_rate or max(1.0, users / 2)
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", host, "--users", str(users), "--spawn-rate", str(rate),
        "--run-time", f"{run_time_s}s", "--stop-timeout", "15",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    environment = os.environ | {WORK_ENVIRONMENT: str(work), RESULTS_ENVIRONMENT: str(results)}
    if think_time:
        environment["THINKFAMILY_LOAD_THINK_TIME"] = f"{think_time[0]},{think_time[1]}"
    if every_task_first:
        environment["THINKFAMILY_LOAD_EVERY_TASK_FIRST"] = "1"
    finished = subprocess.run(
        command,
        env=environment,
        cwd=out,
        capture_output=True,
        text=True,
        timeout=run_time_s + 180,
        check=False,
    )
    if not results.exists():
        raise RuntimeError(f"locust wrote no figures:\n{finished.stderr[-3000:]}")
    figures = json.loads(results.read_text(encoding="utf-8"))
    return LoadStep(
        users=users,
        run_time_s=run_time_s,
        overall=RequestFigures(**figures["overall"]),
        after_sign_in=RequestFigures(**figures["after_sign_in"]),
        kinds=[RequestFigures(**kind) for kind in figures["kinds"]],
        failures=figures["failures"],
        exceptions=figures["exceptions"],
        exception_count=figures["exception_count"],
    )


def held_step(
    steps: Sequence[LoadStep], limit_ms: float = P95_LIMIT_MS, *, after_sign_in: bool = False
) -> LoadStep | None:
    """The step with the most users whose overall p95 stayed under ``limit_ms`` (or the p95
    of the requests after signing in, when ``after_sign_in``)."""
    held = [
        step
        for step in steps
        if (step.after_sign_in if after_sign_in else step.overall).p95_ms < limit_ms
    ]
    return max(held, key=lambda step: step.users) if held else None
