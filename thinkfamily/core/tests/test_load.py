"""The load test in its short form: the locustfile against gunicorn on this test's database.

The same pieces as ``thinkfamily bench load`` (``thinkfamily.core.benchmarks_load``)
on a small county: staff accounts prepared here, gunicorn on 127.0.0.1 in
production's settings, locust headless for a bounded time with a few users
who pause less than the benchmark's. What is asserted is that nothing went
wrong — no failed request (every response is checked for its status and a
piece of its page), no error in the simulated users — that every kind of
request ran, and that what the server says it recorded is in the database.
Never how fast: the figures belong in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from thinkfamily.core.benchmarks_load import (
    LoadStep,
    RequestFigures,
    gunicorn_serving,
    held_step,
    load_work_prepare,
    locust_run,
    step_work_write,
)
from thinkfamily.core.databases import database_url_of
from thinkfamily.core.loadtest import checks as kinds
from thinkfamily.events.models import Event
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.synth import generate_county
from thinkfamily.prompts.models import Prompt

USERS = 3
RUN_TIME_S = 20
#: A practitioner's every task, and the requests it makes (signing in is counted apart).
TASKS = {
    "search": [kinds.SEARCH],
    "person page": [kinds.PERSON],
    "family page": [kinds.FAMILY],
    "record a concern": [kinds.CONCERN_FORM, kinds.CONCERN_POST, kinds.CONCERN_DONE],
    "answer a prompt": [kinds.PROMPT, kinds.PROMPT_POST, kinds.PROMPT_DONE],
}


@pytest.fixture
def work(tmp_path: Path) -> dict[str, Any]:
    """A county of 600 people taken today (so its recent concerns have raised prompts),
    imported, and a work list of an account per simulated user."""
    county = tmp_path / "county"
    generate_county(people=600, seed=3, out_dir=county, extract_date=timezone.localdate())
    assert extract_import(path=county).run.status == "succeeded"
    prepared = load_work_prepare(accounts=USERS, seed=1, per_account=20)
    assert sum(len(account["prompts"]) for account in prepared["accounts"]) >= USERS
    assert any(account["prompts"] for account in prepared["accounts"])
    return prepared


# The server is another process: it sees only what this test has committed.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_practitioners_under_load_get_every_page_right_and_every_write_is_kept(
    work: dict[str, Any], tmp_path: Path
) -> None:
    url = database_url_of(connection.settings_dict)
    connection.close()  # the server writes; this process holds no lock meanwhile
    step_work = step_work_write(work, slice(0, USERS), tmp_path / "work.json")

    with gunicorn_serving(database_url=url, workers=2, log=tmp_path / "gunicorn.log") as host:
        step = locust_run(
            host=host,
            work=step_work,
            users=USERS,
            run_time_s=RUN_TIME_S,
            out=tmp_path / "locust",
            think_time=(0.1, 0.3),
            every_task_first=True,
        )

    server_log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert step.errors == 0, "\n".join([*step.failures, *step.exceptions, server_log[-3000:]])
    for name in kinds.SIGNING_IN:
        assert step.requests_of(name) == USERS, name
    # Each user did each task once first, whatever this machine's speed; answering a prompt
    # once it had one, else opening its worklist.
    with_prompts = sum(1 for account in work["accounts"] if account["prompts"])
    for task, names in TASKS.items():
        at_least = with_prompts if task == "answer a prompt" else USERS
        for name in names:
            assert step.requests_of(name) >= at_least, f"{task}: {name} fewer than expected"
    assert step.requests_of(kinds.WORKLIST) >= USERS - with_prompts
    assert step.requests_of(kinds.SEARCH) >= 10
    assert step.overall.requests == sum(kind.requests for kind in step.kinds)
    signing_in = sum(step.requests_of(name) for name in kinds.SIGNING_IN)
    assert step.after_sign_in.requests == step.overall.requests - signing_in
    # What the server answered it had recorded is in the database, once each.
    concerns = Event.objects.filter(summary__startswith="Load test:")
    assert concerns.count() == step.requests_of(kinds.CONCERN_POST)
    answered = Prompt.objects.filter(note__startswith="Load test:", status=Prompt.Status.ANSWERED)
    assert answered.count() == step.requests_of(kinds.PROMPT_POST)


# The pieces, without a server


def test_a_page_is_recognised_by_its_heading_not_by_its_title() -> None:
    page = (
        "<title>Ann O'Neill</title><h1 class='govuk-heading-l'>Sign in to Think Family</h1>"
        '<h1 class="govuk-heading-l">\n  Consider Ann   O&#x27;Neill\n</h1>'
    )

    assert kinds.heading_names(page, "Ann O'Neill")
    assert kinds.heading_names(page, "Sign in to Think Family")
    assert not kinds.heading_names("<title>Ann O'Neill</title><h1>Sign in</h1>", "Ann O'Neill")


def test_the_form_token_and_the_error_messages_are_read_from_the_page() -> None:
    page = (
        '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123">'
        '<p class="govuk-error-message">Enter a note\n explaining your answer</p></form>'
    )

    assert kinds.csrf_token(page) == "abc123"
    assert kinds.csrf_token("<p>No form here</p>") is None
    assert kinds.error_messages(page) == ["Enter a note explaining your answer"]


def _step(users: int, p95_ms: float) -> LoadStep:
    overall = RequestFigures("Aggregated", 100, 0, users * 1.5, 10.0, p95_ms, p95_ms, p95_ms)
    working = RequestFigures("after sign-in", 90, 0, users * 1.4, 10.0, p95_ms / 2, p95_ms, p95_ms)
    return LoadStep(users, 60, overall, working, [overall], [], [], 0)


def test_the_throughput_held_is_the_busiest_step_with_p95_under_the_limit() -> None:
    steps = [_step(2, 40), _step(4, 90), _step(8, 310), _step(16, 280)]

    assert held_step(steps) == steps[3]
    assert held_step(steps[:3]) == steps[1]
    assert held_step([_step(2, 300)]) is None
    assert held_step(steps, after_sign_in=True) == steps[3]
    assert held_step([_step(2, 300), _step(4, 590)], after_sign_in=True).users == 4
    assert LoadStep.from_dict(steps[0].to_dict()) == steps[0]


def test_bench_load_needs_a_postgresql_server_and_numbers_of_users() -> None:
    with pytest.raises(CommandError, match="--postgres"):
        call_command("bench", "load", "--people", "10")
    with pytest.raises(CommandError, match="--users"):
        call_command("bench", "load", "--users", "2,many", "--postgres", "postgres://x/y")
