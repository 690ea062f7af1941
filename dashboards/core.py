"""The vocabulary every KPI shares: periods, scopes, filters, figures, drill-down links.

`dashboards.kpis` (one scope's dashboard) and `dashboards.breakdown` (one row per team or service)
build on this module; import the public names from `dashboards.kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone

from incidents.filters import action_item_service_q, incident_service_q, incident_team_q, incident_tier_q
from incidents.models import Incident, Severity
from teams import permissions
from teams.models import System, Team, User

SEVERE_LEVEL = 2  # SEV1 and SEV2 are "severe"

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
    def named(
        cls, key: str, *, start: date | None = None, end: date | None = None, today: date | None = None
    ) -> Period:
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

    def as_dict(self) -> dict[str, Any]:
        return period_dict(self)

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

    def params(self, kind: str = "incidents") -> list[tuple[str, str]]:
        """The filters as query parameters of the list `kind` (the lists' FilterSets read these names)."""
        out = [("team", t.slug) for t in self.teams]
        # The service list picks one service by its slug; the other lists take any number.
        out += [("slug" if kind == "services" else "service", s.slug) for s in self.services]
        out += [("tier", str(t)) for t in self.tiers]
        if kind not in ("reviews", "services"):  # readiness does not depend on severity
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


# --- figures ------------------------------------------------------------------------------------


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
        """ "good", "bad" or "" (no change, no comparison, or no preferred direction)."""
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


def plain(value: Any) -> Any:
    """Results to JSON-friendly values: dataclasses to dicts (or their own `as_dict()`), dates to ISO strings."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        return fields_dict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fields_dict(value: Any) -> dict[str, Any]:
    return {f.name: plain(getattr(value, f.name)) for f in fields(value)}


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
    params = filters.params(kind)
    params += [(k, str(v)) for k, v in extra]
    params += [(k, str(v)) for k, v in more.items()]
    query = urlencode(params)
    return reverse(LISTS[kind]) + (f"?{query}" if query else "")


def started_params(period: Period) -> tuple[tuple[str, str], ...]:
    return (("started_after", period.start.isoformat()), ("started_before", period.end.isoformat()))


class Context:
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
