"""Writes for notifications.

`notify()` is what other apps call when something happens that people should hear about. It writes
the rows in the caller's transaction (a savepoint inside it), so a change that rolls back notifies
nobody, and it asks the permission rule about every recipient, so nobody is told about something
they may not read (a restricted incident, another team's draft).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import Truncator

from notifications.models import Notification
from teams import permissions
from teams.models import User

TEXT_LENGTH = Notification._meta.get_field("text").max_length or 500


@dataclass(frozen=True)
class Notice:
    """One thing to tell some people about (for `notify_many`)."""

    kind: str
    recipients: tuple[User | None, ...]
    subject: models.Model
    text: str
    link: str
    period: str = ""


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
    notice = Notice(kind=kind, recipients=tuple(recipients), subject=subject, text=text, link=link, period=period)
    return notify_many(notices=[notice], actor=actor)


@transaction.atomic
def notify_many(*, notices: Iterable[Notice], actor: User | None) -> list[Notification]:
    """`notify()` for many subjects at once, in a fixed number of queries whatever their number.

    Reminder sweeps and digests call this once per run: visibility is decided for every recipient
    and subject together (`teams.permissions.visibility_for`), plain notices go in one bulk INSERT
    and the ones with a period in one claiming INSERT.
    """
    rows = notification_plan(notices=notices, actor=actor)
    plain = [row for row in rows if not row.period]
    claimed = [row for row in rows if row.period]
    return (Notification.objects.bulk_create(plain) if plain else []) + _claim(claimed)


def notification_plan(*, notices: Iterable[Notice], actor: User | None) -> list[Notification]:
    """The unsaved notifications `notify_many` would write (before claims): one per recipient who may
    read the subject, without the actor, inactive people and repeats. Dry runs print these."""
    notices = list(notices)
    wanted: dict[type[models.Model], set[int]] = {}
    people: dict[int, User] = {}
    for notice in notices:
        wanted.setdefault(type(notice.subject), set()).add(notice.subject.pk)
        for user in notice.recipients:
            if user is not None and user.is_active and (actor is None or user.pk != actor.pk):
                people[user.pk] = user
    visible = {model: permissions.visibility_for(model, people.values(), pks) for model, pks in wanted.items()}
    seen: set[tuple[int, str, int, int, str]] = set()
    rows = []
    for notice in notices:
        kind = Notification.Kind(notice.kind)
        subject_type = ContentType.objects.get_for_model(notice.subject)
        text = Truncator(notice.text).chars(TEXT_LENGTH)
        readable = visible[type(notice.subject)]
        for user in notice.recipients:
            if user is None or user.pk not in people:
                continue
            key = (user.pk, kind.value, subject_type.pk, notice.subject.pk, notice.period)
            if key in seen or not readable.allows(user.pk, notice.subject.pk):
                continue
            seen.add(key)
            row = Notification(
                recipient=user,
                kind=kind.value,
                subject_type=subject_type,
                subject_id=notice.subject.pk,
                text=text,
                link=notice.link,
                period=notice.period,
            )
            row.full_clean(exclude=["recipient", "subject_type"], validate_constraints=False)
            rows.append(row)
    return rows


def claimed_keys(rows: Iterable[Notification]) -> set[tuple[int, str, int, int, str]]:
    """The (recipient, kind, subject type, subject, period) keys among `rows` that are already claimed
    (one query); a dry run leaves these out of what it would send."""
    rows = [row for row in rows if row.period]
    if not rows:
        return set()
    q = models.Q(pk__in=[])
    for subject_type_id in {row.subject_type_id for row in rows}:
        q |= models.Q(
            subject_type_id=subject_type_id,
            subject_id__in={row.subject_id for row in rows if row.subject_type_id == subject_type_id},
        )
    existing = Notification.objects.filter(
        q, kind__in={row.kind for row in rows}, period__in={row.period for row in rows}
    ).values_list("recipient_id", "kind", "subject_type_id", "subject_id", "period")
    return set(existing)


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
        "RETURNING id, recipient_id, kind, subject_type_id, subject_id, period"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {tuple(key): pk for pk, *key in cursor.fetchall()}
    claimed = []
    for row in rows:
        key = (row.recipient_id, row.kind, row.subject_type_id, row.subject_id, row.period)
        if key in inserted:
            row.pk = inserted[key]
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
