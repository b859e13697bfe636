"""The API benchmark's measuring code on a tiny county: the figures it returns, not speed.

Timings belong in ``thinkfamily bench api`` and ``docs/benchmarks.md``; these
tests check that every series is measured through the API and has the right
shape, and that the command's report is written.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from thinkfamily.api.benchmarks import ApiBenchResult, api_bench_measure
from thinkfamily.core.benchmarks_family import Timings
from thinkfamily.core.management.commands import bench
from thinkfamily.events.models import Event
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.synth import generate_county
from thinkfamily.people.models import AgencyRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    generate_county(people=300, seed=3, out_dir=folder)
    assert extract_import(path=folder).run.status == "succeeded"


def positive_and_ordered(timings: Timings) -> bool:
    return 0 < timings.p50_ms <= timings.p95_ms <= timings.max_ms


def test_api_bench_pushes_batches_records_and_events_through_the_api(county: None) -> None:
    result = api_bench_measure(batches=2, batch_size=20, samples=3, warmup=1, transport="client")

    assert result.agency_records_before > result.people_before > 0
    assert len(result.batch_seconds) == result.batch.samples == 2
    assert all(rate > 0 for rate in result.records_per_second)
    for timings in (result.batch, result.record, result.concern, result.attendance):
        assert positive_and_ordered(timings)
    assert result.record.samples == result.concern.samples == result.attendance.samples == 3
    assert result.trivial.samples == 9
    # Three batches of 20 (one the warm-up) and four single records, each a new record.
    pushed = AgencyRecord.objects.filter(agency__code=result.agency, record_id__startswith="BENCH-")
    assert pushed.count() == 3 * 20 + 4
    assert (
        Event.objects.filter(agency__code=result.agency, external_id__startswith="BENCH-").count()
        == 2 * 4
    )
    assert result.agency.startswith("GP-"), "the county's busiest GP practice pushes"
    assert ApiBenchResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


@pytest.mark.django_db(transaction=True)
def test_api_bench_over_http_on_a_real_server(county: None) -> None:
    """The command's own transport: Django's WSGI server on 127.0.0.1 in a thread.

    The server thread has its own database connection, so the county must be
    committed for it to see (a transactional test).
    """
    result = api_bench_measure(batches=1, batch_size=5, samples=1, warmup=0)

    assert result.transport == "http" and result.batch.samples == 1
    pushed = AgencyRecord.objects.filter(agency__code=result.agency, record_id__startswith="BENCH-")
    assert pushed.count() == 2 * 5 + 1


def test_bench_api_write_appends_a_section_and_keeps_what_was_there(
    county: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "benchmarks.md"
    results.write_text("# Benchmarks\n\nEarlier figures.\n", encoding="utf-8")
    monkeypatch.setattr(bench, "RESULTS", results)
    figures = api_bench_measure(batches=1, batch_size=10, samples=2, warmup=0, transport="client")
    steps = [bench.Measurement("import", "PostgreSQL", 1.5, 300.0)]

    bench.Command(stdout=StringIO())._api_report(
        300, 3, 480, "reused from var/county-300-3", steps, figures, write=True
    )

    text = results.read_text(encoding="utf-8")
    assert text.startswith(
        "# Benchmarks\n\nEarlier figures.\n\n## JSON API pushes on a county of 300"
    )
    assert "cores (" in text and "GiB" in text and "| import | 1.5 | 300 |" in text
    assert "records per second" in text and "`POST /api/v1/events`" in text
