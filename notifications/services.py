"""Writes for notifications.

`notify()` is what other apps call when something happens that people should hear about. It writes
the rows in the caller's transaction (a savepoint inside it), so a change that rolls back notifies
nobody, and it asks the permission rule about every recipient, so nobody is told about something
they may not read (a restricted incident, another team's draft).
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
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
    period: str = "",
) -> list[Notification]:
    """Tell each recipient about `subject`; returns the notifications created.

    Skipped: the actor (nobody is told about their own doing), inactive people, repeats, and
    anyone who may not view `subject` (`teams.permissions.can_view`). With a `period` (reminders,
    digests), someone already told about `subject` for that period is skipped too: the unique key
    is claimed in PostgreSQL, so two concurrent sweeps still tell each person once.
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
            recipient=user,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject.pk,
            text=text,
            link=link,
            period=period,
        )
        row.full_clean(exclude=["recipient", "subject_type"], validate_constraints=False)
        rows.append(row)
    if not period:
        return Notification.objects.bulk_create(rows)
    return _claim(rows)


def _claim(rows: list[Notification]) -> list[Notification]:
    """Insert the rows whose (recipient, kind, subject, period) is not taken yet; returns those inserted.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: the database decides who wins, so concurrent
    sweeps and redelivered tasks cannot both insert (bulk_create with ignore_conflicts would not say
    which rows went in).
    """
    if not rows:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ["recipient_id", "kind", "subject_type_id", "subject_id", "text", "link", "period", "created_at"]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    params: list[object] = []
    for row in rows:
        created = connection.ops.adapt_datetimefield_value(row.created_at)
        params += [row.recipient_id, row.kind, row.subject_type_id, row.subject_id, row.text, row.link, row.period]
        params.append(created)
    # Only our own table and column names and placeholders go into the text; values are parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
        "ON CONFLICT (recipient_id, kind, subject_type_id, subject_id, period) WHERE NOT (period = '') DO NOTHING "
        "RETURNING id, recipient_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = dict((recipient, pk) for pk, recipient in cursor.fetchall())
    claimed = []
    for row in rows:
        if row.recipient_id in inserted:
            row.pk = inserted[row.recipient_id]
            row._state.adding = False
            claimed.append(row)
    return claimed


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
