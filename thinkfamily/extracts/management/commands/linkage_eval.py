"""``thinkfamily linkage-eval DATASET [--json] [--compare] [--threshold P]``: measure linkage.

DATASET is ``febrl3``, ``febrl4`` or a synthetic extract folder with ``truth.csv``. Runs
Think Family's linkage on it and, with ``--compare``, plain Splink and recordlinkage's ECM
after it in the same process; prints a table, or one JSON document with ``--json``.
"""

from __future__ import annotations

import json
import warnings

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.linkage.baselines import plain_splink, recordlinkage_ecm
from thinkfamily.linkage.datasets import Dataset, load_dataset
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.evaluation import (
    Evaluation,
    evaluate,
    evaluations_json,
    evaluations_table,
    think_family_linkage,
)
from thinkfamily.linkage.latency import Latency


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
            "--latency",
            type=int,
            metavar="N",
            default=0,
            help="also time matching N held-back records one at a time against the rest",
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

        latency = self._latency(dataset, int(options["latency"]))  # type: ignore[call-overload]
        if options["json"]:
            document = json.loads(evaluations_json(evaluations))
            if latency is not None:
                document["matching_latency"] = latency.to_dict()
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self.stdout.write(evaluations_table(evaluations))
            if latency is not None:
                self.stdout.write(
                    f"matching one record against {latency.linked:,} linked records: "
                    f"median {latency.median_ms} ms, p95 {latency.p95_ms} ms, "
                    f"max {latency.max_ms} ms ({latency.samples} records; "
                    f"matcher loaded in {latency.load_seconds} s)"
                )

    def _latency(self, dataset: Dataset, samples: int) -> Latency | None:
        """Train on the data set, then time matching held-back records one at a time."""
        if samples <= 0:
            return None
        from thinkfamily.linkage.latency import matching_latency

        model = think_family_linkage(dataset).model
        return matching_latency(dataset, model=model, samples=samples)
