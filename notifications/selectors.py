"""Reads for notifications: a person sees only their own, and only what they may still read.

A notification was checked against the permission rule when it was written; `with_access` checks
again when it is shown, because access changes (an incident restricted later, a reviewer removed).
A notification whose subject is gone or no longer readable is shown without its text or link.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from notifications.models import Delivery, Notification, PersonChannel, Preference, TeamChannel
from teams import permissions
from teams.models import Team, User
from teams.permissions import TeamRole


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def notification_get_for(*, user: User, pk: int) -> Notification:
    """One of the user's notifications (404 for anyone else's)."""
    return get_object_or_404(notification_list(user=user), pk=pk)


def unread_count(*, user: User) -> int:
    """One COUNT over the partial index `notification_unread`."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def with_access(notifications: Iterable[Notification], *, user: User) -> list[Notification]:
    """The notifications with `subject_visible` set: one query per kind of subject on the page."""
    rows = list(notifications)
    ids_by_type: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        ids_by_type[row.subject_type_id].add(row.subject_id)
    visible: set[tuple[int, int]] = set()
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        queryset = model._default_manager.filter(permissions.visible_q(model, user), pk__in=ids)
        visible.update((type_id, pk) for pk in queryset.values_list("pk", flat=True))
    for row in rows:
        row.subject_visible = (row.subject_type_id, row.subject_id) in visible  # type: ignore[attr-defined]
    return rows


def preferences_for(*, user: User) -> dict[str, Preference]:
    """The user's effective choice for every kind (stored or default): one query."""
    stored = {p.kind: p for p in Preference.objects.filter(user=user)}
    return {kind: stored.get(kind) or Preference.default(user.pk, kind) for kind in Notification.Kind}


def person_channel_for(*, user: User) -> PersonChannel:
    return PersonChannel.objects.filter(user=user).first() or PersonChannel(user=user)


def team_channels_for(*, user: User) -> list[TeamChannel]:
    """The channel settings of each team the user may change (leads; admins: every team)."""
    teams = Team.objects.order_by("name")
    if not permissions.is_admin(user):
        led = [pk for pk, role in permissions.team_roles(user).items() if role == TeamRole.LEAD]
        teams = teams.filter(pk__in=led)
    stored = {c.team_id: c for c in TeamChannel.objects.filter(team__in=teams)}
    return [stored.get(t.pk) or TeamChannel(team=t) for t in teams]


def delivery_list(*, user: User) -> QuerySet[Delivery]:
    """Every delivery, for operators (admins); anyone else gets 404."""
    if not permissions.is_admin(user):
        raise Http404("No such page.")
    return Delivery.objects.select_related("notification__recipient", "team")


def delivery_get_for(*, user: User, pk: int) -> Delivery:
    return get_object_or_404(delivery_list(user=user), pk=pk)
