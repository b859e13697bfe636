"""``thinkfamily api-schema [--check]``: write the API's OpenAPI document to docs/openapi.json.

The checked-in document is the contract agency systems build against; a test
fails when the served document differs from it, so a change to the API is a
change to this file in the same commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.api.api import api

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_text() -> str:
    """The OpenAPI document as it is checked in: indented, keys in Ninja's order."""
    return json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the API's OpenAPI document to docs/openapi.json (or --check it is current)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = openapi_text()
        if options["check"]:
            if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
                raise CommandError(f"{SCHEMA_PATH} is stale: run `thinkfamily api-schema`.")
            self.stdout.write(f"{SCHEMA_PATH} is current.")
            return
        SCHEMA_PATH.write_text(text)
        self.stdout.write(f"Wrote {SCHEMA_PATH}.")
