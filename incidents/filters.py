"""One FilterSet per model, shared by the HTML lists and the API."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from incidents import selectors
from incidents.models import ActionItem, Incident, Postmortem, Severity, Tag
from opsx.filters import SlugChoiceFilter, SlugMultipleChoiceFilter
from teams.models import System, Team, User

YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def _visible_tags(request: HttpRequest | None) -> QuerySet[Tag]:
    return selectors.tags_in_use(user=getattr(request, "user", None))


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(queryset=Team.objects.all(), to_field_name="slug", method="by_team", label="Team")
    service = SlugMultipleChoiceFilter(
        queryset=System.objects.all(), to_field_name="slug", method="by_service", label="Service"
    )
    severity = SlugMultipleChoiceFilter(
        field_name="severity__name", queryset=Severity.objects.all(), to_field_name="name", label="Severity"
    )
    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices)
    tag = SlugMultipleChoiceFilter(queryset=_visible_tags, to_field_name="name", method="by_tag", label="Tag")
    started_after = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte", label="Started from")
    started_before = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte", label="Started to")
    sort = django_filters.OrderingFilter(
        fields=(("started_at", "started"), ("severity__level", "severity"), ("status", "status"), ("title", "title")),
        label="Sort by",
    )

    class Meta:
        model = Incident
        fields = ["q", "team", "service", "severity", "status", "tag", "started_after", "started_before", "sort"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q(title__icontains=value) | Q(summary__icontains=value) | Q(external_id=value) | Q(pager_id=value)
        if value.lstrip("#").isdigit():
            q |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(q)

    def by_team(self, queryset: QuerySet, name: str, value: list[Team]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(
            Q(team__in=value) | Q(pk__in=Incident.objects.filter(services__team__in=value).values("pk"))
        )

    def by_service(self, queryset: QuerySet, name: str, value: list[System]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(pk__in=Incident.objects.filter(services__in=value).values("pk"))

    def by_tag(self, queryset: QuerySet, name: str, value: list[Tag]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(pk__in=Incident.objects.filter(tags__in=value).values("pk"))


class PostmortemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(
        field_name="incident__team__slug", queryset=Team.objects.all(), to_field_name="slug", label="Team"
    )
    status = django_filters.MultipleChoiceFilter(choices=Postmortem.Status.choices)
    required = django_filters.BooleanFilter(widget=YES_NO)
    overdue = django_filters.BooleanFilter(method="by_overdue", label="Overdue", widget=YES_NO)

    class Meta:
        model = Postmortem
        fields = ["q", "team", "status", "required", "overdue"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(incident__title__icontains=value) | Q(summary__icontains=value))

    def by_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = Q(due_date__lt=timezone.localdate()) & ~Q(status=Postmortem.Status.PUBLISHED)
        return queryset.filter(overdue if value else ~overdue)


class ActionItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(
        field_name="team__slug", queryset=Team.objects.all(), to_field_name="slug", label="Team"
    )
    owner = SlugChoiceFilter(
        field_name="owner", queryset=User.objects.filter(is_active=True), to_field_name="username", label="Owner"
    )
    status = django_filters.MultipleChoiceFilter(choices=ActionItem.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ActionItem.Priority.choices)
    origin = django_filters.MultipleChoiceFilter(choices=ActionItem.Origin.choices)
    overdue = django_filters.BooleanFilter(method="by_overdue", label="Overdue", widget=YES_NO)

    class Meta:
        model = ActionItem
        fields = ["q", "team", "owner", "status", "priority", "origin", "overdue"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def by_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = Q(due_date__lt=timezone.localdate()) & ~Q(status__in=ActionItem.CLOSED_STATUSES)
        return queryset.filter(overdue if value else ~overdue)
