import time
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opsx import panels
from opsx.htmx import hx_redirect, is_partial


def home(request: HttpRequest) -> HttpResponse:
    """Leadership's home page is the organization dashboard; everyone else gets their teams and panels."""
    from teams import permissions
    from teams import selectors as team_selectors

    if permissions.is_leadership(request.user):
        from dashboards.views import dashboard

        return dashboard(request)

    context: dict[str, Any] = {
        "my_teams": team_selectors.my_teams(user=request.user),  # type: ignore[arg-type]
        "panels": panels.collect("home", request),
    }
    return render(request, "home.html", context)


def list_page(
    request: HttpRequest,
    template: str,
    filterset: Any,
    context: dict[str, Any],
    *,
    per_page: int = 25,
    max_per_page: int = 100,
) -> HttpResponse:
    """A filtered, paginated list page (`?page=`, `?per_page=` up to `max_per_page`); htmx requests get
    the page's `results` fragment."""
    try:
        size = min(max(int(request.GET.get("per_page", per_page)), 1), max_per_page)
    except ValueError:
        size = per_page
    page = Paginator(filterset.qs, size).get_page(request.GET.get("page"))
    context = {**context, "filter": filterset, "page": page, "objects": page.object_list}
    return render(request, f"{template}#results" if is_partial(request) else template, context)


def validation_response(request: HttpRequest, form: forms.BaseForm) -> HttpResponse | None:
    """Inline validation: an htmx POST with `_validate=<field>` gets that field's errors, nothing saved."""
    field = request.POST.get("_validate")
    if not field or not is_partial(request):
        return None
    form.is_valid()
    errors = form.errors.get(field, []) if field in form.fields else []
    return render(request, "htmx/field_errors.html", {"errors": errors, "field": field})


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    save: Callable[[dict[str, Any]], Any],
    title: str,
    cancel_url: str,
    message: str,
    template: str = "form_page.html",
) -> HttpResponse:
    """The create/edit page pattern: GET shows the form; a POST with `_validate` gets one field's errors;
    a valid POST calls `save(cleaned_data)` and redirects to the saved object (htmx-aware); an invalid one
    re-renders the form (the fragment for htmx) with its errors, nothing saved.
    """
    if request.method == "POST":
        if response := validation_response(request, form):
            return response
        if form.is_valid():
            obj = save(form.cleaned_data)
            messages.success(request, message.format(obj=obj))
            return hx_redirect(request, obj.get_absolute_url())
    return render_form_page(request, form, title=title, cancel_url=cancel_url, template=template)


def render_form_page(
    request: HttpRequest, form: forms.BaseForm, *, title: str, cancel_url: str, template: str = "form_page.html"
) -> HttpResponse:
    """The form page (or, for htmx, just its form fragment) with the form's current errors."""
    context = {"form": form, "title": title, "cancel_url": cancel_url}
    return render(request, f"{template}#form" if is_partial(request) else template, context)


def _check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict[str, Any]:
    from opsx.celery import app

    started = time.monotonic()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "transport": str(transport), "ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the Celery broker both answer, 503 otherwise. Public, no details leaked."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    if not settings.DEBUG:
        for check in checks.values():
            check.pop("error", None)
    return JsonResponse(body, status=200 if ok else 503)


def _api_error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse | None:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)
    return None


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown URLs under /api/ answer in the API's error shape; pages get the HTML 404."""
    return _api_error(request, 404, "not_found", "Not found.") or render(request, "404.html", status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    response = _api_error(request, 500, "server_error", "Internal server error.")
    return response or render(request, "500.html", status=500)
