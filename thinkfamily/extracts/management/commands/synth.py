"""``thinkfamily synth --people N --seed S --out DIR``: write a synthetic county's extract."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from thinkfamily.extracts.synth import (
    DEFAULT_DUPLICATE_RATE,
    DEFAULT_EXTRACT_DATE,
    generate_county,
)


class Command(BaseCommand):
    help = (
        "Write a synthetic county: an agency extract (records.csv, relationships.csv, "
        "events.csv) of made-up people, and truth.csv naming the person behind every record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people", type=int, default=2000, help="true people in the county (default 2000)"
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="the same seed writes the same files (default 1)"
        )
        parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
        parser.add_argument(
            "--duplicate-rate",
            type=float,
            default=DEFAULT_DUPLICATE_RATE,
            help="chance a record is kept twice in one agency, as a parallel record "
            f"(default {DEFAULT_DUPLICATE_RATE})",
        )
        parser.add_argument(
            "--extract-date",
            type=dt.date.fromisoformat,
            default=DEFAULT_EXTRACT_DATE,
            help="the day the extract was taken, YYYY-MM-DD: the newest events fall just before "
            f"it (default {DEFAULT_EXTRACT_DATE}; the demo uses today, so its concerns are recent)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: object, **options: object) -> None:
        people: int = options["people"]  # type: ignore[assignment]
        out: Path = options["out"]  # type: ignore[assignment]
        show_progress = not options["no_progress"] and options["verbosity"] != 0
        with tqdm(total=people, unit=" people", unit_scale=True, disable=not show_progress) as bar:
            try:
                summary = generate_county(
                    people=people,
                    seed=options["seed"],  # type: ignore[arg-type]
                    out_dir=out,
                    duplicate_rate=options["duplicate_rate"],  # type: ignore[arg-type]
                    extract_date=options["extract_date"],  # type: ignore[arg-type]
                    progress=lambda done: bar.update(done - bar.n),
                )
            except ValueError as error:
                raise CommandError(str(error)) from error

        self.stdout.write(f"Wrote a county of {summary.people:,} people to {out}:")
        for label, value in (
            ("households", summary.households),
            ("records", summary.records),
            ("parallel records", summary.parallel_records),
            ("relationships", summary.relationships),
            ("events", summary.events),
            ("people known to no agency", summary.people_with_no_records),
        ):
            self.stdout.write(f"{label:>26}: {value:,}")
        self.stdout.write(f"{'records per person':>26}: {summary.records / summary.people:.2f}")
