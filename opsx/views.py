import time
from typing import Any

from django import forms
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opsx import panels
from opsx.htmx import is_partial


def home(request: HttpRequest) -> HttpResponse:
    from teams import selectors as team_selectors

    context: dict[str, Any] = {
        "my_teams": team_selectors.my_teams(user=request.user),  # type: ignore[arg-type]
        "panels": panels.collect("home", request),
    }
    return render(request, "home.html", context)


def validation_response(request: HttpRequest, form: forms.BaseForm) -> HttpResponse | None:
    """Inline validation: an htmx POST with `_validate=<field>` gets that field's errors, nothing saved."""
    field = request.POST.get("_validate")
    if not field or not is_partial(request):
        return None
    form.is_valid()
    errors = form.errors.get(field, []) if field in form.fields else []
    return render(request, "htmx/field_errors.html", {"errors": errors, "field": field})


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
