"""``thinkfamily linkage-eval``: measures a linkage on a data set and reports it."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from thinkfamily.extracts.management.commands import linkage_eval
from thinkfamily.extracts.synth import generate_county
from thinkfamily.linkage.baselines import BaselineResult


def link_by_nhs_number(dataset):
    """A stand-in for Think Family's linkage: records sharing an NHS number are one person."""
    records = dataset.records
    key = records["nhs_number"].where(records["nhs_number"] != "", records["unique_id"].astype(str))
    cluster_id = records.groupby(key)["unique_id"].transform("min")
    clusters = pd.DataFrame({"unique_id": records["unique_id"], "cluster_id": cluster_id})
    pairs = clusters.merge(clusters, on="cluster_id", suffixes=("_l", "_r"))
    pairs = pairs[pairs["unique_id_l"] < pairs["unique_id_r"]]
    scored = pairs[["unique_id_l", "unique_id_r"]].assign(match_probability=1.0)
    return BaselineResult(clusters=clusters, scored=scored.reset_index(drop=True))


@pytest.fixture
def county(tmp_path):
    generate_county(people=300, seed=2, out_dir=tmp_path)
    return tmp_path


def test_linkage_eval_prints_one_json_document_of_evaluations_and_machine(county, monkeypatch):
    monkeypatch.setattr(linkage_eval, "think_family_linkage", link_by_nhs_number)
    out = io.StringIO()
    call_command("linkage_eval", str(county), "--json", stdout=out, stderr=io.StringIO())
    document = json.loads(out.getvalue())
    [evaluation] = document["evaluations"]
    assert evaluation["method"] == "thinkfamily"
    assert evaluation["dataset"] == county.name
    # Linking on NHS numbers alone never joins two people, and misses those without one.
    assert evaluation["cluster_precision"] == 1.0
    assert 0 < evaluation["cluster_recall"] < 1
    assert evaluation["wrongly_merged_people"] == 0
    assert document["machine"]["cpu_count"] >= 1


def test_linkage_eval_prints_a_table_by_default(county, monkeypatch):
    monkeypatch.setattr(linkage_eval, "think_family_linkage", link_by_nhs_number)
    out = io.StringIO()
    call_command(
        "linkage_eval", str(county), "--threshold", "0.9", stdout=out, stderr=io.StringIO()
    )
    assert "thinkfamily" in out.getvalue()
    assert "cluster F1" in out.getvalue()
    assert "match probability >= 0.9" in out.getvalue()


def test_linkage_eval_refuses_a_folder_without_truth(tmp_path):
    with pytest.raises(CommandError, match="truth"):
        call_command("linkage_eval", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())


def test_linkage_eval_refuses_a_threshold_that_is_not_a_probability(county):
    with pytest.raises(CommandError, match="threshold"):
        call_command("linkage_eval", str(county), "--threshold", "1.5", stdout=io.StringIO())


def test_linkage_eval_says_when_think_family_linkage_cannot_run(county, monkeypatch):
    def missing(dataset):
        raise ImportError("no pipeline yet")

    monkeypatch.setattr(linkage_eval, "think_family_linkage", missing)
    with pytest.raises(CommandError, match="no pipeline yet"):
        call_command("linkage_eval", str(county), stdout=io.StringIO(), stderr=io.StringIO())
