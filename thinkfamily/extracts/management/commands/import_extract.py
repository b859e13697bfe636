"""``thinkfamily import PATH``: import an agency extract, whole or not at all."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.progress import TerminalProgress
from thinkfamily.extracts.services import extract_import

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import an agency extract (a folder of records.csv, relationships.csv, events.csv). "
        "With any bad row nothing is written, unless --rejects FILE is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the extract folder")
        parser.add_argument(
            "--rejects",
            type=Path,
            metavar="FILE",
            help="write good rows and list bad rows in this CSV file instead of refusing",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: object, **options: object) -> None:
        progress = TerminalProgress(enabled=not options["no_progress"])
        try:
            result = extract_import(
                path=options["path"],  # type: ignore[arg-type]
                rejects_path=options["rejects"],  # type: ignore[arg-type]
                progress=progress,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            progress.close()

        for error in result.errors[:ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if len(result.errors) > ERRORS_SHOWN:
            self.stderr.write(f"… and {len(result.errors) - ERRORS_SHOWN} more.")
        if not result.written:
            raise CommandError(
                f"{len(result.errors)} bad row(s): nothing was imported. Correct them, or use "
                "--rejects FILE to import the good rows and list the bad ones."
            )
        for name, value in result.counts.items():
            self.stdout.write(f"{name.replace('_', ' '):>24}: {value:,}")
        if result.errors:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.errors)} bad row(s) were not imported; see {options['rejects']}."
                )
            )
        self.stdout.write(self.style.SUCCESS(f"Import {result.run.pk} {result.run.status}."))
