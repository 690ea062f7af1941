"""The KPIs as JSON: /api/v1/metrics/ (organization), /metrics/teams/ and /metrics/services/ (one row each,
paginated), /metrics/teams/{slug}/ and /metrics/services/{slug}/ (one dashboard). Same numbers as the pages."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from dashboards.api.serializers import BreakdownPageSerializer, KpisSerializer
from dashboards.forms import DashboardFilterForm
from dashboards.kpis import PERIOD_CHOICES, Scope, breakdown, kpis, period_dict
from dashboards.views import scope_for
from opsx.api_permissions import TeamRolePermission
from teams.permissions import Action


def _array(name: str, description: str, item: str = "string") -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "array", "items": {"type": item}}, explode=True, description=description)


PERIOD_PARAMETERS = [
    OpenApiParameter("period", OpenApiTypes.STR, enum=[k for k, _ in PERIOD_CHOICES], description="Default 90d."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day of a custom period (period=custom)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of a custom period (period=custom)."),
    _array("severity", "Severity names (SEV1...)."),
]
TIER = _array("tier", "Service tiers (1-4).", "integer")
TEAM = _array("team", "Team slugs.")
PAGE = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number (default 1)."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page (default 50, at most 200)."),
]


def _form(request: Request, scope: Scope) -> DashboardFilterForm:
    form = DashboardFilterForm(request.query_params, scope=scope)
    if not form.is_valid():
        raise ValidationError(form.error_fields())
    return form


def _dashboard(request: Request, scope: Scope) -> Response:
    form = _form(request, scope)
    result = kpis(scope=scope, period=form.period_value(), user=request.user, filters=form.filters_value())  # type: ignore[arg-type]
    return Response(KpisSerializer(result.as_dict()).data)


def _rows(request: Request, scope: Scope, kind: str) -> Response:
    form = _form(request, scope)
    try:
        size = min(max(int(request.query_params.get("page_size", 50)), 1), 200)
        number = max(int(request.query_params.get("page", 1)), 1)
    except ValueError as exc:
        raise ValidationError({"page": ["Use whole numbers for page and page_size."]}) from exc
    period = form.period_value()
    data = breakdown(
        scope=scope,
        period=period,
        user=request.user,
        filters=form.filters_value(),  # type: ignore[arg-type]
        kind=kind,
        limit=size,
        offset=(number - 1) * size,
    )

    def link(page: int) -> str:
        query = request.query_params.copy()
        query["page"] = str(page)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    body = {
        "count": data.total,
        "next": link(number + 1) if number * size < data.total else None,
        "previous": link(number - 1) if number > 1 else None,
        "period": period_dict(period),
        "results": data.as_dict()["rows"],
    }
    return Response(BreakdownPageSerializer(body).data)


class MetricsViewSet(viewsets.ViewSet):
    """The organization's KPIs over a period, compared with the previous period (the organization dashboard)."""

    permission_classes = [TeamRolePermission]
    required_actions = {"list": Action.VIEW}

    @extend_schema(parameters=[*PERIOD_PARAMETERS, TEAM, TIER], responses=KpisSerializer)
    def list(self, request: Request) -> Response:
        return _dashboard(request, Scope.organization())


class _SubjectMetricsViewSet(viewsets.ViewSet):
    """One row per team or service (`list`), or one of them in full (`retrieve`)."""

    permission_classes = [TeamRolePermission]
    required_actions = {"list": Action.VIEW, "retrieve": Action.VIEW}
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    kind = ""

    def list(self, request: Request) -> Response:
        return _rows(request, Scope.organization(), self.kind)

    def retrieve(self, request: Request, slug: str | None = None) -> Response:
        return _dashboard(request, scope_for(request, self.kind, slug))  # type: ignore[arg-type]


SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)
ROWS = extend_schema(parameters=[*PERIOD_PARAMETERS, TEAM, TIER, *PAGE], responses=BreakdownPageSerializer)


@extend_schema_view(
    list=ROWS, retrieve=extend_schema(parameters=[SLUG, *PERIOD_PARAMETERS, TIER], responses=KpisSerializer)
)
class TeamMetricsViewSet(_SubjectMetricsViewSet):
    """Per team: every team's row (worst first, paginated), or one team's whole dashboard."""

    kind = "team"


@extend_schema_view(list=ROWS, retrieve=extend_schema(parameters=[SLUG, *PERIOD_PARAMETERS], responses=KpisSerializer))
class ServiceMetricsViewSet(_SubjectMetricsViewSet):
    """Per service: every service's row (narrow with team and tier; worst first, paginated), or one service's
    whole dashboard."""

    kind = "service"
