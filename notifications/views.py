from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import selectors, services
from notifications.filters import NotificationFilterSet
from opsx.htmx import is_partial
from opsx.views import list_page


def _prepare(request: HttpRequest) -> Any:
    return lambda rows: selectors.with_access(rows, user=request.user)  # type: ignore[arg-type]


def _list(request: HttpRequest, **extra: Any) -> HttpResponse:
    filterset = NotificationFilterSet(request.GET, queryset=selectors.notification_list(user=request.user))  # type: ignore[arg-type]
    context = {"unread_only": request.GET.get("unread") == "true", **extra}
    return list_page(request, "notifications/notification_list.html", filterset, context, prepare=_prepare(request))


@vary_on_headers("HX-Request")
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The navigation badge alone (htmx polls it)."""
    return render(request, "notifications/_badge.html")


@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way (its subject is checked again)."""
    notification = selectors.notification_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    services.notification_mark_read(notification=notification, actor=request.user)  # type: ignore[arg-type]
    (notification,) = selectors.with_access([notification], user=request.user)  # type: ignore[arg-type]
    if not notification.subject_visible:  # type: ignore[attr-defined]
        return redirect("notifications:list")
    return redirect(notification.link)


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    services.notification_mark_read(notification=notification, actor=request.user)  # type: ignore[arg-type]
    if not is_partial(request):
        return redirect("notifications:list")
    (notification,) = selectors.with_access([notification], user=request.user)  # type: ignore[arg-type]
    return render(request, "notifications/notification_list.html#row", {"n": notification, "row_badge": True})


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    if not is_partial(request):
        return redirect("notifications:list")
    return _list(request, oob_badge=True)
