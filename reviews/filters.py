"""One FilterSet per model, shared by the HTML lists and the API."""

import django_filters
from django.db.models import Q, QuerySet

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
)
from teams.models import System, Team


class ReviewFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(
        field_name="team__slug", to_field_name="slug", queryset=Team.objects.all(), label="Team"
    )
    service = SlugMultipleChoiceFilter(
        field_name="system__slug", to_field_name="slug", queryset=System.objects.all(), label="Service"
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Review.Status.choices, method="filter_status", help_text="The status as of now (see launch_status)."
    )

    class Meta:
        model = Review
        fields = ["q", "team", "service", "status"]

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        if "current_status" not in queryset.query.annotations:
            queryset = queryset.with_launch_status()  # type: ignore[attr-defined]
        return queryset.filter(current_status__in=value)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(system__name__icontains=value))


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
