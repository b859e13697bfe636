"""Turning scored pairs into people, without ever joining two people who cannot be one.

Splink's own clustering joins every pair above a threshold (connected
components), so one wrong link — twins, a sibling, a father and son of the
same name — chains whole families into one person. Here links are added
strongest first, and each is refused when the two groups it would join
cannot be one person:

- they would hold two different values of something a person has only one
  of: an NHS number, a UPN (disagreement on a national identifier is strong
  evidence of two people), the GP practice they are registered with, the
  school whose roll they are on;
- a record of one and a record of the other are a cannot-link pair: an
  agency relates them (its own records of siblings, parent and child,
  partners), they are twins (one agency's household, one date of birth, two
  given names), or a person reviewed them and said "different people".

A third kind of pair is doubtful rather than impossible (one agency's two
records in one household whose dates of birth differ or are missing: a
parallel record, or a father and son of one name). A link that would join a
doubtful pair is not made automatically but handed to clerical review.

Pure Python on integer keys; a million records and a few million pairs take
seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

#: The first values of a record's one-only tuple are national identifiers (NHS number,
#: UPN); the rest are registrations (GP practice, school, …).
NATIONAL_IDENTIFIERS = 2


class Edge(NamedTuple):
    """A reason to think two records are one person."""

    left: int
    right: int
    probability: float
    rule: str
    #: Whether the evidence is enough to link without a person looking: false for
    #: a score below the link threshold, or a pair that agrees on where someone
    #: lives but not on who they are. Such an edge is only offered for review.
    automatic: bool = True


@dataclass
class Clustering:
    """People found: each record's cluster, the links used, and pairs for review."""

    cluster_of: dict[int, int]
    links: list[Edge] = field(default_factory=list)
    review: list[Edge] = field(default_factory=list)
    refused: int = 0
    #: Shared identifiers that could not join their records (two different NHS
    #: numbers or UPNs, or records known to be different people): for a person to resolve.
    conflicts: list[Edge] = field(default_factory=list)


class _Groups:
    """Union-find whose groups remember their one-only values, members and cannot-link records."""

    def __init__(self, keys: Sequence[int], identifiers: dict[int, tuple[str, ...]]) -> None:
        self.parent = {key: key for key in keys}
        self.members: dict[int, list[int]] = {key: [key] for key in keys}
        self.identifiers: dict[int, tuple[str, ...]] = dict(identifiers)
        self.cannot: dict[int, set[int]] = {}
        self.doubt: dict[int, set[int]] = {}

    def root(self, key: int) -> int:
        parent = self.parent
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    @staticmethod
    def _pair(between: dict[int, set[int]], first: int, second: int) -> None:
        between.setdefault(first, set()).add(second)
        between.setdefault(second, set()).add(first)

    def forbid(self, first: int, second: int) -> None:
        self._pair(self.cannot, first, second)

    def question(self, first: int, second: int) -> None:
        self._pair(self.doubt, first, second)

    def _crosses(self, between: dict[int, set[int]], first: int, second: int) -> bool:
        small, large = sorted((first, second), key=lambda root: len(self.members[root]))
        pairs = between.get(large)
        return bool(pairs) and not pairs.isdisjoint(self.members[small])  # type: ignore[union-attr]

    def may_join(self, first: int, second: int, *, by_model: bool) -> bool:
        """Whether the groups of two roots may be one person.

        Two national identifiers that differ always keep groups apart. The other
        one-only values (a GP practice, a school) keep apart only what the model
        alone would join: a shared NHS number outweighs a move between practices.
        """
        mine, theirs = self.identifiers.get(first), self.identifiers.get(second)
        if mine and theirs:
            checked = len(mine) if by_model else NATIONAL_IDENTIFIERS
            if any(
                a and b and a != b for a, b in zip(mine[:checked], theirs[:checked], strict=True)
            ):
                return False
        return not self._crosses(self.cannot, first, second)

    def doubtful(self, first: int, second: int) -> bool:
        """Whether joining the groups of two roots needs a person to decide."""
        return self._crosses(self.doubt, first, second)

    def join(self, first: int, second: int) -> None:
        keep, absorb = sorted((first, second), key=lambda root: -len(self.members[root]))
        self.parent[absorb] = keep
        self.members[keep].extend(self.members.pop(absorb))
        mine, theirs = self.identifiers.get(keep), self.identifiers.pop(absorb, None)
        if theirs:
            self.identifiers[keep] = (
                tuple(a or b for a, b in zip(mine, theirs, strict=True)) if mine else theirs
            )
        for between in (self.cannot, self.doubt):
            if absorbed := between.pop(absorb, None):
                between.setdefault(keep, set()).update(absorbed)


def cluster(
    keys: Sequence[int],
    *,
    identifiers: dict[int, tuple[str, ...]],
    edges: Iterable[Edge],
    cannot_link: Iterable[tuple[int, int]] = (),
    doubtful: Iterable[tuple[int, int]] = (),
) -> Clustering:
    """Group records into people.

    Args:
        keys: every record's ``unique_id``.
        identifiers: for each record that has any, the values a person has only one
            of, in a fixed order (NHS number, UPN, GP practice, school, …; ``""``
            where not known). Two groups holding different values cannot join.
        edges: identifier agreements (probability 1) and model scores; taken
            strongest first, ties broken by the keys so the result is repeatable;
            edges that are not ``automatic`` are only offered for review.
        cannot_link: pairs that must stay apart whatever the evidence.
        doubtful: pairs that only a person may join: a link joining them goes to review.

    Example:
        >>> result = cluster(
        ...     [1, 2, 3],
        ...     identifiers={1: ("9434765919", ""), 3: ("9434765870", "")},
        ...     edges=[Edge(1, 2, 0.999, "model"), Edge(2, 3, 0.998, "model")],
        ... )
        >>> result.cluster_of, [(e.left, e.right) for e in result.review]
        ({1: 1, 2: 1, 3: 3}, [(2, 3)])
    """
    groups = _Groups(keys, identifiers)
    for first, second in cannot_link:
        if first in groups.parent and second in groups.parent and first != second:
            groups.forbid(first, second)
    for first, second in doubtful:
        if first in groups.parent and second in groups.parent and first != second:
            groups.question(first, second)
    result = Clustering(cluster_of={})
    maybe: list[Edge] = []
    ordered = sorted(edges, key=lambda edge: (-edge.probability, edge.left, edge.right))
    for edge in ordered:
        if not edge.automatic:
            maybe.append(edge)
            continue
        first, second = groups.root(edge.left), groups.root(edge.right)
        if first == second:
            continue
        if not groups.may_join(first, second, by_model=edge.rule.startswith("model")):
            result.refused += 1
            if edge.rule in ("nhs_number", "upn"):
                result.conflicts.append(edge)
        elif edge.rule == "model" and groups.doubtful(first, second):
            maybe.append(edge._replace(rule=f"{edge.rule}, doubtful"))
        else:
            groups.join(first, second)
            result.links.append(edge)
    for edge in maybe:
        first, second = groups.root(edge.left), groups.root(edge.right)
        if first != second and groups.may_join(first, second, by_model=True):
            result.review.append(edge)
    for members in groups.members.values():
        lowest = min(members)
        for key in members:
            result.cluster_of[key] = lowest
    return result
