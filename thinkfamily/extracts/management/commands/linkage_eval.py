"""``thinkfamily linkage-eval DATASET [--json] [--compare] [--threshold P]``: measure linkage.

DATASET is ``febrl3``, ``febrl4`` or a synthetic extract folder with ``truth.csv``. Runs
Think Family's linkage on it and, with ``--compare``, plain Splink and recordlinkage's ECM
after it in the same process; prints a table, or one JSON document with ``--json``.
"""

from __future__ import annotations

import warnings

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.linkage.baselines import plain_splink, recordlinkage_ecm
from thinkfamily.linkage.datasets import load_dataset
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.evaluation import (
    Evaluation,
    evaluate,
    evaluations_json,
    evaluations_table,
    think_family_linkage,
)


class Command(BaseCommand):
    # Linkage evaluation touches neither the database nor the site: no system checks.
    requires_system_checks: list[str] = []
    help = (
        "Measure record linkage against the truth on febrl3, febrl4 or a synthetic extract "
        "folder: precision, recall, wrongly merged people, time and memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dataset", help="febrl3, febrl4, or a folder written by `thinkfamily synth`"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument(
            "--compare",
            action="store_true",
            help="also run plain Splink and recordlinkage's ECM, in the same process",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=0.5,
            help="match probability at which scored pairs count as matches (default 0.5)",
        )

    def handle(self, *args: object, **options: object) -> None:
        threshold: float = options["threshold"]  # type: ignore[assignment]
        if not 0.0 < threshold <= 1.0:
            raise CommandError("--threshold is a probability above 0 and at most 1")
        try:
            dataset = load_dataset(str(options["dataset"]))
        except LinkageError as error:
            raise CommandError(str(error)) from error

        runs = [("thinkfamily", think_family_linkage)]
        if options["compare"]:
            runs += [("splink", plain_splink), ("recordlinkage-ecm", recordlinkage_ecm)]

        evaluations: list[Evaluation] = []
        for method, run in runs:
            if not options["json"]:
                self.stderr.write(f"Linking {dataset.name} with {method}…")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)
                    evaluations.append(evaluate(dataset, method, run, threshold=threshold))
            except ImportError as error:
                # Think Family's pipeline is being written; the baselines can be measured now.
                if method != "thinkfamily" or not options["compare"]:
                    raise CommandError(f"{method} cannot run: {error}") from error
                self.stderr.write(f"  skipped: {method} cannot run yet ({error})")
            except LinkageError as error:
                raise CommandError(f"{method}: {error}") from error

        if options["json"]:
            self.stdout.write(evaluations_json(evaluations))
        else:
            self.stdout.write(evaluations_table(evaluations))
