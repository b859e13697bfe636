"""``thinkfamily ingest-review FILE``: draft a register entry from a published case review."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.learning.ingest import IngestError, ReviewDraft, draft_from_file
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES


class Command(BaseCommand):
    help = (
        "Read a published case review (plain text, HTML or PDF) and print the draft register "
        "entry: recommendations with their addressees, lessons, findings and themes. "
        "Nothing is saved; the draft is for a person to confirm."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, metavar="FILE", help="the review file")
        parser.add_argument(
            "--json", action="store_true", help="print the draft as JSON instead of a summary"
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["path"]
        assert isinstance(path, Path)
        try:
            draft = draft_from_file(path)
        except IngestError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(draft.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(summary_of(draft=draft))


def _addressee_labels(keys: tuple[str, ...]) -> str:
    if not keys:
        return "not stated: a person must say whom it addresses"
    return ", ".join(ADDRESSEES[key].label if key in ADDRESSEES else key for key in keys)


def summary_of(*, draft: ReviewDraft) -> str:
    """The draft as a person reads it at the terminal before confirming it."""
    lines = [f"Review: {draft.title or '(no title found)'}"]
    stated = draft.recommendation_count_stated
    count = f"{len(draft.recommendations)} recommendation(s) listed"
    if stated is not None:
        count += f"; the review says it made {stated}"
        if stated != len(draft.recommendations):
            count += " — check the difference"
    lines.append(count)
    lines.append(f"{len(draft.lessons)} lesson(s), {len(draft.findings)} finding(s)")
    lines.append("")
    lines.append("Recommendations")
    for recommendation in draft.recommendations:
        lines.append(f"  {recommendation.number}. " + recommendation.text.replace("\n", "\n     "))
        lines.append(f"     Addressed to: {_addressee_labels(recommendation.addressees)}")
    for heading, items in (("Lessons", draft.lessons), ("Findings", draft.findings)):
        lines.append("")
        lines.append(heading)
        lines.extend(f"  • {item}" for item in items)
        if not items:
            lines.append("  (none found)")
    lines.append("")
    themes = ", ".join(THEMES[key].label for key in draft.themes) or "(none found)"
    lines.append(f"Themes: {themes}")
    lines.append("")
    lines.append(
        "This is a draft: a person must check it against the review and confirm it "
        "before it enters the register."
    )
    return "\n".join(lines)
