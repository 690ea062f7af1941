"""The KPI definitions: one module computes every number the dashboards, the metrics API and the digests show.

    from dashboards.kpis import Filters, Period, Scope, breakdown, kpis

    result = kpis(scope=Scope.of_team(team), period=Period.last(7), user=reader)
    result.incidents.total.current, result.incidents.total.previous, result.incidents.total.change
    for figure in result.headline(): ...            # the figures a digest prints, with drill-down URLs
    rows = breakdown(scope=Scope.organization(), period=Period.last(7), user=reader)   # every team at once

`kpis()` covers one scope (the organization, a team or a service) over a period and the period of the
same length just before it; `breakdown()` gives one row per team (or per service of a team) with the
same definitions, in one statement whatever the number of teams, so a digest for a thousand teams
does not run a thousand dashboards. Both return plain dataclasses (`as_dict()` for JSON).

Rules every figure follows (the help page and docs/dashboards.md say the same):

* Counts are computed by the database, a fixed number of queries per call, none per team or row.
* Counts include restricted records: leadership must see the true number. They are never listed or
  named: each figure links to the ordinary list (scoped with `visible_to`) with the same filters in
  the URL, and carries `hidden`, how many of the counted records the reader cannot open there.
* The selection of rows comes from the same `*_q` functions the lists' FilterSets use
  (`incidents.filters`, `reviews.filters`), so a number and the list it links to agree.
* An incident is "of a team" when the team owns it or one of its services was affected; it is
  "in the period" when it started in the period. Time-to-X figures leave out incidents whose times
  are not known (`incidents.timing`) and count them separately.
* Figures about the present (open, overdue, readiness) are as of now; "previous" for backlog figures
  is the same figure as of the start of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone

from dashboards import sql
from incidents.filters import (
    action_item_closed_q,
    action_item_open_q,
    action_item_overdue_q,
    action_item_service_q,
    incident_open_q,
    incident_service_q,
    incident_team_q,
    incident_tier_q,
    postmortem_on_time_q,
    postmortem_overdue_q,
)
from incidents.models import ActionItem, FactorCategory, Incident, Postmortem, Severity
from incidents.timing import STAGE_LABELS, STAGES, measured_q
from reviews.filters import (
    in_use_q,
    latest_review_q,
    never_reviewed_q,
    review_accepted_q,
    review_overdue_q,
    tier_intervals,
)
from reviews.models import Answer, GameDay, GameDayFinding, Review, Risk, RiskAcceptance
from teams import permissions
from teams.models import System, Team, User

SEVERE_LEVEL = 2  # SEV1 and SEV2 are "severe"
EXPIRING_DAYS = 30  # a risk acceptance "expires soon" within this many days
REPEAT_MINIMUM = 2  # a service or factor category "recurs" with at least this many incidents in the period
TOP = 10  # rows in the repeat and acceptance tables

# --- periods -----------------------------------------------------------------------------------

PERIOD_CHOICES = [
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("365d", "Last 365 days"),
    ("quarter", "This quarter"),
    ("custom", "Custom range"),
]
PERIOD_DAYS = {"30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "90d"


@dataclass(frozen=True)
class Period:
    """Whole days `start`..`end` (inclusive) in the organization's time zone, and the equally long
    period just before it ("previous")."""

    key: str
    start: date
    end: date

    @classmethod
    def last(cls, days: int, *, today: date | None = None) -> Period:
        end = today or timezone.localdate()
        key = f"{days}d" if f"{days}d" in PERIOD_DAYS else "custom"
        return cls(key, end - timedelta(days=days - 1), end)

    @classmethod
    def quarter(cls, *, today: date | None = None) -> Period:
        end = today or timezone.localdate()
        return cls("quarter", date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end)

    @classmethod
    def named(cls, key: str, *, start: date | None = None, end: date | None = None, today: date | None = None) -> Period:
        if key in PERIOD_DAYS:
            return cls.last(PERIOD_DAYS[key], today=today)
        if key == "quarter":
            return cls.quarter(today=today)
        if key == "custom" and start and end:
            return cls("custom", start, end)
        raise ValueError(f"unknown period {key!r}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        return Period("previous", self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def bucket(self) -> str:
        """The time-series step: days for a month, weeks up to about half a year, then months."""
        return "day" if self.days <= 45 else "week" if self.days <= 200 else "month"

    @property
    def label(self) -> str:
        names = dict(PERIOD_CHOICES)
        span = f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"
        return f"{names[self.key]} ({span})" if self.key in names and self.key != "custom" else span

    def params(self) -> dict[str, str]:
        """The dashboard's own query parameters for this period."""
        if self.key == "custom":
            return {"period": "custom", "start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"period": self.key}

    def buckets(self) -> list[tuple[date, date, date]]:
        """(bucket key, first day, last day) of every step of the period, clipped to the period."""
        out = []
        current = _bucket_start(self.start, self.bucket)
        while current <= self.end:
            following = _next_bucket(current, self.bucket)
            out.append((current, max(current, self.start), min(following - timedelta(days=1), self.end)))
            current = following
        return out


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


# --- scope and filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the figures to. Each entity applies each filter by one rule:

    * teams: incidents owned by or affecting a service of one of the teams (and their postmortems);
      action items, reviews and services of the teams.
    * services: incidents affecting one of them; action items from such incidents or from a review
      of the services; their reviews.
    * tiers: the same through the services of those tiers.
    * severities: incidents of those severities, their postmortems and action items (action items
      from no incident are left out); readiness figures ignore severity.
    """

    teams: tuple[Team, ...] = ()
    services: tuple[System, ...] = ()
    tiers: tuple[int, ...] = ()
    severities: tuple[Severity, ...] = ()

    def incidents_q(self) -> Q:
        q = Q()
        if self.teams:
            q &= incident_team_q(self.teams)
        if self.services:
            q &= incident_service_q(self.services)
        if self.tiers:
            q &= incident_tier_q(self.tiers)
        if self.severities:
            q &= Q(severity__in=self.severities)
        return q

    def postmortems_q(self) -> Q:
        q = self.incidents_q()
        return Q(incident__in=Incident.objects.filter(q).values("pk")) if q else Q()

    def action_items_q(self) -> Q:
        q = Q()
        if self.teams:
            q &= Q(team__in=self.teams)
        if self.services:
            q &= action_item_service_q(self.services)
        if self.tiers:
            q &= action_item_service_q(System.objects.filter(tier__in=self.tiers))
        if self.severities:
            q &= Q(incident__severity__in=self.severities)
        return q

    def reviews_q(self) -> Q:
        q = Q()
        if self.teams:
            q &= Q(team__in=self.teams)
        if self.services:
            q &= Q(system__in=self.services)
        if self.tiers:
            q &= Q(system__tier__in=self.tiers)
        return q

    def services_q(self) -> Q:
        q = Q()
        if self.teams:
            q &= Q(team__in=self.teams)
        if self.services:
            q &= Q(pk__in=[s.pk for s in self.services])
        if self.tiers:
            q &= Q(tier__in=self.tiers)
        return q

    def params(self, *, severity: bool = True) -> list[tuple[str, str]]:
        """The filters as list query parameters (the lists' FilterSets read the same names)."""
        out = [("team", t.slug) for t in self.teams] + [("service", s.slug) for s in self.services]
        out += [("tier", str(t)) for t in self.tiers]
        if severity:
            out += [("severity", s.name) for s in self.severities]
        return out

    def as_dict(self) -> dict[str, list]:
        return {
            "team": [t.slug for t in self.teams],
            "service": [s.slug for s in self.services],
            "tier": list(self.tiers),
            "severity": [s.name for s in self.severities],
        }


@dataclass(frozen=True)
class Scope:
    kind: str  # "organization", "team" or "service"
    team: Team | None = None
    service: System | None = None

    @classmethod
    def organization(cls) -> Scope:
        return cls("organization")

    @classmethod
    def of_team(cls, team: Team) -> Scope:
        return cls("team", team=team)

    @classmethod
    def of_service(cls, service: System) -> Scope:
        return cls("service", service=service)

    def apply(self, filters: Filters) -> Filters:
        if self.kind == "team":
            return replace(filters, teams=(self.team,))  # type: ignore[arg-type]
        if self.kind == "service":
            return replace(filters, teams=(), tiers=(), services=(self.service,))  # type: ignore[arg-type]
        return filters

    @property
    def title(self) -> str:
        if self.kind == "team":
            return f"{self.team} dashboard"
        if self.kind == "service":
            return f"{self.service} dashboard"
        return "Organization dashboard"

    def as_dict(self) -> dict[str, Any]:
        subject = self.team or self.service
        return {"kind": self.kind, "slug": getattr(subject, "slug", None), "name": str(subject) if subject else None}


# --- results -----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One number, the same number for the previous period, and the list it counts."""

    key: str
    label: str
    current: float | None
    previous: float | None = None
    unit: str = "count"  # count, seconds, days
    url: str = ""
    hidden: int = 0
    better: str = "lower"  # the direction that is good news: lower, higher, or "" for neither
    now: bool = False  # a figure about the present (no previous value by design)

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return 100.0 * self.change / self.previous

    @property
    def trend(self) -> str:
        """"good", "bad" or "" (no change, no comparison, or no preferred direction)."""
        if not self.change or not self.better:
            return ""
        return "good" if (self.change < 0) == (self.better == "lower") else "bad"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "unit": self.unit,
            "url": self.url,
            "hidden": self.hidden,
        }


@dataclass
class SeriesPoint:
    start: date
    end: date
    counts: dict[str, int]
    urls: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class StageTimes:
    stage: str
    label: str
    median: Figure
    p90: Figure
    measured: Figure
    unknown: Figure


@dataclass
class TrendPoint:
    start: date
    end: date
    medians: dict[str, float | None]
    url: str


@dataclass
class IncidentKpis:
    total: Figure
    severe: Figure
    by_severity: list[Figure]
    open_now: Figure
    unresolved: Figure
    hidden: int
    series: list[SeriesPoint]
    severities: list[str]


@dataclass
class PostmortemKpis:
    required: Figure
    completed: Figure
    on_time: Figure
    days_to_publish: Figure
    overdue: Figure
    hidden: int


@dataclass
class OriginRow:
    origin: str
    label: str
    open: Figure
    overdue: Figure
    closed: Figure


@dataclass
class ActionItemKpis:
    open: Figure
    overdue: Figure
    closed: Figure
    created: Figure
    days_to_close: Figure
    by_origin: list[OriginRow]
    hidden: int


@dataclass
class TierRow:
    tier: int
    label: str
    interval_days: int
    services: Figure
    never_reviewed: Figure
    overdue: Figure


@dataclass
class AcceptedLaunch:
    review_id: int
    title: str
    url: str
    service: str
    team: str
    accepted_risks: int
    next_expiry: datetime


@dataclass
class ReadinessKpis:
    high_risks: Figure
    medium_risks: Figure
    never_reviewed: Figure
    overdue: Figure
    accepted_launches: Figure
    expiring_soon: Figure
    by_tier: list[TierRow]
    launches: list[AcceptedLaunch]


@dataclass
class RepeatRow:
    key: str
    name: str
    detail: str
    incidents: Figure


@dataclass
class RepeatKpis:
    services: list[RepeatRow]
    categories: list[RepeatRow]


@dataclass
class Kpis:
    scope: Scope
    period: Period
    filters: Filters
    incidents: IncidentKpis
    times: list[StageTimes]
    trend: list[TrendPoint]
    postmortems: PostmortemKpis
    action_items: ActionItemKpis
    readiness: ReadinessKpis
    repeats: RepeatKpis
    breakdown: Breakdown | None

    def headline(self) -> list[Figure]:
        """The key figures, in the order the dashboard and the digests show them."""
        resolve = next(t for t in self.times if t.stage == "resolve")
        return [
            self.incidents.total,
            self.incidents.severe,
            self.incidents.open_now,
            resolve.median,
            self.postmortems.completed,
            self.postmortems.overdue,
            self.action_items.open,
            self.action_items.overdue,
            self.action_items.closed,
            self.readiness.overdue,
            self.readiness.never_reviewed,
            self.readiness.high_risks,
        ]

    @property
    def hidden(self) -> dict[str, int]:
        """How many counted records of each kind the reader cannot open."""
        return {
            "incidents": self.incidents.hidden,
            "postmortems": self.postmortems.hidden,
            "action_items": self.action_items.hidden,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**_plain(self), "headline": _plain(self.headline()), "hidden": self.hidden}


def _plain(value: Any) -> Any:
    """Dataclasses to JSON-friendly dicts (Figures keep their computed change)."""
    if isinstance(value, Figure | Period | Scope | Filters | Breakdown):
        return value.as_dict() if not isinstance(value, Period) else period_dict(value)
    if hasattr(value, "__dataclass_fields__"):
        out = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, SeriesPoint):
            out["total"] = value.total
        if isinstance(value, BreakdownRow):
            out.update(reasons=value.reasons, url=value.url)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def period_dict(period: Period) -> dict[str, Any]:
    previous = period.previous
    return {
        "key": period.key,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": period.days,
        "bucket": period.bucket,
        "previous_start": previous.start.isoformat(),
        "previous_end": previous.end.isoformat(),
    }


# --- drill-down links --------------------------------------------------------------------------

LISTS = {
    "incidents": "incidents:incident-list",
    "postmortems": "incidents:postmortem-list",
    "actions": "incidents:action-item-list",
    "reviews": "reviews:review-list",
    "services": "teams:service-list",
}


def drill(kind: str, filters: Filters, *extra: tuple[str, Any], **more: Any) -> str:
    """The URL of the list `kind` narrowed to `filters` plus extra parameters."""
    params = filters.params(severity=kind not in ("reviews", "services"))
    params += [(k, str(v)) for k, v in extra]
    params += [(k, str(v)) for k, v in more.items()]
    query = urlencode(params)
    return reverse(LISTS[kind]) + (f"?{query}" if query else "")


def _started(period: Period) -> tuple[tuple[str, str], ...]:
    return (("started_after", period.start.isoformat()), ("started_before", period.end.isoformat()))


# --- computing ---------------------------------------------------------------------------------


class _Context:
    """What every query of one call shares: the reader, the windows, the filters, the severities."""

    def __init__(self, *, user: User, period: Period, filters: Filters, today: date | None) -> None:
        self.user = user
        self.period = period
        self.filters = filters
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.since = period.since
        self.until = period.until
        self.since_prev = period.previous.since
        self.severities = list(Severity.objects.order_by("level"))
        self.severe = [s for s in self.severities if s.level <= SEVERE_LEVEL]

    def hidden_q(self, model: type) -> Q:
        """Rows of `model` the reader may not open (none for admins)."""
        if permissions.is_admin(self.user):
            return Q(pk__isnull=True)
        return ~permissions.visible_q(model, self.user)

    def hidden_expr(self, model: type) -> Any:
        if permissions.is_admin(self.user):
            return Value(False, output_field=BooleanField())
        return ExpressionWrapper(self.hidden_q(model), output_field=BooleanField())

    def window(self, field: str, *, previous: bool = False) -> Q:
        if previous:
            return Q(**{f"{field}__gte": self.since_prev, f"{field}__lt": self.since})
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})

    def both(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since_prev, f"{field}__lt": self.until})


def kpis(
    *,
    scope: Scope,
    period: Period,
    user: User,
    filters: Filters | None = None,
    today: date | None = None,
    breakdown_limit: int | None = 20,
    with_breakdown: bool = True,
) -> Kpis:
    """Every KPI of `scope` over `period` (and the previous period) as `user` reads them.

    The breakdown (one row per team, or per service of a team) keeps its `breakdown_limit` worst rows;
    `with_breakdown=False` leaves it out."""
    effective = scope.apply(filters or Filters())
    c = _Context(user=user, period=period, filters=effective, today=today)
    incidents, times, trend = _incident_kpis(c)
    rows = None
    if scope.kind != "service" and with_breakdown:
        rows = _breakdown(c, scope=scope, limit=breakdown_limit)
    return Kpis(
        scope=scope,
        period=period,
        filters=effective,
        incidents=incidents,
        times=times,
        trend=trend,
        postmortems=_postmortem_kpis(c),
        action_items=_action_item_kpis(c),
        readiness=_readiness_kpis(c),
        repeats=RepeatKpis(services=_repeat_services(c) if scope.kind != "service" else [], categories=_categories(c)),
        breakdown=rows,
    )


def _incident_kpis(c: _Context) -> tuple[IncidentKpis, list[StageTimes], list[TrendPoint]]:
    f, period = c.filters, c.period
    base = Incident.objects.filter(f.incidents_q())
    cur, prev, hidden, open_ = c.window("started_at"), c.window("started_at", previous=True), c.hidden_q(Incident), incident_open_q()
    rows = {
        row["severity_id"]: row
        for row in base.filter(c.both("started_at") | open_)
        .values("severity_id")
        .annotate(
            cur=Count("pk", filter=cur),
            prev=Count("pk", filter=prev),
            cur_hidden=Count("pk", filter=cur & hidden),
            open=Count("pk", filter=open_),
            open_hidden=Count("pk", filter=open_ & hidden),
            unresolved=Count("pk", filter=cur & open_),
            unresolved_hidden=Count("pk", filter=cur & open_ & hidden),
            any_hidden=Count("pk", filter=(cur | open_) & hidden),
        )
        .order_by()
    }

    def total(key: str, severities: list[Severity] | None = None) -> int:
        ids = {s.pk for s in severities} if severities is not None else None
        return sum(row[key] for sid, row in rows.items() if ids is None or sid in ids)

    started = _started(period)

    def severity_url(severity: Severity) -> str:
        # A severity the reader filtered out counts nothing, so it links nowhere.
        if f.severities and severity not in f.severities:
            return ""
        return drill("incidents", replace(f, severities=(severity,)), *started)

    by_severity = [
        Figure(
            f"incidents_{s.name}", s.name, total("cur", [s]), total("prev", [s]), url=severity_url(s),
            hidden=total("cur_hidden", [s]),
        )
        for s in c.severities
    ]  # fmt: skip
    severe_filters = replace(f, severities=tuple(s for s in c.severe if not f.severities or s in f.severities))
    open_params = [("status", s) for s in incident_open_statuses()]
    incidents = IncidentKpis(
        total=Figure(
            "incidents", "Incidents", total("cur"), total("prev"), url=drill("incidents", f, *started),
            hidden=total("cur_hidden"),
        ),
        severe=Figure(
            "severe_incidents", "SEV1–2 incidents", total("cur", c.severe), total("prev", c.severe),
            url=drill("incidents", severe_filters, *started) if severe_filters.severities else "",
            hidden=total("cur_hidden", c.severe),
        ),
        by_severity=by_severity,
        open_now=Figure(
            "open_incidents", "Open incidents", total("open"), None, url=drill("incidents", f, *open_params),
            hidden=total("open_hidden"), better="", now=True,
        ),
        unresolved=Figure(
            "unresolved_incidents", "Started in the period and still open", total("unresolved"), None,
            url=drill("incidents", f, *started, *open_params), hidden=total("unresolved_hidden"), better="", now=True,
        ),
        hidden=total("any_hidden"),
        series=_series(c, base),
        severities=[s.name for s in c.severities],
    )  # fmt: skip
    return incidents, _times(c, base, incidents.total), _trend(c, base)


def incident_open_statuses() -> list[str]:
    return [s.value for s in (Incident.Status.INVESTIGATING, Incident.Status.IDENTIFIED, Incident.Status.MONITORING)]


def _series(c: _Context, base: Any) -> list[SeriesPoint]:
    bucket = c.period.bucket
    counts: dict[tuple[date, int], int] = {}
    for row in (
        base.filter(c.window("started_at"))
        .annotate(bucket=TRUNC[bucket]("started_at"))
        .values("bucket", "severity_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(_day(row["bucket"]), row["severity_id"])] = row["n"]
    points = []
    for key, first, last in c.period.buckets():
        span = (("started_after", first.isoformat()), ("started_before", last.isoformat()))
        point = SeriesPoint(first, last, {}, {})
        for s in c.severities:
            point.counts[s.name] = counts.get((key, s.pk), 0)
            if not c.filters.severities or s in c.filters.severities:
                point.urls[s.name] = drill("incidents", replace(c.filters, severities=(s,)), *span)
        point.urls["total"] = drill("incidents", c.filters, *span)
        points.append(point)
    return points


def _day(value: datetime | date) -> date:
    """A truncated bucket (an aware datetime in the current time zone) as a date."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _times(c: _Context, base: Any, total: Figure) -> list[StageTimes]:
    cur, prev = c.window("started_at"), c.window("started_at", previous=True)
    hidden = c.hidden_q(Incident)
    counts: dict[str, Any] = {}
    percentiles: dict[str, Any] = {}
    for stage, end in STAGES.items():
        measured = measured_q(stage)
        seconds = sql.Seconds(end, "started_at")
        counts[f"{stage}_n"] = Count("pk", filter=cur & measured)
        counts[f"{stage}_n_hidden"] = Count("pk", filter=cur & measured & hidden)
        counts[f"{stage}_n_prev"] = Count("pk", filter=prev & measured)
        percentiles[stage] = (seconds, cur & measured)
        percentiles[f"{stage}_prev"] = (seconds, prev & measured)
    row = sql.aggregate(base.filter(c.both("started_at")), counts=counts, percentiles=percentiles)[0]
    started = _started(c.period)
    out = []
    for stage, label in STAGE_LABELS.items():
        now, before = row[stage] or [None, None], row[f"{stage}_prev"] or [None, None]
        n, n_prev = row[f"{stage}_n"], row[f"{stage}_n_prev"]
        known = drill("incidents", c.filters, *started, timing=f"{stage}-known")
        out.append(
            StageTimes(
                stage=stage,
                label=label,
                median=Figure(f"{stage}_median", f"{label} (median)", now[0], before[0], unit="seconds", url=known),
                p90=Figure(f"{stage}_p90", f"{label} (90th percentile)", now[1], before[1], unit="seconds", url=known),
                measured=Figure(f"{stage}_measured", "Measured", n, n_prev, url=known, better="",
                                hidden=row[f"{stage}_n_hidden"]),
                unknown=Figure(
                    f"{stage}_unknown", "Without a known time", (total.current or 0) - n,
                    (total.previous or 0) - n_prev,
                    url=drill("incidents", c.filters, *started, timing=f"{stage}-unknown"),
                    hidden=total.hidden - row[f"{stage}_n_hidden"],
                ),
            )
        )  # fmt: skip
    return out


def _trend(c: _Context, base: Any) -> list[TrendPoint]:
    percentiles = {stage: (sql.Seconds(end, "started_at"), measured_q(stage)) for stage, end in STAGES.items()}
    rows = sql.aggregate(
        base.filter(c.window("started_at")).annotate(bucket=TRUNC[c.period.bucket]("started_at")),
        counts={"n": Count("pk")},
        percentiles=percentiles,
        group=["bucket"],
    )
    by_bucket = {_day(row["bucket"]): row for row in rows}
    points = []
    for key, first, last in c.period.buckets():
        row = by_bucket.get(key, {})
        medians = {stage: (row.get(stage) or [None])[0] for stage in STAGES}
        span = (("started_after", first.isoformat()), ("started_before", last.isoformat()))
        points.append(TrendPoint(first, last, medians, drill("incidents", c.filters, *span)))
    return points


def _postmortem_kpis(c: _Context) -> PostmortemKpis:
    f = c.filters
    base = Postmortem.objects.filter(f.postmortems_q())
    cur, prev = c.window("incident__started_at"), c.window("incident__started_at", previous=True)
    hidden = c.hidden_q(Postmortem)
    required = Q(required=True)
    done = required & Q(status=Postmortem.Status.PUBLISHED)
    on_time = required & postmortem_on_time_q()
    days = sql.Days("published_at", "incident__resolved_at")
    timed = done & Q(incident__resolved_at__isnull=False)
    row = sql.aggregate(
        base.filter(c.both("incident__started_at")),
        counts={
            "n_required": Count("pk", filter=cur & required),
            "n_required_prev": Count("pk", filter=prev & required),
            "n_required_hidden": Count("pk", filter=cur & required & hidden),
            "done": Count("pk", filter=cur & done),
            "done_prev": Count("pk", filter=prev & done),
            "done_hidden": Count("pk", filter=cur & done & hidden),
            "on_time": Count("pk", filter=cur & on_time),
            "on_time_prev": Count("pk", filter=prev & on_time),
            "on_time_hidden": Count("pk", filter=cur & on_time & hidden),
        },
        percentiles={"days": (days, cur & timed), "days_prev": (days, prev & timed)},
    )[0]
    # Overdue now, and overdue as of the start of the period (it existed, was due, was not published yet).
    start_overdue = (
        Q(created_at__lt=c.since, due_date__lt=c.period.start)
        & (~Q(status=Postmortem.Status.PUBLISHED) | Q(published_at__gte=c.since))
    )  # fmt: skip
    overdue_now = postmortem_overdue_q(c.today)
    late = base.filter(overdue_now | start_overdue | cur).aggregate(
        now=Count("pk", filter=overdue_now),
        before=Count("pk", filter=start_overdue),
        hidden=Count("pk", filter=overdue_now & hidden),
        any_hidden=Count("pk", filter=(overdue_now | (cur & required)) & hidden),
    )
    started = _started(c.period)
    completed_url = drill("postmortems", f, *started, required="true", status=Postmortem.Status.PUBLISHED)
    return PostmortemKpis(
        required=Figure("postmortems_required", "Postmortems required", row["n_required"], row["n_required_prev"],
                        url=drill("postmortems", f, *started, required="true"), hidden=row["n_required_hidden"],
                        better=""),
        completed=Figure("postmortems_completed", "Postmortems completed", row["done"], row["done_prev"],
                         url=completed_url, hidden=row["done_hidden"], better="higher"),
        on_time=Figure("postmortems_on_time", "Completed on time", row["on_time"], row["on_time_prev"],
                       url=drill("postmortems", f, *started, required="true", on_time="true"),
                       hidden=row["on_time_hidden"], better="higher"),
        days_to_publish=Figure("postmortem_days_to_publish", "Median days to publish", (row["days"] or [None])[0],
                               (row["days_prev"] or [None])[0], unit="days", url=completed_url),
        overdue=Figure("postmortems_overdue", "Overdue postmortems", late["now"], late["before"],
                       url=drill("postmortems", f, overdue="true"), hidden=late["hidden"]),
        hidden=late["any_hidden"],
    )  # fmt: skip


def _action_item_kpis(c: _Context) -> ActionItemKpis:
    f = c.filters
    base = ActionItem.objects.filter(f.action_items_q())
    hidden = c.hidden_q(ActionItem)
    open_, overdue = action_item_open_q(), action_item_overdue_q(c.today)
    closed = action_item_closed_q()
    closed_cur, closed_prev = closed & c.window("completed_at"), closed & c.window("completed_at", previous=True)
    created_cur, created_prev = c.window("created_at"), c.window("created_at", previous=True)
    # Open / overdue as of the start of the period: created before it and not closed by then.
    open_before = Q(created_at__lt=c.since) & (Q(completed_at__isnull=True) | Q(completed_at__gte=c.since))
    overdue_before = open_before & Q(due_date__lt=c.period.start)
    where = open_ | Q(completed_at__gte=c.since_prev) | Q(created_at__gte=c.since_prev)
    counts = {
        "open": Count("pk", filter=open_),
        "open_before": Count("pk", filter=open_before),
        "open_hidden": Count("pk", filter=open_ & hidden),
        "overdue": Count("pk", filter=overdue),
        "overdue_before": Count("pk", filter=overdue_before),
        "overdue_hidden": Count("pk", filter=overdue & hidden),
        "closed": Count("pk", filter=closed_cur),
        "closed_prev": Count("pk", filter=closed_prev),
        "closed_hidden": Count("pk", filter=closed_cur & hidden),
        "created": Count("pk", filter=created_cur),
        "created_prev": Count("pk", filter=created_prev),
        "created_hidden": Count("pk", filter=created_cur & hidden),
        "any_hidden": Count("pk", filter=(open_ | closed_cur | created_cur) & hidden),
    }
    days = sql.Days("completed_at", "created_at")
    row = sql.aggregate(
        base.filter(where), counts=counts, percentiles={"days": (days, closed_cur), "days_prev": (days, closed_prev)}
    )[0]
    origin_rows = {
        r["origin"]: r
        for r in base.filter(open_ | closed_cur)
        .values("origin")
        .annotate(
            open=Count("pk", filter=open_),
            open_hidden=Count("pk", filter=open_ & hidden),
            overdue=Count("pk", filter=overdue),
            overdue_hidden=Count("pk", filter=overdue & hidden),
            closed=Count("pk", filter=closed_cur),
            closed_hidden=Count("pk", filter=closed_cur & hidden),
        )
        .order_by()
    }
    open_params = [("status", s) for s in (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)]
    closed_params = [("status", s) for s in ActionItem.CLOSED_STATUSES]
    closed_params += [("closed_after", c.period.start.isoformat()), ("closed_before", c.period.end.isoformat())]
    by_origin = []
    for value, label in ActionItem.Origin.choices:
        r = origin_rows.get(value, {})
        by_origin.append(
            OriginRow(
                origin=value,
                label=label,
                open=Figure(f"open_{value}", "Open", r.get("open", 0), url=drill("actions", f, *open_params, origin=value),
                            hidden=r.get("open_hidden", 0), better=""),
                overdue=Figure(f"overdue_{value}", "Overdue", r.get("overdue", 0),
                               url=drill("actions", f, origin=value, overdue="true"), hidden=r.get("overdue_hidden", 0)),
                closed=Figure(f"closed_{value}", "Closed in the period", r.get("closed", 0),
                              url=drill("actions", f, *closed_params, origin=value), hidden=r.get("closed_hidden", 0),
                              better="higher"),
            )
        )  # fmt: skip
    closed_url = drill("actions", f, *closed_params)
    return ActionItemKpis(
        open=Figure("action_items_open", "Open action items", row["open"], row["open_before"],
                    url=drill("actions", f, *open_params), hidden=row["open_hidden"]),
        overdue=Figure("action_items_overdue", "Overdue action items", row["overdue"], row["overdue_before"],
                       url=drill("actions", f, overdue="true"), hidden=row["overdue_hidden"]),
        closed=Figure("action_items_closed", "Action items closed", row["closed"], row["closed_prev"], url=closed_url,
                      hidden=row["closed_hidden"], better="higher"),
        created=Figure("action_items_created", "Action items created", row["created"], row["created_prev"],
                       url=drill("actions", f, created_after=c.period.start.isoformat(),
                                 created_before=c.period.end.isoformat()),
                       hidden=row["created_hidden"], better=""),
        days_to_close=Figure("action_item_days_to_close", "Median days to close", (row["days"] or [None])[0],
                             (row["days_prev"] or [None])[0], unit="days", url=closed_url),
        by_origin=by_origin,
        hidden=row["any_hidden"],
    )  # fmt: skip


def _readiness_kpis(c: _Context) -> ReadinessKpis:
    f = c.filters
    intervals = tier_intervals()
    never, overdue = never_reviewed_q(), review_overdue_q(c.today, intervals)
    tiers = {
        r["tier"]: r
        for r in System.objects.filter(f.services_q())
        .values("tier")
        .annotate(services=Count("pk", filter=in_use_q()), never=Count("pk", filter=never), overdue=Count("pk", filter=overdue))
        .order_by()
    }  # fmt: skip
    in_use = [("lifecycle", v) for v, _ in System.Lifecycle.choices if v != System.Lifecycle.RETIRED]
    by_tier = []
    for tier, label in System.Tier.choices:
        if f.tiers and tier not in f.tiers:
            continue
        r = tiers.get(tier, {})
        tier_filters = replace(f, tiers=(tier,))
        by_tier.append(
            TierRow(
                tier=tier,
                label=label,
                interval_days=intervals.get(tier, 365),
                services=Figure(f"services_tier{tier}", "Services in use", r.get("services", 0),
                                url=drill("services", tier_filters, *in_use), better="", now=True),
                never_reviewed=Figure(f"never_reviewed_tier{tier}", "Never reviewed", r.get("never", 0),
                                      url=drill("services", tier_filters, review="never"), now=True),
                overdue=Figure(f"review_overdue_tier{tier}", "Review overdue", r.get("overdue", 0),
                               url=drill("services", tier_filters, review="overdue"), now=True),
            )
        )  # fmt: skip
    latest = Review.objects.filter(f.reviews_q() & latest_review_q())
    risks = Answer.objects.filter(review__in=latest.values("pk")).aggregate(
        high=Count("pk", filter=Q(risk=Risk.HIGH)), medium=Count("pk", filter=Q(risk=Risk.MEDIUM))
    )
    soon = c.now + timedelta(days=EXPIRING_DAYS)
    active = RiskAcceptance.objects.filter(review=OuterRef("pk"), expires_at__gt=c.now)
    launched = Review.objects.filter(f.reviews_q(), status=Review.Status.APPROVED).filter(review_accepted_q())
    launch_counts = launched.aggregate(
        n=Count("pk"), soon=Count("pk", filter=Q(Exists(active.filter(expires_at__lte=soon))))
    )
    launches = [
        AcceptedLaunch(
            review_id=r.pk, title=r.title, url=r.get_absolute_url(), service=r.system.name, team=r.team.name,
            accepted_risks=r.accepted_risks, next_expiry=r.next_expiry,
        )
        for r in launched.select_related("system", "team")
        .annotate(
            accepted_risks=Count("acceptances__answer", filter=Q(acceptances__expires_at__gt=c.now), distinct=True),
            next_expiry=Min("acceptances__expires_at", filter=Q(acceptances__expires_at__gt=c.now)),
        )
        .order_by("next_expiry", "pk")[:TOP]
    ]  # fmt: skip
    approved = ("status", Review.Status.APPROVED)
    return ReadinessKpis(
        high_risks=Figure("high_risks", "High risks", risks["high"], url=drill("reviews", f, latest="true", risk="high"), now=True),
        medium_risks=Figure("medium_risks", "Medium risks", risks["medium"],
                            url=drill("reviews", f, latest="true", risk="medium"), now=True),
        never_reviewed=Figure("never_reviewed", "Services never reviewed", sum(t.never_reviewed.current for t in by_tier),
                              url=drill("services", f, review="never"), now=True),
        overdue=Figure("reviews_overdue", "Services overdue for review", sum(t.overdue.current for t in by_tier),
                       url=drill("services", f, review="overdue"), now=True),
        accepted_launches=Figure("accepted_launches", "Launched with accepted risks", launch_counts["n"],
                                 url=drill("reviews", f, approved, accepted="active"), better="", now=True),
        expiring_soon=Figure("acceptances_expiring", f"Acceptances expiring within {EXPIRING_DAYS} days",
                             launch_counts["soon"], url=drill("reviews", f, approved, accepted="expiring"), now=True),
        by_tier=by_tier,
        launches=launches,
    )  # fmt: skip


def _repeat_services(c: _Context) -> list[RepeatRow]:
    through = Incident.services.through
    scoped = Incident.objects.filter(c.filters.incidents_q(), c.both("started_at")).values("pk")
    rows = (
        through.objects.filter(incident__in=scoped)
        .values("system_id", "system__name", "system__slug", "system__team__name")
        .annotate(
            n=Count("incident_id", filter=c.window("incident__started_at")),
            prev=Count("incident_id", filter=c.window("incident__started_at", previous=True)),
            hidden=Count(
                "incident_id",
                filter=c.window("incident__started_at")
                & Q(incident__in=Incident.objects.filter(c.hidden_q(Incident)).values("pk")),
            ),
        )
        .filter(n__gte=REPEAT_MINIMUM)
        .order_by("-n", "system__name")[:TOP]
    )
    started = _started(c.period)
    return [
        RepeatRow(
            key=r["system__slug"], name=r["system__name"], detail=r["system__team__name"],
            incidents=Figure(f"repeat_{r['system__slug']}", "Incidents", r["n"], r["prev"],
                             url=drill("incidents", c.filters, *started, service=r["system__slug"]),
                             hidden=r["hidden"]),
        )
        for r in rows
    ]  # fmt: skip


def _categories(c: _Context) -> list[RepeatRow]:
    """Contributing-factor categories named by the postmortems of the period's incidents, most named first."""
    cohort = (
        Postmortem.objects.filter(c.filters.postmortems_q(), c.both("incident__started_at"))
        .annotate(pid=F("pk"), started=F("incident__started_at"), doc=F("factors"), hid=c.hidden_expr(Postmortem))
        .values("pid", "started", "doc", "hid")
    )
    inner, params = sql.compiled(cohort)
    if sql.is_postgres():
        elements = (
            "CROSS JOIN LATERAL jsonb_array_elements("
            "CASE WHEN jsonb_typeof(p.doc) = 'array' THEN p.doc ELSE '[]'::jsonb END) AS f"
        )
        category = "f.value ->> 'category'"
    else:
        elements = "JOIN json_each(p.doc) AS f"
        category = "json_extract(f.value, '$.category')"
    since = sql.db_datetime(c.since)
    statement = f"""
        SELECT {category} AS category,
               COUNT(DISTINCT p.pid) FILTER (WHERE p.started >= %s) AS current,
               COUNT(DISTINCT p.pid) FILTER (WHERE p.started < %s) AS previous,
               COUNT(DISTINCT p.pid) FILTER (WHERE p.started >= %s AND p.hid) AS hidden
        FROM ({inner}) AS p {elements}
        GROUP BY 1
        HAVING COUNT(DISTINCT p.pid) FILTER (WHERE p.started >= %s) > 0
        ORDER BY 2 DESC, 1
        LIMIT {TOP}
    """  # noqa: S608 - only our own compiled SQL and fixed fragments; values are parameters
    rows = sql.fetch(statement, [since, since, since, *params, since])
    names = dict(FactorCategory.objects.filter(slug__in=[r["category"] for r in rows]).values_list("slug", "name"))
    started = _started(c.period)
    return [
        RepeatRow(
            key=r["category"], name=names.get(r["category"], r["category"]),
            detail="recurs" if r["current"] >= REPEAT_MINIMUM else "",
            incidents=Figure(f"category_{r['category']}", "Postmortems", r["current"], r["previous"],
                             url=drill("postmortems", c.filters, *started, category=r["category"]),
                             hidden=r["hidden"]),
        )
        for r in rows
    ]  # fmt: skip


# --- breakdown: one row per team or per service ----------------------------------------------

#: How much each kind of trouble weighs in the "needs attention" ranking (and its wording).
ATTENTION = [
    ("postmortems_overdue", 3, "overdue postmortem", "overdue postmortems"),
    ("severe", 2, "SEV1–2 incident", "SEV1–2 incidents"),
    ("reviews_overdue", 2, "service overdue for review", "services overdue for review"),
    ("actions_overdue", 1, "overdue action item", "overdue action items"),
    ("high_risks", 1, "open high risk", "open high risks"),
    ("never_reviewed", 1, "service never reviewed", "services never reviewed"),
]


@dataclass
class BreakdownRow:
    kind: str  # "team" or "service"
    id: int
    name: str
    slug: str
    tier: int | None
    incidents: int
    incidents_prev: int
    incidents_hidden: int
    severe: int
    severe_prev: int
    resolve_median: float | None
    resolve_median_prev: float | None
    postmortems_overdue: int
    postmortems_overdue_hidden: int
    actions_open: int
    actions_overdue: int
    actions_overdue_hidden: int
    actions_closed: int
    actions_closed_prev: int
    reviews_overdue: int
    never_reviewed: int
    high_risks: int
    medium_risks: int
    score: int
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        out = []
        for key, _weight, one, many in ATTENTION:
            n = getattr(self, key)
            if n:
                out.append(f"{n} {one if n == 1 else many}")
        return out

    @property
    def url(self) -> str:
        if self.kind == "team":
            return reverse("dashboards:team", args=[self.slug])
        return reverse("dashboards:service", args=[self.slug])


@dataclass
class Breakdown:
    kind: str
    rows: list[BreakdownRow]
    total: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "total": self.total, "rows": _plain(self.rows)}

    @property
    def attention(self) -> list[BreakdownRow]:
        """The five rows whose numbers are worst (score above zero), worst first."""
        return attention_rows(self.rows, limit=5)


def attention_rows(rows: list[BreakdownRow], *, limit: int | None = None) -> list[BreakdownRow]:
    """The rows that need attention (score above zero), in breakdown order (worst first)."""
    return [row for row in rows if row.score > 0][:limit]


def breakdown(
    *,
    scope: Scope,
    period: Period,
    user: User,
    filters: Filters | None = None,
    today: date | None = None,
    limit: int | None = None,
    offset: int = 0,
    kind: str | None = None,
) -> Breakdown:
    """One row per team or per service, worst first: by default per team for the organization and per
    service for a team; `kind="service"` on the organization gives every service (narrowed by the filters)."""
    effective = scope.apply(filters or Filters())
    c = _Context(user=user, period=period, filters=effective, today=today)
    return _breakdown(c, scope=scope, limit=limit, offset=offset, kind=kind)


def _breakdown(c: _Context, *, scope: Scope, limit: int | None, offset: int = 0, kind: str | None = None) -> Breakdown:
    if scope.kind == "service":
        raise ValueError("a service has no breakdown")
    kind = kind or ("service" if scope.kind == "team" else "team")
    f = c.filters
    params: list[Any] = []

    def sub(queryset: Any) -> str:
        inner, inner_params = sql.compiled(queryset)
        params.extend(inner_params)
        return inner

    incidents_table = Incident._meta.db_table
    through = Incident.services.through._meta.db_table
    systems = System._meta.db_table
    resolve = Case(
        When(measured_q("resolve"), then=sql.Seconds("resolved_at", "started_at")), default=None,
        output_field=FloatField(),
    )  # fmt: skip
    inc = sub(
        Incident.objects.filter(f.incidents_q(), c.both("started_at"))
        .annotate(rid=F("pk"), tid=F("team_id"), sev=F("severity__level"), t0=F("started_at"), ttr=resolve,
                  hid=c.hidden_expr(Incident))
        .values("rid", "tid", "sev", "t0", "ttr", "hid")
    )  # fmt: skip
    pm = sub(
        Postmortem.objects.filter(f.postmortems_q(), postmortem_overdue_q(c.today))
        .annotate(rid=F("pk"), iid=F("incident_id"), hid=c.hidden_expr(Postmortem))
        .values("rid", "iid", "hid")
    )
    closed_cur = action_item_closed_q() & c.window("completed_at")
    closed_prev = action_item_closed_q() & c.window("completed_at", previous=True)

    def flag(q: Q) -> ExpressionWrapper:
        return ExpressionWrapper(q, output_field=BooleanField())

    ai = sub(
        ActionItem.objects.filter(f.action_items_q())
        .filter(action_item_open_q() | Q(completed_at__gte=c.since_prev))
        .annotate(rid=F("pk"), tid=F("team_id"), iid=F("incident_id"), stype=F("source_type_id"), sid=F("source_id"),
                  is_open=flag(action_item_open_q()), is_overdue=flag(action_item_overdue_q(c.today)),
                  is_closed=flag(closed_cur), was_closed=flag(closed_prev), hid=c.hidden_expr(ActionItem))
        .values("rid", "tid", "iid", "stype", "sid", "is_open", "is_overdue", "is_closed", "was_closed", "hid")
    )  # fmt: skip
    intervals = tier_intervals()
    svc = sub(
        System.objects.filter(f.services_q())
        .annotate(rid=F("pk"), tid=F("team_id"), never=flag(never_reviewed_q()),
                  late=flag(review_overdue_q(c.today, intervals)))
        .values("rid", "tid", "never", "late")
    )  # fmt: skip
    rv = sub(
        Review.objects.filter(f.reviews_q() & latest_review_q())
        .annotate(rid=F("pk"), tid=F("team_id"), sys=F("system_id"))
        .values("rid", "tid", "sys")
        .annotate(high=Count("answers", filter=Q(answers__risk=Risk.HIGH)),
                  medium=Count("answers", filter=Q(answers__risk=Risk.MEDIUM)))
    )  # fmt: skip
    if kind == "team":
        pairs = f"""
        inc_pairs AS (
            SELECT rid, tid AS k FROM inc
            UNION SELECT x.incident_id, s.team_id FROM {through} x JOIN {systems} s ON s.id = x.system_id
                  WHERE x.incident_id IN (SELECT rid FROM inc)),
        pm_pairs AS (
            SELECT pm.rid, i.team_id AS k FROM pm JOIN {incidents_table} i ON i.id = pm.iid
            UNION SELECT pm.rid, s.team_id FROM pm JOIN {through} x ON x.incident_id = pm.iid
                  JOIN {systems} s ON s.id = x.system_id),
        ai_pairs AS (SELECT rid, tid AS k FROM ai),
        svc_pairs AS (SELECT rid, tid AS k FROM svc),
        rv_pairs AS (SELECT rid, tid AS k FROM rv)"""
        pair_params: list[Any] = []
        key_params: tuple = ()
        keys = f"SELECT id, name, slug, NULL AS tier FROM {Team._meta.db_table}"
        key_ids = [t.pk for t in f.teams]
    else:
        types = ContentType.objects.get_for_models(Answer, GameDayFinding)
        pairs = f"""
        inc_pairs AS (
            SELECT x.incident_id AS rid, x.system_id AS k FROM {through} x WHERE x.incident_id IN (SELECT rid FROM inc)),
        pm_pairs AS (SELECT pm.rid, x.system_id AS k FROM pm JOIN {through} x ON x.incident_id = pm.iid),
        ai_pairs AS (
            SELECT a.rid, x.system_id AS k FROM ai a JOIN {through} x ON x.incident_id = a.iid
            UNION SELECT a.rid, r.system_id FROM ai a
                  JOIN {Answer._meta.db_table} an ON a.stype = %s AND an.id = a.sid
                  JOIN {Review._meta.db_table} r ON r.id = an.review_id
            UNION SELECT a.rid, r.system_id FROM ai a
                  JOIN {GameDayFinding._meta.db_table} fd ON a.stype = %s AND fd.id = a.sid
                  JOIN {GameDay._meta.db_table} g ON g.id = fd.game_day_id
                  JOIN {Review._meta.db_table} r ON r.id = g.review_id),
        svc_pairs AS (SELECT rid, rid AS k FROM svc),
        rv_pairs AS (SELECT rid, sys AS k FROM rv)"""
        pair_params = [types[Answer].pk, types[GameDayFinding].pk]
        keys, key_params = sql.compiled(
            System.objects.filter(f.services_q()).annotate(k_id=F("pk"), k_name=F("name"), k_slug=F("slug"),
                                                            k_tier=F("tier")).values("k_id", "k_name", "k_slug", "k_tier")
        )  # fmt: skip
        keys = f"SELECT k_id AS id, k_name AS name, k_slug AS slug, k_tier AS tier FROM ({keys}) AS sk"
        key_ids = []
    since = sql.db_datetime(c.since)
    if sql.is_postgres():
        median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY i.ttr) FILTER (WHERE i.t0 {op} %s)"
        medians = f"{median.format(op='>=')} AS ttr, {median.format(op='<')} AS ttr_prev"
        median_params = [since, since]
    else:
        medians, median_params = "NULL AS ttr, NULL AS ttr_prev", []
    score = " + ".join(f"{weight} * {column}" for column, weight, _one, _many in ATTENTION)
    where = f"WHERE k.id IN ({', '.join(str(int(pk)) for pk in key_ids)})" if key_ids else ""
    page = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    statement = f"""
    WITH inc AS ({inc}), pm AS ({pm}), ai AS ({ai}), svc AS ({svc}), rv AS ({rv}),
    {pairs},
    inc_stats AS (
        SELECT p.k,
               COUNT(*) FILTER (WHERE i.t0 >= %s) AS incidents,
               COUNT(*) FILTER (WHERE i.t0 < %s) AS incidents_prev,
               COUNT(*) FILTER (WHERE i.t0 >= %s AND i.hid) AS incidents_hidden,
               COUNT(*) FILTER (WHERE i.t0 >= %s AND i.sev <= {SEVERE_LEVEL}) AS severe,
               COUNT(*) FILTER (WHERE i.t0 < %s AND i.sev <= {SEVERE_LEVEL}) AS severe_prev,
               {medians}
        FROM inc_pairs p JOIN inc i ON i.rid = p.rid GROUP BY p.k),
    pm_stats AS (
        SELECT p.k, COUNT(*) AS postmortems_overdue, COUNT(*) FILTER (WHERE pm.hid) AS postmortems_overdue_hidden
        FROM pm_pairs p JOIN pm ON pm.rid = p.rid GROUP BY p.k),
    ai_stats AS (
        SELECT p.k,
               COUNT(*) FILTER (WHERE a.is_open) AS actions_open,
               COUNT(*) FILTER (WHERE a.is_overdue) AS actions_overdue,
               COUNT(*) FILTER (WHERE a.is_overdue AND a.hid) AS actions_overdue_hidden,
               COUNT(*) FILTER (WHERE a.is_closed) AS actions_closed,
               COUNT(*) FILTER (WHERE a.was_closed) AS actions_closed_prev
        FROM ai_pairs p JOIN ai a ON a.rid = p.rid GROUP BY p.k),
    svc_stats AS (
        SELECT p.k, COUNT(*) FILTER (WHERE s.late) AS reviews_overdue, COUNT(*) FILTER (WHERE s.never) AS never_reviewed
        FROM svc_pairs p JOIN svc s ON s.rid = p.rid GROUP BY p.k),
    rv_stats AS (
        SELECT p.k, SUM(r.high) AS high_risks, SUM(r.medium) AS medium_risks
        FROM rv_pairs p JOIN rv r ON r.rid = p.rid GROUP BY p.k),
    keyed AS (
        SELECT k.id, k.name, k.slug, k.tier,
               COALESCE(inc.incidents, 0) AS incidents, COALESCE(inc.incidents_prev, 0) AS incidents_prev,
               COALESCE(inc.incidents_hidden, 0) AS incidents_hidden,
               COALESCE(inc.severe, 0) AS severe, COALESCE(inc.severe_prev, 0) AS severe_prev,
               inc.ttr AS resolve_median, inc.ttr_prev AS resolve_median_prev,
               COALESCE(pm.postmortems_overdue, 0) AS postmortems_overdue,
               COALESCE(pm.postmortems_overdue_hidden, 0) AS postmortems_overdue_hidden,
               COALESCE(ai.actions_open, 0) AS actions_open, COALESCE(ai.actions_overdue, 0) AS actions_overdue,
               COALESCE(ai.actions_overdue_hidden, 0) AS actions_overdue_hidden,
               COALESCE(ai.actions_closed, 0) AS actions_closed,
               COALESCE(ai.actions_closed_prev, 0) AS actions_closed_prev,
               COALESCE(svc.reviews_overdue, 0) AS reviews_overdue, COALESCE(svc.never_reviewed, 0) AS never_reviewed,
               COALESCE(rv.high_risks, 0) AS high_risks, COALESCE(rv.medium_risks, 0) AS medium_risks
        FROM ({keys}) k
        LEFT JOIN inc_stats inc ON inc.k = k.id LEFT JOIN pm_stats pm ON pm.k = k.id
        LEFT JOIN ai_stats ai ON ai.k = k.id LEFT JOIN svc_stats svc ON svc.k = k.id
        LEFT JOIN rv_stats rv ON rv.k = k.id
        {where})
    SELECT keyed.*, {score} AS score, COUNT(*) OVER () AS total_rows
    FROM keyed ORDER BY score DESC, name, id {page}
    """  # noqa: S608 - our own compiled SQL, table names and integers; values are parameters
    params += pair_params
    params += [since] * 5 + median_params
    if kind == "service":
        params += key_params
    rows = sql.fetch(statement, params)
    if not sql.is_postgres() and rows:
        _sqlite_medians(c, rows, statement_prefix=statement.split("inc_stats AS")[0], params=params)
    total = rows[0]["total_rows"] if rows else 0
    out = []
    for r in rows:
        r.pop("total_rows")
        row = BreakdownRow(kind=kind, **{k: (int(v) if k in _INT_FIELDS and v is not None else v) for k, v in r.items()})
        row.urls = _row_urls(c, row)
        out.append(row)
    return Breakdown(kind=kind, rows=out, total=total)


_INT_FIELDS = {f.name for f in fields(BreakdownRow) if f.type == "int"}


def _sqlite_medians(c: _Context, rows: list[dict[str, Any]], *, statement_prefix: str, params: list[Any]) -> None:
    """SQLite fallback for the per-row median time to resolve (see dashboards.sql)."""
    since = sql.db_datetime(c.since)
    used = statement_prefix.count("%s")
    statement = statement_prefix.rstrip().rstrip(",") + (
        " SELECT p.k AS k, i.ttr AS ttr, i.t0 >= %s AS cur FROM inc_pairs p JOIN inc i ON i.rid = p.rid"
        " WHERE i.ttr IS NOT NULL"
    )
    values: dict[tuple[int, bool], list[float]] = {}
    for r in sql.fetch(statement, [*params[:used], since]):
        values.setdefault((r["k"], bool(r["cur"])), []).append(float(r["ttr"]))
    for row in rows:
        row["resolve_median"] = sql.percentile_cont(values.get((row["id"], True), []), 0.5)
        row["resolve_median_prev"] = sql.percentile_cont(values.get((row["id"], False), []), 0.5)


def _row_urls(c: _Context, row: BreakdownRow) -> dict[str, str]:
    base = c.filters
    if row.kind == "team":
        f = replace(base, teams=(Team(pk=row.id, slug=row.slug, name=row.name),))
    else:
        f = replace(base, services=(System(pk=row.id, slug=row.slug, name=row.name),))
    started = _started(c.period)
    severe = replace(f, severities=tuple(s for s in c.severe if not base.severities or s in base.severities))
    closed = [("status", s) for s in ActionItem.CLOSED_STATUSES]
    closed += [("closed_after", c.period.start.isoformat()), ("closed_before", c.period.end.isoformat())]
    return {
        "incidents": drill("incidents", f, *started),
        "severe": drill("incidents", severe, *started) if severe.severities else "",
        "resolve_median": drill("incidents", f, *started, timing="resolve-known"),
        "postmortems_overdue": drill("postmortems", f, overdue="true"),
        "actions_open": drill(
            "actions", f, *[("status", s) for s in (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)]
        ),
        "actions_overdue": drill("actions", f, overdue="true"),
        "actions_closed": drill("actions", f, *closed),
        "reviews_overdue": drill("services", f, review="overdue"),
        "never_reviewed": drill("services", f, review="never"),
        "high_risks": drill("reviews", f, latest="true", risk="high"),
        "medium_risks": drill("reviews", f, latest="true", risk="medium"),
    }


# --- definitions (the help page; docs/dashboards.md says the same) -----------------------------

DEFINITIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Scope, period and filters",
        [
            ("Period", "Whole days in the organization's time zone: the last 30, 90 or 365 days up to today, this "
             "quarter so far, or a custom range of at most three years. Every figure is compared with the period of "
             "the same length just before it."),
            ("Team", "An incident belongs to a team when the team owns it or one of the team's services was affected "
             "(so an incident can count for several teams). Postmortems follow their incident; action items, reviews "
             "and services belong to their own team."),
            ("Service tier", "Incidents that affected at least one service of the tier, and their postmortems; action "
             "items from such incidents or from a readiness review of such a service; reviews and services of the "
             "tier."),
            ("Severity", "Incidents of the severity, their postmortems and their action items (action items that come "
             "from no incident are left out). Readiness figures do not depend on severity."),
            ("Restricted records", "Every count includes restricted incidents and what belongs to them, so the totals "
             "are true. They are never listed or named to people who may not open them: the lists a number links to "
             "show only what you may open, and the dashboard says how many counted records you cannot open."),
        ],
    ),
    (
        "Incidents",
        [
            ("Incidents", "Incidents that started in the period."),
            ("SEV1–2 incidents", "Incidents of severity level 1 or 2 that started in the period."),
            ("Open incidents", "Incidents not resolved or closed yet, whenever they started (as of now)."),
            ("Time to detect, acknowledge, mitigate, resolve", "For incidents that started in the period: the time "
             "from the start to detection, acknowledgement, mitigation and resolution, as the median and the 90th "
             "percentile (interpolated). Only incidents whose start and whose time for that step are both known "
             "are measured; the others, including those still open, are counted as 'without a known time'."),
            ("Services with repeat incidents", "Services affected by at least two incidents that started in the "
             "period."),
            ("Contributing factors named most", "Factor categories named by the postmortems of the period's incidents, "
             "counted once per postmortem; a category named by two or more recurs."),
        ],
    ),
    (
        "Postmortems",
        [
            ("Postmortems required", "Postmortems marked required (the incident's severity requires one; created "
             "when the incident is resolved) for incidents that started in the period."),
            ("Postmortems completed", "Of those, the ones published."),
            ("Completed on time", "Of those, the ones published no later than their due date."),
            ("Median days to publish", "From the incident's resolution to the postmortem's publication, for the "
             "completed ones."),
            ("Overdue postmortems", "Postmortems past their due date and not published (as of now; the previous value "
             "is as of the start of the period)."),
        ],
    ),
    (
        "Action items",
        [
            ("Open action items", "Not done and not won't do (as of now; previous: as of the start of the period)."),
            ("Overdue action items", "Open, with a due date before today."),
            ("Action items closed", "Done or won't do, closed during the period."),
            ("Action items created", "Created during the period."),
            ("Median days to close", "From creation to closing, for the items closed during the period."),
            ("By origin", "The same figures per origin (incident, postmortem, readiness review, game day, other)."),
        ],
    ),
    (
        "Readiness",
        [
            ("High risks, medium risks", "Answers at high (medium) risk in each service's latest readiness review."),
            ("Services never reviewed", "Services in use (not retired) without any approved review."),
            ("Services overdue for review", "Services in use whose last approval (or, never approved, their creation) "
             "is older than the review interval of their tier."),
            ("Launched with accepted risks", f"Approved reviews with a risk acceptance that has not expired; "
             f"'expiring' means within {EXPIRING_DAYS} days."),
        ],
    ),
    (
        "Needs attention",
        [
            ("Attention score", "Teams (on a team's dashboard: its services) ranked by a weighted sum: "
             + ", ".join(f"{many} × {weight}" for _key, weight, _one, many in ATTENTION)
             + ". The reasons list what adds up to the score."),
        ],
    ),
]  # fmt: skip
