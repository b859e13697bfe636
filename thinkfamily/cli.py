"""The ``thinkfamily`` command: Django's management commands under one name.

``thinkfamily migrate``, ``thinkfamily import PATH``, ``thinkfamily synth …``.
A few commands have friendlier names than the Python modules behind them
(``import`` is a Python keyword, so its module is ``import_extract``).
"""

import os
import sys

ALIASES = {
    "import": "import_extract",
    "linkage-eval": "linkage_eval",
    "annex-a": "annex_a",
    "ingest-review": "ingest_review",
    "demo-code": "demo_code",
    "api-token": "api_token",
    "api-schema": "api_schema",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "thinkfamily"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
