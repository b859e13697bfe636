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
from django.db import connection
from django.utils import timezone

from thinkfamily.core.benchmarks_load import (
    database_url_of,
    gunicorn_serving,
    load_work_prepare,
    locust_run,
    step_work_write,
)
from thinkfamily.core.loadtest import checks as kinds
from thinkfamily.events.models import Event
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.synth import generate_county
from thinkfamily.prompts.models import Prompt

# The server is another process: it sees only what this test has committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

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
SIGN_IN = [
    kinds.SIGN_IN_PAGE,
    kinds.SIGN_IN_PASSWORD,
    kinds.SIGN_IN_CODE_PAGE,
    kinds.SIGN_IN_CODE,
    kinds.START_PAGE,
]


@pytest.fixture
def work(tmp_path: Path) -> dict[str, Any]:
    """A county of 600 people taken today (so its recent concerns have raised prompts),
    imported, and a work list of an account per simulated user."""
    county = tmp_path / "county"
    generate_county(people=600, seed=3, out_dir=county, extract_date=timezone.localdate())
    assert extract_import(path=county).run.status == "succeeded"
    prepared = load_work_prepare(accounts=USERS, seed=1, per_account=20)
    assert sum(len(account["prompts"]) for account in prepared["accounts"]) >= USERS
    return prepared


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
        )

    server_log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert step.errors == 0, "\n".join([*step.failures, *step.exceptions, server_log[-3000:]])
    for name in SIGN_IN:
        assert step.requests_of(name) == USERS, name
    for task, names in TASKS.items():
        for name in names:
            assert step.requests_of(name) >= 1, f"{task}: no {name}"
    assert step.requests_of(kinds.SEARCH) >= 10
    assert step.overall.requests == sum(kind.requests for kind in step.kinds)
    # What the server answered it had recorded is in the database, once each.
    concerns = Event.objects.filter(summary__startswith="Load test:")
    assert concerns.count() == step.requests_of(kinds.CONCERN_POST)
    answered = Prompt.objects.filter(note__startswith="Load test:", status=Prompt.Status.ANSWERED)
    assert answered.count() == step.requests_of(kinds.PROMPT_POST)
