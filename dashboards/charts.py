"""Charts drawn on the server as SVG: the geometry is computed here, the markup is in
templates/dashboards/charts/. No JavaScript, no library; every chart is followed by its data table.

Colours are chosen for WCAG AA: every fill has at least 3:1 contrast against the white page
(non-text contrast, WCAG 1.4.11) and labels are dark text (tests/dashboards/test_charts.py checks
the palette). Severities also differ by position (the worst at the bottom of each bar) and each
segment has a tooltip, so colour is never the only cue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dashboards.kpis import OriginRow, SeriesPoint, StageTimes, TrendPoint
from dashboards.tables import display

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 30

#: Severity fills, worst first (SEV1 .. SEV5).
SEVERITY_COLOURS = ["#7f1d1d", "#b91c1c", "#b45309", "#1d4ed8", "#4b5563"]
MEDIAN_COLOUR = "#1d4ed8"
P90_COLOUR = "#0f766e"
OPEN_COLOUR = "#1d4ed8"
OVERDUE_COLOUR = "#b91c1c"
LINE_COLOURS = {"mitigate": "#0f766e", "resolve": "#7f1d1d"}
AXIS_COLOUR = "#4b5563"  # text and axis lines: 7.5:1 on white
GRID_COLOUR = "#d1d5db"  # decorative only


@dataclass
class Chart:
    title: str
    summary: str
    width: int = WIDTH
    height: int = 220
    items: list[dict[str, Any]] = field(default_factory=list)
    yticks: list[dict[str, Any]] = field(default_factory=list)
    xlabels: list[dict[str, Any]] = field(default_factory=list)
    legend: list[dict[str, str]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def tick_x(self) -> int:
        return LEFT - 6

    @property
    def label_y(self) -> int:
        return self.height - BOTTOM + 18


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def nice_duration(seconds: float) -> float:
    """A round duration at or above `seconds`, for a time axis."""
    for step in (60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800):
        if step >= seconds:
            return step
    return nice_ceiling(seconds / 86400) * 86400


def _label(day: date, bucket: str) -> str:
    return f"{day:%b %Y}" if bucket == "month" else f"{day:%-d %b}"


def severity_columns(points: list[SeriesPoint], severities: list[str], bucket: str) -> Chart:
    """Stacked columns: incidents per step of the period, one colour per severity (the worst at the bottom)."""
    total = sum(p.total for p in points)
    chart = Chart(
        title="Incidents by severity over time",
        summary=f"{total:,} incidents in {len(points)} {bucket}s; the busiest {bucket} had "
        f"{max((p.total for p in points), default=0):,}.",
        height=230,
    )
    top = nice_ceiling(max((p.total for p in points), default=0))
    plot_h = chart.baseline - TOP
    slot = (chart.plot_right - LEFT) / max(len(points), 1)
    bar = max(2.0, slot * 0.72)
    colours = dict(zip(severities, SEVERITY_COLOURS + SEVERITY_COLOURS[-1:] * 10, strict=False))
    every = max(1, math.ceil(len(points) / 8))
    for i, point in enumerate(points):
        x = LEFT + i * slot + (slot - bar) / 2
        y = float(chart.baseline)
        segments = []
        for name in severities:
            n = point.counts.get(name, 0)
            if not n:
                continue
            h = n / top * plot_h
            y -= h
            segments.append(
                {
                    "y": round(y, 1),
                    "h": round(h, 1),
                    "fill": colours[name],
                    "url": point.urls.get(name, ""),
                    "title": f"{name}, {_label(point.start, bucket)}–{_label(point.end, bucket)}: {n}",
                }
            )
        chart.items.append({"x": round(x, 1), "w": round(bar, 1), "segments": segments})
        if i % every == 0:
            chart.xlabels.append({"x": round(x + bar / 2, 1), "label": _label(point.start, bucket)})
    fractions = (0, 0.5, 1) if top % 2 == 0 else (0, 1)  # whole numbers only
    chart.yticks = [{"y": round(chart.baseline - plot_h * f, 1), "label": f"{int(top * f):,}"} for f in fractions]
    chart.legend = [{"label": name, "fill": colours[name]} for name in severities]
    return chart


def response_bars(times: list[StageTimes]) -> Chart:
    """Median and 90th percentile per response stage, as horizontal bars on one time scale."""
    row_h, bar_h = 46, 15
    label_w = 150
    chart = Chart(
        title="Response times: median and 90th percentile",
        summary="; ".join(
            f"{t.label}: median {display(t.median.current, 'seconds')}, "
            f"90th percentile {display(t.p90.current, 'seconds')}"
            for t in times
        ),
        height=TOP + row_h * len(times),
    )
    longest = max([t.p90.current or t.median.current or 0 for t in times] or [0])
    scale = (chart.plot_right - label_w - 80) / (longest or 1)
    for i, t in enumerate(times):
        y = TOP + i * row_h
        bars = []
        for offset, figure, colour, name in (
            (0, t.median, MEDIAN_COLOUR, "median"),
            (bar_h + 2, t.p90, P90_COLOUR, "90th percentile"),
        ):
            value = figure.current
            w = max(1.0, value * scale) if value else 0
            bars.append(
                {
                    "y": y + offset,
                    "h": bar_h,
                    "w": round(w, 1),
                    "fill": colour,
                    "url": figure.url,
                    "text": display(value, "seconds"),
                    "title": f"{t.label}, {name}: {display(value, 'seconds')}",
                    "text_x": round(label_w + w + 6, 1),
                }
            )
        chart.items.append({"label": t.label, "label_y": y + bar_h + 1, "bars": bars, "x": label_w})
    chart.legend = [{"label": "Median", "fill": MEDIAN_COLOUR}, {"label": "90th percentile", "fill": P90_COLOUR}]
    return chart


def trend_lines(points: list[TrendPoint], bucket: str) -> Chart:
    """Median time to mitigate and to resolve per step of the period (gaps where nothing was measured)."""
    chart = Chart(title="Median time to mitigate and resolve over time", summary="", height=210)
    stages = ["mitigate", "resolve"]
    top = nice_duration(max([p.medians[s] or 0 for p in points for s in stages] or [0]))
    plot_h = chart.baseline - TOP
    slot = (chart.plot_right - LEFT) / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 8))
    for stage in stages:
        runs: list[list[str]] = [[]]
        dots = []
        for i, point in enumerate(points):
            value = point.medians[stage]
            if value is None:
                runs.append([])
                continue
            x = LEFT + i * slot + slot / 2
            y = chart.baseline - value / top * plot_h
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "url": point.url,
                    "title": f"{_label(point.start, bucket)}: median time to {stage} {display(value, 'seconds')}",
                }
            )
        chart.lines.append(
            {
                "stage": stage,
                "colour": LINE_COLOURS[stage],
                "runs": [" ".join(r) for r in runs if len(r) > 1],
                "dots": dots,
            }
        )
    for i, point in enumerate(points):
        if i % every == 0:
            chart.xlabels.append({"x": round(LEFT + i * slot + slot / 2, 1), "label": _label(point.start, bucket)})
    chart.yticks = [
        {"y": round(chart.baseline - plot_h * f, 1), "label": display(top * f, "seconds")} for f in (0, 0.5, 1)
    ]
    chart.legend = [{"label": f"Time to {s}", "fill": LINE_COLOURS[s]} for s in stages]
    measured = [p.medians["resolve"] for p in points if p.medians["resolve"] is not None]
    chart.summary = (
        f"Median time to resolve per {bucket}, from {display(measured[0], 'seconds')} to "
        f"{display(measured[-1], 'seconds')}."
        if measured
        else "No incident of the period was resolved with known times."
    )
    return chart


def origin_bars(rows: list[OriginRow]) -> Chart:
    """Open action items per origin, the overdue part drawn darker inside each bar."""
    row_h, bar_h, label_w = 32, 18, 130
    chart = Chart(
        title="Open action items by origin",
        summary="; ".join(f"{r.label}: {r.open.current:,} open, {r.overdue.current:,} overdue" for r in rows),
        height=TOP + row_h * len(rows),
    )
    top = max([r.open.current or 0 for r in rows] or [0]) or 1
    scale = (chart.plot_right - label_w - 160) / top
    for i, r in enumerate(rows):
        y = TOP + i * row_h
        open_w = (r.open.current or 0) * scale
        late_w = (r.overdue.current or 0) * scale
        chart.items.append(
            {
                "label": r.label,
                "label_y": y + bar_h - 4,
                "x": label_w,
                "y": y,
                "h": bar_h,
                "open_w": round(open_w, 1),
                "late_w": round(late_w, 1),
                "open_url": r.open.url,
                "late_url": r.overdue.url,
                "open_fill": OPEN_COLOUR,
                "late_fill": OVERDUE_COLOUR,
                "text": f"{r.open.current:,} open · {r.overdue.current:,} overdue",
                "text_x": round(label_w + open_w + 6, 1),
                "title_open": f"{r.label}: {r.open.current:,} open",
                "title_late": f"{r.label}: {r.overdue.current:,} overdue",
            }
        )
    chart.legend = [{"label": "Open", "fill": OPEN_COLOUR}, {"label": "Of which overdue", "fill": OVERDUE_COLOUR}]
    return chart
