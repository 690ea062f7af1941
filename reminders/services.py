"""Writes for reminders and digests: the hourly reminder sweep and the weekly digest run.

Both run as the system (actor None) and only call `notifications.services.notify_many`, which decides
who may read what and claims each (recipient, kind, subject, period) once in PostgreSQL. The period
key names the stage of a reminder ("due-soon:2026-12-04", "overdue:2026-12-01") or the week of a digest,
so a repeated, duplicated or concurrent run tells nobody twice, and a run that finds nothing due
sends nothing. A team in its quiet hours or weekend (its own time zone) is left out of the run; its
reminders go out on the first sweep after, because nothing was claimed for them.

The escalation ladder (docs/reminders.md), from `ReminderSettings`:

* action items: the owner when due within `due_soon_days` and again once overdue; the team's leads
  too once `lead_grace_days` have passed since the due date (at once when there is no owner);
* postmortems past their due date: the owner, then the leads after the grace days (at once without owner);
* risk acceptances expiring within `acceptance_expiring_days`: who accepted it, then the leads after
  the grace days;
* launch requests waiting for sign-off: the team's leads while the lead sign-off is missing; the
  organization's admins (outside reviewers) once the outside sign-off has waited the grace days;
* services due for their readiness review by tier cadence: the team's leads, within `due_soon_days`
  and again once overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse

from notifications.models import Notification
from notifications.services import Notice, claimed_keys, notification_plan, notify_many
from reminders import digests, selectors
from reminders.models import Digest, ReminderSettings, TeamSchedule
from reviews.models import Decision
from teams import permissions
from teams.models import Team, User
from teams.permissions import Action

Kind = Notification.Kind


@dataclass
class SweepResult:
    """What a sweep sent (or, in a dry run, would send), and the teams it left for later."""

    notifications: list[Notification] = field(default_factory=list)
    quiet_teams: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def count(self) -> int:
        return len(self.notifications)


def run_reminder_sweep(*, now: datetime, dry_run: bool = False) -> SweepResult:
    """Remind the right people of everything due at `now`; in a dry run, write nothing."""
    config = ReminderSettings.current()
    clocks = selectors.team_clocks(now=now)
    awake = {team_id: clock for team_id, clock in clocks.items() if not clock.quiet}
    quiet = sorted(clock.team.slug for clock in clocks.values() if clock.quiet)
    notices = reminder_notices(now=now, config=config, clocks=awake)
    if dry_run:
        rows = notification_plan(notices=notices, actor=None)
        taken = claimed_keys(rows)
        rows = [r for r in rows if (r.recipient_id, r.kind, r.subject_type_id, r.subject_id, r.period) not in taken]
        return SweepResult(notifications=rows, quiet_teams=quiet, dry_run=True)
    with transaction.atomic():
        sent = notify_many(notices=notices, actor=None)
    return SweepResult(notifications=sent, quiet_teams=quiet)


def reminder_notices(
    *, now: datetime, config: ReminderSettings, clocks: dict[int, selectors.TeamClock]
) -> list[Notice]:
    """Every reminder due at `now` for the teams in `clocks` (a fixed number of queries)."""
    if not clocks:
        return []
    team_ids = list(clocks)
    latest_today = max(clock.today for clock in clocks.values())
    leads = selectors.team_leads(team_ids)
    grace = timedelta(days=config.lead_grace_days)
    notices: list[Notice] = []

    for item in selectors.action_items_due(
        team_ids=team_ids, until=latest_today + timedelta(days=config.due_soon_days)
    ):
        today = clocks[item.team_id].today
        team_leads = leads.get(item.team_id, [])
        link = item.get_absolute_url()
        if item.due_date >= today:
            if item.due_date <= today + timedelta(days=config.due_soon_days):
                text = f"Action item “{item.title}” is due on {item.due_date:%-d %b %Y}."
                who = [item.owner] if item.owner else team_leads
                notices.append(_notice(Kind.ACTION_ITEM_DUE_SOON, who, item, text, link, f"due-soon:{item.due_date}"))
            continue
        late = (today - item.due_date).days
        span = f"{late} day{'s' if late != 1 else ''}"
        text = f"Action item “{item.title}” is overdue by {span} (due {item.due_date:%-d %b %Y})."
        who = _ladder(item.owner, team_leads, escalate=today - item.due_date >= grace)
        notices.append(_notice(Kind.ACTION_ITEM_OVERDUE, who, item, text, link, f"overdue:{item.due_date}"))

    for postmortem in selectors.postmortems_overdue(team_ids=team_ids, until=latest_today):
        today = clocks[postmortem.incident.team_id].today
        if postmortem.due_date >= today:
            continue
        text = f"The postmortem of “{postmortem.incident.title}” was due on {postmortem.due_date:%-d %b %Y}."
        who = _ladder(
            postmortem.owner, leads.get(postmortem.incident.team_id, []), escalate=today - postmortem.due_date >= grace
        )
        notices.append(
            _notice(
                Kind.POSTMORTEM_OVERDUE,
                who,
                postmortem,
                text,
                postmortem.get_absolute_url(),
                f"overdue:{postmortem.due_date}",
            )
        )

    days = config.acceptance_expiring_days
    for acceptance in selectors.acceptances_expiring(team_ids=team_ids, now=now, within_days=days):
        review = acceptance.review
        expires = acceptance.expires_at.date()
        text = f"The accepted risk {acceptance.answer.question_id} on “{review.title}” expires on {expires:%-d %b %Y}."
        reminded_from = acceptance.expires_at - timedelta(days=days)
        who = _ladder(acceptance.accepted_by, leads.get(review.team_id, []), escalate=now - reminded_from >= grace)
        notices.append(
            _notice(Kind.ACCEPTANCE_EXPIRING, who, acceptance, text, review.get_absolute_url(), f"expiring:{expires}")
        )

    admins: list | None = None
    for wait in selectors.signoffs_waiting(team_ids=team_ids):
        review = wait.review
        period = f"waiting:{wait.since:%Y-%m-%dT%H:%M:%S}"
        if Decision.Role.LEAD.value in wait.missing:
            text = f"“{review.title}” is waiting for the team lead's sign-off."
            notices.append(
                _notice(
                    Kind.SIGNOFF_REQUESTED,
                    leads.get(review.team_id, []),
                    review,
                    text,
                    review.get_absolute_url(),
                    period,
                )
            )
        if Decision.Role.EXTERNAL.value in wait.missing and now - wait.since >= grace:
            admins = selectors.org_admins() if admins is None else admins
            text = f"“{review.title}” ({review.team}) is waiting for an outside sign-off."
            notices.append(_notice(Kind.SIGNOFF_REQUESTED, admins, review, text, review.get_absolute_url(), period))

    for due in selectors.reviews_due(team_ids=team_ids, until=latest_today + timedelta(days=config.due_soon_days)):
        service = due.service
        today = clocks[service.team_id].today
        if due.next_due > today + timedelta(days=config.due_soon_days):
            continue
        if due.next_due >= today:
            text, period = (
                f"{service} is due for its readiness review on {due.next_due:%-d %b %Y}.",
                f"due-soon:{due.next_due}",
            )
        else:
            text, period = (
                f"{service} is overdue for its readiness review (due {due.next_due:%-d %b %Y}).",
                f"overdue:{due.next_due}",
            )
        link = reverse("teams:service-detail", kwargs={"slug": service.slug})
        notices.append(_notice(Kind.REVIEW_DUE, leads.get(service.team_id, []), service, text, link, period))
    return notices


def _ladder(owner: object, leads: list, *, escalate: bool) -> list:
    """The owner; and the leads too when the grace period is over (or when there is no owner)."""
    if owner is None:
        return list(leads)
    return [owner, *leads] if escalate else [owner]


def _notice(kind: str, who: list, subject: object, text: str, link: str, period: str) -> Notice:
    return Notice(kind=kind, recipients=tuple(who), subject=subject, text=text, link=link, period=period)  # type: ignore[arg-type]


# --- digests ----------------------------------------------------------------------------------


@dataclass
class DigestRun:
    """The digests a run built (or, in a dry run, would build) and how many readers were notified."""

    digests: list[Digest] = field(default_factory=list)
    notified: int = 0
    dry_run: bool = False


def run_digests(
    *,
    now: datetime,
    kinds: set[str] | None = None,
    teams: list[Team] | None = None,
    only_due: bool = True,
    dry_run: bool = False,
) -> DigestRun:
    """Build and send the digests due at `now` (all of the chosen ones when not `only_due`).

    Each reader's digest is stored once per period (unique recipient, kind, period; a concurrent run's
    rows are skipped with ON CONFLICT DO NOTHING) and announced with `notify_many`, whose claim tells
    each reader once. A dry run builds the content and writes nothing.
    """
    kinds = set(kinds or Digest.Kind.values)
    jobs = digests.plan_jobs(now=now, kinds=kinds, teams=teams, only_due=only_due)
    if not jobs:
        return DigestRun(dry_run=dry_run)
    existing = set(
        Digest.objects.filter(kind__in=kinds, period__in={job.period_key for job in jobs}).values_list(
            "recipient_id", "kind", "period"
        )
    )
    if dry_run:
        return DigestRun(digests=digests.build_digests(jobs, skip=existing), dry_run=True)
    built = digests.build_digests(jobs, skip=existing)
    with transaction.atomic():
        Digest.objects.bulk_create(
            [d for d in built if (d.recipient_id, d.kind, d.period) not in existing], ignore_conflicts=True
        )
        keys = {(d.recipient_id, d.kind, d.period) for d in built}
        rows = {
            (d.recipient_id, d.kind, d.period): d
            for d in Digest.objects.filter(
                kind__in=kinds, period__in={d.period for d in built}, recipient_id__in={d.recipient_id for d in built}
            ).select_related("recipient")
        }
        people = {d.recipient_id: d.recipient for d in built}
        stored = [rows[key] for key in sorted(keys) if key in rows]
        notices = [
            Notice(
                kind=digest.notification_kind,
                recipients=(people[digest.recipient_id],),
                subject=digest,
                text=digest.title,
                link=digest.get_absolute_url(),
                period=digest.period,
            )
            for digest in stored
        ]
        sent = notify_many(notices=notices, actor=None)
    return DigestRun(digests=stored, notified=len(sent))


SCHEDULE_FIELDS = (
    "digest_enabled",
    "digest_weekday",
    "digest_hour",
    "quiet_start_hour",
    "quiet_end_hour",
    "quiet_weekends",
)


@transaction.atomic
def team_schedule_update(*, actor: User, team: Team, data: dict[str, object]) -> TeamSchedule:
    """A team's lead (or an admin) sets when its digest goes out and its quiet hours (local time)."""
    permissions.check(actor, Action.CHANGE, team)
    schedule = TeamSchedule.objects.select_for_update().filter(team=team).first() or TeamSchedule(team=team)
    for name in SCHEDULE_FIELDS:
        if name in data:
            setattr(schedule, name, data[name])
    schedule.full_clean(exclude=["team"])
    schedule.save()
    return schedule
