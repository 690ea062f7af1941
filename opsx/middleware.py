from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

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
