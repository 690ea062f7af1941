"""One FilterSet per model, shared by the HTML lists and the API.

The module-level `*_q` functions are the definitions the filters use; the dashboards
(`dashboards.kpis`) build their counts from the same functions, so a number on a dashboard and the
list it links to always select the same rows.
"""

from collections.abc import Iterable
from datetime import date

import django_filters
from django import forms
from django.apps import apps
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from incidents import selectors
from incidents.models import ActionItem, FactorCategory, Incident, Postmortem, Severity, Tag
from incidents.timing import TIMING_CHOICES, timing_q
from opsx.filters import SlugChoiceFilter, SlugMultipleChoiceFilter
from teams.models import System, Team, User

YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])
OPEN_STATUSES = [Incident.Status.INVESTIGATING, Incident.Status.IDENTIFIED, Incident.Status.MONITORING]


# --- definitions shared with the dashboards ----------------------------------------------------


def incident_team_q(teams: Iterable[Team]) -> Q:
    """Incidents of these teams: owned by one of them or affecting one of their services."""
    teams = list(teams)
    return Q(team__in=teams) | Q(pk__in=Incident.objects.filter(services__team__in=teams).values("pk"))


def incident_service_q(services: Iterable[System]) -> Q:
    """Incidents affecting one of these services."""
    return Q(pk__in=Incident.objects.filter(services__in=list(services)).values("pk"))


def incident_tier_q(tiers: Iterable[int | str]) -> Q:
    """Incidents affecting at least one service of these tiers."""
    return Q(pk__in=Incident.objects.filter(services__tier__in=[int(t) for t in tiers]).values("pk"))


def incident_open_q() -> Q:
    return Q(status__in=OPEN_STATUSES)


def postmortem_overdue_q(today: date | None = None) -> Q:
    return Q(due_date__lt=today or timezone.localdate()) & ~Q(status=Postmortem.Status.PUBLISHED)


def postmortem_on_time_q() -> Q:
    """Published no later than its due date (in the organization's time zone); a postmortem without a due
    date is on time once published."""
    published = Q(status=Postmortem.Status.PUBLISHED)
    return published & (Q(due_date__isnull=True) | Q(published_at__date__lte=F("due_date")))


def postmortem_category_q(slugs: Iterable[str]) -> Q:
    """Postmortems naming one of these contributing-factor categories."""
    slugs = list(slugs)
    if connection.vendor == "postgresql":
        q = Q(pk__in=[])
        for slug in slugs:
            q |= Q(factors__contains=[{"category": slug}])
        return q
    # SQLite (the embedded demo database) has no JSON containment: look inside the list with json_each.
    from django.db.models.expressions import RawSQL

    placeholders = ", ".join(["%s"] * len(slugs)) or "NULL"
    where = f"json_extract(f.value, '$.category') IN ({placeholders})"
    sql = f"SELECT p.id FROM incidents_postmortem p, json_each(p.factors) f WHERE {where}"  # noqa: S608
    return Q(pk__in=RawSQL(sql, slugs))  # noqa: S611 - fixed SQL, values passed as parameters


def action_item_open_q() -> Q:
    return ~Q(status__in=ActionItem.CLOSED_STATUSES)


def action_item_overdue_q(today: date | None = None) -> Q:
    return Q(due_date__lt=today or timezone.localdate()) & action_item_open_q()


def action_item_closed_q() -> Q:
    return Q(status__in=ActionItem.CLOSED_STATUSES, completed_at__isnull=False)


def action_item_service_q(services: Iterable[System] | QuerySet) -> Q:
    """Action items about these services: from an incident that affected one of them, or from a readiness
    review of one of them (an answer's improvement plan or a game-day finding)."""
    if not isinstance(services, QuerySet):
        services = list(services)
    from django.contrib.contenttypes.models import ContentType

    answer = apps.get_model("reviews", "Answer")
    finding = apps.get_model("reviews", "GameDayFinding")
    types = ContentType.objects.get_for_models(answer, finding)
    return (
        Q(incident__in=Incident.objects.filter(services__in=services).values("pk"))
        | Q(
            source_type=types[answer],
            source_id__in=answer.objects.filter(review__system__in=services).values("pk"),
        )
        | Q(
            source_type=types[finding],
            source_id__in=finding.objects.filter(game_day__review__system__in=services).values("pk"),
        )
    )


# --- filter sets -------------------------------------------------------------------------------


def _tier_filter(method: str) -> django_filters.MultipleChoiceFilter:
    return django_filters.MultipleChoiceFilter(choices=System.Tier.choices, method=method, label="Service tier")


def _visible_tags(request: HttpRequest | None) -> QuerySet[Tag]:
    return selectors.tags_in_use(user=getattr(request, "user", None))


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(queryset=Team.objects.all(), to_field_name="slug", method="by_team", label="Team")
    service = SlugMultipleChoiceFilter(
        queryset=System.objects.all(), to_field_name="slug", method="by_service", label="Service"
    )
    tier = _tier_filter("by_tier")
    severity = SlugMultipleChoiceFilter(
        field_name="severity__name", queryset=Severity.objects.all(), to_field_name="name", label="Severity"
    )
    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices)
    tag = SlugMultipleChoiceFilter(queryset=_visible_tags, to_field_name="name", method="by_tag", label="Tag")
    started_after = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte", label="Started from")
    started_before = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte", label="Started to")
    timing = django_filters.ChoiceFilter(choices=TIMING_CHOICES, method="by_timing", label="Times", empty_label="Any")
    sort = django_filters.OrderingFilter(
        fields=(("started_at", "started"), ("severity__level", "severity"), ("status", "status"), ("title", "title")),
        label="Sort by",
    )

    class Meta:
        model = Incident
        fields = [
            "q", "team", "service", "tier", "severity", "status", "tag", "started_after", "started_before", "timing",
            "sort",
        ]  # fmt: skip

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q(title__icontains=value) | Q(summary__icontains=value) | Q(external_id=value) | Q(pager_id=value)
        if value.lstrip("#").isdigit():
            q |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(q)

    def by_team(self, queryset: QuerySet, name: str, value: list[Team]) -> QuerySet:
        return queryset.filter(incident_team_q(value)) if value else queryset

    def by_service(self, queryset: QuerySet, name: str, value: list[System]) -> QuerySet:
        return queryset.filter(incident_service_q(value)) if value else queryset

    def by_tier(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(incident_tier_q(value)) if value else queryset

    def by_tag(self, queryset: QuerySet, name: str, value: list[Tag]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(pk__in=Incident.objects.filter(tags__in=value).values("pk"))

    def by_timing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(timing_q(value)) if value else queryset


def _incidents(q: Q) -> Q:
    """A Q on incidents, applied to the postmortems of those incidents."""
    return Q(incident__in=Incident.objects.filter(q).values("pk"))


class PostmortemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(queryset=Team.objects.all(), to_field_name="slug", method="by_team", label="Team")
    service = SlugMultipleChoiceFilter(
        queryset=System.objects.all(), to_field_name="slug", method="by_service", label="Service"
    )
    tier = _tier_filter("by_tier")
    severity = SlugMultipleChoiceFilter(
        field_name="incident__severity__name", queryset=Severity.objects.all(), to_field_name="name", label="Severity"
    )
    status = django_filters.MultipleChoiceFilter(choices=Postmortem.Status.choices)
    required = django_filters.BooleanFilter(widget=YES_NO)
    overdue = django_filters.BooleanFilter(method="by_overdue", label="Overdue", widget=YES_NO)
    on_time = django_filters.BooleanFilter(method="by_on_time", label="Published on time", widget=YES_NO)
    category = SlugMultipleChoiceFilter(
        queryset=FactorCategory.objects.all(), to_field_name="slug", method="by_category", label="Factor"
    )
    started_after = django_filters.DateFilter(
        field_name="incident__started_at", lookup_expr="date__gte", label="Incident from"
    )
    started_before = django_filters.DateFilter(
        field_name="incident__started_at", lookup_expr="date__lte", label="Incident to"
    )

    class Meta:
        model = Postmortem
        fields = [
            "q", "team", "service", "tier", "severity", "status", "required", "overdue", "on_time", "category",
            "started_after", "started_before",
        ]  # fmt: skip

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(incident__title__icontains=value) | Q(summary__icontains=value))

    def by_team(self, queryset: QuerySet, name: str, value: list[Team]) -> QuerySet:
        return queryset.filter(_incidents(incident_team_q(value))) if value else queryset

    def by_service(self, queryset: QuerySet, name: str, value: list[System]) -> QuerySet:
        return queryset.filter(_incidents(incident_service_q(value))) if value else queryset

    def by_tier(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(_incidents(incident_tier_q(value))) if value else queryset

    def by_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(postmortem_overdue_q() if value else ~postmortem_overdue_q())

    def by_on_time(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(postmortem_on_time_q() if value else ~postmortem_on_time_q())

    def by_category(self, queryset: QuerySet, name: str, value: list[FactorCategory]) -> QuerySet:
        return queryset.filter(postmortem_category_q(c.slug for c in value)) if value else queryset


class ActionItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = SlugMultipleChoiceFilter(
        field_name="team__slug", queryset=Team.objects.all(), to_field_name="slug", label="Team"
    )
    service = SlugMultipleChoiceFilter(
        queryset=System.objects.all(), to_field_name="slug", method="by_service", label="Service"
    )
    tier = _tier_filter("by_tier")
    severity = SlugMultipleChoiceFilter(
        field_name="incident__severity__name",
        queryset=Severity.objects.all(),
        to_field_name="name",
        label="Incident severity",
    )
    owner = SlugChoiceFilter(
        field_name="owner", queryset=User.objects.filter(is_active=True), to_field_name="username", label="Owner"
    )
    status = django_filters.MultipleChoiceFilter(choices=ActionItem.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ActionItem.Priority.choices)
    origin = django_filters.MultipleChoiceFilter(choices=ActionItem.Origin.choices)
    overdue = django_filters.BooleanFilter(method="by_overdue", label="Overdue", widget=YES_NO)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="Created from")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="Created to")
    closed_after = django_filters.DateFilter(field_name="completed_at", lookup_expr="date__gte", label="Closed from")
    closed_before = django_filters.DateFilter(field_name="completed_at", lookup_expr="date__lte", label="Closed to")

    class Meta:
        model = ActionItem
        fields = [
            "q", "team", "service", "tier", "severity", "owner", "status", "priority", "origin", "overdue",
            "created_after", "created_before", "closed_after", "closed_before",
        ]  # fmt: skip

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def by_service(self, queryset: QuerySet, name: str, value: list[System]) -> QuerySet:
        return queryset.filter(action_item_service_q(value)) if value else queryset

    def by_tier(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(action_item_service_q(System.objects.filter(tier__in=[int(t) for t in value])))

    def by_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(action_item_overdue_q() if value else ~action_item_overdue_q())
