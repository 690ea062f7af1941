"""Building digests: what each reader is shown for a week, computed for every reader at once.

A run has jobs (one per team for team digests, one for all personal and one for all leadership
digests). `DigestData.load` reads everything the jobs need in a fixed number of queries, whatever
the number of teams and readers: the incidents, postmortems, action items, services and sign-offs of
the whole window, the readers' memberships and follows, and who may read which row
(`teams.permissions.visibility_for`, for all readers together). The KPIs come from the dashboards'
definitions (`dashboards.kpis`): one `breakdown()` (every team in one statement) per distinct period
and one `kpis()` for the organization. Building a reader's content is then plain Python.

A restricted incident, its postmortem and its action items are listed only for readers who may read
them (named people and admins). KPI counts include them, as on the dashboards, but never name them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse

from dashboards.kpis import Figure, Period, Scope, breakdown, kpis
from incidents.filters import action_item_open_q
from incidents.models import ActionItem, Incident, Postmortem
from learning.models import Follow, FollowKind
from notifications.models import Notification
from reminders import selectors
from reminders.models import Digest, ReminderSettings
from reviews.models import Decision
from teams.models import Membership, Team, User
from teams.permissions import TeamRole, Visibility, visibility_for

LIST_LIMIT = 10  # rows listed per section; the rest are counted ("and 4 more")
UPCOMING_REVIEW_DAYS = 14  # "reviews coming due": services due within this many days (or overdue)


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_period(local_day: date) -> Period:
    """The seven whole days before the day the digest goes out."""
    return Period("custom", local_day - timedelta(days=7), local_day - timedelta(days=1))


def is_due(local: datetime, weekday: int, hour: int) -> bool:
    """Has the digest's day and hour come (in that local time)? Later hours of the day still count, so
    a missed beat run is made up within the day."""
    return local.weekday() == weekday and local.hour >= hour


@dataclass
class Job:
    kind: str
    period_key: str
    period: Period
    local_day: date
    readers: list[User]
    team: Team | None = None


def plan_jobs(*, now: datetime, kinds: set[str], teams: list[Team] | None = None, only_due: bool = True) -> list[Job]:
    """The digests to build at `now`: every team whose local day and hour have come (all chosen teams
    when not `only_due`), and the personal and leadership digests on the organization's schedule."""
    config = ReminderSettings.current()
    clocks = selectors.team_clocks(now=now, teams=teams)
    members = selectors.team_people(clocks)
    jobs: list[Job] = []
    if Digest.Kind.TEAM in kinds:
        for team_id, clock in clocks.items():
            schedule = clock.schedule
            if not schedule.digest_enabled:
                continue
            if only_due and not is_due(clock.local, schedule.digest_weekday, schedule.digest_hour):
                continue
            readers = members.get(team_id, [])
            if readers:
                key = f"{clock.team.slug}:{week_key(clock.today)}"
                jobs.append(Job(Digest.Kind.TEAM, key, digest_period(clock.today), clock.today, readers, clock.team))
    org_local = selectors.local_time(now, config.digest_timezone)
    if only_due and not is_due(org_local, config.digest_weekday, config.digest_hour):
        return jobs
    day = org_local.date()
    if Digest.Kind.PERSONAL in kinds:
        people = list({u.pk: u for readers in members.values() for u in readers}.values())
        if people:
            jobs.append(Job(Digest.Kind.PERSONAL, week_key(day), digest_period(day), day, people))
    if Digest.Kind.LEADERSHIP in kinds and teams is None:
        leaders = list(
            User.objects.filter(
                Q(org_role__in=[User.OrgRole.LEADERSHIP, User.OrgRole.ADMIN]) | Q(is_superuser=True), is_active=True
            ).order_by("pk")
        )
        if leaders:
            jobs.append(Job(Digest.Kind.LEADERSHIP, week_key(day), digest_period(day), day, leaders))
    return jobs


# --- loading ----------------------------------------------------------------------------------


def _item(text: str, url: str, meta: str = "", of: Any = None) -> dict[str, str]:
    """A listed row; `of` (the record it names) is kept as "app.model:pk" so that the page can check
    again, when it is shown, that the reader may still read it."""
    row = {"text": text, "url": url, "meta": meta}
    if of is not None:
        row["ref"] = f"{of._meta.label_lower}:{of.pk}"
    return row


@dataclass
class DigestData:
    """Everything the jobs of one run need, loaded in a fixed number of queries."""

    config: ReminderSettings
    teams: dict[int, Team]
    incidents: list[Incident]
    incident_teams: dict[int, set[int]]
    incident_vis: Visibility
    postmortems: list[Postmortem]
    postmortem_keys: dict[int, set[tuple[str, str]]]  # postmortem -> {(follow kind, value)}
    postmortem_vis: Visibility
    follows: dict[int, set[tuple[str, str]]]
    items: list[ActionItem]
    item_vis: Visibility
    services_due: list[selectors.ReviewDue]
    signoffs: list[selectors.SignoffWait]
    roles: dict[int, dict[int, str]]  # user -> {team: role}
    unread: dict[int, list[Notification]]
    team_rows: dict[tuple[date, int], Any]  # (period start, team) -> BreakdownRow
    org_kpis: dict[date, Any] = field(default_factory=dict)
    # Indexes, so that each reader's content costs only what it shows (not a scan of the whole week).
    incidents_of_team: dict[int, list[Incident]] = field(default_factory=dict)
    items_of_team: dict[int, list[ActionItem]] = field(default_factory=dict)
    items_of_owner: dict[int, list[ActionItem]] = field(default_factory=dict)
    postmortems_by_key: dict[tuple[str, str], list[Postmortem]] = field(default_factory=dict)
    services_due_of_team: dict[int, list[selectors.ReviewDue]] = field(default_factory=dict)
    signoffs_of_team: dict[int, list[selectors.SignoffWait]] = field(default_factory=dict)
    team_figures: dict[tuple[date, int], list[dict[str, str]]] = field(default_factory=dict)

    rows: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)

    def memo(self, key: tuple[Any, ...], build: Any) -> dict[str, str]:
        """A listed row shared by every reader it is shown to (rendered once per run)."""
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = build()
        return row

    def __post_init__(self) -> None:
        for incident in self.incidents:
            for team_id in self.incident_teams[incident.pk]:
                self.incidents_of_team.setdefault(team_id, []).append(incident)
        for item in self.items:
            self.items_of_team.setdefault(item.team_id, []).append(item)
            if item.owner_id:
                self.items_of_owner.setdefault(item.owner_id, []).append(item)
        for pm in self.postmortems:
            for key in self.postmortem_keys[pm.pk]:
                self.postmortems_by_key.setdefault(key, []).append(pm)
        for due in self.services_due:
            self.services_due_of_team.setdefault(due.service.team_id, []).append(due)
        for wait in self.signoffs:
            self.signoffs_of_team.setdefault(wait.review.team_id, []).append(wait)

    @classmethod
    def load(cls, jobs: list[Job]) -> DigestData:
        config = ReminderSettings.current()
        readers = list({u.pk: u for job in jobs for u in job.readers}.values())
        reader_ids = [u.pk for u in readers]
        since = min(job.period.since for job in jobs)
        until = max(job.period.until for job in jobs)
        latest_day = max(job.local_day for job in jobs)
        teams = {team.pk: team for team in Team.objects.order_by("pk")}

        incidents = list(
            Incident.objects.filter(
                Q(started_at__gte=since, started_at__lt=until) | Q(resolved_at__gte=since, resolved_at__lt=until)
            )
            .select_related("severity", "team")
            .only(
                "id",
                "title",
                "team",
                "team__name",
                "team__slug",
                "severity",
                "severity__name",
                "started_at",
                "resolved_at",
            )
            .order_by("started_at", "pk")
        )
        incident_teams: dict[int, set[int]] = {i.pk: {i.team_id} for i in incidents}
        affected = Incident.services.through.objects.filter(incident_id__in=incident_teams)
        for incident_id, team_id in affected.values_list("incident_id", "system__team_id"):
            incident_teams[incident_id].add(team_id)

        postmortems = list(
            Postmortem.objects.filter(
                status=Postmortem.Status.PUBLISHED, published_at__gte=since, published_at__lt=until
            )
            .select_related("incident__team")
            .only(
                "id",
                "factors",
                "published_at",
                "incident",
                "incident__title",
                "incident__team",
                "incident__team__name",
                "incident__team__slug",
            )
            .order_by("published_at", "pk")
        )
        keys: dict[int, set[tuple[str, str]]] = {}
        by_incident = {pm.incident_id: pm.pk for pm in postmortems}
        for pm in postmortems:
            keys[pm.pk] = {(FollowKind.TEAM, pm.incident.team.slug)}
            keys[pm.pk] |= {
                (FollowKind.CATEGORY, f.get("category", "")) for f in pm.factors or [] if isinstance(f, dict)
            }
        tags = Incident.tags.through.objects.filter(incident_id__in=by_incident)
        for incident_id, tag in tags.values_list("incident_id", "tag__name"):
            keys[by_incident[incident_id]].add((FollowKind.TAG, tag))
        services = Incident.services.through.objects.filter(incident_id__in=by_incident)
        for incident_id, slug, team_slug in services.values_list("incident_id", "system__slug", "system__team__slug"):
            keys[by_incident[incident_id]] |= {(FollowKind.SERVICE, slug), (FollowKind.TEAM, team_slug)}
        follows: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for user_id, kind, value in Follow.objects.filter(user_id__in=reader_ids).values_list(
            "user_id", "kind", "value"
        ):
            follows[user_id].add((kind, value))

        items = list(
            ActionItem.objects.filter(
                action_item_open_q(), due_date__lte=latest_day + timedelta(days=config.due_soon_days)
            )
            .select_related("owner")
            .only(
                "id", "title", "team", "due_date", "owner", "owner__username", "owner__first_name", "owner__last_name"
            )
            .order_by("due_date", "pk")
        )
        roles: dict[int, dict[int, str]] = defaultdict(dict)
        for user_id, team_id, role in Membership.objects.filter(user_id__in=reader_ids).values_list(
            "user_id", "team_id", "role"
        ):
            roles[user_id][team_id] = role

        unread: dict[int, list[Notification]] = defaultdict(list)
        personal = {u.pk: u for job in jobs if job.kind == Digest.Kind.PERSONAL for u in job.readers}
        if personal:
            rows = list(
                Notification.objects.filter(
                    recipient_id__in=personal, read_at__isnull=True, created_at__gte=since, created_at__lt=until
                )
                .exclude(kind__startswith="digest_")
                .order_by("-created_at", "-pk")
            )
            by_type: dict[int, set[int]] = defaultdict(set)
            for row in rows:
                by_type[row.subject_type_id].add(row.subject_id)
            vis = {}
            for type_id, pks in by_type.items():
                model = ContentType.objects.get_for_id(type_id).model_class()
                if model is not None:
                    vis[type_id] = visibility_for(model, personal.values(), pks)
            for row in rows:
                if row.subject_type_id in vis and vis[row.subject_type_id].allows(row.recipient_id, row.subject_id):
                    unread[row.recipient_id].append(row)

        reader = figures_reader()
        team_rows: dict[tuple[date, int], Any] = {}
        org_kpis: dict[date, Any] = {}
        for period in {
            (job.period.start, job.period.end): job.period for job in jobs if job.kind != Digest.Kind.LEADERSHIP
        }.values():
            for row in breakdown(
                scope=Scope.organization(),
                period=period,
                user=reader,
                kind="team",
                today=period.end + timedelta(days=1),
            ).rows:
                team_rows[(period.start, row.id)] = row
        for period in {
            (job.period.start, job.period.end): job.period for job in jobs if job.kind == Digest.Kind.LEADERSHIP
        }.values():
            result = kpis(
                scope=Scope.organization(),
                period=period,
                user=reader,
                breakdown_limit=5,
                today=period.end + timedelta(days=1),
            )
            org_kpis[period.start] = result

        return cls(
            config=config,
            teams=teams,
            incidents=incidents,
            incident_teams=incident_teams,
            incident_vis=visibility_for(Incident, readers, incident_teams),
            postmortems=postmortems,
            postmortem_keys=keys,
            postmortem_vis=visibility_for(Postmortem, readers, keys),
            follows=follows,
            items=items,
            item_vis=visibility_for(ActionItem, readers, [i.pk for i in items]),
            services_due=selectors.reviews_due(team_ids=teams, until=latest_day + timedelta(days=UPCOMING_REVIEW_DAYS)),
            signoffs=selectors.signoffs_waiting(team_ids=teams) if personal else [],
            roles=roles,
            unread=unread,
            team_rows=team_rows,
            org_kpis=org_kpis,
        )


def figures_reader() -> User:
    """Whose eyes the KPI queries use. The figures count restricted records for everyone (the
    dashboards' rule) and only their `hidden` part depends on the reader, which digests do not show;
    an unsaved admin stand-in keeps that part from costing queries."""
    return User(username="opsx-digest", org_role=User.OrgRole.ADMIN)


# --- content ----------------------------------------------------------------------------------


def _section(key: str, title: str, rows: list[dict[str, str]], empty: str, total: int | None = None) -> dict[str, Any]:
    total = len(rows) if total is None else total
    return {"key": key, "title": title, "items": rows[:LIST_LIMIT], "more": max(0, total - LIST_LIMIT), "empty": empty}


def _listed(key: str, title: str, objects: list[Any], row: Any, empty: str) -> dict[str, Any]:
    """A section of `objects` (already filtered for the reader): only the listed ones are rendered."""
    return _section(key, title, [row(o) for o in objects[:LIST_LIMIT]], empty, total=len(objects))


def _in(period: Period, moment: datetime | None) -> bool:
    return moment is not None and period.since <= moment < period.until


def _incident_sections(data: DigestData, job: Job, reader: User, team_id: int | None) -> list[dict[str, Any]]:
    candidates = data.incidents if team_id is None else data.incidents_of_team.get(team_id, [])
    mine = [i for i in candidates if data.incident_vis.allows(reader.pk, i.pk)]

    def row(i: Incident, field: str) -> dict[str, str]:
        when = getattr(i, field)
        return data.memo(
            ("incident", field, i.pk),
            lambda: _item(f"{i.severity.name} {i.title}", i.get_absolute_url(), f"{i.team.name}, {when:%a %-d %b}", i),
        )

    declared = [i for i in mine if _in(job.period, i.started_at)]
    resolved = sorted((i for i in mine if _in(job.period, i.resolved_at)), key=lambda i: (i.resolved_at, i.pk))
    return [
        _listed(
            "declared", "Incidents declared", declared, lambda i: row(i, "started_at"), "No incidents were declared."
        ),
        _listed(
            "resolved", "Incidents resolved", resolved, lambda i: row(i, "resolved_at"), "No incidents were resolved."
        ),
    ]


def _followed_section(data: DigestData, job: Job, reader: User, exclude_team: int | None) -> dict[str, Any]:
    follows = data.follows.get(reader.pk, set())
    candidates = {pm.pk: pm for key in follows for pm in data.postmortems_by_key.get(key, [])}
    shown = [
        pm
        for pm in sorted(candidates.values(), key=lambda pm: (pm.published_at, pm.pk))
        if (exclude_team is None or pm.incident.team_id != exclude_team)
        and _in(job.period, pm.published_at)
        and data.postmortem_vis.allows(reader.pk, pm.pk)
    ]

    def row(pm: Postmortem) -> dict[str, str]:
        why = ", ".join(sorted(value for _kind, value in data.postmortem_keys[pm.pk] & follows))
        return _item(pm.incident.title, pm.get_absolute_url(), f"{pm.incident.team.name}; you follow {why}", pm)

    return _listed("followed", "Postmortems you follow, published by other teams", shown, row, "None this week.")


def _all_postmortems_section(data: DigestData, job: Job, reader: User) -> dict[str, Any]:
    shown = [
        pm
        for pm in data.postmortems
        if _in(job.period, pm.published_at) and data.postmortem_vis.allows(reader.pk, pm.pk)
    ]

    def row(pm: Postmortem) -> dict[str, str]:
        return _item(pm.incident.title, pm.get_absolute_url(), pm.incident.team.name, pm)

    return _listed("published", "Postmortems published", shown, row, "No postmortems were published.")


def _overdue_section(data: DigestData, job: Job, reader: User, team_id: int | None) -> dict[str, Any]:
    candidates = data.items if team_id is None else data.items_of_team.get(team_id, [])
    shown = [i for i in candidates if i.due_date < job.local_day and data.item_vis.allows(reader.pk, i.pk)]

    def row(item: ActionItem) -> dict[str, str]:
        def build() -> dict[str, str]:
            owner = item.owner.display_name if item.owner else "no owner"
            team = "" if team_id is not None else f"{data.teams[item.team_id].name}, "
            return _item(item.title, item.get_absolute_url(), f"{team}{owner}, due {item.due_date:%-d %b}", item)

        return data.memo(("overdue", team_id is None, item.pk), build)

    return _listed("overdue", "Overdue action items", shown, row, "No action item is overdue.")


def _reviews_section(data: DigestData, job: Job, team_ids: set[int] | None) -> dict[str, Any]:
    until = job.local_day + timedelta(days=UPCOMING_REVIEW_DAYS)
    candidates = (
        data.services_due if team_ids is None else [d for t in team_ids for d in data.services_due_of_team.get(t, [])]
    )
    shown = [due for due in candidates if due.next_due <= until]

    def row(due: selectors.ReviewDue) -> dict[str, str]:
        state = "overdue since" if due.next_due < job.local_day else "due"
        url = reverse("teams:service-detail", kwargs={"slug": due.service.slug})
        return _item(str(due.service), url, f"{due.service.team.name}, {state} {due.next_due:%-d %b %Y}")

    empty = f"No review is due in the next {UPCOMING_REVIEW_DAYS} days."
    return _listed("reviews", "Readiness reviews coming due", shown, row, empty)


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "seconds":
        hours = value / 3600
        return f"{hours:.1f} h" if hours >= 1 else f"{value / 60:.0f} min"
    return f"{value:g}"


def _change(current: float | None, previous: float | None, unit: str) -> str:
    if current is None or previous is None:
        return ""
    delta = current - previous
    if not delta:
        return "no change"
    sign = "+" if delta > 0 else "−"
    return sign + _number(abs(delta), unit)


def _figure(label: str, current: float | None, previous: float | None, url: str, unit: str = "count") -> dict[str, str]:
    return {
        "label": label,
        "value": _number(current, unit),
        "previous": "" if previous is None else _number(previous, unit),
        "change": _change(current, previous, unit),
        "url": url,
    }


def _team_kpis(row: Any) -> list[dict[str, str]]:
    if row is None:
        return []
    u = row.urls
    return [
        _figure("Incidents", row.incidents, row.incidents_prev, u.get("incidents", "")),
        _figure("SEV1–2 incidents", row.severe, row.severe_prev, u.get("severe", "")),
        _figure(
            "Median time to resolve",
            row.resolve_median,
            row.resolve_median_prev,
            u.get("resolve_median", ""),
            "seconds",
        ),
        _figure("Action items closed", row.actions_closed, row.actions_closed_prev, u.get("actions_closed", "")),
        _figure("Action items overdue (now)", row.actions_overdue, None, u.get("actions_overdue", "")),
        _figure("Postmortems overdue (now)", row.postmortems_overdue, None, u.get("postmortems_overdue", "")),
        _figure("Services overdue for review (now)", row.reviews_overdue, None, u.get("reviews_overdue", "")),
    ]


def _org_kpis(result: Any) -> list[dict[str, str]]:
    figures: list[Figure] = result.headline()
    return [_figure(f.label, f.current, None if f.now else f.previous, f.url, f.unit) for f in figures]


def _content(job: Job, title: str, sections: list[dict[str, Any]], kpi_title: str, figures: list) -> dict[str, Any]:
    return {
        "title": title,
        "period": {"label": job.period.label, "start": job.period.start.isoformat(), "end": job.period.end.isoformat()},
        "sections": sections,
        "kpi_title": kpi_title,
        "kpis": figures,
    }


def _span(job: Job) -> str:
    return f"{job.period.start:%-d %b} – {job.period.end:%-d %b %Y}"


def team_content(data: DigestData, job: Job, reader: User) -> tuple[str, dict[str, Any]]:
    team = job.team
    assert team is not None
    title = f"{team.name} weekly digest, {_span(job)}"
    sections = [
        *_incident_sections(data, job, reader, team.pk),
        _followed_section(data, job, reader, exclude_team=team.pk),
        _overdue_section(data, job, reader, team.pk),
        _reviews_section(data, job, {team.pk}),
    ]
    key = (job.period.start, team.pk)
    if key not in data.team_figures:
        data.team_figures[key] = _team_kpis(data.team_rows.get(key))
    return title, _content(
        job, title, sections, f"{team.name} this week against the week before", data.team_figures[key]
    )


def _subject_of(notification: Notification) -> Any:
    model = ContentType.objects.get_for_id(notification.subject_type_id).model_class()
    return model(pk=notification.subject_id) if model is not None else None


def personal_content(data: DigestData, job: Job, reader: User) -> tuple[str, dict[str, Any]]:
    title = f"Your weekly digest, {_span(job)}"
    unread = [
        _item(n.text, reverse("notifications:open", args=[n.pk]), f"{n.created_at:%a %-d %b}", _subject_of(n))
        for n in data.unread.get(reader.pk, [])
    ]
    soon = job.local_day + timedelta(days=data.config.due_soon_days)
    mine = []
    for item in data.items_of_owner.get(reader.pk, []):
        if item.due_date <= soon and data.item_vis.allows(reader.pk, item.pk):
            state = "overdue, was due" if item.due_date < job.local_day else "due"
            mine.append(
                _item(
                    item.title,
                    item.get_absolute_url(),
                    f"{data.teams[item.team_id].name}, {state} {item.due_date:%-d %b}",
                    item,
                )
            )
    roles = data.roles.get(reader.pk, {})
    admin = reader.is_org_admin
    signoffs = []
    leads_somewhere = admin or TeamRole.LEAD in roles.values()
    waits = data.signoffs if leads_somewhere else []
    for wait in waits:
        as_lead = Decision.Role.LEAD.value in wait.missing and roles.get(wait.review.team_id) == TeamRole.LEAD
        as_outside = (
            Decision.Role.EXTERNAL.value in wait.missing
            and wait.review.team_id not in roles
            and (admin or TeamRole.LEAD in roles.values())
        )
        if as_lead or as_outside:
            role = "as team lead" if as_lead else "as outside reviewer"
            signoffs.append(
                _item(wait.review.title, wait.review.get_absolute_url(), f"{wait.review.team.name}, {role}")
            )
    sections = [
        _section("unread", "Unread notifications of the week", unread, "Nothing unread."),
        _section("actions", "Your action items due or overdue", mine, "None of your action items is due."),
        _section("signoffs", "Reviews waiting for your sign-off", signoffs, "No review waits for you."),
        _followed_section(data, job, reader, exclude_team=None),
    ]
    figures = []
    for team_id in sorted(roles, key=lambda t: data.teams[t].name):
        row = data.team_rows.get((job.period.start, team_id))
        if row is not None:
            figures.append(
                _figure(f"{row.name}: incidents", row.incidents, row.incidents_prev, row.urls.get("incidents", ""))
            )
            figures.append(
                _figure(
                    f"{row.name}: action items overdue (now)",
                    row.actions_overdue,
                    None,
                    row.urls.get("actions_overdue", ""),
                )
            )
    return title, _content(job, title, sections, "Your teams this week against the week before", figures)


def leadership_content(data: DigestData, job: Job, reader: User) -> tuple[str, dict[str, Any]]:
    title = f"Leadership digest, {_span(job)}"
    result = data.org_kpis.get(job.period.start)
    attention = []
    if result is not None and result.breakdown is not None:
        for row in result.breakdown.attention:
            attention.append(_item(row.name, row.url, "; ".join(row.reasons)))
    sections = [
        *_incident_sections(data, job, reader, None),
        _all_postmortems_section(data, job, reader),
        _section("attention", "Teams that need attention", attention, "No team stands out."),
        _overdue_section(data, job, reader, None),
        _reviews_section(data, job, None),
    ]
    figures = _org_kpis(result) if result is not None else []
    return title, _content(job, title, sections, "The organization this week against the week before", figures)


BUILDERS = {
    Digest.Kind.TEAM: team_content,
    Digest.Kind.PERSONAL: personal_content,
    Digest.Kind.LEADERSHIP: leadership_content,
}


def build_digests(jobs: list[Job], *, skip: set[tuple[int, str, str]] = frozenset()) -> list[Digest]:  # type: ignore[assignment]
    """Unsaved digests for every reader of every job, except the (recipient, kind, period) in `skip`."""
    jobs = [
        Job(
            j.kind,
            j.period_key,
            j.period,
            j.local_day,
            [u for u in j.readers if (u.pk, j.kind, j.period_key) not in skip],
            j.team,
        )
        for j in jobs
    ]
    jobs = [j for j in jobs if j.readers]
    if not jobs:
        return []
    data = DigestData.load(jobs)
    out = []
    for job in jobs:
        build = BUILDERS[Digest.Kind(job.kind)]
        for reader in job.readers:
            title, content = build(data, job, reader)
            out.append(
                Digest(
                    recipient=reader,
                    kind=job.kind,
                    team=job.team,
                    period=job.period_key,
                    title=title[:200],
                    content=content,
                )
            )
    return out
