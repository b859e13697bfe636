"""The genogram: symbols, marks, lines and layout, read back from the SVG it draws.

Each test parses the markup with ElementTree, as a browser would, and checks the
drawing's geometry rather than its exact text, so that spacing can change
without breaking them.
"""

import dataclasses
import itertools
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from thinkfamily.families.genogram import (
    Genogram,
    GenogramCouple,
    GenogramParentage,
    GenogramPerson,
    genogram_description,
    genogram_svg,
)

SVG = "{http://www.w3.org/2000/svg}"

JADE, LEON, DEAN, MAISIE, TYLER, BABY, KAYDEN, NADIA = 1, 2, 3, 4, 5, 6, 7, 8


def carter_family() -> Genogram:
    """Jade lives with her partner Dean and her children; their father Leon lives
    elsewhere, as do Dean's son and the boy's mother. Jade is expecting."""
    return Genogram(
        people=(
            GenogramPerson(JADE, "Jade Carter", "F", 26, href="/people/1/"),
            GenogramPerson(DEAN, "Dean Walsh", "M", 31),
            GenogramPerson(LEON, "Leon Carter", "M", 29, lives_here=False),
            GenogramPerson(NADIA, "Nadia Walsh", "F", 33, lives_here=False),
            GenogramPerson(MAISIE, "Maisie Carter", "F", 2, is_child=True, of_concern=True),
            GenogramPerson(TYLER, "Tyler Carter", "M", 7, is_child=True),
            GenogramPerson(BABY, "Baby Walsh", "", None, unborn=True, is_child=True),
            GenogramPerson(KAYDEN, "Kayden Walsh", "M", 9, is_child=True, lives_here=False),
        ),
        couples=(
            GenogramCouple(JADE, LEON, separated=True),
            GenogramCouple(JADE, DEAN),
            GenogramCouple(DEAN, NADIA, separated=True),
        ),
        parentage=(
            GenogramParentage(MAISIE, (JADE, LEON)),
            GenogramParentage(TYLER, (JADE, LEON)),
            GenogramParentage(BABY, (JADE, DEAN)),
            GenogramParentage(KAYDEN, (DEAN, NADIA)),
        ),
        title="Family of 12 Acacia Road",
    )


def single_mother(children: int) -> Genogram:
    """A mother on her own with ``children`` children, the oldest 17."""
    kids = tuple(
        GenogramPerson(100 + i, f"Child {i} Smith", "FM"[i % 2], 17 - i, is_child=True)
        for i in range(children)
    )
    return Genogram(
        people=(GenogramPerson(1, "Sarah Smith", "F", 40), *kids),
        couples=(),
        parentage=tuple(GenogramParentage(kid.key, (1,)) for kid in kids),
        title="Family of 3 Long Lane",
    )


# Reading the drawing back


def drawn(genogram: Genogram) -> ET.Element:
    return ET.fromstring(genogram_svg(genogram))


def people_in(root: ET.Element) -> dict[int, ET.Element]:
    return {
        int(group.get("data-key", "")): group
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "person"
    }


def elements(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [element for element in root.iter() if element.get("class") == css_class]


def symbol_of(group: ET.Element) -> ET.Element:
    (symbol,) = (child for child in group if child.get("class") == "symbol")
    return symbol


def centre(group: ET.Element) -> tuple[float, float]:
    """The centre of a person's symbol (of its bounding box, for a polygon)."""
    symbol = symbol_of(group)
    if symbol.tag == f"{SVG}circle":
        return float(symbol.get("cx", "")), float(symbol.get("cy", ""))
    if symbol.tag == f"{SVG}rect":
        x, y = float(symbol.get("x", "")), float(symbol.get("y", ""))
        return x + float(symbol.get("width", "")) / 2, y + float(symbol.get("height", "")) / 2
    points = [tuple(map(float, pair.split(","))) for pair in symbol.get("points", "").split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def texts(group: ET.Element, css_class: str | None = None) -> list[str]:
    return [
        "".join(text.itertext())
        for text in group.iter(f"{SVG}text")
        if css_class is None or text.get("class") == css_class
    ]


def line_coordinates(line: ET.Element) -> tuple[float, ...]:
    return tuple(float(line.get(name, "")) for name in ("x1", "y1", "x2", "y2"))


def crosses(slash: ET.Element, line: ET.Element) -> bool:
    """Whether a short slanted line cuts across a horizontal one."""
    sx1, sy1, sx2, sy2 = line_coordinates(slash)
    x1, y, x2, _ = line_coordinates(line)
    return (
        min(x1, x2) < min(sx1, sx2)
        and max(sx1, sx2) < max(x1, x2)
        and min(sy1, sy2) < y < max(sy1, sy2)
    )


def couple_line(root: ET.Element, first: int, second: int) -> ET.Element:
    (line,) = (
        line
        for line in elements(root, "couple")
        if {line.get("data-first"), line.get("data-second")} == {str(first), str(second)}
    )
    return line


# Symbols and marks


def test_each_sex_has_its_own_symbol_square_circle_or_diamond_with_a_question_mark():
    family = carter_family()
    family = dataclasses.replace(
        family, people=(*family.people, GenogramPerson(9, "Robin Ash", "U", 40))
    )
    people = people_in(drawn(family))

    assert symbol_of(people[DEAN]).tag == f"{SVG}rect"
    assert symbol_of(people[JADE]).tag == f"{SVG}circle"
    diamond = symbol_of(people[9])
    assert diamond.tag == f"{SVG}polygon"
    assert len(diamond.get("points", "").split()) == 4
    assert "?" in texts(people[9], "unknown-sex")
    assert [people[key].get("data-symbol") for key in (DEAN, JADE, 9)] == [
        "square",
        "circle",
        "diamond",
    ]


def test_an_unborn_child_is_a_small_triangle_labelled_unborn():
    baby = people_in(drawn(carter_family()))[BABY]

    triangle = symbol_of(baby)
    assert triangle.tag == f"{SVG}polygon"
    assert len(triangle.get("points", "").split()) == 3
    assert baby.get("data-symbol") == "triangle"
    assert texts(baby, "age") == ["Unborn"]


def test_the_concern_mark_is_on_the_children_of_concern_and_no_one_else():
    root = drawn(carter_family())

    for key, group in people_in(root).items():
        marked = any(child.get("class") == "concern-outline" for child in group)
        labelled = texts(group, "concern") == ["Concern"]
        assert marked == labelled == (key == MAISIE), key
    outline = next(
        child for child in people_in(root)[MAISIE] if child.get("class") == "concern-outline"
    )
    assert float(outline.get("stroke-width", "")) > float(
        symbol_of(people_in(root)[MAISIE]).get("stroke-width", "")
    )
    assert "Recent concern (double outline)" in texts(elements(root, "legend")[0])


def test_the_legend_shows_only_what_the_drawing_uses():
    legend = texts(elements(drawn(single_mother(2)), "legend")[0])

    assert "Female" in legend and "Male" in legend
    assert not any("concern" in entry.lower() or "Separated" in entry for entry in legend)


def test_ages_and_names_are_written_under_each_symbol():
    family = carter_family()
    family = dataclasses.replace(
        family,
        people=(
            *family.people,
            GenogramPerson(9, "Ruby Carter", "F", 1, is_child=True),
            GenogramPerson(10, "Alfie Carter", "M", 0, is_child=True),
            GenogramPerson(11, "Ray Stone", "M", None),
        ),
    )
    people = people_in(drawn(family))

    assert texts(people[MAISIE], "age") == ["2 yrs"]
    assert texts(people[9], "age") == ["1 yr"]
    assert texts(people[10], "age") == ["Under 1 yr"]
    assert texts(people[11], "age") == ["Age not known"]
    assert texts(people[MAISIE], "name") == ["Maisie Carter"]
    name_y, age_y, concern_y = (
        float(
            next(t for t in people[MAISIE].iter(f"{SVG}text") if t.get("class") == c).get("y", "")
        )
        for c in ("name", "age", "concern")
    )
    assert centre(people[MAISIE])[1] < name_y < age_y < concern_y


def test_names_with_markup_are_escaped_and_the_svg_still_parses():
    family = carter_family()
    hostile = "<script>alert(1)</script> & Sons"
    family = dataclasses.replace(
        family,
        title="Family of <b>1</b> & 2",
        people=(*family.people, GenogramPerson(9, hostile, "M", 30, lives_here=False)),
    )
    svg = genogram_svg(family)

    assert "<script>" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)  # would raise on a stray < or &
    person = people_in(root)[9]
    assert hostile in person.find(f"{SVG}title").text
    assert " ".join(texts(person, "name")).startswith("<script>")
    assert root.find(f"{SVG}title").text == "Family of <b>1</b> & 2"


def test_a_long_name_is_shortened_with_an_ellipsis_and_kept_whole_in_the_title():
    long_name = "Alexandra-Rosalind Wolstenholme-Fotheringham-Carter"
    family = dataclasses.replace(
        single_mother(1),
        people=(GenogramPerson(1, long_name, "F", 40),),
        parentage=(),
    )
    person = people_in(drawn(family))[1]

    shown = texts(person, "name")
    assert len(shown) <= 2
    assert shown[-1].endswith("…")
    assert long_name in person.find(f"{SVG}title").text


def test_a_person_with_a_page_is_a_link_and_a_script_link_is_dropped():
    family = carter_family()
    family = dataclasses.replace(
        family,
        people=(
            *family.people,
            GenogramPerson(9, "Ray Stone", "M", 40, href="javascript:alert(1)"),
        ),
    )
    root = drawn(family)

    links = {
        int(group.get("data-key", "")): anchor.get("href")
        for anchor in root.iter(f"{SVG}a")
        for group in anchor
    }
    assert links == {JADE: "/people/1/"}


# The household boundary


def test_the_household_box_encloses_exactly_the_people_who_live_here():
    family = carter_family()
    root = drawn(family)
    (box,) = elements(root, "household")
    left, top = float(box.get("x", "")), float(box.get("y", ""))
    right, bottom = left + float(box.get("width", "")), top + float(box.get("height", ""))
    assert box.get("stroke-dasharray")

    for person in family.people:
        x, y = centre(people_in(root)[person.key])
        inside = left < x < right and top < y < bottom
        assert inside == person.lives_here, person.name


def test_relatives_living_elsewhere_are_drawn_outside_the_box_next_to_their_partner():
    root = drawn(carter_family())
    people = people_in(root)
    (box,) = elements(root, "household")
    box_left = float(box.get("x", ""))
    box_right = box_left + float(box.get("width", ""))

    # Jade and Dean both have a former partner living elsewhere: one is drawn on
    # each side, so both couple lines cross the boundary without passing anyone.
    outside = {key: centre(people[key])[0] for key in (LEON, NADIA)}
    assert sorted(outside.values())[0] < box_left and sorted(outside.values())[1] > box_right
    assert centre(people[KAYDEN])[0] < box_left or centre(people[KAYDEN])[0] > box_right


def test_with_one_partner_living_elsewhere_he_is_drawn_to_the_right():
    family = carter_family()
    family = dataclasses.replace(
        family,
        people=tuple(p for p in family.people if p.key not in (NADIA, KAYDEN)),
        parentage=family.parentage[:3],
    )
    root = drawn(family)
    (box,) = elements(root, "household")

    assert centre(people_in(root)[LEON])[0] > float(box.get("x", "")) + float(box.get("width", ""))


# Couples and their children


def test_a_couple_line_joins_the_two_partners_across_the_row():
    root = drawn(carter_family())
    people = people_in(root)

    x1, y1, x2, y2 = line_coordinates(couple_line(root, JADE, DEAN))
    ends = {centre(people[JADE]), centre(people[DEAN])}
    assert {(x1, y1), (x2, y2)} == ends
    assert y1 == y2


def test_no_straight_couple_line_passes_through_anyone():
    for family in (carter_family(), single_mother(3)):
        root = drawn(family)
        centres = [centre(group) for group in people_in(root).values()]
        for line in elements(root, "couple"):
            if line.tag != f"{SVG}line":
                continue
            x1, y1, x2, _ = line_coordinates(line)
            between = [c for c in centres if c[1] == y1 and min(x1, x2) < c[0] < max(x1, x2)]
            assert between == []


def test_a_separated_couple_has_two_slashes_across_their_line_and_a_couple_together_none():
    root = drawn(carter_family())
    separations = elements(root, "separated")

    assert len(separations) == 2  # Jade and Leon; Dean and Nadia
    assert all(len(marks.findall(f"{SVG}line")) == 2 for marks in separations)
    dean_and_nadia = couple_line(root, DEAN, NADIA)
    jade_and_dean = couple_line(root, JADE, DEAN)
    slashes = [slash for marks in separations for slash in marks]
    assert sum(crosses(slash, dean_and_nadia) for slash in slashes) == 2
    assert not any(crosses(slash, jade_and_dean) for slash in slashes)


def test_the_line_to_the_children_drops_from_the_middle_of_the_couple_line():
    root = drawn(carter_family())
    x1, y1, x2, _ = line_coordinates(couple_line(root, JADE, DEAN))

    (descent,) = (
        line for line in elements(root, "descent") if line.get("data-parents") == f"{JADE} {DEAN}"
    )
    dx1, dy1, dx2, dy2 = line_coordinates(descent)
    assert (dx1, dy1) == ((x1 + x2) / 2, y1)
    assert dx2 == dx1 and dy2 > dy1


def test_a_single_parents_line_starts_at_her_and_reaches_each_child():
    root = drawn(single_mother(3))
    people = people_in(root)

    (descent,) = elements(root, "descent")
    first_point = tuple(map(float, descent.get("points", "").split()[0].split(",")))
    assert first_point == centre(people[1])
    reached = {int(line.get("data-child", "")) for line in elements(root, "child-line")}
    assert reached == {100, 101, 102}


def test_each_child_line_runs_from_a_sibship_line_down_to_the_child():
    root = drawn(carter_family())
    people = people_in(root)
    sibship_ys = {line_coordinates(line)[1] for line in elements(root, "sibship")}

    for line in elements(root, "child-line"):
        x1, y1, x2, y2 = line_coordinates(line)
        child_x, child_y = centre(people[int(line.get("data-child", ""))])
        assert x1 == x2 == child_x
        assert y1 in sibship_ys
        assert abs(y2 - child_y) < 3  # a triangle's box is a little off its centre


def test_children_of_one_sibship_are_ordered_oldest_on_the_left():
    family = Genogram(
        people=(
            GenogramPerson(1, "Kim Lowe", "F", 35),
            GenogramPerson(2, "Unborn Lowe", "", None, unborn=True, is_child=True),
            GenogramPerson(3, "Ava Lowe", "F", 4, is_child=True),
            GenogramPerson(4, "Noah Lowe", "M", None, is_child=True),
            GenogramPerson(5, "Leo Lowe", "M", 11, is_child=True),
            GenogramPerson(6, "Mia Lowe", "F", 7, is_child=True),
        ),
        couples=(),
        parentage=tuple(GenogramParentage(child, (1,)) for child in (2, 3, 4, 5, 6)),
        title="Family of 5 Pine Street",
    )
    people = people_in(drawn(family))

    left_to_right = sorted((2, 3, 4, 5, 6), key=lambda key: centre(people[key])[0])
    assert left_to_right == [5, 6, 3, 4, 2]  # 11, 7, 4, age not known, unborn


def test_two_sibships_on_one_row_do_not_draw_overlapping_lines():
    # Jade's children by two fathers, both living elsewhere to the right: the line
    # from each couple runs back over the other sibship's children.
    family = Genogram(
        people=(
            GenogramPerson(1, "Jade Carter", "F", 30),
            GenogramPerson(2, "Leon Carter", "M", 29, lives_here=False),
            GenogramPerson(3, "Mark Booth", "M", 35, lives_here=False),
            GenogramPerson(4, "Ava Booth", "F", 12, is_child=True),
            GenogramPerson(5, "Finn Booth", "M", 10, is_child=True),
            GenogramPerson(6, "Maisie Carter", "F", 2, is_child=True),
            GenogramPerson(7, "Tyler Carter", "M", 5, is_child=True),
        ),
        couples=(GenogramCouple(1, 2, separated=True), GenogramCouple(1, 3, separated=True)),
        parentage=(
            GenogramParentage(4, (1, 3)),
            GenogramParentage(5, (1, 3)),
            GenogramParentage(6, (1, 2)),
            GenogramParentage(7, (1, 2)),
        ),
        title="Family of 9 Birch Way",
    )
    root = drawn(family)
    sibship_lines = elements(root, "sibship")
    assert len({line.get("data-parents") for line in sibship_lines}) == 2

    (first, second) = sibship_lines
    ax1, ay, ax2, _ = line_coordinates(first)
    bx1, by, bx2, _ = line_coordinates(second)
    assert max(ax1, bx1) <= min(ax2, bx2), "the two spans overlap across the row"
    assert ay != by, "so they are drawn at different heights"


def test_sibship_lines_never_overlap_in_a_blended_family():
    root = drawn(carter_family())

    for first, second in itertools.combinations(elements(root, "sibship"), 2):
        ax1, ay, ax2, _ = line_coordinates(first)
        bx1, by, bx2, _ = line_coordinates(second)
        assert not (ay == by and max(ax1, bx1) <= min(ax2, bx2))


def test_adults_are_drawn_above_children_and_a_grandmother_above_her_daughter():
    family = Genogram(
        people=(
            GenogramPerson(1, "Pat Jones", "F", 62),
            GenogramPerson(2, "Kelly Jones", "F", 24),
            GenogramPerson(3, "Mason Jones", "M", 3, is_child=True),
        ),
        couples=(),
        parentage=(GenogramParentage(2, (1,)), GenogramParentage(3, (2,))),
        title="Family of 4 Elm Close",
    )
    people = people_in(drawn(family))

    assert centre(people[1])[1] < centre(people[2])[1] < centre(people[3])[1]


# Unusual families


def test_an_empty_family_is_a_small_drawing_saying_no_one_is_recorded():
    svg = genogram_svg(Genogram(people=(), couples=(), parentage=(), title="Family of 2 Ash Court"))
    root = ET.fromstring(svg)

    assert "No one recorded" in texts(root)
    assert people_in(root) == {}
    assert genogram_description(
        Genogram(people=(), couples=(), parentage=(), title="Family of 2 Ash Court")
    ) == ["Family of 2 Ash Court: no one recorded."]


def test_a_household_of_children_alone_is_drawn_on_one_row():
    family = Genogram(
        people=(
            GenogramPerson(1, "Lily Moss", "F", 15, is_child=True),
            GenogramPerson(2, "Sam Moss", "M", 13, is_child=True),
        ),
        couples=(),
        parentage=(),
        title="Family of 1 Oak Row",
    )
    people = people_in(drawn(family))

    assert centre(people[1])[1] == centre(people[2])[1]


def test_a_parent_who_is_not_in_the_drawing_is_left_out():
    family = dataclasses.replace(
        single_mother(1), parentage=(GenogramParentage(100, (1, 999)), GenogramParentage(555, (1,)))
    )
    root = drawn(family)

    (descent,) = elements(root, "descent")
    assert descent.get("data-parents") == "1"
    assert "Child 0 Smith is the child of Sarah Smith." in genogram_description(family)


def test_thirteen_children_are_all_drawn_oldest_first_without_overlapping_lines():
    family = single_mother(13)
    root = drawn(family)
    people = people_in(root)

    children = sorted(range(100, 113), key=lambda key: centre(people[key])[0])
    assert children == list(range(100, 113))
    assert len(elements(root, "child-line")) == 13
    assert len({centre(people[key]) for key in children}) == 13


def test_the_same_family_always_gives_the_same_drawing_and_description():
    assert genogram_svg(carter_family()) == genogram_svg(carter_family())
    assert genogram_description(carter_family()) == genogram_description(carter_family())


def test_element_ids_take_the_prefix_so_two_drawings_can_share_a_page():
    root = drawn(dataclasses.replace(carter_family(), id_prefix="family-7"))

    assert root.get("aria-labelledby") == "family-7-title family-7-desc"
    assert root.find(f"{SVG}title").get("id") == "family-7-title"
    assert root.find(f"{SVG}desc").get("id") == "family-7-desc"


# Reading and printing


def test_the_svg_is_an_image_labelled_by_its_title_and_description_at_its_natural_size():
    root = drawn(carter_family())

    assert root.get("role") == "img"
    first, second = root[0], root[1]
    assert first.tag == f"{SVG}title" and second.tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == f"{first.get('id')} {second.get('id')}"
    assert "Maisie Carter" in (second.text or "")
    view_box = root.get("viewBox", "").split()
    assert len(view_box) == 4
    # Sized by attributes (the Content Security Policy allows no style attribute).
    assert (root.get("width"), root.get("height")) == (view_box[2], view_box[3])
    assert root.get("style") is None
    assert "sans-serif" in root.get("font-family", "")


def test_all_text_is_at_least_12px_and_black():
    root = drawn(carter_family())

    for text in root.iter(f"{SVG}text"):
        assert float(text.get("font-size", "0")) >= 12
        assert text.get("fill") == "#000"


# The text alternative


def test_the_description_says_who_everyone_is_and_how_they_are_related():
    sentences = genogram_description(carter_family())

    assert sentences[0] == (
        "Family of 12 Acacia Road: a genogram of 8 people; 5 live in the household. "
        "A recent concern was recorded about Maisie Carter."
    )
    assert (
        "Maisie Carter, female, 2 years old, lives here; a recent concern was recorded about her."
        in sentences
    )
    assert "Leon Carter, male, 29 years old, lives elsewhere." in sentences
    assert "Baby Walsh, sex not known, unborn, lives here." in sentences
    assert "Jade Carter and Dean Walsh are a couple." in sentences
    assert "Jade Carter and Leon Carter are separated." in sentences
    assert "Maisie Carter is the child of Jade Carter and Leon Carter." in sentences
    assert "Baby Walsh is the unborn child of Jade Carter and Dean Walsh." in sentences


def test_the_description_follows_the_drawing_top_row_first():
    sentences = genogram_description(carter_family())
    names = [sentence.split(",")[0] for sentence in sentences[1:9]]

    assert set(names[:4]) == {"Jade Carter", "Dean Walsh", "Leon Carter", "Nadia Walsh"}
    assert names.index("Tyler Carter") < names.index("Maisie Carter")


# Any family at all


@st.composite
def families(draw: st.DrawFn) -> Genogram:
    """Families as untidy as real records: dangling keys, loops, repeated couples."""
    count = draw(st.integers(0, 12))
    keys = st.integers(0, count + 1)  # the last two are not in the drawing
    people = tuple(
        GenogramPerson(
            key,
            draw(st.sampled_from(["Ann Lee", "", "Xavier-Montgomery Fotheringham", "<&> Roe"])),
            draw(st.sampled_from(["F", "M", "U", ""])),
            draw(st.none() | st.integers(0, 90)),
            unborn=draw(st.booleans()),
            is_child=draw(st.booleans()),
            lives_here=draw(st.booleans()),
            of_concern=draw(st.booleans()),
        )
        for key in range(count)
    )
    couples = draw(
        st.lists(st.builds(GenogramCouple, keys, keys, st.booleans()), max_size=5).map(tuple)
    )
    parentage = draw(
        st.lists(
            st.builds(GenogramParentage, keys, st.lists(keys, max_size=3).map(tuple)),
            max_size=10,
        ).map(tuple)
    )
    return Genogram(people, couples, parentage, title="Family of 1 Any Street")


@given(families())
@settings(max_examples=150, deadline=None)
def test_any_family_is_drawn_once_each_inside_or_outside_the_box_as_they_live(family):
    svg = genogram_svg(family)
    root = ET.fromstring(svg)
    people = people_in(root)

    assert sorted(people) == sorted({person.key for person in family.people})
    boxes = elements(root, "household")
    for person in {person.key: person for person in reversed(family.people)}.values():
        x, y = centre(people[person.key])
        inside = any(
            float(box.get("x", "")) < x < float(box.get("x", "")) + float(box.get("width", ""))
            and float(box.get("y", "")) < y < float(box.get("y", "")) + float(box.get("height", ""))
            for box in boxes
        )
        assert inside == person.lives_here
    assert genogram_svg(family) == svg
    assert genogram_description(family)
