import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve

from opsx.views import DATABASE_ERRORS, bad_request, database_unavailable, error_response

logger = logging.getLogger(__name__)

# Nothing is readable anonymously except these. The API answers 401/403 itself (JSON), so it is
# left to DRF's authentication; static files are served by WhiteNoise before this runs. Email
# unsubscribe links carry a signed token that is their own permission (notifications.views.unsubscribe).
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/password-reset/",
    "/oidc/",
    "/healthz",
    "/api/",
    "/static/",
    "/unsubscribe/",
)


class SessionIdleTimeoutMiddleware:
    """A signed-in session ends after `SESSION_IDLE_TIMEOUT_MINUTES` without a request from its user.

    The time of the last request is kept in the session (written at most once a minute). Background
    polls that a page makes by itself (the notification badge) do not count as activity, so an open
    tab does not keep a session alive forever. 0 turns this off (sessions then last SESSION_COOKIE_AGE).
    """

    KEY = "opsx_last_seen"
    BACKGROUND_URL_NAMES = ("notifications:badge",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _background(self, request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
        return match is not None and match.view_name in self.BACKGROUND_URL_NAMES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
        if minutes and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if isinstance(last, int) and now - last > minutes * 60:
                logout(request)
                messages.info(request, f"You were signed out after {minutes} minutes without activity.")
            elif not self._background(request) and (not isinstance(last, int) or now - last >= 60):
                request.session[self.KEY] = now
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="opsx.middleware.start_idle_clock")
def start_idle_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Signing in is activity: the idle clock starts then (and the first page writes no session)."""
    if getattr(request, "session", None) is not None:
        request.session[SessionIdleTimeoutMiddleware.KEY] = int(time.time())


def _resolve(path: str) -> Any:
    try:
        return resolve(path)
    except Resolver404:
        return None


class LoginRequiredMiddleware:
    """Every HTML page requires a signed-in user, unless it is on the short public list."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            if getattr(request, "htmx", False):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that fails because the database does not answer (restart, failover, outage) gets 503 with
    Retry-After, not a 500. With CONN_HEALTH_CHECKS the next request after the database is back opens a
    new connection and succeeds. (Failures before any view, e.g. loading the session, reach handler500,
    which answers the same.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database unavailable: %s", exception.__class__.__name__, exc_info=exception)
            return database_unavailable(request)
        return None


class RequestSizeLimitMiddleware:
    """A request whose Content-Length is over `LIMIT_REQUEST_BYTES` is a 413 before anything reads it.

    Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk whatever
    their size; this caps the whole body (every file together) of every page and API endpoint.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.LIMIT_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            message = f"The request is {length:,} bytes; the limit is {limit:,}."
            return error_response(request, 413, "too_large", message)
        return self.get_response(request)


NUL_MESSAGE = "Null characters are not allowed."


class RejectNullCharactersMiddleware:
    """A NUL byte in the path or in any query parameter is a 400 before any view runs.

    PostgreSQL text cannot contain NUL, so such a value (`?q=%00`, `?tag=a%00b`) would otherwise reach a
    query and fail there as a 500. One check here covers every page, API endpoint and export, for
    parameters no form or filter validates. The API gets its validation error shape naming the
    parameters (as a FilterSet's own check would); pages get the 400 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = sorted(
            {key.replace("\x00", "\\0") for key, values in request.GET.lists() if "\x00" in key + "".join(values)}
        )
        if bad:
            return bad_request(request, "invalid", "Invalid input.", fields={key: [NUL_MESSAGE] for key in bad})
        if "\x00" in request.path:
            return bad_request(request, "invalid", f"Invalid path. {NUL_MESSAGE}")
        return self.get_response(request)
