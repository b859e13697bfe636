"""Deterministic linkage: records that share a valid NHS number or UPN are one person.

A national identifier is strong evidence, but not proof: an agency can
attach a sibling's NHS number to the wrong child. So a link is refused when
it would give one person two different NHS numbers or two different UPNs,
and the refusal is reported as a conflict for a person to resolve, rather
than merging two children into one.

Pure Python with no Django imports; the database side is
``matching.services``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


class IdentifiedRecord(NamedTuple):
    """The parts of an agency record that deterministic linkage looks at."""

    record_pk: int
    nhs_number: str
    upn: str


@dataclass(frozen=True)
class IdentifierConflict:
    """Two records that share one identifier but disagree on the other, so were not linked."""

    record_pk: int
    other_record_pk: int
    identifier: str
    reason: str


class _Groups:
    """Union-find over record keys, each group remembering its one NHS number and UPN."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.nhs: dict[int, str] = {}
        self.upn: dict[int, str] = {}

    def add(self, record: IdentifiedRecord) -> None:
        self.parent[record.record_pk] = record.record_pk
        if record.nhs_number:
            self.nhs[record.record_pk] = record.nhs_number
        if record.upn:
            self.upn[record.record_pk] = record.upn

    def root(self, key: int) -> int:
        parent = self.parent
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def clash(self, first: int, second: int) -> str:
        """Why the groups of two roots may not be joined, or '' if they may."""
        for label, identifiers in (("NHS numbers", self.nhs), ("UPNs", self.upn)):
            one, other = identifiers.get(first), identifiers.get(second)
            if one and other and one != other:
                return f"different {label} ({one}, {other})"
        return ""

    def join(self, first: int, second: int) -> None:
        keep, absorb = min(first, second), max(first, second)
        self.parent[absorb] = keep
        for identifiers in (self.nhs, self.upn):
            if absorb in identifiers:
                identifiers.setdefault(keep, identifiers.pop(absorb))


def group_by_identifiers(
    records: Iterable[IdentifiedRecord],
) -> tuple[list[list[int]], list[IdentifierConflict]]:
    """Group records into people by shared NHS number or UPN.

    Records are taken in order of ``record_pk`` so the result does not depend
    on the order they were read in. Every record ends in exactly one group;
    a record with no identifier is a group of its own.

    Example:
        >>> groups, conflicts = group_by_identifiers([
        ...     IdentifiedRecord(1, "9434765919", ""),
        ...     IdentifiedRecord(2, "9434765919", "B801200005001"),
        ...     IdentifiedRecord(3, "", "B801200005001"),
        ...     IdentifiedRecord(4, "", ""),
        ... ])
        >>> groups
        [[1, 2, 3], [4]]
    """
    ordered = sorted(records, key=lambda record: record.record_pk)
    groups = _Groups()
    first_holder: dict[tuple[str, str], int] = {}
    conflicts: list[IdentifierConflict] = []
    for record in ordered:
        groups.add(record)
    for record in ordered:
        for kind, value in (("nhs", record.nhs_number), ("upn", record.upn)):
            if not value:
                continue
            holder = first_holder.setdefault((kind, value), record.record_pk)
            if holder == record.record_pk:
                continue
            mine, theirs = groups.root(record.record_pk), groups.root(holder)
            if mine == theirs:
                continue
            if reason := groups.clash(mine, theirs):
                conflicts.append(
                    IdentifierConflict(
                        record_pk=record.record_pk,
                        other_record_pk=holder,
                        identifier=value,
                        reason=f"share {value} but have {reason}",
                    )
                )
                continue
            groups.join(mine, theirs)
    members: dict[int, list[int]] = {}
    for record in ordered:
        members.setdefault(groups.root(record.record_pk), []).append(record.record_pk)
    return sorted(members.values(), key=lambda group: group[0]), conflicts
