"""Practitioners of different agencies using Think Family, for locust.

Each simulated user is a staff account of its own, read from the work list
that ``thinkfamily bench load`` (or the load test in CI) prepared: the JSON
file named by ``THINKFAMILY_LOAD_WORK`` (``thinkfamily.core.benchmarks_load``
writes it). The user signs in through the real pages — username and
password, then the code its authenticator would show now, computed from the
account's TOTP key — and then, with a short pause between tasks, opens the
families, people and prompts of its own agency:

====================  ======  =======================================================
task                  weight  requests
====================  ======  =======================================================
search                4       ``GET /?q=<family name> <date of birth>``
person page           3       ``GET /people/<id>/``
family page           3       ``GET /households/<id>/``
record a concern      1       the form, ``POST`` it (CSRF), the person page it returns to
answer a prompt       1       the prompt, ``POST`` the answer (CSRF), the worklist;
                              the worklist alone once the user's prompts are answered
====================  ======  =======================================================

Every response is checked for its status and for a piece of the page it
must be (the person's name in the heading, the household's address, the
success message), so a wrong page counts as a failure, not as a fast answer.

The server is reached on 127.0.0.1 as it would be behind the TLS proxy that
fronts it in production: every request carries ``X-Forwarded-Proto: https``
(the server runs with ``THINKFAMILY_BEHIND_TLS_PROXY``), forms carry the
``Origin`` a browser sends, and the client returns the session's secure
cookies over that hop, as the browser does over HTTPS to the proxy.

This file imports nothing of the web application (``checks`` is plain Python):
locust loads it in its own process, with gevent, and talks to the server only
over HTTP.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlencode

from django_otp.oath import totp
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser
from locust.stats import StatsEntry

from thinkfamily.core.loadtest.checks import (
    AFTER_SIGN_IN,
    CONCERN_DONE,
    CONCERN_FORM,
    CONCERN_POST,
    FAMILY,
    PERSON,
    PROMPT,
    PROMPT_DONE,
    PROMPT_POST,
    SEARCH,
    SIGN_IN_CODE,
    SIGN_IN_CODE_PAGE,
    SIGN_IN_PAGE,
    SIGN_IN_PASSWORD,
    SIGNING_IN,
    START_PAGE,
    WORKLIST,
    csrf_token,
    error_messages,
    heading_names,
)

#: The JSON work list (``thinkfamily.core.benchmarks_load.load_work_prepare``): one account
#: per simulated user, each with the households, people and prompts it works on.
WORK_ENVIRONMENT = "THINKFAMILY_LOAD_WORK"
#: Seconds a practitioner pauses between tasks, at least and at most: a short pause, so a
#: few simulated users stand for many real ones, who read each page for much longer.
#: ``THINKFAMILY_LOAD_THINK_TIME=MIN,MAX`` changes it (the CI test pauses less).
THINK_TIME = tuple(
    float(seconds)
    for seconds in os.environ.get("THINKFAMILY_LOAD_THINK_TIME", "0.5,1.5").split(",")
)
#: Where to write the run's figures when it ends (JSON), for ``benchmarks_load.locust_run``.
RESULTS_ENVIRONMENT = "THINKFAMILY_LOAD_RESULTS"
#: When set, each user does each task once straight after signing in, so a short run on
#: a slow machine still does every kind (the CI test sets it; the benchmark does not).
EVERY_TASK_FIRST_ENVIRONMENT = "THINKFAMILY_LOAD_EVERY_TASK_FIRST"
#: What the TLS proxy in front of the server adds to every request it passes on.
_PROXIED = {"X-Forwarded-Proto": "https"}


def _load_work() -> dict[str, Any]:
    path = os.environ.get(WORK_ENVIRONMENT)
    if not path:
        raise RuntimeError(f"{WORK_ENVIRONMENT} must name the work list (a JSON file)")
    with open(path, encoding="utf-8") as handle:
        work: dict[str, Any] = json.load(handle)
    return work


#: ``today`` (the date a concern is recorded for), ``concern_categories`` and ``accounts``.
_WORK = _load_work()
_ACCOUNTS: list[dict[str, Any]] = _WORK["accounts"]
_NEXT_ACCOUNT = itertools.count()


_locust: dict[str, Any] = {}


@events.init.add_listener
def _remember_the_environment(environment: Any, **_: Any) -> None:
    _locust["environment"] = environment


@events.quit.add_listener
def _write_results(exit_code: int, **_: Any) -> None:
    """Write the figures of every kind of request, of all, and of all but signing in, the
    failures and the errors, once all users have
    stopped (locust's own CSV files are rewritten each second while it runs, so their last
    state can miss the last second's requests)."""
    path = os.environ.get(RESULTS_ENVIRONMENT)
    runner = getattr(_locust.get("environment"), "runner", None)
    if not path or runner is None:
        return
    stats = runner.stats

    def figures(entry: Any) -> dict[str, Any]:
        return {
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "per_second": entry.total_rps,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": entry.max_response_time,
        }

    working = StatsEntry(stats, AFTER_SIGN_IN, "")
    for entry in stats.entries.values():
        if entry.name not in SIGNING_IN:
            working.extend(entry)
    results = {
        "overall": figures(stats.total),
        "after_sign_in": figures(working),
        "kinds": [figures(entry) for entry in stats.entries.values() if entry.num_requests],
        "failures": [
            f"{error.occurrences} x {error.method} {error.name}: {error.error}"
            for error in stats.errors.values()
        ],
        "exceptions": [
            f"{exception['count']} x {exception['msg']}" for exception in runner.exceptions.values()
        ],
        "exception_count": sum(exception["count"] for exception in runner.exceptions.values()),
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


class _BehindTheProxy(DefaultCookiePolicy):
    """Return secure cookies to the server, as the browser returns them to the TLS proxy."""

    def __init__(self) -> None:
        super().__init__(secure_protocols=("https", "wss", "http"))


class Practitioner(FastHttpUser):
    """One member of staff of one agency, signed in for the whole run."""

    wait_time = between(*THINK_TIME)

    def on_start(self) -> None:
        try:
            self.account = _ACCOUNTS[next(_NEXT_ACCOUNT)]
        except IndexError:
            raise RuntimeError("more simulated users than accounts in the work list") from None
        self.rng = random.Random(self.account["username"])
        self.prompts: list[dict[str, Any]] = list(self.account["prompts"])
        self.origin = self.host.replace("http://", "https://", 1)
        self.client.cookiejar.set_policy(_BehindTheProxy())
        if not self._sign_in():
            raise StopUser()
        if os.environ.get(EVERY_TASK_FIRST_ENVIRONMENT):
            for first in (
                self.search,
                self.person_page,
                self.family_page,
                self.record_a_concern,
                self.answer_a_prompt,
            ):
                first()

    # -- signing in ----------------------------------------------------------

    def _sign_in(self) -> bool:
        token = self._form_token("/sign-in/", SIGN_IN_PAGE, "Sign in to Think Family")
        if token is None:
            return False
        password = {
            "csrfmiddlewaretoken": token,
            "username": self.account["username"],
            "password": self.account["password"],
        }
        code_page = self._post("/sign-in/", password, SIGN_IN_PASSWORD, "/sign-in/code/?next=%2F")
        if code_page is None:
            return False
        token = self._form_token(
            code_page, SIGN_IN_CODE_PAGE, "Enter the code from your authenticator"
        )
        if token is None:
            return False
        code = f"{totp(bytes.fromhex(self.account['totp_key'])):06d}"
        answer = {"csrfmiddlewaretoken": token, "code": code, "next": "/"}
        if self._post(code_page, answer, SIGN_IN_CODE, "/") is None:
            return False
        return self._get("/", START_PAGE, heading="Search for a person") is not None

    # -- the tasks -----------------------------------------------------------

    @task(4)
    def search(self) -> None:
        person = self.rng.choice(self.account["people"])
        self._get(
            "/",
            SEARCH,
            params={"q": person["search"]},
            contains=f'href="/people/{person["id"]}/"',
        )

    @task(3)
    def person_page(self) -> None:
        person = self.rng.choice(self.account["people"])
        self._get(f"/people/{person['id']}/", PERSON, heading=person["name"])

    @task(3)
    def family_page(self) -> None:
        household = self.rng.choice(self.account["households"])
        self._get(f"/households/{household['id']}/", FAMILY, heading=household["heading"])

    @task(1)
    def record_a_concern(self) -> None:
        person = self.rng.choice(self.account["concern_people"])
        path = f"/people/{person['id']}/concern/"
        token = self._form_token(path, CONCERN_FORM, "Record a concern")
        if token is None:
            return
        form = {
            "csrfmiddlewaretoken": token,
            "occurred_on": _WORK["today"],  # as the form offers it
            "category": self.rng.choice(_WORK["concern_categories"]),
            "summary": "Load test: seen at the school gate upset and hungry; spoke to mother.",
            "seen_in_person": self.rng.choice(["yes", "no"]),
            "restricted": "no",
        }
        back = f"/people/{person['id']}/"
        if self._post(path, form, CONCERN_POST, back) is not None:
            self._get(back, CONCERN_DONE, contains="Concern recorded")

    @task(1)
    def answer_a_prompt(self) -> None:
        if not self.prompts:
            self._get("/prompts/", WORKLIST, heading="Prompts for your agency")
            return
        prompt = self.prompts.pop()
        path = f"/prompts/{prompt['id']}/"
        token = self._form_token(path, PROMPT, prompt["name"])
        if token is None:
            return
        answer = {
            "csrfmiddlewaretoken": token,
            "response": "action_taken",
            "action_taken": "Load test: home visit booked with the family.",
            "note": "Load test: considered with the class teacher; visit to see the child.",
        }
        if self._post(path, answer, PROMPT_POST, "/prompts/") is not None:
            self._get("/prompts/", PROMPT_DONE, contains="Answered:")

    # -- checked requests ----------------------------------------------------

    def _get(
        self,
        path: str,
        name: str,
        *,
        heading: str | None = None,
        contains: str | None = None,
        params: dict[str, str] | None = None,
    ) -> str | None:
        """GET a page that must answer 200 and show ``heading`` in an ``<h1>`` or hold
        ``contains``; its text, or None after counting a failure."""
        url = f"{path}?{urlencode(params)}" if params else path
        with self.client.get(
            url, name=name, headers=_PROXIED, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for GET {path}, not 200")
                return None
            page = response.text
            if heading is not None and not heading_names(page, heading):
                response.failure(f"GET {path}: no heading {heading!r}")
                return None
            if contains is not None and contains not in page:
                response.failure(f"GET {path}: {contains!r} not on the page")
                return None
            response.success()
            return page

    def _form_token(self, path: str, name: str, heading: str) -> str | None:
        """GET a form page (checked by its heading); the CSRF token in its form."""
        page = self._get(path, name, heading=heading)
        if page is None:
            return None
        token = csrf_token(page)
        if token is None:
            # The page was right but had no form: a failure of the next request, named as such.
            events.request.fire(
                request_type="POST",
                name=name.replace("GET", "POST", 1),
                response_time=0,
                response_length=0,
                exception=AssertionError(f"GET {path} has no form to post"),
                context={},
            )
            return None
        return token

    def _post(self, path: str, data: dict[str, str], name: str, expect: str) -> str | None:
        """POST a form as a browser does; it must redirect to ``expect`` (its Location)."""
        headers = _PROXIED | {
            "Origin": self.origin,
            "Referer": f"{self.origin}{path}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        with self.client.post(
            path,
            data=urlencode(data),
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location") or ""
            if response.status_code != 302 or location != expect:
                errors = error_messages(response.text)
                response.failure(
                    f"{response.status_code} for POST {path} (to {location or 'nowhere'}), not a "
                    f"redirect to {expect}" + (f": {' '.join(errors)[:200]}" if errors else "")
                )
                return None
            response.success()
            return location
