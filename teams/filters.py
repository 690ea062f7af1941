"""One FilterSet per model, shared by the HTML lists and the API."""

import django_filters
from django.db.models import Q, QuerySet

from opsx.filters import SlugMultipleChoiceFilter, search_filter
from teams.models import Membership, System, Team


class TeamFilterSet(django_filters.FilterSet):
    q = search_filter()

    class Meta:
        model = Team
        fields = ["q", "slug"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value) | Q(slug__icontains=value))


class SystemFilterSet(django_filters.FilterSet):
    q = search_filter()
    team = SlugMultipleChoiceFilter(
        field_name="team__slug", to_field_name="slug", queryset=Team.objects.all(), label="Team"
    )
    tier = django_filters.MultipleChoiceFilter(choices=System.Tier.choices)
    lifecycle = django_filters.MultipleChoiceFilter(choices=System.Lifecycle.choices)
    review = django_filters.ChoiceFilter(
        choices=[("never", "Never reviewed"), ("overdue", "Review overdue")],
        method="by_review",
        label="Readiness review",
        empty_label="Any",
    )

    class Meta:
        model = System
        fields = ["q", "slug", "team", "tier", "lifecycle", "review"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value) | Q(slug__icontains=value))

    def by_review(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The cadence rule belongs to readiness reviews, which build on teams: imported when used.
        from reviews.filters import never_reviewed_q, review_overdue_q

        if value == "never":
            return queryset.filter(never_reviewed_q())
        if value == "overdue":
            return queryset.filter(review_overdue_q())
        return queryset


class MembershipFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug")
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = Membership
        fields = ["team", "user", "role"]
