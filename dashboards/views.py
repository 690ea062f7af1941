"""Dashboard pages (organization, team, service), their CSV export and the KPI definitions.

Views parse the filters, call `dashboards.kpis` once and render; htmx requests (the filter form)
get the `#dashboard` fragment, and the form pushes the URL so a view can be shared as a link.
Every signed-in user may read dashboards (counts include restricted records, which are never
listed or named; see dashboards.kpis).
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboards import charts
from dashboards.forms import DashboardFilterForm
from dashboards.kpis import DEFINITIONS, Scope, attention_rows, breakdown, kpis
from dashboards.tables import TABLE_NAMES, Table, attention_table, breakdown_table, tables
from opsx.htmx import is_partial
from teams import permissions
from teams.models import System, Team

TEMPLATE = "dashboards/dashboard.html"


def scope_for(request: HttpRequest, kind: str, slug: str | None) -> Scope:
    """The scope named in the URL, fetched through the permission rule (404 for what the user cannot see)."""
    if kind == "team":
        return Scope.of_team(permissions.get_for(request.user, Team, slug=slug))
    if kind == "service":
        return Scope.of_service(permissions.get_for(request.user, System.objects.select_related("team"), slug=slug))
    return Scope.organization()


def _urls(scope: Scope, query: str) -> dict[str, Any]:
    """Where this dashboard's CSV tables, JSON and subject page are (with the current filters)."""
    suffix = f"?{query}" if query else ""
    if scope.kind == "organization":
        exports = {name: reverse("dashboards:export", args=[name]) + suffix for name in TABLE_NAMES}
        return {"exports": exports, "api": reverse("api:metrics-list") + suffix, "page": ""}
    subject = scope.team or scope.service
    name = "team" if scope.kind == "team" else "service"
    exports = {t: reverse(f"dashboards:{name}-export", args=[subject.slug, t]) + suffix for t in TABLE_NAMES}  # type: ignore[union-attr]
    api = reverse(f"api:metrics-{name}-detail", args=[subject.slug]) + suffix  # type: ignore[union-attr]
    return {"exports": exports, "api": api, "page": subject.get_absolute_url()}  # type: ignore[union-attr]


@vary_on_headers("HX-Request")
@require_GET
def dashboard(request: HttpRequest, kind: str = "organization", slug: str | None = None) -> HttpResponse:
    scope = scope_for(request, kind, slug)
    form = DashboardFilterForm(request.GET, scope=scope)
    context: dict[str, Any] = {"scope": scope, "filter": {"form": form}, "urls": _urls(scope, request.GET.urlencode())}
    if form.is_valid():
        result = kpis(scope=scope, period=form.period_value(), user=request.user, filters=form.filters_value())  # type: ignore[arg-type]
        context.update(k=result, t=tables(result), charts=_charts(result))
    template = f"{TEMPLATE}#dashboard" if is_partial(request) else TEMPLATE
    return render(request, template, context)


def _charts(result: Any) -> dict[str, charts.Chart]:
    period = result.period
    return {
        "severity": charts.severity_columns(result.incidents.series, result.incidents.severities, period.bucket),
        "times": charts.response_bars(result.times),
        "trend": charts.trend_lines(result.trend, period.bucket),
        "origins": charts.origin_bars(result.action_items.by_origin),
    }


@require_GET
def export(request: HttpRequest, table: str, kind: str = "organization", slug: str | None = None) -> HttpResponse:
    """One table of a dashboard as CSV, streamed; the breakdown and the attention list have every row."""
    if table not in TABLE_NAMES:
        raise Http404("No such table.")
    scope = scope_for(request, kind, slug)
    if table in ("breakdown", "attention") and scope.kind == "service":
        raise Http404("A service's dashboard has no breakdown.")
    form = DashboardFilterForm(request.GET, scope=scope)
    if not form.is_valid():
        lines = [f"{name}: {' '.join(errors)}" for name, errors in form.error_fields().items()]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    period, filters = form.period_value(), form.filters_value()
    data: Table
    if table in ("breakdown", "attention"):
        rows = breakdown(scope=scope, period=period, user=request.user, filters=filters)  # type: ignore[arg-type]
        data = breakdown_table(rows) if table == "breakdown" else attention_table(attention_rows(rows.rows))
    else:
        result = kpis(scope=scope, period=period, user=request.user, filters=filters, with_breakdown=False)  # type: ignore[arg-type]
        data = tables(result)[table]
    subject = getattr(scope.team or scope.service, "slug", "organization")
    filename = f"opsx-{subject}-{table}-{period.start}-{period.end}.csv"
    response = StreamingHttpResponse(data.csv_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def definitions(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/definitions.html", {"definitions": DEFINITIONS})
