"""The probabilistic model: which fields are compared, how, and what each outcome weighs.

Each comparison turns a pair of records into a level (exact, a short form, a
typing slip, …) and each level carries a match weight learned from the data.
National identifiers are not in the model: agreement on an NHS number or UPN
links records before the model is asked, and disagreement keeps them apart
(``clustering``). What the model weighs is everything else an agency writes.

Two ways to learn the weights:

- **From the records' own identifiers** (the default when there are enough):
  pairs of records that share an NHS number or UPN are known matches, so how
  often a true match agrees on each field (``m``) is counted from them, and
  how often two random records agree (``u``) from a random sample. Nothing
  about twins or siblings leaks in, which expectation maximisation on pairs
  blocked by date of birth would teach it.
- **Expectation maximisation**, for data with no identifiers (FEBRL).

The trained model is plain JSON (Splink's settings with the thresholds
beside them), saved and reloaded with ``LinkageModel.save``/``load``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_level_library import CustomLevel, ElseLevel, NullLevel
from splink.internals.comparison_library import CustomComparison

from thinkfamily.linkage.errors import LinkageError

#: The comparisons whose levels say who the person is, rather than where they live.
#: Family members share surnames and addresses, so these alone can tell them apart.
IDENTITY_COMPARISONS = ("given_name", "date_of_birth")


@dataclass(frozen=True)
class Thresholds:
    """Where the model's match probability puts a pair.

    At or above ``link`` the records join one person (if the identity rule also
    holds); from ``review`` up to ``link`` the pair goes to clerical review;
    below ``review`` they stay apart. Records that disagree on where the person
    lives rest on names and date of birth alone, which namesakes share, so
    they need ``link_elsewhere``. Chosen from the evaluation on the synthetic
    county (see docs/linkage.md).
    """

    link: float = 0.95
    link_elsewhere: float = 0.95
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.link <= self.link_elsewhere < 1:
            raise LinkageError(
                "thresholds must satisfy 0 < review <= link <= link_elsewhere < 1 "
                f"(got {self.review}, {self.link}, {self.link_elsewhere})"
            )


def _level(sql: str, label: str) -> CustomLevel:
    # Written in DuckDB's dialect; Splink translates it for Spark with sqlglot.
    return CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


def _tf(level: CustomLevel, column: str) -> ComparisonLevelCreator:
    """A level whose weight is adjusted for how common the agreed value is."""
    return level.configure(tf_adjustment_column=column, tf_adjustment_weight=1.0)


NAMES_SWAPPED = (
    "given_name_l = family_name_r and family_name_l = given_name_r "
    "and given_name_l <> family_name_l"
)


NAMES_SWAPPED_WITH_A_SLIP = (
    "(given_name_l = family_name_r and damerau_levenshtein(family_name_l, given_name_r) <= 2) "
    "or (family_name_l = given_name_r and damerau_levenshtein(given_name_l, family_name_r) <= 2)"
)


def given_name_comparison() -> ComparisonCreator:
    """Given names: exact, swapped with the family name, a short form, a slip, a middle name."""
    return CustomComparison(
        output_column_name="given_name",
        comparison_description="given name",
        comparison_levels=[
            NullLevel("given_name"),
            _tf(_level("given_name_l = given_name_r", "the same"), "given_name"),
            _level(NAMES_SWAPPED, "given and family names swapped"),
            _level(NAMES_SWAPPED_WITH_A_SLIP, "names swapped, one with a slip"),
            _level(
                "list_contains(given_forms_l, given_name_r) "
                "or list_contains(given_forms_r, given_name_l)",
                "a short or long form of the other",
            ),
            _level(
                "damerau_levenshtein(given_name_l, given_name_r) <= 1 "
                "and least(length(given_name_l), length(given_name_r)) >= 3",
                "one letter different, missing or swapped",
            ),
            _level(
                "least(length(given_name_l), length(given_name_r)) >= 3 and "
                "(contains(given_name_l, given_name_r) or contains(given_name_r, given_name_l))",
                "one holds the other (Liv, Olivia)",
            ),
            _level(
                "list_contains(other_given_names_l, given_name_r) "
                "or list_contains(other_given_names_r, given_name_l)",
                "the other's middle name",
            ),
            ElseLevel(),
        ],
    )


def family_name_comparison() -> ComparisonCreator:
    """Family names: exact, swapped, a shared part (hyphenated, former, step-family), a slip."""
    return CustomComparison(
        output_column_name="family_name",
        comparison_description="family name",
        comparison_levels=[
            NullLevel("family_name"),
            _tf(_level("family_name_l = family_name_r", "the same"), "family_name"),
            # The given-name comparison weighs a swap; counting it twice would overstate it.
            _level(NAMES_SWAPPED, "given and family names swapped").configure(
                m_probability=0.5, u_probability=0.5, fix_m_probability=True, fix_u_probability=True
            ),
            _level(
                "list_has_any(family_names_l, family_names_r)",
                "share a name (hyphenated, former or step-family surname)",
            ),
            _level(
                "damerau_levenshtein(family_name_l, family_name_r) <= 1 "
                "and least(length(family_name_l), length(family_name_r)) >= 3",
                "one letter different, missing or swapped",
            ),
            ElseLevel(),
        ],
    )


def date_of_birth_comparison() -> ComparisonCreator:
    """Dates of birth: exact, day and month swapped, one digit mistyped."""
    return CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth",
        comparison_levels=[
            NullLevel("date_of_birth"),
            _level("date_of_birth_l = date_of_birth_r", "the same"),
            _level(
                "day(date_of_birth_l) = month(date_of_birth_r) "
                "and month(date_of_birth_l) = day(date_of_birth_r) "
                "and year(date_of_birth_l) = year(date_of_birth_r)",
                "day and month swapped",
            ),
            _level(
                "levenshtein(strftime(date_of_birth_l, '%Y%m%d'), "
                "strftime(date_of_birth_r, '%Y%m%d')) = 1",
                "one digit different",
            ),
            ElseLevel(),
        ],
    )


def location_comparison() -> ComparisonCreator:
    """Where the person lives: the same address, postcode, sector or district."""
    return CustomComparison(
        output_column_name="location",
        comparison_description="address and postcode",
        comparison_levels=[
            NullLevel("postcode"),
            _level(
                "postcode_l = postcode_r and address_l = address_r",
                "the same address",
            ),
            _level(
                "address_l = address_r and damerau_levenshtein(postcode_l, postcode_r) <= 1",
                "the same address, postcode mistyped",
            ),
            _level("postcode_l = postcode_r", "the same postcode"),
            _level("postcode_sector_l = postcode_sector_r", "the same postcode sector"),
            _level("postcode_district_l = postcode_district_r", "the same postcode district"),
            ElseLevel(),
        ],
    )


def sex_comparison() -> ComparisonCreator:
    return CustomComparison(
        output_column_name="sex",
        comparison_description="sex",
        comparison_levels=[
            NullLevel("sex"),
            _level("sex_l = sex_r", "the same"),
            ElseLevel(),
        ],
    )


def other_id_comparison() -> ComparisonCreator:
    """Another identifier the data carries, which may hold typing slips (FEBRL's)."""
    return CustomComparison(
        output_column_name="other_id",
        comparison_description="other identifier",
        comparison_levels=[
            NullLevel("other_id"),
            _level("other_id_l = other_id_r", "the same"),
            _level("damerau_levenshtein(other_id_l, other_id_r) <= 2", "up to two slips"),
            ElseLevel(),
        ],
    )


def blocking_rules(*, with_other_id: bool) -> list[BlockingRuleCreator | str]:
    """Which pairs are scored at all: records agreeing on at least one of these.

    Each rule is narrow enough that no block is large, and together they catch
    a true match with one field wrong in any of the ways the comparisons allow.
    Family name with postcode compares everyone in a household, on purpose:
    the model, not the blocking, must tell siblings apart.
    """
    rules: list[BlockingRuleCreator | str] = [
        block_on("given_name", "family_name"),
        block_on("given_name", "date_of_birth"),
        block_on("family_name", "date_of_birth"),
        block_on("date_of_birth", "postcode_district"),
        block_on("family_name", "postcode"),
        block_on("given_name", "postcode"),
        block_on("date_of_birth", "postcode"),
        block_on("address"),
        "l.given_name = r.family_name and l.family_name = r.given_name",
        "l.given_name = r.family_name and l.date_of_birth = r.date_of_birth",
        "l.family_name = r.given_name and l.date_of_birth = r.date_of_birth",
    ]
    if with_other_id:
        rules.append(block_on("other_id"))
    return rules


def settings_for(*, link_type: str = "dedupe_only", with_other_id: bool = False) -> SettingsCreator:
    """Splink settings for Think Family's comparisons, before training."""
    comparisons: list[ComparisonCreator | dict[str, Any]] = [
        given_name_comparison(),
        family_name_comparison(),
        date_of_birth_comparison(),
        location_comparison(),
        sex_comparison(),
    ]
    if with_other_id:
        comparisons.append(other_id_comparison())
    options: dict[str, Any] = {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking_rules(with_other_id=with_other_id),
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": False,
        "additional_columns_to_retain": [],
        # Splink's default name for it; ours means the agency, so keep Splink off it.
        "source_dataset_column_name": "source_dataset" if link_type == "link_only" else None,
    }
    return SettingsCreator(**options)


def level_weight(settings: dict[str, Any], comparison: str, label: str) -> float:
    """The trained match weight of one level of one comparison."""
    for each in settings["comparisons"]:
        if each["output_column_name"] != comparison:
            continue
        for level in each["comparison_levels"]:
            if level.get("label_for_charts") == label:
                return math.log2(level["m_probability"] / level["u_probability"])
    raise LinkageError(f"the model has no level {label!r} in {comparison!r}")


def identity_sql(model: LinkageModel) -> str:
    """SQL, over a prediction's ``mw_`` columns, for "the records agree on who this is".

    Family members share surnames and addresses, so a match must rest on the
    given name or the exact date of birth, and neither may contradict it.
    A placeholder name ("Baby") with a date one digit out is not enough.
    """
    exact_birth = level_weight(model.splink_settings, "date_of_birth", "the same") - 0.01
    rule = (
        "(mw_given_name >= 0 and mw_date_of_birth >= 0 "
        f"and (mw_given_name > 0 or mw_date_of_birth >= {exact_birth:.4f}))"
    )
    # A personal identifier that agrees (FEBRL's social security number, slips
    # and all) says who this is whatever else was mistyped.
    return f"({rule} or mw_other_id > 0)" if model.uses_other_id else rule


@dataclass
class LinkageModel:
    """A trained model: Splink settings with learned weights, and the thresholds to use them.

    Example:
        >>> model = LinkageModel(splink_settings={"link_type": "dedupe_only"})
        >>> LinkageModel.from_json(model.to_json()).thresholds == model.thresholds
        True
    """

    splink_settings: dict[str, Any]
    thresholds: Thresholds = field(default_factory=Thresholds)
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "splink_settings": self.splink_settings,
                "thresholds": asdict(self.thresholds),
                "training": self.training,
            },
            indent=1,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> LinkageModel:
        try:
            data = json.loads(text)
            return cls(
                splink_settings=data["splink_settings"],
                thresholds=Thresholds(**data.get("thresholds", {})),
                training=data.get("training", {}),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LinkageError(f"not a Think Family linkage model: {error}") from error

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinkageModel:
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise LinkageError(f"cannot read the linkage model {path}: {error}") from error

    @property
    def uses_other_id(self) -> bool:
        return any(
            comparison.get("output_column_name") == "other_id"
            for comparison in self.splink_settings.get("comparisons", [])
        )
