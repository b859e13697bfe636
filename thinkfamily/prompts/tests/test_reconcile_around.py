"""A push of records raises again only the recent concerns near the people it changed,
and that prompts every child that raising every recent concern would.

Each test pushes rows as an agency system does (``rows_import``) and then
raises every recent concern again: if the push prompted everyone it should
have, raising them all creates nothing more.
"""

import csv
import datetime as dt
import random
from pathlib import Path

import pytest
from django.utils import timezone

from thinkfamily.extracts.services import extract_import, rows_import
from thinkfamily.extracts.synth import DEFAULT_EXTRACT_DATE, generate_county
from thinkfamily.extracts.tests.builders import record, write_extract
from thinkfamily.people.models import AgencyRecord, HouseholdMembership
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import ReconcileResult, prompts_reconcile

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 2)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def nothing_left_to_raise(today: dt.date, since: dt.datetime) -> None:
    """Every recent concern raised again, and every adult who joined a household since
    ``since`` asked about, creates no prompt."""
    every_concern = prompts_reconcile(joined_since=since, now=noon(today))
    assert every_concern == ReconcileResult(0, 0, 0), f"the push missed prompts: {every_concern}"


def push(today: dt.date, records=(), relationships=(), events=()) -> dict[str, int]:
    result = rows_import(
        source="test", records=records, relationships=relationships, events=events, today=today
    )
    assert not result.errors, result.errors
    return result.counts


def imported(folder: Path, records: list[dict[str, str]], **rest: list[dict[str, str]]) -> None:
    """The families of these rows, imported as an extract (which raises every concern)."""
    extract_import(path=write_extract(folder, records, **rest), today=TODAY)


def prompted(record_id: str) -> bool:
    person = AgencyRecord.objects.get(record_id=record_id).person_id
    return Prompt.objects.filter(person_id=person, kind=Prompt.Kind.SIBLING).exists()


def relation(record_id: str, related: str, kind: str) -> dict[str, str]:
    return {"agency_code": "GP-Y00001", "record_id": record_id, "related_record_id": related,
            "relationship": kind}  # fmt: skip


def concern(record_id: str, event_id: str, day: dt.date) -> dict[str, str]:
    return {"agency_code": "GP-Y00001", "record_id": record_id, "event_id": event_id,
            "event_type": "concern", "occurred_at": f"{day}T08:00:00", "category": "neglect",
            "summary": "Seen hungry and unkempt."}  # fmt: skip


def test_a_baby_at_a_separated_fathers_home_is_prompted_by_the_concern_about_his_son(
    tmp_path: Path,
) -> None:
    """Two steps from the baby: his father's home, then his father's son, who lives with
    his mother; the concern is about the son."""
    home = {"address": "1 Ash Way", "postcode": "ZZ1 1ZZ"}
    dads = {"address": "9 Oak Lane", "postcode": "ZZ2 2ZZ"}
    imported(
        tmp_path,
        [
            record(record_id="MUM", given_name="Ann", date_of_birth="1990-01-01", **home),
            record(record_id="SON", given_name="Sam", date_of_birth="2016-01-01", **home),
            record(record_id="DAD", given_name="Dan", date_of_birth="1988-01-01", **dads),
        ],
        relationships=[relation("MUM", "SON", "parent"), relation("DAD", "SON", "parent")],
        events=[concern("SON", "C1", TODAY - dt.timedelta(days=10))],
    )
    assert not prompted("MUM")  # an adult: the concern prompts children only

    since = timezone.now()
    push(TODAY, [record(record_id="BABY", given_name="Bea", date_of_birth="2026-05-01", **dads)])

    assert prompted("BABY")
    nothing_left_to_raise(TODAY, since)


def test_a_pushed_concern_with_records_about_someone_else_prompts_their_siblings(
    tmp_path: Path,
) -> None:
    home = {"address": "1 Ash Way", "postcode": "ZZ1 1ZZ"}
    imported(
        tmp_path,
        [
            record(record_id="A", given_name="Amy", date_of_birth="2015-01-01", **home),
            record(record_id="B", given_name="Ben", date_of_birth="2024-01-01", **home),
        ],
    )

    since = timezone.now()
    push(
        TODAY,
        [record(record_id="Z", given_name="Zed", date_of_birth="1970-01-01", address="5 Far Row",
                postcode="ZZ9 9ZZ")],
        events=[concern("A", "C9", TODAY)],
    )  # fmt: skip

    assert prompted("B")
    nothing_left_to_raise(TODAY, since)


def test_a_partner_relationship_pushed_for_a_man_living_with_a_mother_asks_about_him(
    tmp_path: Path,
) -> None:
    home = {"address": "1 Ash Way", "postcode": "ZZ1 1ZZ"}
    imported(
        tmp_path,
        [
            record(record_id="MUM", given_name="Ann", date_of_birth="1990-01-01", **home),
            record(record_id="KID", given_name="Kit", date_of_birth="2022-01-01", **home),
            record(record_id="MAN", given_name="Max", date_of_birth="1985-01-01", **home),
        ],
        relationships=[relation("MUM", "KID", "parent")],
    )
    man = AgencyRecord.objects.get(record_id="MAN").person_id
    assert not Prompt.objects.filter(kind=Prompt.Kind.NEW_ADULT).exists()

    since = timezone.now()
    began = TODAY - dt.timedelta(days=20)
    partners = dict(relation("MUM", "MAN", "partner"), start_date=f"{began}")
    counts = push(TODAY, relationships=[partners])

    assert counts["new_adult_prompts_created"] == 1
    assert Prompt.objects.get(kind=Prompt.Kind.NEW_ADULT).person_id == man
    nothing_left_to_raise(TODAY, since)


def test_random_pushes_near_concerned_families_prompt_as_raising_every_concern_would(
    tmp_path: Path,
) -> None:
    """Babies born to the parents of children with a recent concern, children moving in
    with them, adults and children moving about: after each push, raising every recent
    concern again prompts nobody new, and the pushes did prompt children."""
    folder = tmp_path / "county"
    generate_county(people=300, seed=5, out_dir=folder)
    today = DEFAULT_EXTRACT_DATE
    started = timezone.now()
    assert extract_import(path=folder, today=today).run.status == "succeeded"
    nothing_left_to_raise(today, since=started)  # the import raised everything
    with (folder / "records.csv").open(encoding="utf-8") as handle:
        rows = {(row["agency_code"], row["record_id"]): row for row in csv.DictReader(handle)}
    concerned = set(
        Prompt.objects.filter(kind=Prompt.Kind.SIBLING).values_list("household_id", flat=True)
    )
    family = [
        rows[(code, record_id)]
        for code, record_id in HouseholdMembership.objects.filter(
            household_id__in=concerned, end_date__isnull=True
        ).values_list("source_record__agency__code", "source_record__record_id")
    ]
    assert family, "the county has families with a recent concern"
    everyone = list(rows.values())
    rng = random.Random(4)
    created = adults = 0
    for step in range(12):
        since = timezone.now()
        near = dict(rng.choice(family))
        anyone = dict(rng.choice(everyone))
        born = f"{today.year - 1}-0{1 + step % 9}-15"
        kind = step % 4
        if kind == 0:  # a baby born to someone in the family, known only through them
            baby = dict(
                near,
                record_id=f"NEW-{step}",
                given_name="Newborn",
                nhs_number="",
                upn="",
                date_of_birth=born,
                address="",
                postcode="",
                household_ref="",
            )
            link = {
                "agency_code": near["agency_code"],
                "record_id": near["record_id"],
                "related_record_id": baby["record_id"],
                "relationship": "parent",
            }
            counts = push(today, [baby], [link])  # fmt: skip
        elif kind == 1:  # a child moves in with the family
            child = dict(anyone, record_id=f"MOVED-{step}", given_name="Mover", nhs_number="",
                         upn="", date_of_birth=born, address=near["address"],
                         postcode=near["postcode"], household_ref="")  # fmt: skip
            counts = push(today, [child])
        elif kind == 2:  # someone from the family moves elsewhere
            counts = push(
                today, [dict(near, address=f"{step} New Build Close", postcode="ZZ9 9ZZ")]
            )
        else:  # someone anywhere in the county moves in with the family
            moved = dict(anyone, address=near["address"], postcode=near["postcode"])
            counts = push(today, [moved])
        created += counts["sibling_prompts_created"] + counts["concerns_added_to_open_prompts"]
        adults += counts["new_adult_prompts_created"]
        nothing_left_to_raise(today, since)
    assert created > 0, "the pushes should have prompted someone"
    assert adults > 0, "an adult should have moved in with a family"
