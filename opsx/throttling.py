"""Throttles on what is expensive (docs/limits.md): one mechanism for the API and the pages.

A scope ("preview", "search", "import", "export", ...) has a rate in `settings.THROTTLE_RATES`
("120/min": at most 120 requests per minute). A request is counted for its user and, when it came
with an API token, for that token too; an anonymous request for its address. Over the rate in any of
them, the answer is 429 with `Retry-After` (seconds until the window ends): DRF's `Throttled` in the
API (through `ScopedThrottle`, which reads the view's `throttle_scopes` per action), the same limit
for pages through `@throttle(scope)`. Counters are fixed windows in the cache (Redis: `INCR`, atomic
across workers), keyed by scope, identity and window.
"""

import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" -> (120, 60); "5/10min" -> (5, 600). Periods: s, sec, second, m, min, minute, h, hour, d, day."""
    match = RATE_RE.match(rate)
    if not match:
        raise ValueError(f"bad throttle rate {rate!r}: use e.g. 120/min, 20/hour, 5/10min")
    number, count, unit = match.groups()
    return int(number), PERIODS[unit] * int(count or 1)


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or behind a proxy (BEHIND_PROXY) the last X-Forwarded-For entry,
    the one our proxy added (earlier entries are whatever the client sent). Empty when unknown."""
    if settings.SECURE_PROXY_SSL_HEADER and request.META.get("HTTP_X_FORWARDED_FOR"):
        return request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or ""


def identities(request: Any) -> list[str]:
    """Whom a request counts against: its user and its API token, or its address when anonymous."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return [f"ip:{client_ip(request) or 'unknown'}"]
    found = [f"user:{user.pk}"]
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "key_hash"):
        found.append(f"token:{token.pk}")
    return found


def _key(scope: str, ident: str, window: int) -> str:
    return f"throttle:{scope}:{ident}:{window}"


def consume(scope: str, idents: list[str], *, rate: str | None = None) -> int | None:
    """Count one request of `scope` for each identity; the seconds to wait when any is over the rate, else None."""
    number, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    now = time.time()
    window = int(now // period)
    wait = None
    for ident in idents:
        key = _key(scope, ident, window)
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count > number:
            wait = max(wait or 0, int((window + 1) * period - now) + 1)
    return wait


def exceeded(scope: str, idents: list[str], *, rate: str | None = None) -> int | None:
    """Like `consume` without counting: the seconds to wait if an identity is already over the rate."""
    number, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    now = time.time()
    window = int(now // period)
    counts = cache.get_many([_key(scope, ident, window) for ident in idents])
    if any(count >= number for count in counts.values()):
        return int((window + 1) * period - now) + 1
    return None


def throttled_message(wait: int) -> str:
    return f"Too many requests. Try again in {wait} seconds."


class ScopedThrottle(BaseThrottle):
    """DRF throttle for the actions a viewset names in `throttle_scopes` ({action: scope}); others pass."""

    def allow_request(self, request: Any, view: Any) -> bool:
        scope = getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))
        self._wait = consume(scope, identities(request)) if scope else None
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


def throttled_response(request: HttpRequest, wait: int) -> HttpResponse:
    """429 with Retry-After for a page (or htmx, or /api/) request that is over its rate."""
    from opsx.views import error_response

    return error_response(request, 429, "throttled", throttled_message(wait), headers={"Retry-After": str(wait)})


def throttle(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`@throttle("preview")` on a page view: the same rates as the API, 429 with Retry-After when over."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            wait = consume(scope, identities(request))
            if wait is not None:
                return throttled_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
