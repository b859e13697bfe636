"""A household's family drawn as a genogram, in SVG, with a text alternative.

A genogram is the family tree practitioners draw on a whiteboard: squares for
males, circles for females, a diamond for a person whose sex is not known and a
small triangle for a pregnancy. A horizontal line joins a couple, crossed by
"//" when they have separated; a line drops from it (or from a single parent)
to a sibship line, from which each child hangs, oldest on the left. A dashed
box goes round the people who live together, and a child with a recent concern
has a thick double outline and the word "Concern", so the mark does not depend
on colour.

Nothing here knows about Django. The caller describes the family with the plain
dataclasses below, listing only the people the viewer may see, and gets back
SVG markup (`genogram_svg`) and sentences for screen readers
(`genogram_description`)::

    svg = genogram_svg(Genogram(people=..., couples=..., parentage=..., title="Family of ..."))

How the drawing is laid out
---------------------------

1. Generations. Adults start on row 0, children and the unborn on row 1. A
   child is pushed below its lowest parent, and two partners (or the two
   parents of one child) share the lower of their rows, until nothing moves;
   empty rows are dropped. In the usual household that leaves the adults above
   the children; a grandmother living in adds a row on top.
2. Order within a row, row by row from the top. The household is kept
   together so that one rectangle can enclose it on every row, and relatives
   living elsewhere follow to the right of it. Within each part, partners are
   chained so that a couple sits side by side (someone with two partners
   between them), a person whose partner lives elsewhere at the end nearest
   the boundary, and children under their parents, oldest first. When both
   ends of the household have a partner elsewhere (a mother's former partner
   and her new partner's), or a young person pinned at the left by age order
   has one, that partner is drawn to the left of the box instead, so that
   every couple line crosses the boundary without passing anyone.
3. Columns. Everyone has a cell of the same width. The household part of each
   row is centred, by whole cells, in the widest household row; the others
   stand a gap away from the box.
   Labels are shortened to stay inside their cell, which leaves a clear channel
   at each cell's edge for the lines that run down.
4. Lines, drawn beneath the symbols (which are filled white, so a line may run
   from centre to centre). A couple with no one between them gets a straight
   line; otherwise theirs runs down the channels and along below the labels.
   The line to the children drops from the middle of the couple line, or from
   a short stub beside a single parent. Each sibship line is given a height
   (level) of its own where it would overlap another on the same row.
5. Heights. Rows are spaced to fit the labels, routed couple lines and sibship
   levels between them; the legend goes below, with the entries the drawing
   uses.

The same input always gives the same string: nothing depends on set order and
every coordinate is rounded before it is written.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from thinkfamily.core import svg
from thinkfamily.core.svg import Attributes

__all__ = [
    "Genogram",
    "GenogramCouple",
    "GenogramParentage",
    "GenogramPerson",
    "genogram_description",
    "genogram_svg",
]


# The family, as the caller describes it


@dataclass(frozen=True)
class GenogramPerson:
    """One person to draw. ``key`` is the person's id; ``href`` is set only if the
    viewer may open the person's page."""

    key: int
    name: str
    sex: str  # "F", "M", or "U" / "" when not known
    age: int | None  # whole years; None when not known or unborn
    unborn: bool = False
    is_child: bool = False
    lives_here: bool = True
    of_concern: bool = False
    href: str | None = None


@dataclass(frozen=True)
class GenogramCouple:
    """Two partners; ``separated`` for a past couple or co-parents not together."""

    first: int
    second: int
    separated: bool = False


@dataclass(frozen=True)
class GenogramParentage:
    """A child and its parents (one or two; a parent not in the drawing is ignored)."""

    child: int
    parents: tuple[int, ...]


@dataclass(frozen=True)
class Genogram:
    """What to draw. ``id_prefix`` keeps element ids unique when a page shows two."""

    people: tuple[GenogramPerson, ...]
    couples: tuple[GenogramCouple, ...]
    parentage: tuple[GenogramParentage, ...]
    title: str
    id_prefix: str = "genogram"


# Sizes, in SVG user units (pixels at natural size)

CELL_WIDTH = 136
SYMBOL_SIZE = 40
HALF = SYMBOL_SIZE / 2
CONCERN_GAP = 6  # between a symbol and its outer outline
LABEL_MARGIN = 16  # kept clear of text at each side of a cell, for the lines that run down
MARGIN = 24
HOUSEHOLD_GAP = 40  # between the household box and those who live elsewhere
MIN_WIDTH = 600

TITLE_SIZE = 18
NAME_SIZE = 14
SMALL_SIZE = 13
LINE_HEIGHT = 17

FIRST_ROW_Y = 84  # centre of the top row's symbols
FIRST_BASELINE = HALF + CONCERN_GAP + 16  # of a label's first line, below the centre
LABEL_WIDTH = CELL_WIDTH - 2 * LABEL_MARGIN
ROUTE_STEP = 10  # between routed couple lines below one row
LEVEL_STEP = 14  # between sibship lines above one row
SIBSHIP_CLEARANCE = 22  # from the lowest sibship line to the top of a symbol
DESCENT_CLEARANCE = 16  # from the lines below one row to the sibship lines of the next
EXIT_STEP = 12  # between lines that leave the same side of a symbol
CHANNEL_STEP = 12  # between lines that run down the same channel
LEGEND_ITEM_WIDTH = 270
LEGEND_ROW_HEIGHT = 34

STROKE = "#000"
PAPER = "#fff"
FONT_FAMILY = "Arial, Helvetica, sans-serif"


# Tidying the input


@dataclass(frozen=True)
class _Couple:
    first: int
    second: int
    separated: bool
    recorded: bool  # False for the two parents of a child who were not recorded as a couple


@dataclass(frozen=True)
class _Family:
    people: dict[int, GenogramPerson]
    couples: tuple[_Couple, ...]
    parents_of: dict[int, tuple[int, ...]]  # child -> its parents in the drawing, at most two


def _tidy(genogram: Genogram) -> _Family:
    """The family with every reference to someone not drawn (or repeated) dropped.

    A child's parentage may arrive in several pieces (mother and father apart);
    they are joined, and only the first two parents are kept.
    """
    people: dict[int, GenogramPerson] = {}
    for person in genogram.people:
        people.setdefault(person.key, person)

    parents_of: dict[int, tuple[int, ...]] = {}
    for parentage in genogram.parentage:
        if parentage.child not in people:
            continue
        parents = list(parents_of.get(parentage.child, ()))
        for parent in parentage.parents:
            if parent in people and parent != parentage.child and parent not in parents:
                parents.append(parent)
        if parents:
            parents_of[parentage.child] = tuple(parents[:2])

    couples: list[_Couple] = []
    seen: set[frozenset[int]] = set()
    for couple in genogram.couples:
        pair = frozenset((couple.first, couple.second))
        if len(pair) == 2 and all(key in people for key in pair) and pair not in seen:
            seen.add(pair)
            couples.append(_Couple(couple.first, couple.second, couple.separated, recorded=True))
    for first_parent, second_parent in (p for p in parents_of.values() if len(p) == 2):
        pair = frozenset((first_parent, second_parent))
        if pair not in seen:
            seen.add(pair)
            couples.append(_Couple(first_parent, second_parent, separated=False, recorded=False))
    return _Family(people, tuple(couples), parents_of)


def _partners(family: _Family) -> dict[int, list[int]]:
    partners: dict[int, list[int]] = {key: [] for key in family.people}
    for couple in family.couples:
        partners[couple.first].append(couple.second)
        partners[couple.second].append(couple.first)
    return partners


# 1. Generations


def _generations(family: _Family) -> list[list[int]]:
    """The people on each row, top row first, in input order within a row."""
    row = {
        key: 1 if person.is_child or person.unborn else 0 for key, person in family.people.items()
    }
    # A loop in the data (someone their own ancestor) would push rows down for ever.
    for _ in range(len(row) + 1):
        moved = False
        for child, parents in family.parents_of.items():
            below_parents = max(row[parent] for parent in parents) + 1
            if row[child] < below_parents:
                row[child] = below_parents
                moved = True
        for couple in family.couples:
            shared = max(row[couple.first], row[couple.second])
            if row[couple.first] != shared or row[couple.second] != shared:
                row[couple.first] = row[couple.second] = shared
                moved = True
        if not moved:
            break
    return [
        [key for key in family.people if row[key] == used] for used in sorted(set(row.values()))
    ]


# 2 and 3. Order within a row, and columns

_Order = Callable[[int], tuple[float, int, int, str, int]]


def _age_order(person: GenogramPerson) -> tuple[int, int]:
    """Oldest first; those whose age is not known after them, the unborn last."""
    if person.unborn:
        return (2, 0)
    if person.age is None:
        return (1, 0)
    return (0, -person.age)


def _household_width(family: _Family, rows: list[list[int]]) -> int:
    """Columns inside the household box: as many as its fullest row needs."""
    return max(sum(family.people[key].lives_here for key in row) for row in rows)


@dataclass(frozen=True)
class _Columns:
    x: dict[int, float]  # every person's centre
    box_left: float  # the household box's left edge
    box_width: float  # 0 when no one lives in the household


def _place_columns(family: _Family, rows: list[list[int]]) -> _Columns:
    """The x of every person's centre, laid out row by row from the top.

    Worked out with the household box's left edge at 0, so that anyone placed
    to its left has a negative x, then moved right past the widest left part.
    """
    partners = _partners(family)
    box_width = _household_width(family, rows) * CELL_WIDTH
    gap = HOUSEHOLD_GAP if box_width else 0
    x: dict[int, float] = {}
    side: dict[int, str] = {}  # "left", "home" or "right" of the box
    widest_left = 0
    for row in rows:

        def placing_order(key: int) -> tuple[float, int, int, str, int]:
            """Under their parents, then oldest first, then by name."""
            person = family.people[key]
            placed_parents = [x[parent] for parent in family.parents_of.get(key, ()) if parent in x]
            under = sum(placed_parents) / len(placed_parents) if placed_parents else math.inf
            return (under, *_age_order(person), person.name.casefold(), key)

        home = [key for key in row if family.people[key].lives_here]
        away = [key for key in row if not family.people[key].lives_here]
        home_order = _household_order(home, away, partners, placing_order)
        # Whole columns only: then the cell edges, where lines run down, line up
        # on every row and never fall on a symbol's centre on the row below.
        first_column = (int(box_width // CELL_WIDTH) - len(home_order)) // 2
        for index, key in enumerate(home_order):
            x[key] = (first_column + index + 0.5) * CELL_WIDTH
            side[key] = "home"

        home_x = {key: x[key] for key in home_order}
        left, right = _split_away(away, home_order, partners, family.parents_of, side)
        left_order = _outside_order(left, home_x, partners, placing_order, box_on="right")
        for index, key in enumerate(reversed(left_order)):
            x[key] = -gap - (index + 0.5) * CELL_WIDTH
            side[key] = "left"
        right_order = _outside_order(right, home_x, partners, placing_order, box_on="left")
        for index, key in enumerate(right_order):
            x[key] = box_width + gap + (index + 0.5) * CELL_WIDTH
            side[key] = "right"
        widest_left = max(widest_left, len(left))

    box_left = MARGIN + (widest_left * CELL_WIDTH + gap if widest_left else 0)
    return _Columns({key: box_left + at for key, at in x.items()}, box_left, box_width)


def _household_order(
    home: list[int], away: list[int], partners: dict[int, list[int]], order: _Order
) -> list[int]:
    """The household's part of a row, left to right.

    Whoever has a partner living elsewhere goes to an end of it, so that their
    couple line can cross the boundary without passing anyone: the right-hand
    end, and the left-hand end as well when there is a second such couple.
    Children are not moved from under their parents and out of age order for
    this; a partner of theirs is drawn on whichever side is nearer.
    """
    bridges = _with_partner_in(home, away, partners)
    groups = _couple_groups(home, partners, order, bridges, bridges_toward="right")
    movable = [
        group
        for group in groups
        if bridges.intersection(group) and all(math.isinf(order(key)[0]) for key in group)
    ]
    staying = [group for group in groups if group not in movable]
    if len(movable) < 2:
        return [key for group in [*staying, *movable] for key in group]
    ordered = [movable[0][::-1], *staying, *movable[1:]]
    return [key for group in ordered for key in group]


def _split_away(
    away: list[int],
    home_order: list[int],
    partners: dict[int, list[int]],
    parents_of: dict[int, tuple[int, ...]],
    side: dict[int, str],
) -> tuple[list[int], list[int]]:
    """Those living elsewhere on this row: the ones left of the box, and the rest.

    The left takes the partners of the household's first person (when that
    person is not also the last) and anyone whose parents are drawn on the left,
    each with their own partners living elsewhere.
    """
    bridges = _with_partner_in(home_order, away, partners)
    first = home_order[0] if home_order else None
    left_bridge = first if first in bridges and len(home_order) > 1 else None

    def belongs_left(key: int) -> bool:
        if any(side.get(partner) == "home" for partner in partners[key]):
            return left_bridge in partners[key]
        parent_sides = {side[parent] for parent in parents_of.get(key, ()) if parent in side}
        return "left" in parent_sides and "right" not in parent_sides

    inside = set(away)
    left: set[int] = set()
    for key in away:
        group = _couple_group(key, partners, inside)
        if any(belongs_left(member) for member in group):
            left.update(group)
    return [key for key in away if key in left], [key for key in away if key not in left]


def _outside_order(
    members: list[int],
    home_x: dict[int, float],
    partners: dict[int, list[int]],
    order: _Order,
    *,
    box_on: str,
) -> list[int]:
    """Those living elsewhere on one side of the box, left to right.

    Partners of household members come next to the box, the nearest partner's
    first; the others follow in placing order.
    """
    bridges = {key for key in members if any(partner in home_x for partner in partners[key])}
    groups = _couple_groups(members, partners, order, bridges, bridges_toward=box_on)
    plain = [group for group in groups if not bridges.intersection(group)]

    def distance_from_box(group: list[int]) -> float:
        partner_xs = [home_x[p] for key in group for p in partners[key] if p in home_x]
        return min(partner_xs) if box_on == "right" else -max(partner_xs)

    bridged = sorted(
        (group for group in groups if bridges.intersection(group)), key=distance_from_box
    )
    ordered = [*plain, *bridged[::-1]] if box_on == "right" else [*bridged, *plain]
    return [key for group in ordered for key in group]


def _with_partner_in(
    members: list[int], others: list[int], partners: dict[int, list[int]]
) -> set[int]:
    """The members with a partner among ``others``."""
    across = set(others)
    return {key for key in members if across.intersection(partners[key])}


def _couple_groups(
    members: list[int],
    partners: dict[int, list[int]],
    order: _Order,
    bridges: set[int],
    *,
    bridges_toward: str,
) -> list[list[int]]:
    """Members joined through couples, each group a line of partners side by side.

    Groups come in placing order (of their first member); a group's bridges
    (members with a partner across the boundary) are turned toward that side.
    """
    inside = set(members)
    groups: list[list[int]] = []
    for start in sorted(members, key=order):
        if any(start in group for group in groups):
            continue
        group = _line_up(_couple_group(start, partners, inside), partners, order)
        places = [index for index, key in enumerate(group) if key in bridges]
        if places:
            mean_place, middle = sum(places) / len(places), (len(group) - 1) / 2
            leaning_left, leaning_right = mean_place < middle, mean_place > middle
            if leaning_left if bridges_toward == "right" else leaning_right:
                group.reverse()
        groups.append(group)
    return groups


def _couple_group(start: int, partners: dict[int, list[int]], inside: set[int]) -> list[int]:
    """Everyone in ``inside`` joined to ``start`` through couples."""
    group = [start]
    for key in group:  # grows as it goes: a breadth-first walk
        group.extend(p for p in partners[key] if p in inside and p not in group)
    return group


def _line_up(group: list[int], partners: dict[int, list[int]], order: _Order) -> list[int]:
    """A couple group as a line: from one end, each next to a partner where possible."""
    members = set(group)

    def degree(key: int) -> int:
        return sum(partner in members for partner in partners[key])

    ends = [key for key in group if degree(key) <= 1]
    line = [min(ends or group, key=order)]
    while len(line) < len(group):
        next_partners = [p for p in partners[line[-1]] if p in members and p not in line]
        candidates = next_partners or [key for key in group if key not in line]
        line.append(min(candidates, key=order))
    return line


# 4. Lines


@dataclass(frozen=True)
class _Route:
    """Where a couple's line runs across; its heights come with the rows."""

    couple: _Couple
    row: int
    left: int
    right: int
    straight: bool  # no one sits between them: a straight line from one to the other
    descent_x: float  # the middle of the couple line, where a line to their children drops
    left_exit: float = 0  # how far below the centre a routed line leaves each partner
    right_exit: float = 0
    left_drop: float = 0  # the channels a routed line runs down
    right_drop: float = 0
    band: int = 0  # which of the routed lines below the row's labels, from the top


@dataclass(frozen=True)
class _Lead:
    """The stub from a single parent's side to the channel where the line drops."""

    parent: int
    exit: float  # how far below the centre it leaves the parent
    drop: float


@dataclass(frozen=True)
class _Sibship:
    """Children of the same parents on one row, and where their line comes from."""

    parents: tuple[int, ...]
    children: tuple[int, ...]  # left to right
    row: int
    route: _Route | None  # the parents' couple line, or
    lead: _Lead | None  # a single parent's stub
    level: int = 0  # 0 is the sibship line nearest the children

    @property
    def source_x(self) -> float:
        if self.route is not None:
            return self.route.descent_x
        assert self.lead is not None
        return self.lead.drop


class _Channels:
    """The x of every line already running down between the cells of one row."""

    def __init__(self) -> None:
        self.used: list[float] = []

    def claim(self, edge: float, inward: int) -> float:
        """A free x near a cell's edge, trying the person's own side of it first."""
        for step in (0, 1, -1):
            candidate = edge + step * inward * CHANNEL_STEP
            if all(abs(candidate - taken) >= CHANNEL_STEP - 1 for taken in self.used):
                self.used.append(candidate)
                return candidate
        self.used.append(edge)  # a crowded channel: lines may touch, but none is lost
        return edge


class _Exits:
    """How many lines already leave each side of each symbol."""

    def __init__(self) -> None:
        self.count: dict[tuple[int, str], int] = {}

    def take(self, key: int, side: str) -> float:
        """The next free height on that side, as an offset below the centre."""
        slot = self.count.get((key, side), 0)
        self.count[(key, side)] = slot + 1
        return min(slot, 2) * EXIT_STEP

    def is_free(self, key: int, side: str) -> bool:
        return (key, side) not in self.count


def _stack(spans: Sequence[tuple[float, float]], gap: float) -> list[int]:
    """A level for each span: the lowest one no overlapping span has taken."""
    levels: list[int] = []
    for index, (start, end) in enumerate(spans):
        taken = {
            levels[other]
            for other, (other_start, other_end) in enumerate(spans[:index])
            if start <= other_end + gap and other_start <= end + gap
        }
        levels.append(next(level for level in itertools.count() if level not in taken))
    return levels


def _clear_of(centres: list[float], middle: float, low: float, high: float) -> float:
    """The middle of a couple line, or the nearest point to it that is not above
    anyone's centre below, so that the line to the children cannot run into the
    line from another sibship down to a child."""
    for distance in range(0, int(high - low) // 2, CHANNEL_STEP):
        for candidate in (middle - distance, middle + distance):
            if low < candidate < high and all(abs(candidate - c) >= CHANNEL_STEP for c in centres):
                return candidate
    return middle


def _route_couples(
    family: _Family,
    rows: list[list[int]],
    x: dict[int, float],
    row_of: dict[int, int],
    channels: list[_Channels],
    exits: _Exits,
) -> list[_Route]:
    """Every couple's line: straight where they can be, then the routed ones."""
    below = [[x[key] for row in rows[index + 1 :] for key in row] for index in range(len(rows))]
    routes: list[_Route] = []
    blocked: list[tuple[_Couple, int, int, int]] = []
    for couple in family.couples:
        row = row_of[couple.first]
        if row != row_of[couple.second]:  # only when the data holds a loop
            continue
        left, right = sorted((couple.first, couple.second), key=lambda key: (x[key], key))
        if any(x[left] < x[other] < x[right] for other in rows[row]):
            blocked.append((couple, row, left, right))
            continue
        middle = _clear_of(below[row], (x[left] + x[right]) / 2, x[left], x[right])
        channels[row].used.append(middle)
        exits.take(left, "right")
        exits.take(right, "left")
        routes.append(_Route(couple, row, left, right, straight=True, descent_x=middle))

    routed: list[_Route] = []
    for couple, row, left, right in blocked:
        left_exit = exits.take(left, "right")
        right_exit = exits.take(right, "left")
        left_drop = channels[row].claim(x[left] + CELL_WIDTH / 2, inward=-1)
        right_drop = channels[row].claim(x[right] - CELL_WIDTH / 2, inward=1)
        routed.append(
            _Route(
                couple,
                row,
                left,
                right,
                straight=False,
                descent_x=_clear_of(
                    below[row], (left_drop + right_drop) / 2, left_drop, right_drop
                ),
                left_exit=left_exit,
                right_exit=right_exit,
                left_drop=left_drop,
                right_drop=right_drop,
            )
        )
    for row in range(len(rows)):
        on_row = [route for route in routed if route.row == row]
        bands = _stack([(route.left_drop, route.right_drop) for route in on_row], gap=4)
        routes.extend(replace(route, band=band) for route, band in zip(on_row, bands, strict=True))
    return routes


def _lead(
    parent: int,
    towards: float,
    x: dict[int, float],
    channel: _Channels,
    exits: _Exits,
) -> _Lead:
    """A single parent's stub, on the side of the children unless a couple line is there."""
    preferred, other = ("left", "right") if towards < x[parent] else ("right", "left")
    side = (
        other
        if not exits.is_free(parent, preferred) and exits.is_free(parent, other)
        else preferred
    )
    exit_offset = exits.take(parent, side)
    if side == "right":
        drop = channel.claim(x[parent] + CELL_WIDTH / 2, inward=-1)
    else:
        drop = channel.claim(x[parent] - CELL_WIDTH / 2, inward=1)
    return _Lead(parent, exit_offset, drop)


def _gather_sibships(
    family: _Family,
    rows: list[list[int]],
    x: dict[int, float],
    row_of: dict[int, int],
    routes: list[_Route],
    channels: list[_Channels],
    exits: _Exits,
) -> list[_Sibship]:
    """The children grouped by parents, each group with its source and its level."""
    route_of = {frozenset((route.left, route.right)): route for route in routes}
    groups: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for row_index, row in enumerate(rows):
        for child in sorted(row, key=lambda key: (x[key], key)):
            parents = family.parents_of.get(child, ())
            if parents and all(row_of[parent] < row_index for parent in parents):
                groups.setdefault((row_index, tuple(sorted(parents))), []).append(child)

    sibships: list[_Sibship] = []
    for (row_index, parents), children in groups.items():
        route = route_of.get(frozenset(parents)) if len(parents) == 2 else None
        lead = None
        if route is None:
            parent = parents[0]
            towards = sum(x[child] for child in children) / len(children)
            lead = _lead(parent, towards, x, channels[row_of[parent]], exits)
        sibships.append(_Sibship(parents, tuple(children), row_index, route, lead))

    stacked: list[_Sibship] = []
    for row_index in range(len(rows)):
        on_row = sorted(
            (sibship for sibship in sibships if sibship.row == row_index),
            key=lambda sibship: _sibship_span(sibship, x),
        )
        levels = _stack([_sibship_span(sibship, x) for sibship in on_row], gap=LEVEL_STEP)
        stacked.extend(
            replace(sibship, level=level) for sibship, level in zip(on_row, levels, strict=True)
        )
    return stacked


def _sibship_span(sibship: _Sibship, x: dict[int, float]) -> tuple[float, float]:
    """How far the sibship line runs: over every child and the line from the parents."""
    xs = [x[child] for child in sibship.children] + [sibship.source_x]
    return (min(xs), max(xs))


# 5. Heights, and the whole layout


@dataclass(frozen=True)
class _Layout:
    order: tuple[int, ...]  # everyone, top row first, left to right
    x: dict[int, float]
    y: dict[int, float]
    row_centres: tuple[float, ...]
    label_depths: tuple[float, ...]  # how far below its centre each row's labels reach
    routes: tuple[_Route, ...]
    sibships: tuple[_Sibship, ...]
    household_box: tuple[float, float, float, float] | None  # x, y, width, height
    bottom: float  # below the lowest label or line
    right: float  # right of the rightmost cell

    def route_y(self, route: _Route) -> float:
        """The height of the couple line's middle, where the children's line starts."""
        centre = self.row_centres[route.row]
        if route.straight:
            return centre
        return centre + self.label_depths[route.row] + route.band * ROUTE_STEP

    def sibship_y(self, sibship: _Sibship) -> float:
        top_of_symbols = self.row_centres[sibship.row] - HALF
        return top_of_symbols - SIBSHIP_CLEARANCE - sibship.level * LEVEL_STEP


def _lay_out(family: _Family) -> _Layout:
    rows = _generations(family)
    row_of = {key: index for index, row in enumerate(rows) for key in row}
    columns = _place_columns(family, rows)
    x = columns.x
    channels = [_Channels() for _ in rows]
    exits = _Exits()
    routes = _route_couples(family, rows, x, row_of, channels, exits)
    sibships = _gather_sibships(family, rows, x, row_of, routes, channels, exits)

    bands = [
        max((r.band + 1 for r in routes if r.row == i and not r.straight), default=0)
        for i in range(len(rows))
    ]
    levels = [
        max((s.level + 1 for s in sibships if s.row == i), default=1) for i in range(len(rows))
    ]
    depths = [max(_label_depth(family.people[key]) for key in row) for row in rows]
    centres = [float(FIRST_ROW_Y)]
    for index in range(1, len(rows)):
        below_labels = centres[-1] + depths[index - 1] + bands[index - 1] * ROUTE_STEP
        lines_start = below_labels + DESCENT_CLEARANCE
        centres.append(lines_start + (levels[index] - 1) * LEVEL_STEP + SIBSHIP_CLEARANCE + HALF)

    order = tuple(key for row in rows for key in sorted(row, key=lambda key: x[key]))
    return _Layout(
        order=order,
        x=x,
        y={key: centres[row_of[key]] for key in order},
        row_centres=tuple(centres),
        label_depths=tuple(depths),
        routes=tuple(routes),
        sibships=tuple(sibships),
        household_box=_household_box(family, rows, centres, depths, columns),
        bottom=centres[-1] + depths[-1] + bands[-1] * ROUTE_STEP,
        right=max(x.values()) + CELL_WIDTH / 2,
    )


def _household_box(
    family: _Family,
    rows: list[list[int]],
    centres: list[float],
    depths: list[float],
    columns: _Columns,
) -> tuple[float, float, float, float] | None:
    """The dashed box: every household column, from the first household row to the last."""
    if not columns.box_width:
        return None
    home_rows = [i for i, row in enumerate(rows) if any(family.people[k].lives_here for k in row)]
    top = centres[home_rows[0]] - HALF - CONCERN_GAP - 8
    bottom = centres[home_rows[-1]] + depths[home_rows[-1]]
    inset = 4  # inside the outer cells' label margins, so it never crosses a name
    return (columns.box_left + inset, top, columns.box_width - 2 * inset, bottom - top)


# Text: words for ages and sexes, cleaning, and fitting a cell


def _sex(person: GenogramPerson) -> str:
    """ "F", "M" or "" (not known), from whatever case or spelling came in."""
    initial = person.sex.strip().upper()[:1]
    return initial if initial in ("F", "M") else ""


def _name_lines(person: GenogramPerson) -> list[str]:
    """The name as shown under the symbol: on two lines at most, shortened to fit."""
    return _wrap(_name(person), NAME_SIZE, LABEL_WIDTH, max_lines=2)


def _label_depth(person: GenogramPerson) -> float:
    """How far below the symbol's centre the label reaches: name, age, "Concern"."""
    lines = len(_name_lines(person)) + 1 + person.of_concern
    return FIRST_BASELINE + (lines - 1) * LINE_HEIGHT + 7


def _age_label(person: GenogramPerson) -> str:
    if person.unborn:
        return "Unborn"
    if person.age is None or person.age < 0:
        return "Age not known"
    if person.age == 0:
        return "Under 1 yr"
    return "1 yr" if person.age == 1 else f"{person.age} yrs"


def _name(person: GenogramPerson) -> str:
    return svg.clean(person.name) or "Name not recorded"


# Arial's advance widths, in ems, for the characters that differ most from the
# usual 0.56: close enough to decide where a name must be shortened.
_WIDTHS = {
    **dict.fromkeys("ijl'|", 0.23),
    **dict.fromkeys("frtI.,:;!()[]/- ", 0.3),
    **dict.fromkeys("mwMW", 0.88),
    **dict.fromkeys("ABCDEGHKNOPQRSUVXY&", 0.72),
    **dict.fromkeys("FJLTZ", 0.6),
    "…": 1.0,
}


def _text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(char, 1.0 if ord(char) > 0x2FFF else 0.56) for char in text) * size


def _shorten(text: str, size: float, width: float) -> str:
    """The text, cut and ended with an ellipsis if it is wider than ``width``."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, size: float, width: float, max_lines: int) -> list[str]:
    """Whole words on up to ``max_lines`` lines; what does not fit is shortened."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and _text_width(f"{line} {words[0]}", size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = " ".join([lines[-1], *words])
    return [_shorten(line, size, width) for line in lines]


# SVG markup


def _line(css_class: str, x1: float, y1: float, x2: float, y2: float, **data: str) -> str:
    attributes: Attributes = {"class": css_class, "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    attributes |= {f"data-{name.replace('_', '-')}": value for name, value in data.items()}
    return svg.tag("line", attributes | {"stroke": STROKE, "stroke-width": 2})


def _polyline(css_class: str, points: Iterable[tuple[float, float]], **data: str) -> str:
    attributes: Attributes = {
        "class": css_class,
        "points": " ".join(f"{svg.number(px)},{svg.number(py)}" for px, py in points),
    }
    attributes |= {f"data-{name.replace('_', '-')}": value for name, value in data.items()}
    return svg.tag("polyline", attributes | {"fill": "none", "stroke": STROKE, "stroke-width": 2})


def _label(text: str, x: float, y: float, size: int, *, css_class: str, bold: bool = False) -> str:
    attributes: Attributes = {"class": css_class, "x": x, "y": y, "font-size": size}
    if bold:
        attributes["font-weight"] = "bold"
    return svg.tag("text", attributes | {"text-anchor": "middle", "fill": STROKE}, svg.text(text))


def _ids(prefix: str) -> tuple[str, str]:
    """The ids of the drawing's <title> and <desc>, from a prefix made safe for an id."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", prefix) or "genogram"
    if not safe[0].isalpha():
        safe = f"genogram-{safe}"
    return f"{safe}-title", f"{safe}-desc"


def _safe_href(href: str | None) -> str | None:
    """The link, unless it names a scheme other than http(s) (``javascript:`` and the like)."""
    if not href:
        return None
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", href)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None
    return svg.clean(href)


# Symbols


def _symbol_kind(person: GenogramPerson) -> str:
    if person.unborn:
        return "triangle"
    return {"M": "square", "F": "circle"}.get(_sex(person), "diamond")


def _shape(kind: str, cx: float, cy: float, radius: float, attributes: Attributes) -> str:
    """A genogram symbol of about ``radius`` around its centre, white inside."""
    attributes = attributes | {"fill": PAPER, "stroke": STROKE}
    if kind == "square":
        square: Attributes = {
            "x": cx - radius,
            "y": cy - radius,
            "width": 2 * radius,
            "height": 2 * radius,
        }
        return svg.tag("rect", square | attributes)
    if kind == "circle":
        circle: Attributes = {"cx": cx, "cy": cy, "r": radius}
        return svg.tag("circle", circle | attributes)
    if kind == "diamond":
        r = radius * 1.2
        corners = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
    else:  # a triangle, for a pregnancy: smaller than a person
        r = radius * 0.8
        corners = [(cx, cy - r), (cx + r * 1.1, cy + r * 0.8), (cx - r * 1.1, cy + r * 0.8)]
    polygon: Attributes = {
        "points": " ".join(f"{svg.number(px)},{svg.number(py)}" for px, py in corners)
    }
    return svg.tag("polygon", polygon | attributes)


def _person(person: GenogramPerson, cx: float, cy: float, prefix: str) -> str:
    """A person's symbol, concern mark and label, linked to their page if they have one."""
    kind = _symbol_kind(person)
    parts = [svg.tag("title", {}, svg.text(_person_sentence(person)))]
    if person.of_concern:
        outline: Attributes = {"class": "concern-outline", "stroke-width": 3}
        parts.append(_shape(kind, cx, cy, HALF + CONCERN_GAP, outline))
    parts.append(_shape(kind, cx, cy, HALF, {"class": "symbol", "stroke-width": 2}))
    if kind == "diamond":
        parts.append(_label("?", cx, cy + 6, 16, css_class="unknown-sex", bold=True))

    baseline = cy + FIRST_BASELINE
    for line in _name_lines(person):
        parts.append(_label(line, cx, baseline, NAME_SIZE, css_class="name"))
        baseline += LINE_HEIGHT
    parts.append(_label(_age_label(person), cx, baseline, SMALL_SIZE, css_class="age"))
    if person.of_concern:
        baseline += LINE_HEIGHT
        parts.append(_label("Concern", cx, baseline, SMALL_SIZE, css_class="concern", bold=True))

    group = svg.tag(
        "g",
        {
            "class": "person",
            "id": f"{prefix}-person-{person.key}",
            "data-key": str(person.key),
            "data-symbol": kind,
            "data-lives-here": "yes" if person.lives_here else "no",
            "data-concern": "yes" if person.of_concern else "no",
        },
        "".join(parts),
    )
    href = _safe_href(person.href)
    return group if href is None else svg.tag("a", {"href": href}, group)


def _separation(cx: float, cy: float, css_class: str = "separated") -> str:
    """The "//" across a couple line."""
    slashes = [_line("slash", cx - dx - 4, cy + 8, cx - dx + 4, cy - 8) for dx in (-3.5, 3.5)]
    return svg.tag("g", {"class": css_class}, "".join(slashes))


# Lines


def _couple_lines(route: _Route, layout: _Layout, has_children: bool) -> str:
    x, cy = layout.x, layout.row_centres[route.row]
    data = {"first": str(route.couple.first), "second": str(route.couple.second)}
    css_class = "couple" if route.couple.recorded else "couple co-parents"
    if route.straight:
        drawn = _line(css_class, x[route.left], cy, x[route.right], cy, **data)
    else:
        band_y = layout.route_y(route)
        drawn = _polyline(
            css_class,
            [
                (x[route.left], cy + route.left_exit),
                (route.left_drop, cy + route.left_exit),
                (route.left_drop, band_y),
                (route.right_drop, band_y),
                (route.right_drop, cy + route.right_exit),
                (x[route.right], cy + route.right_exit),
            ],
            **data,
        )
    if route.couple.separated:
        # Beside the line to the children rather than on it, when there is one.
        drawn += _separation(route.descent_x - (16 if has_children else 0), layout.route_y(route))
    return drawn


def _sibship_lines(sibship: _Sibship, layout: _Layout) -> str:
    x, y = layout.x, layout.y
    line_y = layout.sibship_y(sibship)
    parents = " ".join(str(parent) for parent in sibship.parents)
    if sibship.route is not None:
        top = layout.route_y(sibship.route)
        drawn = [_line("descent", sibship.source_x, top, sibship.source_x, line_y, parents=parents)]
    else:
        assert sibship.lead is not None
        lead = sibship.lead
        stub_y = y[lead.parent] + lead.exit
        points = [(x[lead.parent], stub_y), (lead.drop, stub_y), (lead.drop, line_y)]
        drawn = [_polyline("descent", points, parents=parents)]
    start, end = _sibship_span(sibship, x)
    if end > start:
        drawn.append(_line("sibship", start, line_y, end, line_y, parents=parents))
    drawn.extend(
        _line("child-line", x[child], line_y, x[child], y[child], child=str(child))
        for child in sibship.children
    )
    return "".join(drawn)


def _household(layout: _Layout) -> str:
    if layout.household_box is None:
        return ""
    box_x, box_y, width, height = layout.household_box
    return svg.tag(
        "rect",
        {
            "class": "household",
            "x": box_x,
            "y": box_y,
            "width": width,
            "height": height,
            "rx": 16,
            "fill": "none",
            "stroke": STROKE,
            "stroke-width": 2,
            "stroke-dasharray": "8 6",
        },
    )


# The legend


_LEGEND = {
    "square": "Male",
    "circle": "Female",
    "diamond": "Sex not known",
    "triangle": "Pregnancy (unborn child)",
    "couple": "Couple, with their children below",
    "separated": "Separated (//)",
    "household": "Lives in the household",
    "concern": "Recent concern (double outline)",
}


def _legend_entries(family: _Family) -> list[str]:
    """The legend's entries, for what the drawing shows, in a fixed order."""
    people = family.people.values()
    shown = {_symbol_kind(person) for person in people}
    if any(not couple.separated for couple in family.couples) or family.parents_of:
        shown.add("couple")
    if any(couple.separated for couple in family.couples):
        shown.add("separated")
    if any(person.lives_here for person in people):
        shown.add("household")
    if any(person.of_concern for person in people):
        shown.add("concern")
    return [entry for entry in _LEGEND if entry in shown]


def _legend_sample(entry: str, cx: float, cy: float) -> str:
    """A small picture of the entry, centred on (cx, cy)."""
    if entry in ("square", "circle", "diamond", "triangle"):
        return _shape(entry, cx, cy, 11, {"stroke-width": 2})
    if entry == "concern":
        return _shape("circle", cx, cy, 16, {"stroke-width": 3}) + _shape(
            "circle", cx, cy, 10, {"stroke-width": 2}
        )
    if entry == "household":
        dashed: Attributes = {"x": cx - 20, "y": cy - 11, "width": 40, "height": 22, "rx": 6}
        return svg.tag(
            "rect",
            dashed
            | {"fill": "none", "stroke": STROKE, "stroke-width": 2, "stroke-dasharray": "8 6"},
        )
    couple = _line("sample", cx - 20, cy - 6, cx + 20, cy - 6)
    if entry == "separated":
        return couple + _separation(cx, cy - 6, css_class="sample")
    return couple + _line("sample", cx, cy - 6, cx, cy + 10)


def _legend(family: _Family, top: float, width: float) -> tuple[str, float]:
    """The legend drawn from ``top``, and the height it takes."""
    entries = _legend_entries(family)
    columns = max(1, int((width - 2 * MARGIN) // LEGEND_ITEM_WIDTH))
    parts = [
        svg.tag(
            "text",
            {
                "x": MARGIN,
                "y": top + 14,
                "font-size": NAME_SIZE,
                "font-weight": "bold",
                "fill": STROKE,
            },
            "Key",
        )
    ]
    for index, entry in enumerate(entries):
        row, column = divmod(index, columns)
        left = MARGIN + column * LEGEND_ITEM_WIDTH
        centre_y = top + 40 + row * LEGEND_ROW_HEIGHT
        parts.append(_legend_sample(entry, left + 22, centre_y))
        text: Attributes = {
            "x": left + 52,
            "y": centre_y + 5,
            "font-size": SMALL_SIZE,
            "fill": STROKE,
        }
        parts.append(svg.tag("text", text, svg.text(_LEGEND[entry])))
    rows = math.ceil(len(entries) / columns)
    height = 40 + rows * LEGEND_ROW_HEIGHT - LEGEND_ROW_HEIGHT / 2
    return svg.tag("g", {"class": "legend"}, "".join(parts)), height


# The drawing


def genogram_svg(genogram: Genogram) -> str:
    """The family as a complete ``<svg>`` element, every text escaped.

    It scales to the width of its container (never beyond its natural size) and
    is black on white for print. ``role="img"`` with a title and a short
    description; give the page `genogram_description` as well, for the detail.

    >>> svg = genogram_svg(Genogram(people=(), couples=(), parentage=(), title="Family"))
    >>> "No one recorded" in svg
    True
    """
    family = _tidy(genogram)
    title = svg.clean(genogram.title) or "Genogram"
    title_id, desc_id = _ids(genogram.id_prefix)
    if not family.people:
        return _svg(
            width=MIN_WIDTH,
            height=110,
            title=title,
            ids=(title_id, desc_id),
            description=f"{title}: no one recorded.",
            body=svg.tag(
                "text",
                {"class": "empty", "x": MARGIN, "y": 74, "font-size": NAME_SIZE, "fill": STROKE},
                "No one recorded",
            ),
        )

    layout = _lay_out(family)
    width = max(MIN_WIDTH, layout.right + MARGIN)
    legend, legend_height = _legend(family, layout.bottom + 24, width)
    parents_with_children = {frozenset(sibship.parents) for sibship in layout.sibships}
    prefix = title_id.removesuffix("-title")
    body = [
        _household(layout),
        *(
            _couple_lines(
                route, layout, frozenset((route.left, route.right)) in parents_with_children
            )
            for route in layout.routes
        ),
        *(_sibship_lines(sibship, layout) for sibship in layout.sibships),
        *(
            _person(family.people[key], layout.x[key], layout.y[key], prefix)
            for key in layout.order
        ),
        legend,
    ]
    return _svg(
        width=width,
        height=layout.bottom + 24 + legend_height + MARGIN,
        title=title,
        ids=(title_id, desc_id),
        description=_summary(title, family),
        body="".join(body),
    )


def _svg(
    *, width: float, height: float, title: str, ids: tuple[str, str], description: str, body: str
) -> str:
    title_id, desc_id = ids
    heading: Attributes = {
        "class": "heading",
        "x": MARGIN,
        "y": 34,
        "font-size": TITLE_SIZE,
        "font-weight": "bold",
        "fill": STROKE,
    }
    shown_title = _shorten(title, TITLE_SIZE * 1.05, width - 2 * MARGIN)  # bold runs wider
    content = "".join(
        [
            svg.tag("title", {"id": title_id}, svg.text(title)),
            svg.tag("desc", {"id": desc_id}, svg.text(description)),
            svg.tag("rect", {"x": 0, "y": 0, "width": width, "height": height, "fill": PAPER}),
            svg.tag("text", heading, svg.text(shown_title)),
            body,
        ]
    )
    return svg.tag(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "genogram",
            "viewBox": f"0 0 {svg.number(width)} {svg.number(height)}",
            # Drawn at its natural size (the page scrolls it sideways on a narrow screen, so a
            # large family's labels stay readable). Width and height are attributes, never a
            # style attribute: the Content Security Policy allows no inline style.
            "width": width,
            "height": height,
            "role": "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "font-family": FONT_FAMILY,
        },
        content,
    )


# The text alternative


def genogram_description(genogram: Genogram) -> list[str]:
    """The genogram in plain sentences, for screen readers and anyone without the picture.

    A summary, then each person in the drawing's order (top row first, left to
    right), each couple, and each child's parents.
    """
    family = _tidy(genogram)
    title = svg.clean(genogram.title) or "Genogram"
    if not family.people:
        return [f"{title}: no one recorded."]
    order = _lay_out(family).order
    people = family.people
    sentences = [_summary(title, family)]
    sentences.extend(_person_sentence(people[key]) for key in order)
    for couple in family.couples:
        if couple.recorded:
            status = "are separated" if couple.separated else "are a couple"
            first, second = _name(people[couple.first]), _name(people[couple.second])
            sentences.append(f"{first} and {second} {status}.")
    for key in order:
        if key in family.parents_of:
            child = people[key]
            kind = "unborn child" if child.unborn else "child"
            parents = _join(_name(people[parent]) for parent in family.parents_of[key])
            sentences.append(f"{_name(child)} is the {kind} of {parents}.")
    return sentences


def _summary(title: str, family: _Family) -> str:
    people = list(family.people.values())
    count = "1 person" if len(people) == 1 else f"{len(people)} people"
    home = sum(person.lives_here for person in people)
    living = {0: "none live", 1: "1 lives"}.get(home, f"{home} live")
    if home == len(people) > 1:
        living = "all live"
    summary = f"{title}: a genogram of {count}; {living} in the household."
    of_concern = [_name(person) for person in people if person.of_concern]
    if of_concern:
        summary += f" A recent concern was recorded about {_join(of_concern)}."
    return summary


def _person_sentence(person: GenogramPerson) -> str:
    sex = {"F": "female", "M": "male"}.get(_sex(person), "sex not known")
    where = "lives here" if person.lives_here else "lives elsewhere"
    sentence = f"{_name(person)}, {sex}, {_age_phrase(person)}, {where}"
    if person.of_concern:
        pronoun = {"F": "her", "M": "him"}.get(_sex(person), "them")
        sentence += f"; a recent concern was recorded about {pronoun}"
    return sentence + "."


def _age_phrase(person: GenogramPerson) -> str:
    if person.unborn:
        return "unborn"
    if person.age is None or person.age < 0:
        return "age not known"
    if person.age == 0:
        return "under 1 year old"
    return "1 year old" if person.age == 1 else f"{person.age} years old"


def _join(names: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
