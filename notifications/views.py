from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import channels, selectors, services
from notifications.filters import NotificationFilterSet
from notifications.forms import DeliveryFilterForm, PreferencesForm, WebhookForm
from notifications.models import Notification
from opsx.htmx import is_partial
from opsx.views import list_page
from teams import permissions
from teams.models import Team
from teams.permissions import Action


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


# --- settings: preferences, the person's and the teams' chat webhooks -------------------------------


def _settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    prefs = extra.pop("prefs_form", None) or PreferencesForm(current=selectors.preferences_for(user=user))  # type: ignore[arg-type]
    person = selectors.person_channel_for(user=user)  # type: ignore[arg-type]
    teams = [
        {
            "channel": c,
            "form": extra.pop(f"team_form_{c.team_id}", None)
            or WebhookForm(initial={"paused": c.paused}, prefix=f"team-{c.team_id}"),
        }
        for c in selectors.team_channels_for(user=user)  # type: ignore[arg-type]
    ]
    person_form = extra.pop("person_form", None) or WebhookForm(initial={"paused": person.paused}, prefix="me")
    return {"prefs_form": prefs, "person": person, "person_form": person_form, "teams": teams, **extra}


def _settings_response(request: HttpRequest, fragment: str, **extra: Any) -> HttpResponse:
    template = "notifications/settings.html"
    return render(
        request, f"{template}#{fragment}" if is_partial(request) else template, _settings_context(request, **extra)
    )


@vary_on_headers("HX-Request")
@require_GET
def notification_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/settings.html", _settings_context(request))


def _saved(form: Any, save: Callable[[], object]) -> bool:
    """Validate the form and call the service; its refusal becomes the form's errors. True when saved."""
    if not form.is_valid():
        return False
    try:
        save()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(request.POST, current=selectors.preferences_for(user=user))  # type: ignore[arg-type]
    saved = _saved(form, lambda: services.preferences_update(actor=user, choices=form.choices()))  # type: ignore[arg-type]
    if saved and not is_partial(request):
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:settings")
    if saved:
        form = PreferencesForm(current=selectors.preferences_for(user=user))  # type: ignore[arg-type]
    return _settings_response(request, "preferences", prefs_form=form, prefs_saved=saved)


def _webhook_save(request: HttpRequest, form: WebhookForm, save: Any, fragment: str, form_key: str) -> HttpResponse:
    saved = _saved(form, lambda: save(webhook_url=form.webhook_value(), paused=form.cleaned_data["paused"]))
    if saved and not is_partial(request):
        messages.success(request, "Saved.")
        return redirect("notifications:settings")
    return _settings_response(request, fragment, saved=saved, **{form_key: None if saved else form})


@require_POST
def person_channel_save(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST, prefix="me")

    def save(**values: Any) -> None:
        services.person_channel_update(actor=request.user, **values)  # type: ignore[arg-type]

    return _webhook_save(request, form, save, "person", "person_form")


@require_POST
def team_channel_save(request: HttpRequest, slug: str) -> HttpResponse:
    team = permissions.get_for(request.user, Team, slug=slug, action=Action.CHANGE)
    form = WebhookForm(request.POST, prefix=f"team-{team.pk}")

    def save(**values: Any) -> None:
        services.team_channel_update(actor=request.user, team=team, **values)  # type: ignore[arg-type]

    return _webhook_save(request, form, save, "teams", f"team_form_{team.pk}")


# --- unsubscribe (no sign-in: the signed token is the permission) -------------------------------------


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without any cookie or token of ours
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link stops and asks to confirm; POST (the form, or a one-click client) stops it."""
    try:
        user_id, kind = channels.read_unsubscribe_token(token)
        label = Notification.Kind(kind).label
    except (signing.BadSignature, ValueError):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})
    try:
        services.unsubscribe(token=token)
    except ValidationError:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "notifications/unsubscribe.html", {"label": label, "done": True})


# --- operators: the outbox ---------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    """Admins: every delivery with its status, channel, attempts and last error (404 for anyone else)."""
    rows = selectors.delivery_list(user=request.user)  # type: ignore[arg-type]
    form = DeliveryFilterForm(request.GET)
    if form.is_valid():
        for name in ("status", "channel"):
            if form.cleaned_data[name]:
                rows = rows.filter(**{name: form.cleaned_data[name]})
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"filter_form": form, "page": page, "objects": page.object_list}
    template = "notifications/delivery_list.html"
    return render(request, f"{template}#results" if is_partial(request) else template, context)


@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    try:
        delivery = services.delivery_retry(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if is_partial(request):
        return render(request, "notifications/delivery_list.html#row", {"d": delivery})
    return redirect("notifications:deliveries")
