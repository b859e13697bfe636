"""Template tags of the learning loop: RAG and timescale tags, and indicator charts."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from thinkfamily.core.templatetags.govuk import govuk_tag
from thinkfamily.learning.charts import trend_chart_svg
from thinkfamily.learning.selectors import IndicatorView
from thinkfamily.learning.timescales import RagStatus, TimescaleState

register = template.Library()

_CLOCK_COLOURS = {
    TimescaleState.NOT_STARTED: "grey",
    TimescaleState.DUE: "yellow",
    TimescaleState.OVERDUE: "red",
    TimescaleState.MET: "green",
    TimescaleState.LATE: "orange",
}


@register.inclusion_tag("core/components/tag.html")
def rag_tag(status: RagStatus) -> dict[str, str]:
    """A RAG status as a GOV.UK tag, always in words as well as colour."""
    return govuk_tag(status.label, status.tag_colour)


@register.inclusion_tag("core/components/tag.html")
def clock_tag(state: TimescaleState) -> dict[str, str]:
    """Where a review's clock stands, as a GOV.UK tag."""
    return govuk_tag(state.label, _CLOCK_COLOURS[state])


@register.simple_tag
def indicator_chart(view: IndicatorView) -> SafeString:
    """The indicator's monthly trend as an SVG chart (the chart module escapes every text)."""
    return mark_safe(
        trend_chart_svg(figures=view.trend.figures, target=view.target, title=view.indicator.title)
    )
