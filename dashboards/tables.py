"""Every table of a dashboard, built once from the KPIs: the page renders these, the CSV export writes them.

A table is columns and rows of cells; a cell keeps its raw value (what the CSV and the API carry),
the drill-down URL and how many counted records the reader cannot open. The page formats values
with `display()`; the CSV writes them raw (durations in seconds, days as decimals), so the page, the
CSV and the API show the same numbers.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from dashboards.kpis import REPEAT_MINIMUM, Breakdown, BreakdownRow, Figure, Kpis
from opsx.templatetags.opsx import duration


@dataclass
class Column:
    key: str
    label: str
    unit: str = "count"  # count, seconds, days, text, date
    heat: bool = False  # coloured by size in the heat map (more is worse)
    page: bool = True  # shown on the page (the CSV has every column)

    @property
    def numeric(self) -> bool:
        return self.unit in ("count", "seconds", "days")

    @property
    def csv_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit in ("seconds", "days") else self.label


@dataclass
class Cell:
    value: Any
    url: str = ""
    hidden: int = 0
    level: int = 0  # heat level 0..4
    unit: str = ""  # overrides the column's unit (figure tables mix counts and durations)


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = "Nothing in this period."

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.page]

    @property
    def paired_rows(self) -> list[list[tuple[Column, Cell]]]:
        """Rows as (column, cell) pairs of the columns the page shows, for templates."""
        return [[(col, cell) for col, cell in zip(self.columns, row, strict=True) if col.page] for row in self.rows]

    def csv_lines(self) -> Iterator[str]:
        """The table as CSV lines (a header, then one line per row)."""
        buffer = _Echo()
        writer = csv.writer(buffer)
        yield writer.writerow([c.csv_label for c in self.columns])
        for row in self.rows:
            yield writer.writerow(
                [csv_value(cell.unit or col.unit, cell.value) for col, cell in zip(self.columns, row, strict=True)]
            )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_value(unit: str, value: Any) -> Any:
    if value is None:
        return ""
    unit = unit.removeprefix("change:")
    if unit in ("seconds", "days") and isinstance(value, int | float):
        return round(float(value), 1)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def display(value: Any, unit: str = "count") -> str:
    """A value as the page shows it: 1,234 · 2h 05m · 3.5 days · — for unknown."""
    if value is None:
        return "—"
    if unit.startswith("change:"):
        return display_change(Figure("", "", value, 0, unit=unit.removeprefix("change:")), percent=False)
    if unit == "seconds":
        return duration(timedelta(seconds=round(float(value))))
    if unit == "days":
        return f"{float(value):.1f} days"
    if unit == "count" and isinstance(value, int | float):
        return f"{int(value):,}"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d")
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return str(value)


def display_change(figure: Figure, *, percent: bool = True) -> str:
    """ "+3 (+12%)", "−2h 05m": the change against the previous period (empty without one)."""
    change = figure.change
    if change is None:
        return ""
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "−"
    if figure.unit == "seconds":
        return f"{sign}{display(abs(change), 'seconds')}"
    if figure.unit == "days":
        return f"{sign}{abs(change):.1f} days"
    text = f"{sign}{abs(int(change)):,}"
    ratio = figure.change_percent if percent else None
    return f"{text} ({sign}{abs(ratio):.0f}%)" if ratio is not None else text


# --- the tables --------------------------------------------------------------------------------


def _figures(name: str, title: str, figures: list[Figure]) -> Table:
    """Figures as rows (figure, value, previous value, change); the page leaves out what no row has."""
    compared = any(f.previous is not None for f in figures)
    columns = [
        Column("metric", "Figure", "text"),
        Column("current", "This period" if compared else "Now", "count"),
        Column("previous", "Previous period", "count", page=compared),
        Column("change", "Change", "count", page=compared),
        Column("unit", "Unit", "text", page=False),
    ]
    rows = [
        [
            Cell(f.label),
            Cell(f.current, url=f.url, hidden=f.hidden, unit=f.unit),
            Cell(f.previous, unit=f.unit),
            Cell(f.change, unit=f"change:{f.unit}"),
            Cell(f.unit),
        ]
        for f in figures
    ]
    return Table(name, title, columns, rows)


BREAKDOWN_COLUMNS = [
    ("incidents", "Incidents", "count", True),
    ("severe", "SEV1–2", "count", True),
    ("resolve_median", "Median time to resolve", "seconds", True),
    ("postmortems_overdue", "Overdue postmortems", "count", True),
    ("actions_open", "Open action items", "count", False),
    ("actions_overdue", "Overdue action items", "count", True),
    ("actions_closed", "Action items closed", "count", False),
    ("reviews_overdue", "Reviews overdue", "count", True),
    ("never_reviewed", "Never reviewed", "count", True),
    ("high_risks", "High risks", "count", True),
]

HIDDEN_OF = {
    "incidents": "incidents_hidden",
    "postmortems_overdue": "postmortems_overdue_hidden",
    "actions_overdue": "actions_overdue_hidden",
}


def breakdown_table(data: Breakdown) -> Table:
    """The team (or service) × metric table; on the page, the heat map."""
    noun = "Team" if data.kind == "team" else "Service"
    columns = [Column("name", noun, "text")]
    columns += [Column(key, label, unit, heat) for key, label, unit, heat in BREAKDOWN_COLUMNS]
    columns.append(Column("score", "Attention score", "count"))
    highest = {key: max([getattr(r, key) or 0 for r in data.rows] or [0]) for key, *_ in BREAKDOWN_COLUMNS}
    rows = []
    for r in data.rows:
        cells = [Cell(r.name, url=r.url)]
        for key, _label, _unit, heat in BREAKDOWN_COLUMNS:
            value = getattr(r, key)
            level = _level(value, highest[key]) if heat else 0
            cells.append(
                Cell(value, url=r.urls.get(key, ""), hidden=getattr(r, HIDDEN_OF.get(key, ""), 0), level=level)
            )
        cells.append(Cell(r.score))
        rows.append(cells)
    title = "By team" if data.kind == "team" else "By service"
    return Table("breakdown", title, columns, rows)


def _level(value: float | None, highest: float) -> int:
    if not value or not highest:
        return 0
    return max(1, min(4, math.ceil(4 * float(value) / float(highest))))


def attention_table(rows: list[BreakdownRow]) -> Table:
    columns = [
        Column("rank", "Rank"),
        Column("name", "Name", "text"),
        Column("score", "Score"),
        Column("reasons", "Why", "text"),
    ]
    return Table(
        "attention",
        "Needs attention",
        columns,
        [[Cell(i), Cell(r.name, url=r.url), Cell(r.score), Cell("; ".join(r.reasons))] for i, r in enumerate(rows, 1)],
    )


def tables(k: Kpis) -> dict[str, Table]:
    """Every table of the dashboard `k`, by name (the CSV export's names)."""
    inc, pm, ai, rd = k.incidents, k.postmortems, k.action_items, k.readiness
    out = {
        "headline": _figures("headline", "Key figures", k.headline()),
    }
    out["severity"] = Table(
        "severity",
        "Incidents by severity",
        [
            Column("severity", "Severity", "text"),
            Column("current", "This period"),
            Column("previous", "Previous period"),
        ],
        [[Cell(f.label), Cell(f.current, url=f.url, hidden=f.hidden), Cell(f.previous)] for f in inc.by_severity],
    )
    out["series"] = Table(
        "series",
        "Incidents over time",
        [Column("start", "From", "date"), Column("end", "To", "date")]
        + [Column(name, name) for name in inc.severities]
        + [Column("total", "Total")],
        [
            [Cell(p.start), Cell(p.end)]
            + [Cell(p.counts[name], url=p.urls.get(name, "")) for name in inc.severities]
            + [Cell(p.total, url=p.urls["total"])]
            for p in inc.series
        ],
    )
    out["times"] = Table(
        "times",
        "Response times",
        [
            Column("stage", "Measure", "text"),
            Column("median", "Median", "seconds"),
            Column("p90", "90th percentile", "seconds"),
            Column("previous_median", "Previous median", "seconds"),
            Column("previous_p90", "Previous 90th percentile", "seconds"),
            Column("measured", "Incidents measured"),
            Column("unknown", "Without a known time"),
        ],
        [
            [
                Cell(t.label),
                Cell(t.median.current, url=t.median.url),
                Cell(t.p90.current, url=t.p90.url),
                Cell(t.median.previous),
                Cell(t.p90.previous),
                Cell(t.measured.current, url=t.measured.url),
                Cell(t.unknown.current, url=t.unknown.url),
            ]
            for t in k.times
        ],
    )
    out["trend"] = Table(
        "trend",
        "Median response times over time",
        [Column("start", "From", "date"), Column("end", "To", "date")]
        + [Column(t.stage, t.label, "seconds") for t in k.times],
        [[Cell(p.start), Cell(p.end)] + [Cell(p.medians[t.stage], url=p.url) for t in k.times] for p in k.trend],
    )
    out["postmortems"] = _figures(
        "postmortems", "Postmortems", [pm.required, pm.completed, pm.on_time, pm.days_to_publish, pm.overdue]
    )
    out["action_items"] = _figures(
        "action_items", "Action items", [ai.open, ai.overdue, ai.closed, ai.created, ai.days_to_close]
    )
    out["by_origin"] = Table(
        "by_origin",
        "Action items by origin",
        [
            Column("origin", "Origin", "text"),
            Column("open", "Open"),
            Column("overdue", "Overdue"),
            Column("closed", "Closed in the period"),
        ],
        [
            [Cell(o.label), *(Cell(f.current, url=f.url, hidden=f.hidden) for f in (o.open, o.overdue, o.closed))]
            for o in ai.by_origin
        ],
    )
    out["readiness"] = _figures(
        "readiness",
        "Readiness",
        [rd.high_risks, rd.medium_risks, rd.never_reviewed, rd.overdue, rd.accepted_launches, rd.expiring_soon],
    )
    out["tiers"] = Table(
        "tiers",
        "Review cadence by tier",
        [
            Column("tier", "Tier", "text"),
            Column("interval", "Review every (days)"),
            Column("services", "Services in use"),
            Column("never", "Never reviewed"),
            Column("overdue", "Review overdue"),
        ],
        [
            [Cell(t.label), Cell(t.interval_days)]
            + [Cell(f.current, url=f.url) for f in (t.services, t.never_reviewed, t.overdue)]
            for t in rd.by_tier
        ],
    )
    out["launches"] = Table(
        "launches",
        "Launches with accepted risks",
        [
            Column("review", "Review", "text"),
            Column("service", "Service", "text"),
            Column("team", "Team", "text"),
            Column("accepted", "Accepted risks"),
            Column("expiry", "Next expiry", "date"),
        ],
        [
            [Cell(x.title, url=x.url), Cell(x.service), Cell(x.team), Cell(x.accepted_risks), Cell(x.next_expiry)]
            for x in rd.launches
        ],
        empty="No launch is relying on an accepted risk.",
    )
    out["repeat_services"] = Table(
        "repeat_services",
        "Services with repeat incidents",
        [
            Column("service", "Service", "text"),
            Column("team", "Owner team", "text"),
            Column("current", "Incidents"),
            Column("previous", "Previous period"),
        ],
        [
            [Cell(r.name), Cell(r.detail), Cell(r.incidents.current, url=r.incidents.url), Cell(r.incidents.previous)]
            for r in k.repeats.services
        ],
        empty=f"No service had {REPEAT_MINIMUM} or more incidents in this period.",
    )
    out["repeat_categories"] = Table(
        "repeat_categories",
        "Contributing factors named most",
        [
            Column("category", "Factor category", "text"),
            Column("current", "Postmortems"),
            Column("previous", "Previous period"),
        ],
        [
            [Cell(r.name), Cell(r.incidents.current, url=r.incidents.url), Cell(r.incidents.previous)]
            for r in k.repeats.categories
        ],
        empty="No postmortem of this period names a contributing factor yet.",
    )
    if k.breakdown is not None:
        out["breakdown"] = breakdown_table(k.breakdown)
        out["attention"] = attention_table(k.breakdown.attention)
    return out


TABLE_NAMES = [
    "headline",
    "severity",
    "series",
    "times",
    "trend",
    "postmortems",
    "action_items",
    "by_origin",
    "readiness",
    "tiers",
    "launches",
    "repeat_services",
    "repeat_categories",
    "breakdown",
    "attention",
]
