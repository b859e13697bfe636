"""What the records themselves say about who are different people.

An agency that records two of its records as siblings, parent and child or
partners is saying they are two people; so is one that keeps two children
in one household with one date of birth and two different given names
(twins). These are cannot-link constraints: no score overrides them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import duckdb

PAIR_COLUMNS = ["unique_id_l", "unique_id_r"]

#: Kinds of agency a person is on the current list of only one of at a time: one GP
#: practice, one school roll, one early years setting. Records of two different
#: agencies of one of these kinds are two people (extracts list current registrations).
ONE_AT_A_TIME = ("gp", "school", "early_years")


def one_only_values(
    con: duckdb.DuckDBPyConnection, prepared_table: str, *, link_only: bool = False
) -> dict[int, tuple[str, ...]]:
    """For each record, the values a person has only one of, for ``clustering.cluster``.

    In order: NHS number, UPN (national identifiers), then the agency for each
    kind in ``ONE_AT_A_TIME``; ``""`` where not known. In link-only data each
    source is free of duplicates, so each source is a further slot holding the
    record's own key. Records with none of these are left out.
    """
    registrations = ", ".join(
        f"case when source_type = '{kind}' then source_dataset else '' end"
        for kind in ONE_AT_A_TIME
    )
    if link_only:
        sources = con.sql(f"select distinct source_dataset from {prepared_table}").fetchall()
        for (source,) in sources:
            quoted = str(source).replace("'", "''")
            registrations += (
                f", case when source_dataset = '{quoted}' "
                "then cast(unique_id as varchar) else '' end"
            )
    kinds = ", ".join(repr(kind) for kind in ONE_AT_A_TIME)
    rows = con.sql(
        f"select unique_id, coalesce(nhs_number, ''), coalesce(upn, ''), {registrations} "
        f"from {prepared_table} where nhs_number is not null or upn is not null "
        f"or source_type in ({kinds}) or {link_only}"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def related_pairs(relationships: pd.DataFrame | None) -> pd.DataFrame:
    """Pairs of records one agency relates to each other, lower key first.

    ``relationships`` has columns ``unique_id`` and ``related_unique_id`` (any
    relationship: parent, child, sibling, partner, carer, household member).
    """
    if relationships is None or relationships.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS, dtype="int64")
    first = relationships["unique_id"].astype("int64")
    second = relationships["related_unique_id"].astype("int64")
    pairs = pd.DataFrame(
        {
            "unique_id_l": first.where(first < second, second),
            "unique_id_r": second.where(first < second, first),
        }
    )
    return pairs[pairs.unique_id_l != pairs.unique_id_r].drop_duplicates(ignore_index=True)


def twin_pairs(con: duckdb.DuckDBPyConnection, prepared_table: str) -> pd.DataFrame:
    """Records one source keeps in one household with one date of birth but different names.

    Names that are forms of each other, or one slip apart, are not different
    names: "Tom" and "Thomas" in one household are one boy recorded twice
    (a parallel record), not twins.
    """
    return con.sql(
        f"""
        select l.unique_id as unique_id_l, r.unique_id as unique_id_r
        from {prepared_table} l
        join {prepared_table} r
          on l.source_dataset = r.source_dataset
         and l.household = r.household
         and l.date_of_birth = r.date_of_birth
         and l.unique_id < r.unique_id
        where l.given_name <> r.given_name
          and damerau_levenshtein(l.given_name, r.given_name) > 1
          and not coalesce(l.nhs_number = r.nhs_number or l.upn = r.upn, false)
          and not list_contains(coalesce(l.given_forms, []), r.given_name)
          and not list_contains(coalesce(r.given_forms, []), l.given_name)
        """
    ).df()


def doubtful_pairs(con: duckdb.DuckDBPyConnection, prepared_table: str) -> pd.DataFrame:
    """Records one source keeps in one household that only a person should join.

    An agency that keeps two records in one household is usually recording
    two people: a father and a son of the same name, a mother and daughter.
    When their dates of birth differ or one is missing, nothing in the records
    can tell a second record of one person (a parallel record) from a
    namesake, so the pair goes to clerical review instead of being linked.
    """
    return con.sql(
        f"""
        select l.unique_id as unique_id_l, r.unique_id as unique_id_r
        from {prepared_table} l
        join {prepared_table} r
          on l.source_dataset = r.source_dataset
         and l.household = r.household
         and l.unique_id < r.unique_id
        where l.date_of_birth is null or r.date_of_birth is null
           or l.date_of_birth <> r.date_of_birth
        """
    ).df()


#: Partners born this many years apart are two people (a father and son of one name),
#: not one person with a mistyped date.
GENERATION_YEARS = 12


def ambiguous_records(
    con: duckdb.DuckDBPyConnection, scored_table: str, prepared_table: str, *, link_threshold: float
) -> set[int]:
    """Records that match strongly with two people a generation apart.

    A police record of "Josh Marsden" at an address with no date of birth
    matches both Josh Marsden born 1985 and his son Josh Marsden born 2018.
    Linking it to either is a guess; such a record goes to clerical review.
    """
    rows = con.sql(
        f"""
        with strong as (
            select unique_id_l as record, unique_id_r as partner from {scored_table}
            where match_probability >= {link_threshold} and identity_agrees
            union all
            select unique_id_r, unique_id_l from {scored_table}
            where match_probability >= {link_threshold} and identity_agrees
        )
        select s.record
        from strong s join {prepared_table} p on p.unique_id = s.partner
        where p.birth_year is not null
        group by s.record
        having max(p.birth_year) - min(p.birth_year) >= {GENERATION_YEARS}
        """
    ).fetchall()
    return {record for (record,) in rows}


def moved_together(
    con: duckdb.DuckDBPyConnection, scored_table: str, prepared_table: str, *, link_threshold: float
) -> set[tuple[int, int]]:
    """Strong pairs recorded at two different addresses where someone else made the same move.

    A person recorded at an old and a new address usually moved with their
    family, so another member of the household is also recorded at both. Two
    namesakes living apart have no such companion. This is what lets a pair
    that disagrees on where the person lives link at the ordinary threshold.
    """
    rows = con.sql(
        f"""
        with strong as (
            select s.unique_id_l as l, s.unique_id_r as r,
                   pl.postcode || '|' || coalesce(pl.address, '') as from_place,
                   pr.postcode || '|' || coalesce(pr.address, '') as to_place,
                   pl.given_name as given_l, pr.given_name as given_r
            from {scored_table} s
            join {prepared_table} pl on pl.unique_id = s.unique_id_l
            join {prepared_table} pr on pr.unique_id = s.unique_id_r
            where s.match_probability >= {link_threshold} and s.identity_agrees
              and s.mw_location < 0
        ),
        directed as (
            select l, r, from_place as a, to_place as b, given_l, given_r from strong
            union all
            select l, r, to_place, from_place, given_r, given_l from strong
        )
        select distinct one.l, one.r
        from directed one join directed other
          on one.a = other.a and one.b = other.b
        where other.given_l is distinct from one.given_l
          and other.given_r is distinct from one.given_r
        """
    ).fetchall()
    return {(left, right) for left, right in rows}


def cannot_link_pairs(
    con: duckdb.DuckDBPyConnection,
    prepared_table: str,
    relationships: pd.DataFrame | None,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every cannot-link pair: related records, twins, and ``extra`` (reviewed as different)."""
    frames = [related_pairs(relationships), twin_pairs(con, prepared_table)]
    if extra is not None and not extra.empty:
        frames.append(
            related_pairs(
                extra.rename(
                    columns={"unique_id_l": "unique_id", "unique_id_r": "related_unique_id"}
                )
            )
        )
    return pd.concat(frames, ignore_index=True).drop_duplicates(ignore_index=True)
