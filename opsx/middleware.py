from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from opsx.views import bad_request, error_response

# Nothing is readable anonymously except these. The API answers 401/403 itself (JSON), so it is
# left to DRF's authentication; static files are served by WhiteNoise before this runs.
PUBLIC_PREFIXES = ("/accounts/login/", "/healthz", "/api/", "/static/")


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
