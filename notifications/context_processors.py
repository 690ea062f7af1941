from collections.abc import Callable

from django.http import HttpRequest

from notifications import selectors


def unread(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """`unread_notifications` for the navigation badge: a callable, so the COUNT runs only on pages
    that render the badge (once, where the template reads it)."""
    return {"unread_notifications": lambda: selectors.unread_count(user=request.user)}  # type: ignore[arg-type]
