"""One row per team (or per service) with the dashboards' figures, in one SQL statement.

The organization dashboard ranks its teams, a team's dashboard its services, and a digest for a
thousand teams reads all of them at once: the statement's cost does not depend on the number of rows
asked for (`limit` and `offset` page through them; `total` counts them all). The selections come from
the same `*_q` functions as the lists (compiled by the ORM and used as the statement's CTEs); the
grouping is written by hand because an incident belongs to every team whose service it affected.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, FloatField, Q, When
from django.urls import reverse

from dashboards import sql
from dashboards.core import SEVERE_LEVEL, Context, Filters, Period, Scope, drill, fields_dict, plain, started_params
from incidents.filters import (
    action_item_closed_q,
    action_item_open_q,
    action_item_overdue_q,
    postmortem_overdue_q,
)
from incidents.models import ActionItem, Incident, Postmortem
from incidents.timing import measured_q
from reviews.filters import latest_review_q, never_reviewed_q, review_overdue_q, tier_intervals
from reviews.models import Answer, GameDay, GameDayFinding, Review, Risk
from teams.models import System, Team, User

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

    def as_dict(self) -> dict[str, Any]:
        return {**fields_dict(self), "reasons": self.reasons, "url": self.url}

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
        return {"kind": self.kind, "total": self.total, "rows": plain(self.rows)}

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
    with sql.aggregate_session():
        c = Context(user=user, period=period, filters=effective, today=today)
        return build(c, scope=scope, limit=limit, offset=offset, kind=kind)


def build(c: Context, *, scope: Scope, limit: int | None, offset: int = 0, kind: str | None = None) -> Breakdown:
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
        When(measured_q("resolve"), then=sql.Seconds("resolved_at", "started_at")),
        default=None,
        output_field=FloatField(),
    )
    inc = sub(
        Incident.objects.filter(f.incidents_q(), c.both("started_at"))
        .annotate(
            rid=F("pk"),
            tid=F("team_id"),
            sev=F("severity__level"),
            t0=F("started_at"),
            ttr=resolve,
            hid=c.hidden_expr(Incident),
        )
        .values("rid", "tid", "sev", "t0", "ttr", "hid")
    )
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
        .annotate(
            rid=F("pk"),
            tid=F("team_id"),
            iid=F("incident_id"),
            stype=F("source_type_id"),
            sid=F("source_id"),
            is_open=flag(action_item_open_q()),
            is_overdue=flag(action_item_overdue_q(c.today)),
            is_closed=flag(closed_cur),
            was_closed=flag(closed_prev),
            hid=c.hidden_expr(ActionItem),
        )
        .values("rid", "tid", "iid", "stype", "sid", "is_open", "is_overdue", "is_closed", "was_closed", "hid")
    )
    intervals = tier_intervals()
    svc = sub(
        System.objects.filter(f.services_q())
        .annotate(
            rid=F("pk"),
            tid=F("team_id"),
            never=flag(never_reviewed_q()),
            late=flag(review_overdue_q(c.today, intervals)),
        )
        .values("rid", "tid", "never", "late")
    )
    rv = sub(
        Review.objects.filter(f.reviews_q() & latest_review_q())
        .annotate(rid=F("pk"), tid=F("team_id"), sys=F("system_id"))
        .values("rid", "tid", "sys")
        .annotate(
            high=Count("answers", filter=Q(answers__risk=Risk.HIGH)),
            medium=Count("answers", filter=Q(answers__risk=Risk.MEDIUM)),
        )
    )
    if kind == "team":
        # An incident counts for its owning team and for every other team whose service it affected: the two
        # parts are disjoint, so only the second needs DISTINCT (two services of the same other team).
        pairs = f"""
        inc_pairs AS (
            SELECT rid, tid AS k FROM inc
            UNION ALL SELECT DISTINCT i.rid, s.team_id FROM inc i JOIN {through} x ON x.incident_id = i.rid
                  JOIN {systems} s ON s.id = x.system_id WHERE s.team_id <> i.tid),
        pm_pairs AS (
            SELECT pm.rid, i.team_id AS k FROM pm JOIN {incidents_table} i ON i.id = pm.iid
            UNION ALL SELECT DISTINCT pm.rid, s.team_id FROM pm JOIN {incidents_table} i ON i.id = pm.iid
                  JOIN {through} x ON x.incident_id = pm.iid JOIN {systems} s ON s.id = x.system_id
                  WHERE s.team_id <> i.team_id),
        ai_pairs AS (SELECT rid, tid AS k FROM ai),
        svc_pairs AS (SELECT rid, tid AS k FROM svc),
        rv_pairs AS (SELECT rid, tid AS k FROM rv)"""  # noqa: S608 - table names from the models
        pair_params: list[Any] = []
        key_params: tuple = ()
        keys = f"SELECT id, name, slug, NULL AS tier FROM {Team._meta.db_table}"  # noqa: S608
        key_ids = [t.pk for t in f.teams]
    else:
        types = ContentType.objects.get_for_models(Answer, GameDayFinding)
        pairs = f"""
        inc_pairs AS (
            SELECT x.incident_id AS rid, x.system_id AS k FROM {through} x
            WHERE x.incident_id IN (SELECT rid FROM inc)),
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
        rv_pairs AS (SELECT rid, sys AS k FROM rv)"""  # noqa: S608 - table names from the models
        pair_params = [types[Answer].pk, types[GameDayFinding].pk]
        keys, key_params = sql.compiled(
            System.objects.filter(f.services_q())
            .annotate(k_id=F("pk"), k_name=F("name"), k_slug=F("slug"), k_tier=F("tier"))
            .values("k_id", "k_name", "k_slug", "k_tier")
        )
        keys = f"SELECT k_id AS id, k_name AS name, k_slug AS slug, k_tier AS tier FROM ({keys}) AS sk"  # noqa: S608
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
    # The rows each figure counts (compiled from the lists' definitions) and the (row, key) pairs they group by.
    ctes = f"WITH inc AS ({inc}), pm AS ({pm}), ai AS ({ai}), svc AS ({svc}), rv AS ({rv}), {pairs}"
    cte_params = [*params, *pair_params]
    statement = f"""
    {ctes},
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
    rows = sql.fetch(statement, [*cte_params, *[since] * 5, *median_params, *key_params])
    if not sql.is_postgres() and rows:
        _sqlite_medians(c, rows, ctes=ctes, params=cte_params)
    total = rows[0]["total_rows"] if rows else 0
    out = []
    for r in rows:
        r.pop("total_rows")
        row = BreakdownRow(
            kind=kind, **{k: (int(v) if k in _INT_FIELDS and v is not None else v) for k, v in r.items()}
        )
        row.urls = _row_urls(c, row)
        out.append(row)
    return Breakdown(kind=kind, rows=out, total=total)


_INT_FIELDS = {f.name for f in fields(BreakdownRow) if f.type == "int"}


def _sqlite_medians(c: Context, rows: list[dict[str, Any]], *, ctes: str, params: list[Any]) -> None:
    """SQLite fallback for the per-row median time to resolve (see dashboards.sql)."""
    select = "SELECT p.k AS k, i.ttr AS ttr, i.t0 >= %s AS cur FROM inc_pairs p JOIN inc i ON i.rid = p.rid"
    statement = f"{ctes} {select} WHERE i.ttr IS NOT NULL"  # noqa: S608 - the statement's own CTEs
    values: dict[tuple[int, bool], list[float]] = {}
    for r in sql.fetch(statement, [*params, sql.db_datetime(c.since)]):
        values.setdefault((r["k"], bool(r["cur"])), []).append(float(r["ttr"]))
    for row in rows:
        row["resolve_median"] = sql.percentile_cont(values.get((row["id"], True), []), 0.5)
        row["resolve_median_prev"] = sql.percentile_cont(values.get((row["id"], False), []), 0.5)


def _row_urls(c: Context, row: BreakdownRow) -> dict[str, str]:
    base = c.filters
    if row.kind == "team":
        f = replace(base, teams=(Team(pk=row.id, slug=row.slug, name=row.name),))
    else:
        f = replace(base, services=(System(pk=row.id, slug=row.slug, name=row.name),))
    started = started_params(c.period)
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
