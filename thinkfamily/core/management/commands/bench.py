"""``thinkfamily bench import``: time a synthetic county's generation and import.

Each step runs as a separate ``thinkfamily`` process so its wall time and
peak memory (maximum resident set size) are its own. Databases are created
fresh for the run: a temporary SQLite file, and a new PostgreSQL database
when ``--postgres URL`` names a server. Results are printed as Markdown rows
and, with ``--write``, appended to ``docs/benchmarks.md`` with the machine and
date. A benchmark, not a test: nothing here passes or fails on time.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

RESULTS = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Measurement:
    step: str
    database: str
    seconds: float
    peak_mib: float


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``thinkfamily ARGS`` to completion; return (wall seconds, peak MiB of that process)."""
    command = [sys.executable, "-m", "thinkfamily.cli", *args]
    started = time.perf_counter()
    # wait4 reports the rusage of exactly this child, so steps do not blur together.
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise CommandError(f"{' '.join(args)} failed")
    return seconds, usage.ru_maxrss / 1024


def _machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python {python}"


class Command(BaseCommand):
    help = "Benchmark: generate a synthetic county and import it into fresh databases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["import"], help="what to benchmark")
        parser.add_argument("--people", type=int, default=300_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--repeat", type=int, default=1, help="imports per database")
        parser.add_argument(
            "--postgres",
            metavar="URL",
            help="a PostgreSQL server URL (e.g. postgres://postgres@127.0.0.1:5432/postgres); "
            "a fresh database is created on it for the run",
        )
        parser.add_argument("--no-sqlite", action="store_true")
        parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")

    def handle(self, *args: object, **options: object) -> None:
        people, seed = int(options["people"]), int(options["seed"])  # type: ignore[call-overload]
        repeat = int(options["repeat"])  # type: ignore[call-overload]
        measurements: list[Measurement] = []
        with tempfile.TemporaryDirectory(prefix="thinkfamily-bench-") as work:
            county = Path(work) / "county"
            env = dict(os.environ)
            seconds, peak = _run(
                ["synth", "--people", str(people), "--seed", str(seed), "--out", str(county)], env
            )
            records = sum(1 for _ in (county / "records.csv").open()) - 1
            events = sum(1 for _ in (county / "events.csv").open()) - 1
            measurements.append(Measurement("synth", "-", seconds, peak))
            targets: list[tuple[str, str]] = []
            if not options["no_sqlite"]:
                targets.append(("SQLite", f"sqlite:///{work}/bench.sqlite3"))
            if options["postgres"]:
                targets.append(("PostgreSQL", str(options["postgres"])))
            for name, url in targets:
                measurements += self._import_into(name, url, county, repeat, env)
        self._report(people, seed, records, events, measurements, bool(options["write"]))

    def _import_into(
        self, name: str, url: str, county: Path, repeat: int, env: dict[str, str]
    ) -> list[Measurement]:
        results = []
        for attempt in range(repeat):
            database_url, drop = self._fresh_database(name, url, attempt)
            run_env = env | {"DATABASE_URL": database_url}
            try:
                _run(["migrate", "--verbosity", "0"], run_env)
                seconds, peak = _run(["import", str(county), "--no-progress"], run_env)
                results.append(Measurement("import", name, seconds, peak))
                seconds, peak = _run(["import", str(county), "--no-progress"], run_env)
                results.append(Measurement("re-import (no changes)", name, seconds, peak))
            finally:
                drop()
            self.stderr.write(f"{name} import {attempt + 1}/{repeat} done")
        return results

    def _fresh_database(self, name: str, url: str, attempt: int):  # type: ignore[no-untyped-def]
        if name == "SQLite":
            path = Path(url.removeprefix("sqlite:///"))
            path.unlink(missing_ok=True)
            return url, lambda: path.unlink(missing_ok=True)
        import psycopg

        database = f"thinkfamily_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')

        def drop() -> None:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}"')

        return url.rsplit("/", 1)[0] + f"/{database}", drop

    def _report(
        self,
        people: int,
        seed: int,
        records: int,
        events: int,
        measurements: list[Measurement],
        write: bool,
    ) -> None:
        lines = [
            f"### County of {people:,} people (seed {seed}): {records:,} records, "
            f"{events:,} events",
            "",
            f"{dt.date.today():%d %B %Y}, {_machine()}; each step a separate process.",
            "",
            "| step | database | runs | median wall (s) | peak memory (MiB) |",
            "|---|---|---|---|---|",
        ]
        groups: dict[tuple[str, str], list[Measurement]] = {}
        for measurement in measurements:
            groups.setdefault((measurement.step, measurement.database), []).append(measurement)
        for (step, database), runs in groups.items():
            median = statistics.median(m.seconds for m in runs)
            peak = max(m.peak_mib for m in runs)
            lines.append(f"| {step} | {database} | {len(runs)} | {median:.1f} | {peak:,.0f} |")
        text = "\n".join(lines) + "\n"
        self.stdout.write(text)
        if write:
            RESULTS.parent.mkdir(exist_ok=True)
            with RESULTS.open("a", encoding="utf-8") as handle:
                handle.write("\n" + text)
            self.stdout.write(f"Appended to {RESULTS}")
