"""The pipeline on a synthetic county: bands, family rules, the saved model, measured quality."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from thinkfamily.extracts.synth import generate_county
from thinkfamily.linkage import LinkageError, LinkageModel, LinkageResult, Thresholds, link_records
from thinkfamily.linkage.datasets import Dataset, extract_folder
from thinkfamily.linkage.evaluation import cluster_scores, wrongly_merged
from thinkfamily.linkage.prepare import prepare_one, prepare_records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("county")
    generate_county(people=3000, seed=5, out_dir=folder)
    return extract_folder(folder)


@pytest.fixture(scope="module")
def linked(county: Dataset) -> LinkageResult:
    return link_records(county.records, relationships=county.relationships)


def pairs_in_one_cluster(result: LinkageResult, pairs: pd.DataFrame) -> int:
    cluster = result.clusters.set_index("unique_id").cluster_id
    return int(
        (cluster[pairs.unique_id_l].to_numpy() == cluster[pairs.unique_id_r].to_numpy()).sum()
    )


def test_the_county_links_with_high_precision_and_recall(
    county: Dataset, linked: LinkageResult
) -> None:
    scores = cluster_scores(linked.clusters, county.true_entity)
    merged = wrongly_merged(linked.clusters, county.true_entity, county.true_household)
    assert scores.precision >= 0.999
    assert scores.recall >= 0.98
    assert merged.people == 0


def test_model_links_are_at_or_above_the_link_threshold(linked: LinkageResult) -> None:
    model_links = linked.links[linked.links.rule.str.startswith("model")]
    assert len(model_links) > 100
    assert (model_links.match_probability >= linked.model.thresholds.link).all()
    identifier_links = linked.links[linked.links.rule.isin(["nhs_number", "upn"])]
    assert (identifier_links.match_probability == 1.0).all()


def test_review_holds_the_unsure_band_and_what_the_family_rules_held_back(
    linked: LinkageResult,
) -> None:
    thresholds = linked.model.thresholds
    assert len(linked.review) > 0
    assert (linked.review.match_probability >= thresholds.review).all()
    strong = linked.review[linked.review.match_probability >= thresholds.link]
    # A strong pair is in review only because a family rule held it back.
    assert strong.rule.str.contains("ambiguous|doubtful|model").all()
    assert pairs_in_one_cluster(linked, linked.review) == 0


def test_records_an_agency_relates_are_never_one_person(
    county: Dataset, linked: LinkageResult
) -> None:
    assert county.relationships is not None and len(county.relationships) > 100
    related = county.relationships.rename(
        columns={"unique_id": "unique_id_l", "related_unique_id": "unique_id_r"}
    )
    assert pairs_in_one_cluster(linked, related) == 0


def test_no_person_is_on_two_gp_practices_lists(county: Dataset, linked: LinkageResult) -> None:
    records = county.records.merge(linked.clusters, on="unique_id")
    gps = records[records.source_type == "gp"].groupby("cluster_id").source.nunique()
    assert (gps <= 1).all()


def test_a_rejected_pair_stays_apart_and_a_confirmed_pair_joins(
    county: Dataset, linked: LinkageResult
) -> None:
    joined = linked.links[linked.links.rule == "model"].iloc[0]
    apart = linked.review.iloc[0]
    again = link_records(
        county.records,
        relationships=county.relationships,
        model=linked.model,
        cannot_link=pd.DataFrame([joined[["unique_id_l", "unique_id_r"]]]),
        must_link=pd.DataFrame([apart[["unique_id_l", "unique_id_r"]]]),
    )
    cluster = again.clusters.set_index("unique_id").cluster_id
    assert cluster[joined.unique_id_l] != cluster[joined.unique_id_r]
    assert cluster[apart.unique_id_l] == cluster[apart.unique_id_r]


def test_a_saved_model_reloads_and_links_the_same(
    county: Dataset, linked: LinkageResult, tmp_path: Path
) -> None:
    linked.model.save(tmp_path / "model.json")
    model = LinkageModel.load(tmp_path / "model.json")
    again = link_records(county.records, relationships=county.relationships, model=model)
    assert (
        again.clusters.sort_values("unique_id")
        .reset_index(drop=True)
        .equals(linked.clusters.sort_values("unique_id").reset_index(drop=True))
    )
    assert "train" in again.seconds and again.seconds["train"] < linked.seconds["train"]


def test_thresholds_must_be_in_order() -> None:
    with pytest.raises(LinkageError, match="thresholds"):
        Thresholds(link=0.4, review=0.5)


def test_the_python_cleaning_of_one_record_equals_the_sql_cleaning(county: Dataset) -> None:
    """The real-time matcher cleans in Python what batch linkage cleans in SQL: same answer."""
    prepared = prepare_records(duckdb.connect(), county.records).to_pylist()
    for record, expected in zip(county.records.to_dict("records"), prepared, strict=True):
        assert prepare_one(record) == expected


def test_retraining_learns_from_pairs_reviewers_confirmed(
    county: Dataset, linked: LinkageResult
) -> None:
    confirmed = linked.review[["unique_id_l", "unique_id_r"]].head(20)
    retrained = link_records(
        county.records, relationships=county.relationships, must_link=confirmed
    )
    assert (
        retrained.model.training["identifier_label_pairs"]
        > linked.model.training["identifier_label_pairs"]
    )


def test_a_shared_identifier_that_cannot_join_comes_back_as_a_conflict(
    linked: LinkageResult,
) -> None:
    from thinkfamily.extracts.tests.builders import valid_nhs, valid_upn
    from thinkfamily.linkage.records import RECORD_COLUMNS

    twins = [
        dict.fromkeys(RECORD_COLUMNS, "")
        | {
            "unique_id": number,
            "source": "SCH-1",
            "given_name": given,
            "family_name": "Okafor",
            "date_of_birth": "2016-05-04",
            "nhs_number": valid_nhs(number),
            "upn": valid_upn(1),
        }
        for number, given in ((1, "Ada"), (2, "Obi"))
    ]
    result = link_records(pd.DataFrame(twins), model=linked.model)
    assert result.clusters.cluster_id.nunique() == 2
    assert result.conflicts is not None
    assert result.conflicts[["unique_id_l", "unique_id_r", "rule"]].values.tolist() == [
        [1, 2, "upn"]
    ]
