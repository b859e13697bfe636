"""The linkage metrics on small cases whose answers are known by hand, and against counting
every pair one by one."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinkfamily.linkage.datasets import Dataset
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.evaluation import (
    Scores,
    WronglyMerged,
    cluster_scores,
    evaluate,
    evaluations_json,
    evaluations_table,
    pairwise_scores,
    wrongly_merged,
)


def truth(*people: str, first_id: int = 1) -> pd.Series:
    return pd.Series(list(people), index=range(first_id, first_id + len(people)))


def clusters(*cluster_ids: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": range(1, len(cluster_ids) + 1), "cluster_id": list(cluster_ids)}
    )


def pairs(*rows: tuple[int, int, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unique_id_l", "unique_id_r", "match_probability"])


# --- pairwise_scores ---------------------------------------------------------------------------


def test_pairwise_scores_count_predicted_pairs_at_the_threshold_against_all_true_pairs():
    # p1 has three records (three true pairs), p2 one.
    scored = pairs((1, 2, 0.9), (1, 4, 0.8), (3, 4, 0.49), (2, 3, 0.5))
    scores = pairwise_scores(scored, truth("p1", "p1", "p1", "p2"), threshold=0.5)
    assert scores == Scores(
        precision=2 / 3, recall=2 / 3, f1=pytest.approx(2 / 3), true_positives=2, predicted=3,
        true=3,
    )  # fmt: skip


def test_pairwise_scores_count_a_pair_listed_both_ways_once():
    scored = pairs((1, 2, 0.9), (2, 1, 0.95))
    scores = pairwise_scores(scored, truth("p1", "p1", "p2"), threshold=0.5)
    assert (scores.predicted, scores.true_positives, scores.precision, scores.recall) == (
        1, 1, 1.0, 1.0,
    )  # fmt: skip


def test_pairwise_scores_with_nothing_predicted_have_full_precision_and_no_recall():
    scores = pairwise_scores(pairs((1, 2, 0.2)), truth("p1", "p1"), threshold=0.5)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_pairwise_scores_refuse_a_pair_naming_a_record_outside_the_truth():
    with pytest.raises(LinkageError):
        pairwise_scores(pairs((1, 99, 0.9)), truth("p1", "p1"), threshold=0.5)


# --- cluster_scores ----------------------------------------------------------------------------


def test_cluster_scores_of_the_true_clustering_are_perfect():
    scores = cluster_scores(clusters(1, 1, 3, 3, 3, 6), truth("a", "a", "b", "b", "b", "c"))
    assert scores == Scores(1.0, 1.0, 1.0, true_positives=4, predicted=4, true=4)


def test_cluster_scores_count_the_pairs_a_merged_cluster_implies():
    # One cluster of five holding a's two records and b's three: 10 pairs claimed, 4 true.
    scores = cluster_scores(clusters(1, 1, 1, 1, 1, 6), truth("a", "a", "b", "b", "b", "c"))
    assert (scores.true_positives, scores.predicted, scores.true) == (4, 10, 4)
    assert scores.precision == pytest.approx(0.4)
    assert scores.recall == 1.0


def test_cluster_scores_treat_a_record_missing_from_the_clusters_as_alone():
    partial = pd.DataFrame({"unique_id": [1, 2], "cluster_id": [1, 1]})
    scores = cluster_scores(partial, truth("a", "a", "a"))
    assert (scores.true_positives, scores.predicted, scores.true) == (1, 1, 3)


def test_cluster_scores_refuse_a_clustered_record_outside_the_truth():
    with pytest.raises(LinkageError):
        cluster_scores(clusters(1, 1, 1), truth("a", "a"))


def enumerated_scores(cluster_ids: list[int], people: list[int]) -> tuple[int, int, int]:
    """True positives, predicted and true pairs, by listing every pair of records."""
    records = range(len(cluster_ids))
    every_pair = list(itertools.combinations(records, 2))
    predicted = {(i, j) for i, j in every_pair if cluster_ids[i] == cluster_ids[j]}
    true = {(i, j) for i, j in every_pair if people[i] == people[j]}
    return len(predicted & true), len(predicted), len(true)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40))
def test_cluster_scores_count_what_listing_every_pair_would_find(rows):
    cluster_ids = [cluster for cluster, _ in rows]
    people = [person for _, person in rows]
    scores = cluster_scores(
        clusters(*cluster_ids), pd.Series([f"p{p}" for p in people], index=range(1, len(rows) + 1))
    )
    assert (scores.true_positives, scores.predicted, scores.true) == enumerated_scores(
        cluster_ids, people
    )


# --- wrongly_merged ----------------------------------------------------------------------------


def test_a_cluster_joining_two_siblings_counts_both_as_merged_within_their_household():
    # Records 1-2 are Amy, 3 her brother Ben (one household H1); 4 is a neighbour.
    people = truth("amy", "amy", "ben", "neighbour")
    homes = truth("H1", "H1", "H1", "H2")
    merged = wrongly_merged(clusters(1, 1, 1, 4), people, homes)
    assert merged == WronglyMerged(people=2, same_household=2)


def test_a_child_merged_with_someone_from_another_household_is_not_within_the_household():
    people = truth("amy", "ben", "neighbour")
    homes = truth("H1", "H1", "H2")
    assert wrongly_merged(clusters(1, 2, 2), people, homes) == WronglyMerged(2, 0)


def test_a_person_merged_with_a_sibling_and_elsewhere_with_a_stranger_counts_once_not_within():
    # Amy's first record is clustered with her brother Ben, her second with a stranger.
    people = truth("amy", "amy", "ben", "stranger")
    homes = truth("H1", "H1", "H1", "H9")
    merged = wrongly_merged(clusters(1, 2, 1, 2), people, homes)
    assert merged == WronglyMerged(people=3, same_household=1)  # only Ben: Amy met a stranger


def test_people_of_unknown_household_are_never_merged_within_a_household():
    people = truth("amy", "ben")
    assert wrongly_merged(clusters(1, 1), people, truth("", "")) == WronglyMerged(2, 0)


def test_wrongly_merged_without_households_leaves_the_household_count_out():
    assert wrongly_merged(clusters(1, 1, 3), truth("a", "b", "c"), None) == WronglyMerged(2, None)


def test_a_person_split_over_clusters_is_not_wrongly_merged():
    assert wrongly_merged(clusters(1, 2, 3), truth("a", "a", "b"), None) == WronglyMerged(0, None)


# --- evaluate ----------------------------------------------------------------------------------


@dataclass
class StandInResult:
    clusters: pd.DataFrame
    scored: pd.DataFrame


def link_by_name(dataset: Dataset) -> StandInResult:
    """A stand-in linkage: records with the same given and family name are one person."""
    records = dataset.records
    key = records["given_name"].str.lower() + "|" + records["family_name"].str.lower()
    cluster_id = records.groupby(key)["unique_id"].transform("min")
    found = pd.DataFrame({"unique_id": records["unique_id"], "cluster_id": cluster_id})
    joined = found.merge(found, on="cluster_id", suffixes=("_l", "_r"))
    joined = joined[joined["unique_id_l"] < joined["unique_id_r"]]
    scored = joined[["unique_id_l", "unique_id_r"]].assign(match_probability=0.9)
    return StandInResult(found, scored)


def small_dataset() -> Dataset:
    names = [("Amy", "Khan"), ("amy", "KHAN"), ("Ben", "Khan"), ("Amy", "Khan"), ("Cat", "Lee")]
    records = pd.DataFrame(
        {"unique_id": range(1, 6), "given_name": [g for g, _ in names],
         "family_name": [f for _, f in names]}
    )  # fmt: skip
    # Record 4 is a different Amy Khan, living in another household.
    return Dataset(
        name="small",
        records=records,
        true_entity=truth("amy", "amy", "ben", "other-amy", "cat"),
        true_household=truth("H1", "H1", "H1", "H2", "H3"),
    )


def test_evaluate_measures_what_the_method_found_against_the_truth():
    evaluation = evaluate(small_dataset(), "by-name", link_by_name)
    assert (evaluation.method, evaluation.dataset) == ("by-name", "small")
    assert (evaluation.records, evaluation.true_people, evaluation.clusters) == (5, 4, 3)
    # Amy's two records and the other Amy Khan: three pairs claimed, one true.
    assert evaluation.cluster_precision == pytest.approx(1 / 3)
    assert evaluation.cluster_recall == 1.0
    assert evaluation.pairwise_precision == pytest.approx(1 / 3)
    assert evaluation.wrongly_merged_people == 2
    assert evaluation.wrongly_merged_same_household == 0
    assert evaluation.wrongly_merged_per_10k_people == 5000.0
    assert evaluation.seconds >= 0 and evaluation.peak_memory_mib > 0


def test_evaluations_print_as_a_table_and_as_one_json_document():
    evaluation = evaluate(small_dataset(), "by-name", link_by_name)
    table = evaluations_table([evaluation])
    assert "by-name (small)" in table
    assert "wrongly merged people" in table
    document = json.loads(evaluations_json([evaluation]))
    assert document["evaluations"] == [evaluation.to_dict()]
    assert {"cpu_count", "memory_gib", "python", "splink", "duckdb", "date"} <= set(
        document["machine"]
    )
