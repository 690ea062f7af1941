"""One FilterSet per model, shared by the HTML lists and the API.

The module-level `*_q` functions are the definitions the filters use; the dashboards
(`dashboards.kpis`) count with the same functions, so a number and the list it links to agree.
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from opsx.filters import SlugMultipleChoiceFilter
from reviews.models import (
    Answer,
    Decision,
    FailureScenario,
    GameDay,
    GameDayFinding,
    Milestone,
    Review,
    Risk,
    RiskAcceptance,
    TierPolicy,
)
from teams.models import System, Team

YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])

# --- definitions shared with the dashboards ----------------------------------------------------


def latest_review_q() -> Q:
    """Each service's most recent review (by creation; the higher id wins a tie)."""
    newer = Review.objects.filter(system=OuterRef("system")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return ~Q(Exists(newer))


def review_risk_q(risks: list[str]) -> Q:
    """Reviews with at least one answer at one of these risks."""
    return Q(Exists(Answer.objects.filter(review=OuterRef("pk"), risk__in=risks)))


EXPIRING_DAYS = 30


def review_accepted_q(*, expiring_within: timedelta | None = None) -> Q:
    """Reviews with a risk acceptance that has not expired yet (and, given, expires within that time)."""
    now = timezone.now()
    active = RiskAcceptance.objects.filter(review=OuterRef("pk"), expires_at__gt=now)
    if expiring_within is not None:
        active = active.filter(expires_at__lte=now + expiring_within)
    return Q(Exists(active))


def tier_intervals() -> dict[int, int]:
    """{tier: review interval in days}: the organization's tier policies over the defaults (one query)."""
    from reviews.defaults import TIER_DEFAULTS

    intervals = {tier: days for tier, (days, _external) in TIER_DEFAULTS.items()}
    intervals.update(TierPolicy.objects.values_list("tier", "review_interval_days"))
    return intervals


def _approved(**lookups: object) -> Q:
    """The service has an approved review (a reopened approval still dates the last review, as in
    `reviews.selectors.service_cadence`)."""
    statuses = [Review.Status.APPROVED, Review.Status.REOPENED]
    return Q(
        Exists(Review.objects.filter(system=OuterRef("pk"), status__in=statuses, approved_at__isnull=False, **lookups))
    )


def in_use_q() -> Q:
    return ~Q(lifecycle=System.Lifecycle.RETIRED)


def never_reviewed_q() -> Q:
    """Services in use (not retired) that have never had a review approved."""
    return in_use_q() & ~_approved()


def review_overdue_q(today: date | None = None, intervals: dict[int, int] | None = None) -> Q:
    """Services in use whose next review is past due by their tier's cadence: the last approval (or, never
    approved, the service's creation) plus the tier's interval is before today. Same rule as
    `reviews.selectors.service_cadence`, as a query."""
    today = today or timezone.localdate()
    q = Q(pk__in=[])
    for tier, days in (intervals or tier_intervals()).items():
        cutoff = timezone.make_aware(datetime.combine(today - timedelta(days=days), time.min))
        q |= Q(tier=tier) & ~_approved(approved_at__gte=cutoff) & (_approved() | Q(created_at__lt=cutoff))
    return in_use_q() & q


class ReviewFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(
        field_name="team__slug", to_field_name="slug", queryset=Team.objects.all(), label="Team"
    )
    service = SlugMultipleChoiceFilter(
        field_name="system__slug", to_field_name="slug", queryset=System.objects.all(), label="Service"
    )
    tier = django_filters.MultipleChoiceFilter(field_name="system__tier", choices=System.Tier.choices, label="Tier")
    status = django_filters.MultipleChoiceFilter(
        choices=Review.Status.choices, method="filter_status", help_text="The status as of now (see launch_status)."
    )
    latest = django_filters.BooleanFilter(method="by_latest", label="Latest per service", widget=YES_NO)
    risk = django_filters.MultipleChoiceFilter(
        choices=[(Risk.HIGH.value, Risk.HIGH.label), (Risk.MEDIUM.value, Risk.MEDIUM.label)],
        method="by_risk",
        label="Has risks",
    )
    accepted = django_filters.ChoiceFilter(
        choices=[
            ("active", "Accepted, not expired"),
            ("expiring", f"Expiring within {EXPIRING_DAYS} days"),
            ("none", "No accepted risk"),
        ],
        method="by_accepted",
        label="Accepted risks",
        empty_label="Any",
    )

    class Meta:
        model = Review
        fields = ["q", "team", "service", "tier", "status", "latest", "risk", "accepted"]

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        if "current_status" not in queryset.query.annotations:
            queryset = queryset.with_launch_status()  # type: ignore[attr-defined]
        return queryset.filter(current_status__in=value)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(system__name__icontains=value))

    def by_latest(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(latest_review_q() if value else ~latest_review_q())

    def by_risk(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(review_risk_q(value)) if value else queryset

    def by_accepted(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "expiring":
            return queryset.filter(review_accepted_q(expiring_within=timedelta(days=EXPIRING_DAYS)))
        if value == "none":
            return queryset.filter(~review_accepted_q())
        return queryset.filter(review_accepted_q()) if value == "active" else queryset


class AnswerFilterSet(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    risk = django_filters.MultipleChoiceFilter(choices=Risk.choices)
    question_id = django_filters.CharFilter()

    class Meta:
        model = Answer
        fields = ["review", "risk", "question_id"]


class ReviewChildFilterSet(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")


class MilestoneFilterSet(ReviewChildFilterSet):
    class Meta:
        model = Milestone
        fields = ["review"]


class DecisionFilterSet(ReviewChildFilterSet):
    class Meta:
        model = Decision
        fields = ["review", "kind"]


class RiskAcceptanceFilterSet(ReviewChildFilterSet):
    class Meta:
        model = RiskAcceptance
        fields = ["review"]


class FailureScenarioFilterSet(ReviewChildFilterSet):
    class Meta:
        model = FailureScenario
        fields = ["review"]


class GameDayFilterSet(ReviewChildFilterSet):
    class Meta:
        model = GameDay
        fields = ["review", "outcome"]


class GameDayFindingFilterSet(django_filters.FilterSet):
    game_day = django_filters.NumberFilter(field_name="game_day_id")
    review = django_filters.NumberFilter(field_name="game_day__review_id")

    class Meta:
        model = GameDayFinding
        fields = ["game_day", "review"]
