import sys
import time
from collections.abc import Callable
from typing import Any

from django import db, forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

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
    prepare: Callable[[list[Any]], list[Any]] | None = None,
) -> HttpResponse:
    """A filtered, paginated list page (`?page=`, `?per_page=` up to `max_per_page`); htmx requests get
    the page's `results` fragment. `prepare` may decorate the page's rows (one batch per page)."""
    try:
        size = min(max(int(request.GET.get("per_page", per_page)), 1), max_per_page)
    except ValueError:
        size = per_page
    page = Paginator(filterset.qs, size).get_page(request.GET.get("page"))
    objects = prepare(list(page.object_list)) if prepare else page.object_list
    context = {**context, "filter": filterset, "page": page, "objects": objects}
    return render(request, f"{template}#results" if is_partial(request) else template, context)


def validation_response(request: HttpRequest, form: forms.BaseForm) -> HttpResponse | None:
    """Inline validation: an htmx POST with `_validate=<field>` gets that field's errors, nothing saved."""
    field = request.POST.get("_validate")
    if not field or not is_partial(request):
        return None
    form.is_valid()
    errors = form.errors.get(field, []) if field in form.fields else []
    return render(request, "htmx/field_errors.html", {"errors": errors, "field": field})


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each field's messages under that field (or on top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    save: Callable[[dict[str, Any]], Any],
    title: str,
    cancel_url: str,
    message: str,
    template: str = "form_page.html",
    success_url: Callable[[Any], str] | None = None,
    lead: dict[str, str] | None = None,
) -> HttpResponse:
    """The create/edit page pattern: GET shows the form; a POST with `_validate` gets one field's errors;
    a valid POST calls `save(cleaned_data)` and redirects to the saved object, or to `success_url(obj)`
    (htmx-aware); an invalid one, or one the service refuses with a ValidationError, re-renders the form
    (the fragment for htmx) with its errors, nothing saved. `lead` ({text, link_text, url}) is a line under
    the title, e.g. the record a new item comes from.
    """
    if request.method == "POST":
        if response := validation_response(request, form):
            return response
        if form.is_valid():
            try:
                obj = save(form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, message.format(obj=obj))
                return hx_redirect(request, success_url(obj) if success_url else obj.get_absolute_url())
    return render_form_page(request, form, title=title, cancel_url=cancel_url, template=template, lead=lead)


def render_form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    cancel_url: str,
    template: str = "form_page.html",
    status: int = 200,
    lead: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The form page (or, for htmx, just its form fragment) with the form's current errors.

    `conflict` in `extra` ({"version", "updated_at", "rows"} from opsx.conflicts) shows a stale save's
    side-by-side view above the fields; `lead` is a short text above the form.
    """
    context = {"form": form, "title": title, "cancel_url": cancel_url, "lead": lead, **extra}
    return render(request, f"{template}#form" if is_partial(request) else template, context, status=status)


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


def _check_worker() -> dict[str, Any]:
    """When a Celery worker last ran the heartbeat task (beat sends it every five minutes)."""
    from datetime import datetime

    from django.core.cache import cache
    from django.utils import timezone

    from opsx.tasks import HEARTBEAT_KEY

    try:
        seen = cache.get(HEARTBEAT_KEY)
        if seen is None:
            from opsx.models import WorkerHeartbeat

            last = WorkerHeartbeat.objects.order_by("-created_at").values_list("created_at", flat=True).first()
            seen = last.isoformat() if last else None
    except Exception as exc:  # noqa: BLE001 - unknown is "not seen"
        return {"ok": False, "error": exc.__class__.__name__, "last_seen": None}
    if seen is None:
        return {"ok": False, "last_seen": None}
    age = (timezone.now() - datetime.fromisoformat(seen)).total_seconds()
    return {"ok": age <= settings.HEALTHZ_WORKER_STALE_SECONDS, "last_seen": seen, "age_seconds": round(age)}


def _may_see_health_details(request: HttpRequest) -> bool:
    """Admins (signed in) and callers with `Authorization: Bearer <HEALTHZ_TOKEN>` see the checks."""
    import hmac

    token = settings.HEALTHZ_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - no database, no session: anonymous
        return False


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the Celery broker both answer ("ok", or "degraded" when no worker ran the
    heartbeat within HEALTHZ_WORKER_STALE_SECONDS), 503 otherwise ("unavailable"). Anonymous callers get
    the status alone; admins and callers with HEALTHZ_TOKEN get every check (errors only with DEBUG)."""
    checks = {"database": _check_database(), "broker": _check_broker(), "worker": _check_worker()}
    up = checks["database"]["ok"] and checks["broker"]["ok"]
    status = "unavailable" if not up else "ok" if checks["worker"]["ok"] else "degraded"
    body: dict[str, Any] = {"status": status}
    if _may_see_health_details(request):
        if not settings.DEBUG:
            for check in checks.values():
                check.pop("error", None)
        body["checks"] = checks
    return JsonResponse(body, status=200 if up else 503)


def _api_error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse | None:
    if request.path.startswith("/api/"):
        body = {"status": status, "code": code, "message": message, **extra}
        return JsonResponse({"error": body}, status=status)
    return None


ERROR_TITLES = {413: "Too large", 429: "Too many requests"}


def error_response(
    request: HttpRequest, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> HttpResponse:
    """An error a client can act on (413, 429): the API's JSON shape under /api/, the message as plain text
    for htmx (static/js/opsx.js shows it), the error page otherwise."""
    response = _api_error(request, status, code, message)
    if response is None and is_partial(request):
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if response is None:
        title = ERROR_TITLES.get(status, "Error")
        response = render(request, "error.html", {"title": title, "message": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bad_request(request: HttpRequest, code: str, message: str, **extra: Any) -> HttpResponse:
    """400: in the API's error shape under /api/ (`extra` such as `fields` included), the 400 page elsewhere."""
    response = _api_error(request, 400, code, message, **extra)
    return response or render(request, "400.html", {"message": message, **extra}, status=400)


# Django's request-size limits, told in words the client can act on (they are SuspiciousOperations).
_LIMIT_MESSAGES: dict[type[Exception], tuple[str, Callable[[], str]]] = {
    TooManyFilesSent: (
        "too_many_files",
        lambda: f"Too many files: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} per request.",
    ),
    TooManyFieldsSent: (
        "too_many_fields",
        lambda: f"Too many fields: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} per request.",
    ),
    RequestDataTooBig: (
        "too_large",
        lambda: f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (uploaded files not counted).",
    ),
}


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Bad requests Django refuses itself (too many files or fields, a malformed upload...): JSON under /api/.
    A body over the size limit is a 413."""
    code, message = "bad_request", "Bad request."
    for kind, (limit_code, text) in _LIMIT_MESSAGES.items():
        if isinstance(exception, kind):
            code, message = limit_code, text()
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, code, message)
    return bad_request(request, code, message)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown URLs under /api/ answer in the API's error shape; pages get the HTML 404."""
    return _api_error(request, 404, "not_found", "Not found.") or render(request, "404.html", status=404)


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Every path under /api/ that nothing else matches: a JSON 404, also with DEBUG on (where Django would
    show its HTML page). A GET without the trailing slash of a real endpoint is redirected to it, as
    CommonMiddleware does for pages; other methods are told the right path instead of losing their body."""
    slashed = f"{request.path_info}/"
    message = "Not found."
    if not request.path_info.endswith("/") and _is_endpoint(slashed):
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        message = f"Not found. API paths end with a slash: {request.path}/"
    return JsonResponse({"error": {"status": 404, "code": "not_found", "message": message}}, status=404)


def _is_endpoint(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False


DATABASE_ERRORS = (db.OperationalError, db.InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After while the database does not answer: JSON under /api/, a page (rendered without
    the database: no user, no context processors) elsewhere."""
    wait = settings.DATABASE_RETRY_AFTER
    message = f"The database is not answering. Try again in {wait} seconds."
    response = _api_error(request, 503, "database_unavailable", message)
    if response is None:
        response = HttpResponse(render_to_string("503.html", {"retry_after": wait}), status=503)
    response["Retry-After"] = str(wait)
    return response


def handler500(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the error is the database not answering (raised before any view ran, e.g. while
    loading the session; views' errors are caught by DatabaseUnavailableMiddleware)."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    response = _api_error(request, 500, "server_error", "Internal server error.")
    return response or render(request, "500.html", status=500)
