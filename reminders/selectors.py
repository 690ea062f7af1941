"""Reads for reminders and digests: what is due, for many teams at once.

Every function here takes the set of teams it is about and answers for all of them in one or two
queries (no query per team, service or person), so the hourly sweep and the weekly digests cost the
same number of queries for three teams as for a thousand. They return plain rows; who may read
which row is decided afterwards, for all readers together (`teams.permissions.visibility_for`).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from incidents.filters import action_item_open_q
from incidents.models import ActionItem, Postmortem
from reminders.models import TeamSchedule
from reviews.defaults import TIER_DEFAULTS
from reviews.filters import in_use_q, tier_intervals
from reviews.models import Decision, Review, Risk, RiskAcceptance, TierPolicy
from reviews.selectors import signoff_round
from teams.models import Membership, System, Team, User
from teams.permissions import TeamRole

DEFAULT_SCHEDULE = TeamSchedule()


@dataclass
class TeamClock:
    """A team, its schedule (the defaults when it has none) and the local time of the run."""

    team: Team
    schedule: TeamSchedule
    local: datetime

    @property
    def today(self) -> date:
        return self.local.date()

    @property
    def quiet(self) -> bool:
        return self.schedule.is_quiet(self.local)


def local_time(now: datetime, zone: str) -> datetime:
    try:
        return now.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.astimezone(zoneinfo.ZoneInfo("UTC"))


def team_clocks(*, now: datetime, teams: Iterable[Team] | None = None) -> dict[int, TeamClock]:
    """{team id: TeamClock} for these teams (every team by default), in one query."""
    queryset = Team.objects.select_related("reminder_schedule").order_by("pk")
    if teams is not None:
        queryset = queryset.filter(pk__in=[t.pk for t in teams])
    out = {}
    for team in queryset:
        schedule = getattr(team, "reminder_schedule", None) or DEFAULT_SCHEDULE
        out[team.pk] = TeamClock(team=team, schedule=schedule, local=local_time(now, team.timezone))
    return out


def team_people(team_ids: Iterable[int], *, role: str | None = None) -> dict[int, list[User]]:
    """{team id: active members (or only those with `role`)}, one query. The same person appears as the
    same User object in every team, so per-object caches (their roles) are shared."""
    queryset = Membership.objects.filter(team_id__in=list(team_ids), user__is_active=True).select_related("user")
    if role:
        queryset = queryset.filter(role=role)
    users: dict[int, User] = {}
    out: dict[int, list[User]] = {}
    for membership in queryset.order_by("team_id", "user__username"):
        user = users.setdefault(membership.user_id, membership.user)
        out.setdefault(membership.team_id, []).append(user)
    return out


def team_leads(team_ids: Iterable[int]) -> dict[int, list[User]]:
    return team_people(team_ids, role=TeamRole.LEAD)


def org_admins() -> list[User]:
    return list(User.objects.filter(Q(org_role=User.OrgRole.ADMIN) | Q(is_superuser=True), is_active=True))


def action_items_due(*, team_ids: Iterable[int], until: date) -> list[ActionItem]:
    """Open action items of these teams due on or before `until` (overdue ones included)."""
    return list(
        ActionItem.objects.filter(action_item_open_q(), team_id__in=list(team_ids), due_date__lte=until)
        .select_related("owner", "team")
        .order_by("due_date", "pk")
    )


def postmortems_overdue(*, team_ids: Iterable[int], until: date) -> list[Postmortem]:
    """Unpublished postmortems of incidents these teams own, due before `until`."""
    return list(
        Postmortem.objects.filter(incident__team_id__in=list(team_ids), due_date__lt=until)
        .exclude(status=Postmortem.Status.PUBLISHED)
        .select_related("owner", "incident")
        .order_by("due_date", "pk")
    )


def acceptances_expiring(*, team_ids: Iterable[int], now: datetime, within_days: int) -> list[RiskAcceptance]:
    """Accepted high risks of these teams' reviews that expire within `within_days`: only the latest
    acceptance of each answer (a renewed acceptance replaces the old one)."""
    later = RiskAcceptance.objects.filter(answer=OuterRef("answer"), expires_at__gt=OuterRef("expires_at"))
    return list(
        RiskAcceptance.objects.filter(
            review__team_id__in=list(team_ids),
            answer__risk=Risk.HIGH,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=within_days),
            lapse_recorded_at__isnull=True,
        )
        .exclude(Exists(later))
        .select_related("accepted_by", "review", "answer")
        .order_by("expires_at", "pk")
    )


@dataclass
class SignoffWait:
    review: Review
    since: datetime
    missing: set[str]  # Decision.Role values still needed in this round


def signoffs_waiting(*, team_ids: Iterable[int]) -> list[SignoffWait]:
    """Launch requests of these teams still missing sign-offs (three queries for any number)."""
    reviews = list(
        Review.objects.filter(team_id__in=list(team_ids), status__in=Review.AWAITING_SIGNOFF)
        .select_related("system", "team")
        .order_by("pk")
    )
    if not reviews:
        return []
    decisions: dict[int, list[tuple[str, str, Any]]] = {}
    rows = Decision.objects.filter(review__in=reviews).order_by("review_id", "id")
    for review_id, kind, role, created_at in rows.values_list("review_id", "kind", "role", "created_at"):
        decisions.setdefault(review_id, []).append((kind, role, created_at))
    external = {tier: needs for tier, (_days, needs) in TIER_DEFAULTS.items()}
    external.update(TierPolicy.objects.values_list("tier", "requires_external_signoff"))
    out = []
    for review in reviews:
        round_kind, have, started = signoff_round(decisions.get(review.pk, []))
        need = {Decision.Role.LEAD.value} | (
            {Decision.Role.EXTERNAL.value} if external.get(review.system.tier) else set()
        )
        missing = need - have
        if round_kind is not None and missing:
            out.append(
                SignoffWait(review=review, since=started or review.requested_at or review.created_at, missing=missing)
            )
    return out


@dataclass
class ReviewDue:
    service: System
    next_due: date


def reviews_due(*, team_ids: Iterable[int], until: date) -> list[ReviewDue]:
    """Services in use of these teams whose next readiness review (last approval, or creation, plus the
    tier's interval: `reviews.selectors.service_cadence`) falls on or before `until`. Two queries."""
    intervals = tier_intervals()
    approved = Q(
        reviews__status__in=[Review.Status.APPROVED, Review.Status.REOPENED], reviews__approved_at__isnull=False
    )
    services = (
        System.objects.filter(in_use_q(), team_id__in=list(team_ids))
        .annotate(last_approved=Max("reviews__approved_at", filter=approved))
        .select_related("team")
        .order_by("pk")
    )
    out = []
    for service in services:
        start = service.last_approved or service.created_at
        next_due = timezone.localdate(start) + timedelta(days=intervals.get(service.tier, 365))
        if next_due <= until:
            out.append(ReviewDue(service=service, next_due=next_due))
    out.sort(key=lambda row: (row.next_due, row.service.pk))
    return out


# --- digests, as their reader sees them ---------------------------------------------------------


def digest_list(*, user: User) -> Any:
    """The user's own digests (nobody else's: a digest is private to its recipient)."""
    from reminders.models import Digest

    return Digest.objects.filter(recipient=user).select_related("team")


def digest_get_for(*, user: User, pk: int) -> Any:
    """One of the user's digests (404 for anyone else's, admins included)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(digest_list(user=user), pk=pk)


def digest_content_for(*, digest: Any, user: User) -> dict[str, Any]:
    """The digest's content as `user` may read it now: a listed record that has since become
    unreadable to them (an incident restricted after the digest was built) is shown without its
    name or link. One check per kind of record listed, for all its rows at once."""
    import copy

    from django.apps import apps

    from teams.permissions import visibility_for

    content = copy.deepcopy(digest.content)
    wanted: dict[str, set[int]] = {}
    for section in content.get("sections", []):
        for item in section.get("items", []):
            label, _, pk = item.get("ref", "").partition(":")
            if label and pk.isdigit():
                wanted.setdefault(label, set()).add(int(pk))
    readable = {}
    for label, pks in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        readable[label] = visibility_for(model, [user], pks)
    for section in content.get("sections", []):
        for item in section.get("items", []):
            label, _, pk = item.get("ref", "").partition(":")
            if label and not (label in readable and readable[label].allows(user.pk, int(pk))):
                item.update(text="This is no longer shared with you.", url="", meta="", hidden=True)
    return content
