"""An indicator's monthly trend drawn as a line chart, in SVG, on the server.

The partnership manager's question is "is practice changing since the
review?": one point per month on a 0 to 100% scale, joined by a line, with the
target as a dashed line labelled "Target 90%". A month with nothing to count
(no prompts raised, say) is not zero: it is left as a gap in the line, so a
quiet month never looks like a failure.

Nothing here knows about Django: the caller passes the figures (anything with
``month``, ``numerator``, ``denominator`` and ``value``, such as
``indicators.MonthFigure``) and gets back SVG markup. As in
``families/genogram.py``, every text is escaped, the colours are SVG
presentation attributes (no ``style`` attribute or script, so the strict
Content Security Policy holds), the image has ``role="img"`` with a
``<title>`` and a ``<desc>`` that says the latest figure against the target
in words, and the same input always gives the same string::

    svg = trend_chart_svg(figures=trend.figures, target=90.0, title="Prompts answered in time")
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Protocol

from thinkfamily.core import svg
from thinkfamily.core.svg import Attributes

__all__ = ["ChartFigure", "percent", "trend_chart_svg"]


class ChartFigure(Protocol):
    """One month's figure: ``month`` its first day, ``value`` a percentage or None."""

    @property
    def month(self) -> dt.date: ...

    @property
    def numerator(self) -> int: ...

    @property
    def denominator(self) -> int: ...

    @property
    def value(self) -> float | None: ...


WIDTH = 640
HEIGHT = 300
PLOT_LEFT = 56  # room for the percentage labels
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 56  # below the heading
PLOT_BOTTOM = HEIGHT - 52  # above the month and year labels
TITLE_SIZE = 16
LABEL_SIZE = 12
POINT_RADIUS = 4

INK = "#0b0c0c"
PAPER = "#fff"
GRID = "#b1b4b6"
LINE = "#1d70b8"
FONT_FAMILY = "Arial, Helvetica, sans-serif"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# ---------------------------------------------------------------------------
# Markup


def _label(text: str, x: float, y: float, *, anchor: str = "middle", size: int = LABEL_SIZE) -> str:
    attributes: Attributes = {"x": x, "y": y, "font-size": size, "text-anchor": anchor}
    return svg.tag("text", attributes | {"fill": INK}, svg.text(text))


def _shortened(text: str, size: float, width: float) -> str:
    """The text, cut and ended with an ellipsis if it would run wider than ``width``.

    Widths are estimated at 0.6 em a character (bold Arial's average is a little
    under): near enough to keep a long title inside the chart; the full title is
    still the chart's ``<title>``.
    """
    most = int(width / (0.6 * size))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _ids(title: str) -> tuple[str, str]:
    """The ids of the chart's <title> and <desc>, made from its title (safe for an id)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "chart"
    return f"trend-{slug}-title", f"trend-{slug}-desc"


# ---------------------------------------------------------------------------
# Words


def percent(value: float) -> str:
    """A percentage as people write it: whole numbers bare, otherwise one decimal place."""
    return f"{svg.number(round(value, 1))}%"


def _month_name(month: dt.date) -> str:
    return f"{_MONTH_NAMES[month.month - 1]} {month.year}"


def _against(value: float, target: float | None) -> str:
    if target is None:
        return "no target is set"
    if value >= target:
        return f"meeting the target of {percent(target)}"
    return f"below the target of {percent(target)}"


def _description(figures: Sequence[ChartFigure], target: float | None, title: str) -> str:
    """A sentence or two for a screen reader: the span, then the latest figure against target."""
    if not figures:
        return f"{title}: no months to show."
    span = f"{title}, by month from {_month_name(figures[0].month)} to "
    span += f"{_month_name(figures[-1].month)}."
    with_data = [f for f in figures if f.value is not None]
    if not with_data:
        return f"{span} Nothing to count in any month."
    latest = with_data[-1]
    assert latest.value is not None
    words = [
        span,
        f"Latest figure, {_month_name(latest.month)}: {percent(latest.value)} "
        f"({latest.numerator} of {latest.denominator}), {_against(latest.value, target)}.",
    ]
    if latest is not figures[-1]:
        words.append(f"Nothing to count yet in {_month_name(figures[-1].month)}.")
    return " ".join(words)


# ---------------------------------------------------------------------------
# The drawing


def _y(value: float) -> float:
    share = min(max(value, 0.0), 100.0) / 100
    return PLOT_BOTTOM - share * (PLOT_BOTTOM - PLOT_TOP)


def _xs(count: int) -> list[float]:
    if count == 1:
        return [(PLOT_LEFT + PLOT_RIGHT) / 2]
    step = (PLOT_RIGHT - PLOT_LEFT - 24) / (count - 1)
    return [PLOT_LEFT + 12 + step * index for index in range(count)]


def _axis() -> str:
    parts = []
    for value in (0, 25, 50, 75, 100):
        y = _y(value)
        parts.append(
            svg.tag(
                "line",
                {
                    "x1": PLOT_LEFT,
                    "y1": y,
                    "x2": PLOT_RIGHT,
                    "y2": y,
                    "stroke": GRID,
                    "stroke-width": 1,
                },
            )
        )
        parts.append(_label(f"{value}%", PLOT_LEFT - 8, y + 4, anchor="end"))
    return "".join(parts)


def _month_labels(figures: Sequence[ChartFigure], xs: list[float]) -> str:
    parts = []
    for index, (figure, x) in enumerate(zip(figures, xs, strict=True)):
        parts.append(_label(_MONTHS[figure.month.month - 1], x, PLOT_BOTTOM + 18))
        # The year under the first month and under each January.
        if index == 0 or figure.month.month == 1:
            parts.append(_label(str(figure.month.year), x, PLOT_BOTTOM + 34))
    return "".join(parts)


def _runs(figures: Sequence[ChartFigure], xs: list[float]) -> list[list[tuple[float, float]]]:
    """The points of each unbroken run of months with a figure; a month without one breaks it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for figure, x in zip(figures, xs, strict=True):
        if figure.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, _y(figure.value)))
    return [run for run in runs if run]


def _line_and_points(figures: Sequence[ChartFigure], xs: list[float]) -> str:
    parts = []
    for run in _runs(figures, xs):
        if len(run) > 1:
            points = " ".join(f"{svg.number(x)},{svg.number(y)}" for x, y in run)
            parts.append(
                svg.tag(
                    "polyline",
                    {
                        "points": points,
                        "fill": "none",
                        "stroke": LINE,
                        "stroke-width": 3,
                        "stroke-linejoin": "round",
                    },
                )
            )
    for figure, x in zip(figures, xs, strict=True):
        if figure.value is None:
            continue
        tooltip = (
            f"{_month_name(figure.month)}: {percent(figure.value)} "
            f"({figure.numerator} of {figure.denominator})"
        )
        parts.append(
            svg.tag(
                "circle",
                {
                    "cx": x,
                    "cy": _y(figure.value),
                    "r": POINT_RADIUS,
                    "fill": LINE,
                    "stroke": PAPER,
                    "stroke-width": 1,
                },
                svg.tag("title", {}, svg.text(tooltip)),
            )
        )
    return "".join(parts)


def _target_line(target: float) -> str:
    y = _y(target)
    line = svg.tag(
        "line",
        {
            "x1": PLOT_LEFT,
            "y1": y,
            "x2": PLOT_RIGHT,
            "y2": y,
            "stroke": INK,
            "stroke-width": 2,
            "stroke-dasharray": "6 4",
        },
    )
    # Above the line, unless the target is so high the label would meet the heading.
    label_y = y - 6 if y - 6 - LABEL_SIZE > PLOT_TOP - 20 else y + LABEL_SIZE + 4
    return line + _label(f"Target {percent(target)}", PLOT_RIGHT, label_y, anchor="end")


def trend_chart_svg(*, figures: Sequence[ChartFigure], target: float | None, title: str) -> str:
    """The figures as a complete ``<svg>`` line chart, oldest month on the left.

    Values are percentages on a 0 to 100% axis; a month whose ``value`` is None
    is a gap in the line. ``target`` (a percentage) is drawn as a dashed line
    labelled "Target 90%"; None draws none. The chart scales to the width of
    its container.

    >>> import datetime as dt
    >>> from types import SimpleNamespace as Month
    >>> svg = trend_chart_svg(
    ...     figures=[Month(month=dt.date(2026, 9, 1), numerator=9, denominator=10, value=90.0)],
    ...     target=90.0,
    ...     title="Prompts answered in time",
    ... )
    >>> "Target 90%" in svg and "meeting the target of 90%" in svg
    True
    """
    title = svg.clean(title) or "Trend"
    title_id, desc_id = _ids(title)
    xs = _xs(len(figures)) if figures else []
    body = [
        svg.tag("rect", {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "fill": PAPER}),
        svg.tag(
            "text",
            {
                "x": PLOT_LEFT - 40,
                "y": 28,
                "font-size": TITLE_SIZE,
                "font-weight": "bold",
                "fill": INK,
            },
            svg.text(_shortened(title, TITLE_SIZE, WIDTH - 2 * (PLOT_LEFT - 40))),
        ),
        _axis(),
        _month_labels(figures, xs),
        _target_line(target) if target is not None else "",
        _line_and_points(figures, xs),
    ]
    if not any(f.value is not None for f in figures):
        body.append(_label("Nothing to count yet", (PLOT_LEFT + PLOT_RIGHT) / 2, _y(50)))
    return svg.tag(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "trend-chart",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "font-family": FONT_FAMILY,
        },
        "".join(
            [
                svg.tag("title", {"id": title_id}, svg.text(title)),
                svg.tag("desc", {"id": desc_id}, svg.text(_description(figures, target, title))),
                *body,
            ]
        ),
    )
