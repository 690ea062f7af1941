"""Writes for notifications.

`notify()` is what other apps call when something happens that people should hear about. It writes
the rows in the caller's transaction (a savepoint inside it), so a change that rolls back notifies
nobody, and it asks the permission rule about every recipient, so nobody is told about something
they may not read (a restricted incident, another team's draft).
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import Truncator

from notifications.models import Notification
from teams import permissions
from teams.models import User

TEXT_LENGTH = Notification._meta.get_field("text").max_length or 500


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User | None],
    kind: str,
    subject: models.Model,
    text: str,
    link: str,
    actor: User | None,
) -> list[Notification]:
    """Tell each recipient about `subject`; returns the notifications created.

    Skipped: the actor (nobody is told about their own doing), inactive people, repeats, and
    anyone who may not view `subject` (`teams.permissions.can_view`).
    """
    kind = Notification.Kind(kind)
    subject_type = ContentType.objects.get_for_model(subject)
    text = Truncator(text).chars(TEXT_LENGTH)
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        if not user.is_active or not permissions.can_view(user, subject):
            continue
        row = Notification(
            recipient=user, kind=kind, subject_type=subject_type, subject_id=subject.pk, text=text, link=link
        )
        row.full_clean(exclude=["recipient", "subject_type"])  # both are real rows we just read
        rows.append(row)
    return Notification.objects.bulk_create(rows)


def _check_recipient(notification: Notification, actor: User) -> None:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("This notification is someone else's.")


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """Mark one of the actor's notifications read (reading it twice keeps the first time)."""
    _check_recipient(notification, actor)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many there were."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
