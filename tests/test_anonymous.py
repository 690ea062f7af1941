"""Nothing is readable anonymously except the login and password reset pages and /healthz: walk every URL."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "/accounts/login/",
    "/healthz",
    # Asking for a reset link, its "check your mail" page, the link itself (here: not valid) and "password set".
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/accounts/password-reset/x/x/",
    "/accounts/password-reset/done/",
}
# Public, but only with a valid signed token: a made-up one is refused (400), never a page of anyone's.
PUBLIC_REFUSED = {"/unsubscribe/x/"}
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _concrete(route: str) -> str | None:
    if "^" in route or "$" in route or "(?P" in route or "\\" in route:  # regex routes (admin, router)
        route = re.sub(r"\(\?P<format>[^)]*\)", "", route)
        route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route).replace("^", "").replace("$", "")
        if any(ch in route for ch in "()[]*+?\\"):
            return None
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
    return "/" + route.lstrip("/")


def _urls():
    seen = set()
    for route in _walk(get_resolver().url_patterns):
        url = _concrete(route)
        if url and url not in seen and not url.startswith("/static/"):
            seen.add(url)
            yield url


@pytest.mark.django_db
@pytest.mark.parametrize("url", sorted(_urls()))
def test_anonymous_cannot_read(client, url):
    response = client.get(url)
    if url in PUBLIC:
        assert response.status_code == 200
        return
    if url in PUBLIC_REFUSED:
        assert response.status_code == 400 and b"does not work" in response.content
        return
    if response.status_code in (301, 302):
        assert "/login/" in response["Location"], f"{url} redirected somewhere other than a login page"
    else:
        assert response.status_code in (401, 403, 404, 405), f"{url} answered {response.status_code} anonymously"
        assert b"Payments" not in response.content
