"""Reads for notifications: a person sees only their own, and only what they may still read.

A notification was checked against the permission rule when it was written; `with_access` checks
again when it is shown, because access changes (an incident restricted later, a reviewer removed).
A notification whose subject is gone or no longer readable is shown without its text or link.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from notifications.models import Notification
from teams import permissions
from teams.models import User


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
