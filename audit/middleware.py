"""The audit context of a browser or API request (see audit/context.py)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from audit import context


def source_of(request: HttpRequest) -> str:
    return "api" if request.path.startswith("/api/") else "browser"


def audit_source(source: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view whose changes come from elsewhere, e.g. `@audit_source("webhook")` on a receiver."""
    if source not in context.SOURCES:
        raise ValueError(f"unknown audit source {source!r}; use one of {', '.join(context.SOURCES)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view.audit_source = source  # type: ignore[attr-defined]
        return view

    return decorate


class AuditContextMiddleware:
    """Every request that reaches a view records its changes with who, how and from where.

    The user is known here for session logins; for API tokens DRF authenticates later, in the view,
    and `teams.authentication` adds the user and the token's name then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not context.enabled():
            return self.get_response(request)
        facts = {
            "source": source_of(request),
            "url": request.path[:500],
            "method": request.method,
            "ip": request.META.get("REMOTE_ADDR"),
            **context.actor_facts(getattr(request, "user", None)),
        }
        with context.context(**facts):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], *args: Any) -> None:
        source = getattr(view_func, "audit_source", None)
        if source is not None and context.active():
            # A marked view's source replaces the path-derived guess (nothing was recorded before the view).
            context.runtime._tracker.value.metadata.update(source=source, view=view_func.__name__)
