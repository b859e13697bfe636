"""``thinkfamily link``: relink every agency record into people."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thinkfamily.core.progress import TerminalProgress
from thinkfamily.linkage import LinkageError
from thinkfamily.linkage.pipeline import ENGINES
from thinkfamily.matching.services import records_link
from thinkfamily.matching.services.linking import linkage_model_path
from thinkfamily.prompts.services import prompts_reconcile


class Command(BaseCommand):
    help = (
        "Relink every agency record into people: shared NHS numbers and UPNs, then the "
        "trained model, never joining records an agency relates or a reviewer rejected. "
        "Uncertain pairs go to clerical review. One transaction: if it stops part-way "
        "nothing has changed, and running it again finishes the work (a model trained "
        "before the stop is kept and reused)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retrain",
            action="store_true",
            help="learn the model afresh from the records and reviewers' decisions",
        )
        parser.add_argument(
            "--engine", choices=ENGINES, default="duckdb", help="where pairs are scored"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: object, **options: object) -> None:
        progress = TerminalProgress(enabled=not options["no_progress"])
        try:
            # One transaction: a relink stopped part-way (killed, or failing) leaves the people
            # as they were, and the prompts it raises exist exactly when its links do.
            with transaction.atomic():
                result = records_link(
                    retrain=bool(options["retrain"]),
                    engine=str(options["engine"]),
                    progress=progress,
                )
                prompts = prompts_reconcile(actor_label="system: link")
        except LinkageError as error:
            raise CommandError(str(error)) from error
        finally:
            progress.close()
        model = (
            f"trained and saved to {linkage_model_path()}"
            if result.model_trained
            else f"loaded from {linkage_model_path()}"
            if result.method == "identifiers and model"
            else "none yet (too few records to learn from): linked by identifiers only"
        )
        lines = [
            f"Linked by {result.method}. Model: {model}.",
            f"{'people created':>28}: {result.people_created:,}",
            f"{'people updated':>28}: {result.people_updated:,}",
            f"{'people merged':>28}: {result.people_merged:,}",
            f"{'people removed':>28}: {result.people_removed:,}",
            f"{'records moved':>28}: {result.records_relinked:,}",
            f"{'pairs waiting for review':>28}: {result.review_pairs:,}",
            f"{'identifier conflicts':>28}: {len(result.conflicts):,}",
            f"{'sibling prompts raised':>28}: {prompts.sibling_prompts_created:,}",
        ]
        if result.seconds:
            stages = ", ".join(
                f"{name} {seconds:.1f} s" for name, seconds in result.seconds.items()
            )
            lines.append(f"{'linkage stages':>28}: {stages}")
        self.stdout.write("\n".join(lines))
