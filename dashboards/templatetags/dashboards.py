"""Template helpers for the dashboards: formatted values, changes and table cells with drill-down links."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboards.kpis import Figure
from dashboards.tables import Cell, Column, display, display_change

register = template.Library()


@register.filter
def show(value: Any, unit: str = "count") -> str:
    """{{ figure.current|show:figure.unit }}: 1,234 · 2h 05m · 3.5 days · —."""
    return display(value, unit)


@register.filter
def change(figure: Figure) -> str:
    return display_change(figure)


def _hidden(n: int) -> SafeString:
    if not n:
        return SafeString("")
    noun = "record" if n == 1 else "records"
    return format_html(
        ' <span class="restricted-count" title="{} restricted {} counted here; the list shows only what you may open">'
        "({} restricted)</span>",
        n,
        noun,
        n,
    )


@register.simple_tag
def cell(cell: Cell, column: Column) -> SafeString:
    """A table cell's content: the formatted value, linked to its list, with the restricted count."""
    text = display(cell.value, cell.unit or column.unit)
    content = format_html('<a href="{}">{}</a>', cell.url, text) if cell.url else format_html("{}", text)
    return format_html("{}{}", content, _hidden(cell.hidden))


@register.simple_tag
def figure_link(figure: Figure) -> SafeString:
    """A figure's value linked to its list (and its restricted count)."""
    text = display(figure.current, figure.unit)
    content = format_html('<a href="{}">{}</a>', figure.url, text) if figure.url else format_html("{}", text)
    return format_html("{}{}", content, _hidden(figure.hidden))
