# ruff: noqa: RUF001 - reviews' own typography (curly quotes, en dashes) is part of what is read.
"""``thinkfamily ingest-review FILE [--json]``."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REVIEWS = Path(__file__).parent / "reviews"


def test_json_prints_exactly_the_draft() -> None:
    out = StringIO()

    call_command("ingest_review", str(REVIEWS / "stated-count.txt"), "--json", stdout=out)

    draft = json.loads(out.getvalue())
    assert list(draft) == [
        "title",
        "recommendations",
        "recommendation_count_stated",
        "lessons",
        "findings",
        "themes",
    ]
    assert draft["recommendations"] == []
    assert draft["recommendation_count_stated"] == 14
    assert (
        "Review – Executive" in out.getvalue()
    )  # ensure_ascii=False: the review's en dash is kept as written


def test_summary_lists_counts_addressees_and_the_reminder_to_confirm() -> None:
    out = StringIO()

    call_command("ingest_review", str(REVIEWS / "stated-count.txt"), stdout=out)

    summary = out.getvalue()
    assert "0 recommendation(s) listed; the review says it made 14" in summary
    assert "a person must check it" in summary


def test_summary_says_when_no_addressee_was_found() -> None:
    out = StringIO()

    call_command("ingest_review", str(REVIEWS / "table-tab.txt"), stdout=out)

    assert "not stated: a person must say whom it addresses" in out.getvalue()


def test_a_missing_file_is_a_clear_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest_review", str(tmp_path / "absent.pdf"), "--json")


def test_an_unsupported_type_is_a_clear_command_error(tmp_path: Path) -> None:
    path = tmp_path / "review.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(CommandError, match="not a type the review ingest reads"):
        call_command("ingest_review", str(path))
