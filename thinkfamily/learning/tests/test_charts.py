"""The trend chart: a well-formed, accessible SVG, with gaps, a target line and escaped text."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from thinkfamily.learning.charts import percent, trend_chart_svg
from thinkfamily.learning.indicators import MonthFigure

SVG = "{http://www.w3.org/2000/svg}"


def month(year: int, number: int, numerator: int, denominator: int) -> MonthFigure:
    value = 100.0 * numerator / denominator if denominator else None
    return MonthFigure(dt.date(year, number, 1), numerator, denominator, value)


FIGURES = (
    month(2025, 11, 3, 4),  # 75%
    month(2025, 12, 0, 0),  # nothing to count: a gap
    month(2026, 1, 4, 5),  # 80%
    month(2026, 2, 9, 10),  # 90%
    month(2026, 3, 1, 2),  # 50%
)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_the_chart_is_an_image_with_a_title_and_a_description_of_the_latest_figure() -> None:
    root = parse(trend_chart_svg(figures=FIGURES, target=90.0, title="Prompts answered in time"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "Prompts answered in time"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text == (
        "Prompts answered in time, by month from November 2025 to March 2026. "
        "Latest figure, March 2026: 50% (1 of 2), below the target of 90%."
    )


def test_a_month_with_nothing_to_count_is_a_gap_in_the_line() -> None:
    root = parse(trend_chart_svg(figures=FIGURES, target=90.0, title="Trend"))
    lines = root.findall(f"{SVG}polyline")
    # November stands alone (drawn as a point only); January to March are joined.
    assert len(lines) == 1
    assert len(lines[0].get("points", "").split()) == 3
    points = root.findall(f"{SVG}circle")
    assert len(points) == 4
    assert [p.findtext(f"{SVG}title") for p in points] == [
        "November 2025: 75% (3 of 4)",
        "January 2026: 80% (4 of 5)",
        "February 2026: 90% (9 of 10)",
        "March 2026: 50% (1 of 2)",
    ]


def test_points_sit_on_a_0_to_100_percent_axis() -> None:
    root = parse(trend_chart_svg(figures=FIGURES, target=None, title="Trend"))
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(labels)
    heights = {
        p.findtext(f"{SVG}title"): float(p.get("cy", "0")) for p in root.iter(f"{SVG}circle")
    }
    axis = {t.text: float(t.get("y", "0")) - 4 for t in root.iter(f"{SVG}text") if t.text == "50%"}
    assert heights["March 2026: 50% (1 of 2)"] == axis["50%"]
    assert heights["February 2026: 90% (9 of 10)"] < heights["January 2026: 80% (4 of 5)"]


def test_month_labels_name_each_month_and_the_year_where_it_starts_or_changes() -> None:
    labels = [
        t.text
        for t in parse(trend_chart_svg(figures=FIGURES, target=None, title="T")).iter(f"{SVG}text")
    ]
    assert [m for m in labels if m in ("Nov", "Dec", "Jan", "Feb", "Mar")] == [
        "Nov",
        "Dec",
        "Jan",
        "Feb",
        "Mar",
    ]
    assert labels.count("2025") == 1 and labels.count("2026") == 1


def test_the_target_is_a_dashed_labelled_line_and_none_draws_none() -> None:
    root = parse(trend_chart_svg(figures=FIGURES, target=90.0, title="Trend"))
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1
    assert "Target 90%" in [t.text for t in root.iter(f"{SVG}text")]
    plain = parse(trend_chart_svg(figures=FIGURES, target=None, title="Trend"))
    assert not [line for line in plain.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert "no target is set" in (plain.findtext(f"{SVG}desc") or "")


def test_the_description_says_when_the_latest_month_has_nothing_yet() -> None:
    figures = (*FIGURES[:4], month(2026, 3, 0, 0))
    desc = parse(trend_chart_svg(figures=figures, target=87.5, title="T")).findtext(f"{SVG}desc")
    assert desc == (
        "T, by month from November 2025 to March 2026. Latest figure, February 2026: 90% "
        "(9 of 10), meeting the target of 87.5%. Nothing to count yet in March 2026."
    )


def test_a_chart_with_no_data_says_so() -> None:
    empty = (month(2026, 1, 0, 0), month(2026, 2, 0, 0))
    root = parse(trend_chart_svg(figures=empty, target=90.0, title="T"))
    assert not root.findall(f"{SVG}circle") and not root.findall(f"{SVG}polyline")
    assert "Nothing to count yet" in [t.text for t in root.iter(f"{SVG}text")]
    assert root.findtext(f"{SVG}desc") == (
        "T, by month from January 2026 to February 2026. Nothing to count in any month."
    )
    assert parse(trend_chart_svg(figures=(), target=None, title="T")).findtext(f"{SVG}desc")


def test_all_text_is_escaped_and_nothing_needs_unsafe_css_or_script() -> None:
    title = 'Children <script>alert("x")</script> & "others"\x00'
    svg = trend_chart_svg(figures=FIGURES, target=90.0, title=title)
    assert "<script" not in svg
    root = parse(svg)  # well-formed despite the markup in the title
    assert root.findtext(f"{SVG}title") == 'Children <script>alert("x")</script> & "others"'
    for element in root.iter():
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert all(i and i.replace("-", "").isalnum() for i in ids)


def test_the_same_figures_always_draw_the_same_chart() -> None:
    first = trend_chart_svg(figures=FIGURES, target=90.0, title="Trend")
    assert trend_chart_svg(figures=list(FIGURES), target=90.0, title="Trend") == first


def test_percentages_are_written_as_people_write_them() -> None:
    assert [percent(v) for v in (90.0, 87.5, 66.666, 0.0, 100.0)] == [
        "90%",
        "87.5%",
        "66.7%",
        "0%",
        "100%",
    ]


def test_a_long_title_is_shortened_on_the_chart_but_whole_in_its_title() -> None:
    title = "Children in families with a recent concern seen in person in the last 90 days"
    root = parse(trend_chart_svg(figures=FIGURES, target=90.0, title=title))
    assert root.findtext(f"{SVG}title") == title
    heading = next(root.iter(f"{SVG}text")).text or ""
    assert heading.endswith("…") and len(heading) < len(title)
