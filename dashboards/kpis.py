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

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from dashboards import sql
from dashboards.breakdown import ATTENTION, Breakdown, BreakdownRow, attention_rows, breakdown, build
from dashboards.core import (
    DEFAULT_PERIOD,
    PERIOD_CHOICES,
    TRUNC,
    Context,
    Figure,
    Filters,
    Period,
    Scope,
    drill,
    fields_dict,
    period_dict,
    plain,
    started_params,
)
from incidents.filters import (
    OPEN_STATUSES,
    action_item_closed_q,
    action_item_open_q,
    action_item_overdue_q,
    incident_open_q,
    postmortem_on_time_q,
    postmortem_overdue_q,
)
from incidents.models import ActionItem, FactorCategory, Incident, Postmortem, Severity
from incidents.timing import STAGE_LABELS, STAGES, measured_q
from reviews.filters import (
    EXPIRING_DAYS,
    in_use_q,
    latest_review_q,
    never_reviewed_q,
    review_accepted_q,
    review_overdue_q,
    tier_intervals,
)
from reviews.models import Answer, Review, Risk
from teams.models import System, User

__all__ = [
    "ATTENTION",
    "DEFAULT_PERIOD",
    "DEFINITIONS",
    "PERIOD_CHOICES",
    "Breakdown",
    "BreakdownRow",
    "Figure",
    "Filters",
    "Kpis",
    "Period",
    "Scope",
    "attention_rows",
    "breakdown",
    "kpis",
    "period_dict",
]

REPEAT_MINIMUM = 2  # a service or factor category "recurs" with at least this many incidents in the period
TOP = 10  # rows in the repeat and acceptance tables

# --- results -----------------------------------------------------------------------------------


@dataclass
class SeriesPoint:
    start: date
    end: date
    counts: dict[str, int]
    urls: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {**fields_dict(self), "total": self.total}


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
        return {**fields_dict(self), "headline": plain(self.headline()), "hidden": self.hidden}


# --- computing ---------------------------------------------------------------------------------


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
    with sql.aggregate_session():
        c = Context(user=user, period=period, filters=effective, today=today)
        return _kpis(c, scope, breakdown_limit if with_breakdown and scope.kind != "service" else 0)


def _kpis(c: Context, scope: Scope, breakdown_limit: int | None) -> Kpis:
    incidents, times, trend = _incident_kpis(c)
    rows = build(c, scope=scope, limit=breakdown_limit) if breakdown_limit != 0 else None
    return Kpis(
        scope=scope,
        period=c.period,
        filters=c.filters,
        incidents=incidents,
        times=times,
        trend=trend,
        postmortems=_postmortem_kpis(c),
        action_items=_action_item_kpis(c),
        readiness=_readiness_kpis(c),
        repeats=RepeatKpis(services=_repeat_services(c) if scope.kind != "service" else [], categories=_categories(c)),
        breakdown=rows,
    )


def _incident_kpis(c: Context) -> tuple[IncidentKpis, list[StageTimes], list[TrendPoint]]:
    f, period = c.filters, c.period
    base = Incident.objects.filter(f.incidents_q())
    cur, prev, hidden, open_ = (
        c.window("started_at"),
        c.window("started_at", previous=True),
        c.hidden_q(Incident),
        incident_open_q(),
    )
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

    started = started_params(period)

    def severity_url(severity: Severity) -> str:
        # A severity the reader filtered out counts nothing, so it links nowhere.
        if f.severities and severity not in f.severities:
            return ""
        return drill("incidents", replace(f, severities=(severity,)), *started)

    by_severity = [
        Figure(
            f"incidents_{s.name}",
            s.name,
            total("cur", [s]),
            total("prev", [s]),
            url=severity_url(s),
            hidden=total("cur_hidden", [s]),
        )
        for s in c.severities
    ]
    severe_filters = replace(f, severities=tuple(s for s in c.severe if not f.severities or s in f.severities))
    open_params = [("status", s.value) for s in OPEN_STATUSES]
    incidents = IncidentKpis(
        total=Figure(
            "incidents",
            "Incidents",
            total("cur"),
            total("prev"),
            url=drill("incidents", f, *started),
            hidden=total("cur_hidden"),
        ),
        severe=Figure(
            "severe_incidents",
            "SEV1–2 incidents",
            total("cur", c.severe),
            total("prev", c.severe),
            url=drill("incidents", severe_filters, *started) if severe_filters.severities else "",
            hidden=total("cur_hidden", c.severe),
        ),
        by_severity=by_severity,
        open_now=Figure(
            "open_incidents",
            "Open incidents",
            total("open"),
            None,
            url=drill("incidents", f, *open_params),
            hidden=total("open_hidden"),
            better="",
            now=True,
        ),
        unresolved=Figure(
            "unresolved_incidents",
            "Started in the period and still open",
            total("unresolved"),
            None,
            url=drill("incidents", f, *started, *open_params),
            hidden=total("unresolved_hidden"),
            better="",
            now=True,
        ),
        hidden=total("any_hidden"),
        series=_series(c, base),
        severities=[s.name for s in c.severities],
    )
    return incidents, _times(c, base, incidents.total), _trend(c, base)


def _series(c: Context, base: Any) -> list[SeriesPoint]:
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


def _times(c: Context, base: Any, total: Figure) -> list[StageTimes]:
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
    started = started_params(c.period)
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
                measured=Figure(
                    f"{stage}_measured", "Measured", n, n_prev, url=known, better="", hidden=row[f"{stage}_n_hidden"]
                ),
                unknown=Figure(
                    f"{stage}_unknown",
                    "Without a known time",
                    (total.current or 0) - n,
                    (total.previous or 0) - n_prev,
                    url=drill("incidents", c.filters, *started, timing=f"{stage}-unknown"),
                    hidden=total.hidden - row[f"{stage}_n_hidden"],
                ),
            )
        )
    return out


def _trend(c: Context, base: Any) -> list[TrendPoint]:
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


def _postmortem_kpis(c: Context) -> PostmortemKpis:
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
    start_overdue = Q(created_at__lt=c.since, due_date__lt=c.period.start) & (
        ~Q(status=Postmortem.Status.PUBLISHED) | Q(published_at__gte=c.since)
    )
    overdue_now = postmortem_overdue_q(c.today)
    late = base.filter(overdue_now | start_overdue | cur).aggregate(
        now=Count("pk", filter=overdue_now),
        before=Count("pk", filter=start_overdue),
        hidden=Count("pk", filter=overdue_now & hidden),
        any_hidden=Count("pk", filter=(overdue_now | (cur & required)) & hidden),
    )
    started = started_params(c.period)
    completed_url = drill("postmortems", f, *started, required="true", status=Postmortem.Status.PUBLISHED)
    return PostmortemKpis(
        required=Figure(
            "postmortems_required",
            "Postmortems required",
            row["n_required"],
            row["n_required_prev"],
            url=drill("postmortems", f, *started, required="true"),
            hidden=row["n_required_hidden"],
            better="",
        ),
        completed=Figure(
            "postmortems_completed",
            "Postmortems completed",
            row["done"],
            row["done_prev"],
            url=completed_url,
            hidden=row["done_hidden"],
            better="higher",
        ),
        on_time=Figure(
            "postmortems_on_time",
            "Completed on time",
            row["on_time"],
            row["on_time_prev"],
            url=drill("postmortems", f, *started, required="true", on_time="true"),
            hidden=row["on_time_hidden"],
            better="higher",
        ),
        days_to_publish=Figure(
            "postmortem_days_to_publish",
            "Median days to publish",
            (row["days"] or [None])[0],
            (row["days_prev"] or [None])[0],
            unit="days",
            url=completed_url,
        ),
        overdue=Figure(
            "postmortems_overdue",
            "Overdue postmortems",
            late["now"],
            late["before"],
            url=drill("postmortems", f, overdue="true"),
            hidden=late["hidden"],
        ),
        hidden=late["any_hidden"],
    )


def _action_item_kpis(c: Context) -> ActionItemKpis:
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
                open=Figure(
                    f"open_{value}",
                    "Open",
                    r.get("open", 0),
                    url=drill("actions", f, *open_params, origin=value),
                    hidden=r.get("open_hidden", 0),
                    better="",
                ),
                overdue=Figure(
                    f"overdue_{value}",
                    "Overdue",
                    r.get("overdue", 0),
                    url=drill("actions", f, origin=value, overdue="true"),
                    hidden=r.get("overdue_hidden", 0),
                ),
                closed=Figure(
                    f"closed_{value}",
                    "Closed in the period",
                    r.get("closed", 0),
                    url=drill("actions", f, *closed_params, origin=value),
                    hidden=r.get("closed_hidden", 0),
                    better="higher",
                ),
            )
        )
    closed_url = drill("actions", f, *closed_params)
    return ActionItemKpis(
        open=Figure(
            "action_items_open",
            "Open action items",
            row["open"],
            row["open_before"],
            url=drill("actions", f, *open_params),
            hidden=row["open_hidden"],
        ),
        overdue=Figure(
            "action_items_overdue",
            "Overdue action items",
            row["overdue"],
            row["overdue_before"],
            url=drill("actions", f, overdue="true"),
            hidden=row["overdue_hidden"],
        ),
        closed=Figure(
            "action_items_closed",
            "Action items closed",
            row["closed"],
            row["closed_prev"],
            url=closed_url,
            hidden=row["closed_hidden"],
            better="higher",
        ),
        created=Figure(
            "action_items_created",
            "Action items created",
            row["created"],
            row["created_prev"],
            url=drill("actions", f, created_after=c.period.start.isoformat(), created_before=c.period.end.isoformat()),
            hidden=row["created_hidden"],
            better="",
        ),
        days_to_close=Figure(
            "action_item_days_to_close",
            "Median days to close",
            (row["days"] or [None])[0],
            (row["days_prev"] or [None])[0],
            unit="days",
            url=closed_url,
        ),
        by_origin=by_origin,
        hidden=row["any_hidden"],
    )


def _readiness_kpis(c: Context) -> ReadinessKpis:
    f = c.filters
    intervals = tier_intervals()
    never, overdue = never_reviewed_q(), review_overdue_q(c.today, intervals)
    tiers = {
        r["tier"]: r
        for r in System.objects.filter(f.services_q())
        .values("tier")
        .annotate(
            services=Count("pk", filter=in_use_q()),
            never=Count("pk", filter=never),
            overdue=Count("pk", filter=overdue),
        )
        .order_by()
    }
    in_use = [("lifecycle", v) for v, _ in System.Lifecycle.choices if v != System.Lifecycle.RETIRED]
    by_tier = []
    for tier, label in System.Tier.choices:
        r = tiers.get(tier, {})
        if (f.tiers and tier not in f.tiers) or (f.services and not r):
            continue  # a tier filtered out, or (a service's dashboard) another tier than the service's
        tier_filters = replace(f, tiers=(tier,))
        by_tier.append(
            TierRow(
                tier=tier,
                label=label,
                interval_days=intervals.get(tier, 365),
                services=Figure(
                    f"services_tier{tier}",
                    "Services in use",
                    r.get("services", 0),
                    url=drill("services", tier_filters, *in_use),
                    better="",
                    now=True,
                ),
                never_reviewed=Figure(
                    f"never_reviewed_tier{tier}",
                    "Never reviewed",
                    r.get("never", 0),
                    url=drill("services", tier_filters, review="never"),
                    now=True,
                ),
                overdue=Figure(
                    f"review_overdue_tier{tier}",
                    "Review overdue",
                    r.get("overdue", 0),
                    url=drill("services", tier_filters, review="overdue"),
                    now=True,
                ),
            )
        )
    latest = Review.objects.filter(f.reviews_q() & latest_review_q())
    risks = Answer.objects.filter(review__in=latest.values("pk")).aggregate(
        high=Count("pk", filter=Q(risk=Risk.HIGH)), medium=Count("pk", filter=Q(risk=Risk.MEDIUM))
    )
    # Launched as of now: an approval whose accepted risk has lapsed reads as reopened (the list's status filter).
    launched = (
        Review.objects.with_launch_status()
        .filter(f.reviews_q(), current_status=Review.Status.APPROVED)
        .filter(review_accepted_q())
    )
    launch_counts = launched.aggregate(
        n=Count("pk"), soon=Count("pk", filter=review_accepted_q(expiring_within=timedelta(days=EXPIRING_DAYS)))
    )
    launches = [
        AcceptedLaunch(
            review_id=r.pk,
            title=r.title,
            url=r.get_absolute_url(),
            service=r.system.name,
            team=r.team.name,
            accepted_risks=r.accepted_risks,
            next_expiry=r.next_expiry,
        )
        for r in launched.select_related("system", "team")
        .annotate(
            accepted_risks=Count("acceptances__answer", filter=Q(acceptances__expires_at__gt=c.now), distinct=True),
            next_expiry=Min("acceptances__expires_at", filter=Q(acceptances__expires_at__gt=c.now)),
        )
        .order_by("next_expiry", "pk")[:TOP]
    ]
    approved = ("status", Review.Status.APPROVED)
    return ReadinessKpis(
        high_risks=Figure(
            "high_risks", "High risks", risks["high"], url=drill("reviews", f, latest="true", risk="high"), now=True
        ),
        medium_risks=Figure(
            "medium_risks",
            "Medium risks",
            risks["medium"],
            url=drill("reviews", f, latest="true", risk="medium"),
            now=True,
        ),
        never_reviewed=Figure(
            "never_reviewed",
            "Services never reviewed",
            sum(t.never_reviewed.current for t in by_tier),
            url=drill("services", f, review="never"),
            now=True,
        ),
        overdue=Figure(
            "reviews_overdue",
            "Services overdue for review",
            sum(t.overdue.current for t in by_tier),
            url=drill("services", f, review="overdue"),
            now=True,
        ),
        accepted_launches=Figure(
            "accepted_launches",
            "Launched with accepted risks",
            launch_counts["n"],
            url=drill("reviews", f, approved, accepted="active"),
            better="",
            now=True,
        ),
        expiring_soon=Figure(
            "acceptances_expiring",
            f"Acceptances expiring within {EXPIRING_DAYS} days",
            launch_counts["soon"],
            url=drill("reviews", f, approved, accepted="expiring"),
            now=True,
        ),
        by_tier=by_tier,
        launches=launches,
    )


def _repeat_services(c: Context) -> list[RepeatRow]:
    through = Incident.services.through
    scoped = Incident.objects.filter(c.filters.incidents_q(), c.both("started_at")).values("pk")
    # Grouped by service id alone (names are fetched for the top rows only): sorting every service's
    # name with its count was most of this query's time at 5,000 services.
    rows = list(
        through.objects.filter(incident__in=scoped)
        .values("system_id")
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
        .order_by("-n", "system_id")[:TOP]
    )
    names = {
        s["pk"]: s
        for s in System.objects.filter(pk__in=[r["system_id"] for r in rows]).values("pk", "name", "slug", "team__name")
    }
    started = started_params(c.period)
    return [
        RepeatRow(
            key=names[r["system_id"]]["slug"],
            name=names[r["system_id"]]["name"],
            detail=names[r["system_id"]]["team__name"],
            incidents=Figure(
                f"repeat_{names[r['system_id']]['slug']}",
                "Incidents",
                r["n"],
                r["prev"],
                url=drill("incidents", c.filters, *started, service=names[r["system_id"]]["slug"]),
                hidden=r["hidden"],
            ),
        )
        for r in rows
    ]


def _categories(c: Context) -> list[RepeatRow]:
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
    started = started_params(c.period)
    return [
        RepeatRow(
            key=r["category"],
            name=names.get(r["category"], r["category"]),
            detail="recurs" if r["current"] >= REPEAT_MINIMUM else "",
            incidents=Figure(
                f"category_{r['category']}",
                "Postmortems",
                r["current"],
                r["previous"],
                url=drill("postmortems", c.filters, *started, category=r["category"]),
                hidden=r["hidden"],
            ),
        )
        for r in rows
    ]


# --- definitions (the help page; docs/dashboards.md says the same) -----------------------------

DEFINITIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Scope, period and filters",
        [
            (
                "Period",
                "Whole days in the organization's time zone: the last 30, 90 or 365 days up to today, this "
                "quarter so far, or a custom range of at most three years. Every figure is compared with the period of "
                "the same length just before it.",
            ),
            (
                "Team",
                "An incident belongs to a team when the team owns it or one of the team's services was affected "
                "(so an incident can count for several teams). Postmortems follow their incident; action items, "
                "reviews and services belong to their own team.",
            ),
            (
                "Service tier",
                "Incidents that affected at least one service of the tier, and their postmortems; action "
                "items from such incidents or from a readiness review of such a service; reviews and services of the "
                "tier.",
            ),
            (
                "Severity",
                "Incidents of the severity, their postmortems and their action items (action items that come "
                "from no incident are left out). Readiness figures do not depend on severity.",
            ),
            (
                "Restricted records",
                "Every count includes restricted incidents and what belongs to them, so the totals "
                "are true. They are never listed or named to people who may not open them: the lists a number links to "
                "show only what you may open, and the dashboard says how many counted records you cannot open.",
            ),
        ],
    ),
    (
        "Incidents",
        [
            ("Incidents", "Incidents that started in the period."),
            ("SEV1–2 incidents", "Incidents of severity level 1 or 2 that started in the period."),
            ("Open incidents", "Incidents not resolved or closed yet, whenever they started (as of now)."),
            (
                "Time to detect, acknowledge, mitigate, resolve",
                "For incidents that started in the period: the time "
                "from the start to detection, acknowledgement, mitigation and resolution, as the median and the 90th "
                "percentile (interpolated). Only incidents whose start and whose time for that step are both known "
                "are measured; the others, including those still open, are counted as 'without a known time'.",
            ),
            (
                "Services with repeat incidents",
                "Services affected by at least two incidents that started in the period.",
            ),
            (
                "Contributing factors named most",
                "Factor categories named by the postmortems of the period's incidents, "
                "counted once per postmortem; a category named by two or more recurs.",
            ),
        ],
    ),
    (
        "Postmortems",
        [
            (
                "Postmortems required",
                "Postmortems marked required (the incident's severity requires one; created "
                "when the incident is resolved) for incidents that started in the period.",
            ),
            ("Postmortems completed", "Of those, the ones published."),
            ("Completed on time", "Of those, the ones published no later than their due date."),
            (
                "Median days to publish",
                "From the incident's resolution to the postmortem's publication, for the completed ones.",
            ),
            (
                "Overdue postmortems",
                "Postmortems past their due date and not published (as of now; the previous value "
                "is as of the start of the period).",
            ),
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
            (
                "Services overdue for review",
                "Services in use whose last approval (or, never approved, their creation) "
                "is older than the review interval of their tier.",
            ),
            (
                "Launched with accepted risks",
                f"Approved reviews with a risk acceptance that has not expired; "
                f"'expiring' means within {EXPIRING_DAYS} days.",
            ),
        ],
    ),
    (
        "Needs attention",
        [
            (
                "Attention score",
                "Teams (on a team's dashboard: its services) ranked by a weighted sum: "
                + ", ".join(f"{many} × {weight}" for _key, weight, _one, many in ATTENTION)
                + ". The reasons list what adds up to the score.",
            ),
        ],
    ),
]
