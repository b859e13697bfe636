import io
import json

import pytest
from django.core.management import call_command

from thinkfamily.audit.tests.helpers import TABLE, tamper, write_trail

pytestmark = pytest.mark.django_db


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_verify_reports_an_intact_trail_with_its_last_hash_and_exits_0():
    entries = write_trail(4)
    status, output = _verify()
    assert status == 0
    assert output.strip() == f"intact: 4 entries, last hash {entries[-1].entry_hash}"


def test_verify_reports_the_first_broken_link_and_exits_1():
    entries = write_trail(4)
    tamper(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["edited", entries[2].pk])
    status, output = _verify()
    assert status == 1
    assert output.startswith(f"BROKEN at entry {entries[2].pk} (written ")
    assert "altered after it was written" in output
    assert entries[1].entry_hash in output


def test_verify_json_gives_the_same_answer_for_scripts():
    entries = write_trail(3)
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    status, output = _verify("--json")
    result = json.loads(output)
    assert status == 1
    assert result["intact"] is False
    assert (result["first_broken_id"], result["previous_id"]) == (entries[2].pk, entries[0].pk)
    assert result["problem"] == "unlinked" and result["entries"] == 2
    assert result["first_broken_at"].startswith(entries[2].occurred_at.date().isoformat())


def test_verify_json_of_an_intact_trail():
    entries = write_trail(2)
    status, output = _verify("--json")
    assert status == 0
    assert json.loads(output) | {} == {
        "intact": True,
        "entries": 2,
        "last_hash": entries[-1].entry_hash,
        "first_broken_id": None,
        "first_broken_at": None,
        "previous_id": None,
        "problem": None,
        "reason": None,
    }
