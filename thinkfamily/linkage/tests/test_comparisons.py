"""Each comparison of the model puts pairs of records at the level it should.

The model here has made-up weights (level n weighs n), so a pair's level can
be read back from its weight; what is tested is the SQL of each level, on
the cleaned values exactly as linkage cleans them.
"""

from __future__ import annotations

from typing import Any

import pytest

from thinkfamily.linkage import LinkageModel
from thinkfamily.linkage.model import settings_for
from thinkfamily.linkage.realtime import PairScorer


@pytest.fixture(scope="module")
def scorer() -> PairScorer:
    settings = settings_for().get_settings("duckdb").as_dict()
    for comparison in settings["comparisons"]:
        weight = 0
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            weight += 1
            level["u_probability"] = 0.001
            level["m_probability"] = 0.001 * 2**weight
            level.pop("fix_m_probability", None)
            level.pop("fix_u_probability", None)
            level.pop("tf_adjustment_column", None)
    settings["probability_two_random_records_match"] = 0.001
    return PairScorer(LinkageModel(splink_settings=settings))


def record(unique_id: int, **values: Any) -> dict[str, Any]:
    base = {
        "unique_id": unique_id,
        "source": "GP",
        "given_name": "Amelia",
        "family_name": "Khan",
        "date_of_birth": "2019-04-11",
        "sex": "F",
        "postcode": "AB1 2CD",
        "address": "4 Mill Lane, Brookfield",
    }
    return base | values


def level_of(
    scorer: PairScorer, comparison: str, left: dict[str, Any], right: dict[str, Any]
) -> str:
    outcome = scorer.compare(record(1, **left), record(2, **right))
    return next(each.level for each in outcome.comparisons if each.name == comparison)


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ({"given_name": "Amelia"}, {"given_name": "amelia "}, "the same"),
        (
            {"given_name": "Khan", "family_name": "Amelia"},
            {"given_name": "Amelia", "family_name": "Khan"},
            "given and family names swapped",
        ),
        ({"given_name": "Tom"}, {"given_name": "Thomas"}, "a short or long form of the other"),
        ({"given_name": "Bill"}, {"given_name": "William"}, "a short or long form of the other"),
        (
            {"given_name": "Amelia"},
            {"given_name": "Ameila"},
            "one letter different, missing or swapped",
        ),
        (
            {"given_name": "Amelia"},
            {"given_name": "Amela"},
            "one letter different, missing or swapped",
        ),
        ({"given_name": "Liv"}, {"given_name": "Olivia"}, "one holds the other (Liv, Olivia)"),
        (
            {"given_name": "Grace", "other_names": ""},
            {"given_name": "Amelia", "other_names": "Grace"},
            "the other's middle name",
        ),
        ({"given_name": "Amelia"}, {"given_name": "Zara"}, "All other comparisons"),
        # Danielle and Eleanor are both "Ellie", but not forms of each other: sisters stay apart.
        ({"given_name": "Danielle"}, {"given_name": "Eleanor"}, "All other comparisons"),
        ({"given_name": "Baby"}, {"given_name": "Amelia"}, "not known on one side"),
        ({"given_name": "Unborn"}, {"given_name": "Amelia"}, "not known on one side"),
    ],
)
def test_given_name_levels(scorer: PairScorer, left: dict, right: dict, level: str) -> None:
    assert level_of(scorer, "given_name", left, right) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ({"family_name": "O'Brien"}, {"family_name": "OBRIEN"}, "the same"),
        (
            {"family_name": "Khan-Patel"},
            {"family_name": "Patel"},
            "share a name (hyphenated, former or step-family surname)",
        ),
        (
            {"family_name": "Jones", "other_names": "Khan"},
            {"family_name": "Khan"},
            "share a name (hyphenated, former or step-family surname)",
        ),
        (
            {"family_name": "Gallagher"},
            {"family_name": "Gallaghre"},
            "one letter different, missing or swapped",
        ),
        (
            {"family_name": "Page"},
            {"family_name": "Pge"},
            "one letter different, missing or swapped",
        ),
        ({"family_name": "Khan"}, {"family_name": "Wright"}, "All other comparisons"),
        ({"family_name": ""}, {"family_name": "Wright"}, "not known on one side"),
    ],
)
def test_family_name_levels(scorer: PairScorer, left: dict, right: dict, level: str) -> None:
    assert level_of(scorer, "family_name", left, right) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("2019-04-11", "2019-04-11", "the same"),
        ("2019-04-11", "2019-11-04", "day and month swapped"),
        ("2019-04-11", "2019-04-17", "one digit different"),
        ("2015-04-03", "2017-04-03", "one digit different"),
        ("2019-04-11", "2016-09-30", "All other comparisons"),
        ("", "2019-04-11", "not known on one side"),
        ("2019-02-30", "2019-04-11", "not known on one side"),
    ],
)
def test_date_of_birth_levels(scorer: PairScorer, left: str, right: str, level: str) -> None:
    assert (
        level_of(scorer, "date_of_birth", {"date_of_birth": left}, {"date_of_birth": right})
        == level
    )


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        (("4 Mill Lane, Brookfield", "AB1 2CD"), ("4 MILL LANE", "ab12cd"), "the same address"),
        (("4 Mill Lane", "AB1 2CD"), ("9 Mill Lane", "AB1 2CD"), "the same postcode"),
        (
            ("Flat 2, 4 Mill Lane, Brookfield", "AB1 2CD"),
            ("Flat 2, 4 Mill Lane", "AB1 2DC"),
            "the same address, postcode mistyped",
        ),
        (("4 Mill Lane", "AB1 2CD"), ("4 Mill Lane", "AB1 2XY"), "the same postcode sector"),
        (("4 Mill Lane", "AB1 2CD"), ("4 Mill Lane", "AB1 7XY"), "the same postcode district"),
        (("4 Mill Lane", "AB1 2CD"), ("4 Mill Lane", "ZZ9 9ZZ"), "All other comparisons"),
        (("4 Mill Lane", ""), ("4 Mill Lane", "AB1 2CD"), "not known on one side"),
    ],
)
def test_location_levels(scorer: PairScorer, left: tuple, right: tuple, level: str) -> None:
    assert (
        level_of(
            scorer,
            "location",
            {"address": left[0], "postcode": left[1]},
            {"address": right[0], "postcode": right[1]},
        )
        == level
    )


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("F", "F", "the same"),
        ("F", "M", "All other comparisons"),
        ("U", "F", "not known on one side"),
    ],
)
def test_sex_levels(scorer: PairScorer, left: str, right: str, level: str) -> None:
    assert level_of(scorer, "sex", {"sex": left}, {"sex": right}) == level
