"""Writes for notifications.

`notify()` is what other apps call when something happens that people should hear about. It writes
the rows in the caller's transaction (a savepoint inside it), so a change that rolls back notifies
nobody, and it asks the permission rule about every recipient, so nobody is told about something
they may not read (a restricted incident, another team's draft).
"""

import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.text import Truncator

from notifications import channels
from notifications.models import (
    DIGEST_KINDS,
    Channel,
    Delivery,
    Notification,
    PersonChannel,
    Preference,
    TeamChannel,
    Timing,
)
from teams import permissions
from teams.models import Team, User
from teams.permissions import Action

logger = logging.getLogger(__name__)

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
    severity: int | None = None  # an incident's level: people who asked only for worse ones are skipped


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
    severity: int | None = None,
) -> list[Notification]:
    """Tell each recipient about `subject`; returns the notifications created.

    Skipped: the actor (nobody is told about their own doing), inactive people, repeats, anyone who
    may not view `subject` (`teams.permissions.can_view`), anyone who turned the kind off or paused
    everything, and everyone when the subject's team is paused. With a `period` (reminders,
    digests), someone already told about `subject` for that period is skipped too: the unique key
    is claimed in PostgreSQL, so two concurrent sweeps still tell each person once. `severity` (an
    incident's level) skips people whose preference for the kind asks only for worse ones.

    Besides the in-app rows it writes the outbox (`Delivery`, one per email or chat channel chosen)
    in the same transaction, and enqueues the sends after commit; see `delivery_send`.
    """
    notice = Notice(
        kind=kind,
        recipients=tuple(recipients),
        subject=subject,
        text=text,
        link=link,
        period=period,
        severity=severity,
    )
    return notify_many(notices=[notice], actor=actor)


@transaction.atomic
def notify_many(*, notices: Iterable[Notice], actor: User | None) -> list[Notification]:
    """`notify()` for many subjects at once, in a fixed number of queries whatever their number.

    Reminder sweeps and digests call this once per run: visibility is decided for every recipient
    and subject together (`teams.permissions.visibility_for`), preferences, channels and pauses are
    read once, plain notices go in one bulk INSERT and the ones with a period in one claiming INSERT,
    and the outbox in one more.
    """
    plan = _plan(list(notices), actor)
    plain = [row for row in plan.rows if not row.period]
    claimed = [row for row in plan.rows if row.period]
    created = (Notification.objects.bulk_create(plain) if plain else []) + _claim(claimed)
    _write_outbox(created, plan)
    return created


def notification_plan(*, notices: Iterable[Notice], actor: User | None) -> list[Notification]:
    """The unsaved notifications `notify_many` would write (before claims): one per recipient who may
    read the subject and wants the kind, without the actor, inactive or paused people, repeats and
    subjects of a paused team. Dry runs print these."""
    return _plan(list(notices), actor).rows


@dataclass
class _Plan:
    rows: list[Notification]
    prefs: dict[tuple[int, str], Preference]
    people: dict[int, PersonChannel]
    teams: dict[tuple[int, int], list[TeamChannel]]  # (subject type, subject) -> its teams' channels
    subjects: dict[tuple[int, int], models.Model]


def _plan(notices: list[Notice], actor: User | None) -> _Plan:
    wanted: dict[type[models.Model], set[int]] = {}
    people: dict[int, User] = {}
    for notice in notices:
        wanted.setdefault(type(notice.subject), set()).add(notice.subject.pk)
        for user in notice.recipients:
            if user is not None and user.is_active and (actor is None or user.pk != actor.pk):
                people[user.pk] = user
    if not people:
        return _Plan([], {}, {}, {}, {})
    visible = {model: permissions.visibility_for(model, people.values(), pks) for model, pks in wanted.items()}
    prefs = preferences_for(list(people), {notice.kind for notice in notices})
    channels_of = {c.user_id: c for c in PersonChannel.objects.filter(user_id__in=list(people))}
    subjects = {(_type_id(n.subject), n.subject.pk): n.subject for n in notices}
    teams = _team_channels(wanted)
    seen: set[tuple[int, str, int, int, str]] = set()
    rows = []
    for notice in notices:
        kind = Notification.Kind(notice.kind)
        subject_type_id = _type_id(notice.subject)
        if any(c.paused for c in teams.get((subject_type_id, notice.subject.pk), ())):
            continue
        text = Truncator(notice.text).chars(TEXT_LENGTH)
        readable = visible[type(notice.subject)]
        for user in notice.recipients:
            if user is None or user.pk not in people:
                continue
            key = (user.pk, kind.value, subject_type_id, notice.subject.pk, notice.period)
            if key in seen or not readable.allows(user.pk, notice.subject.pk):
                continue
            pref = prefs[(user.pk, kind.value)]
            if pref.channel == Channel.OFF or (user.pk in channels_of and channels_of[user.pk].paused):
                continue
            if notice.severity is not None and notice.severity > pref.max_severity:
                continue
            seen.add(key)
            row = Notification(
                recipient=user,
                kind=kind.value,
                subject_type_id=subject_type_id,
                subject_id=notice.subject.pk,
                text=text,
                link=notice.link,
                period=notice.period,
            )
            row.full_clean(exclude=["recipient", "subject_type"], validate_constraints=False)
            rows.append(row)
    return _Plan(rows, prefs, channels_of, teams, subjects)


def _type_id(subject: models.Model) -> int:
    return ContentType.objects.get_for_model(subject).pk  # cached after the first lookup


def _team_channels(wanted: dict[type[models.Model], set[int]]) -> dict[tuple[int, int], list[TeamChannel]]:
    """The channel settings of each subject's owning teams: one query per model and team path, and
    one for the channels (not one per subject)."""
    owners: dict[tuple[int, int], set[int]] = {}
    for model, pks in wanted.items():
        type_id = ContentType.objects.get_for_model(model).pk
        for path in model.access.team_paths:  # type: ignore[attr-defined]
            if path == "id":
                pairs = [(pk, pk) for pk in pks]
            else:
                pairs = model._default_manager.filter(pk__in=pks).values_list("pk", path)
            for pk, team_id in pairs:
                if team_id is not None:
                    owners.setdefault((type_id, pk), set()).add(team_id)
    team_ids = set().union(*owners.values()) if owners else set()
    if not team_ids:
        return {}
    by_team = {c.team_id: c for c in TeamChannel.objects.filter(team_id__in=team_ids)}
    return {key: [by_team[t] for t in sorted(ids) if t in by_team] for key, ids in owners.items()}


def preferences_for(user_ids: list[int], kinds: Iterable[str]) -> dict[tuple[int, str], Preference]:
    """Each person's preference for each kind (stored, or the default): one query."""
    kinds = {Notification.Kind(kind).value for kind in kinds}
    stored = {(p.user_id, p.kind): p for p in Preference.objects.filter(user_id__in=user_ids, kind__in=kinds)}
    return {(pk, kind): stored.get((pk, kind)) or Preference.default(pk, kind) for pk in user_ids for kind in kinds}


def preferences_of(user_ids: list[int], kind: str) -> dict[int, Preference]:
    """Each person's preference for `kind` (stored, or the default): one query."""
    return {pk: pref for (pk, _), pref in preferences_for(user_ids, [kind]).items()}


def _is_restricted(subject: models.Model) -> bool:
    policy = type(subject).access  # type: ignore[attr-defined]
    if not policy.restricted_field:
        return False
    return type(subject)._default_manager.filter(pk=subject.pk, **{policy.restricted_field: True}).exists()


def _write_outbox(created: list[Notification], plan: _Plan) -> None:
    """One Delivery per notification whose recipient chose email or chat (one bulk INSERT).

    Chat goes to the recipient's own webhook, else to the subject's team webhook, once per team per
    event (a channel hears about an incident once, not once per follower), and never a restricted
    subject: a team channel's readers are not the incident's access list.
    """
    deliveries = []
    team_posted: set[tuple[str, int, int, int]] = set()
    restricted: dict[tuple[int, int], bool] = {}
    for row in created:
        pref = plan.prefs[(row.recipient_id, row.kind)]
        if pref.channel == Channel.IN_APP:
            continue
        delivery = Delivery(
            notification=row, channel=pref.channel, created_at=row.created_at, enqueued_at=row.created_at
        )
        if pref.bundled:
            _suppress(delivery, "digest")
        elif pref.channel == Channel.CHAT:
            own = plan.people.get(row.recipient_id)
            if own is None or not own.webhook_url:
                subject_key = (row.subject_type_id, row.subject_id)
                team = next((c for c in plan.teams.get(subject_key, ()) if c.webhook_url), None)
                if team is not None and subject_key not in restricted:
                    restricted[subject_key] = _is_restricted(plan.subjects[subject_key])
                if team is None or restricted[subject_key]:
                    _suppress(delivery, "restricted" if team is not None else "no webhook")
                elif (row.kind, *subject_key, team.team_id) in team_posted:
                    continue
                else:
                    delivery.team_id = team.team_id
                    team_posted.add((row.kind, *subject_key, team.team_id))
        deliveries.append(delivery)
    if not deliveries:
        return
    Delivery.objects.bulk_create(deliveries)
    pending = [d.pk for d in deliveries if d.status == Delivery.Status.PENDING]
    if pending:
        transaction.on_commit(lambda: enqueue(pending), robust=True)


def _suppress(delivery: Delivery, reason: str) -> None:
    if delivery.status == Delivery.Status.PENDING:
        delivery.status, delivery.reason = Delivery.Status.SUPPRESSED, reason


def enqueue(delivery_ids: Iterable[int]) -> int:
    """Hand deliveries to the workers. Safe to repeat: the send claims its row first."""
    from notifications.tasks import delivery_send_task

    count = 0
    for pk in delivery_ids:
        delivery_send_task.delay(pk)
        count += 1
    return count


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


# --- sending: claim, send, record ---------------------------------------------------------------

_free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=Now())


def delivery_claim(*, delivery_id: int) -> tuple[Delivery | None, float | None]:
    """Claim a due, pending delivery for one send: (the delivery, None) when this caller won.

    One conditional UPDATE (committed at once, outside any transaction) sets a lease and a fresh
    token, so of any number of duplicated or redelivered tasks exactly one gets the row. A loser
    learns (None, seconds) when the row is still pending but leased or not yet due, so it can look
    again then (a worker that died holding the lease is replaced when it runs out), or (None, None)
    when there is nothing left to do.
    """
    token = uuid.uuid4()
    lease = timezone.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    claimed = Delivery.objects.filter(
        _free, pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=Now()
    ).update(claimed_until=Now() + lease, claim_token=token, attempts=F("attempts") + 1)
    if claimed == 1:
        return Delivery.objects.select_related("notification__recipient", "team").get(pk=delivery_id), None
    row = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).first()
    if row is None:
        return None, None
    now = timezone.now()
    waits = [(row.next_attempt_at - now).total_seconds()]
    if row.claimed_until is not None:
        waits.append((row.claimed_until - now).total_seconds())
    return None, max(*waits, 0) + 0.5


def _record(delivery: Delivery, **values: object) -> bool:
    """Write the outcome, only while this send still holds its claim (token)."""
    values.setdefault("claimed_until", None)
    values.setdefault("claim_token", None)
    return Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(**values) == 1


def _suppression(delivery: Delivery) -> str:
    """Why a claimed delivery must not go out after all ("" when it may): access and pauses change."""
    notification = delivery.notification
    recipient = notification.recipient
    subject = notification.subject
    if subject is None:
        return "subject gone"
    if not recipient.is_active or not permissions.can_view(recipient, subject):
        return "no access"
    if delivery.team_id is not None and _is_restricted(subject):
        return "restricted"  # restricted since it was written: a team channel is not its access list
    if PersonChannel.objects.filter(user=recipient, paused=True).exists():
        return "paused"
    if TeamChannel.objects.filter(team_id__in=permissions.owning_team_ids(subject), paused=True).exists():
        return "team paused"
    return ""


def _chat_url(delivery: Delivery) -> str:
    if delivery.team_id is not None:
        channel = TeamChannel.objects.filter(team_id=delivery.team_id).first()
    else:
        channel = PersonChannel.objects.filter(user_id=delivery.notification.recipient_id).first()
    return channel.webhook_url if channel else ""


def retry_delay(attempts: int) -> float:
    """Seconds before try `attempts + 1`: exponential backoff with full jitter on top."""
    base = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(base + random.uniform(0, base), settings.NOTIFY_RETRY_MAX_SECONDS)  # noqa: S311 - jitter


def delivery_send(*, delivery_id: int) -> float | None:
    """Claim the delivery, send it, record the outcome; returns seconds after which to call again.

    Sent state is written after the send: a worker killed between claim and record leaves the row
    pending with a lease, and the send is tried again when the lease runs out. A failure is retried
    with backoff until NOTIFY_MAX_ATTEMPTS, then the delivery is "failed" (an operator may retry).
    """
    delivery, wait = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return wait
    reason = _suppression(delivery)
    if reason:
        _record(delivery, status=Delivery.Status.SUPPRESSED, reason=reason)
        return None
    try:
        if delivery.channel == Channel.EMAIL:
            channels.send_email(delivery)
        else:
            channels.send_chat(delivery, _chat_url(delivery))
    except channels.PermanentFailure as exc:
        _record(delivery, status=Delivery.Status.FAILED, last_error=_error(exc))
        return None
    except Exception as exc:  # SMTP, network, 5xx: retried (whatever went wrong, the row must say so)
        logger.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            _record(delivery, status=Delivery.Status.FAILED, last_error=_error(exc))
            return None
        delay = retry_delay(delivery.attempts)
        due = timezone.now() + timezone.timedelta(seconds=delay)
        _record(delivery, last_error=_error(exc), next_attempt_at=due, enqueued_at=due)  # the task re-sends itself
        return delay
    _record(delivery, status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return None


def _error(exc: Exception) -> str:
    return Truncator(f"{type(exc).__name__}: {exc}").chars(500)


def delivery_drain(*, batch: int = 1000) -> int:
    """Enqueue pending deliveries whose message must have been lost; returns how many.

    Run by beat every minute. A row qualifies when it has been due for the grace period and no
    message for it went to the broker within the visibility timeout (after which Redis would have
    redelivered a message a dead worker held): the commit-then-enqueue crash, or a lost broker.
    The rows are marked enqueued under a row lock (SKIP LOCKED), so two drains at once (two beats)
    hand each row over once, and a backlog in the broker is not enqueued again every minute.
    """
    now = timezone.now()
    due = now - timezone.timedelta(seconds=settings.NOTIFY_DRAIN_GRACE_SECONDS)
    lost = due - timezone.timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(_free, status=Delivery.Status.PENDING, next_attempt_at__lte=due)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=lost))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch]
        )
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    return enqueue(ids)


@transaction.atomic
def delivery_retry(*, delivery: Delivery, actor: User) -> Delivery:
    """An operator sends a failed delivery again (from the first try); admins only."""
    if not permissions.is_admin(actor):
        raise PermissionDenied("Only admins retry deliveries.")
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        enqueued_at=timezone.now(),
        claimed_until=None,
        claim_token=None,
    )
    if updated != 1:
        raise ValidationError({"status": "Only a failed delivery can be retried."})
    delivery.refresh_from_db()
    pk = delivery.pk
    transaction.on_commit(lambda: enqueue([pk]), robust=True)
    return delivery


# --- preferences and channels -----------------------------------------------------------------


@transaction.atomic
def preference_set(
    *, actor: User, kind: str, channel: str, timing: str = Timing.IMMEDIATE, max_severity: int | None = None
) -> Preference:
    """Set the actor's own choice for one kind (digests are never bundled into a digest)."""
    try:
        kind = Notification.Kind(kind)
    except ValueError:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."}) from None
    if kind in DIGEST_KINDS and timing == Timing.DIGEST:
        raise ValidationError({"timing": "A digest is sent on its own schedule; it is not bundled into a digest."})
    pref = Preference.objects.filter(user=actor, kind=kind).first() or Preference.default(actor.pk, kind)
    pref.channel, pref.timing = channel, timing
    if max_severity is not None:
        pref.max_severity = max_severity
    pref.full_clean(exclude=["user"], validate_constraints=False)
    pref.save()
    return pref


@transaction.atomic
def preferences_update(*, actor: User, choices: dict[str, dict]) -> list[Preference]:
    """Set several kinds at once (the settings page); one refusal saves none of them."""
    errors: dict[str, list[str]] = {}
    saved = []
    for kind, choice in choices.items():
        try:
            saved.append(preference_set(actor=actor, kind=kind, **choice))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{kind}-{field}"] = messages
    if errors:
        raise ValidationError(errors)
    return saved


def _webhook_update(channel: PersonChannel | TeamChannel, webhook_url: str | None, paused: bool | None) -> None:
    if webhook_url is not None:
        channel.webhook_url = webhook_url.strip()
    if paused is not None:
        channel.paused = paused
    channel.full_clean(exclude=["user", "team"], validate_unique=False)
    channel.save()


@transaction.atomic
def person_channel_update(*, actor: User, webhook_url: str | None = None, paused: bool | None = None) -> PersonChannel:
    """The actor's own chat webhook ("" removes it; None leaves it) and pause switch."""
    channel = PersonChannel.objects.filter(user=actor).first() or PersonChannel(user=actor)
    _webhook_update(channel, webhook_url, paused)
    return channel


@transaction.atomic
def team_channel_update(
    *, actor: User, team: Team, webhook_url: str | None = None, paused: bool | None = None
) -> TeamChannel:
    """A team's chat webhook and pause switch: its leads (and admins) set them."""
    permissions.check(actor, Action.CHANGE, team)
    channel = TeamChannel.objects.filter(team=team).first() or TeamChannel(team=team)
    _webhook_update(channel, webhook_url, paused)
    return channel


@transaction.atomic
def unsubscribe(*, token: str) -> Preference:
    """Stop the emails of one kind for the person a signed unsubscribe token names (no sign-in needed).

    The kind stays in the app; digests, which are email by nature, are turned off.
    """
    try:
        user_id, kind = channels.read_unsubscribe_token(token)
        kind = Notification.Kind(kind)
    except (signing.BadSignature, ValueError):
        raise ValidationError({"token": "This unsubscribe link is not valid."}) from None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"token": "This unsubscribe link is not valid."})
    pref = preferences_of([user.pk], kind)[user.pk]
    if pref.channel == Channel.EMAIL or kind in DIGEST_KINDS:
        return preference_set(
            actor=user,
            kind=kind,
            channel=Channel.OFF if kind in DIGEST_KINDS else Channel.IN_APP,
            timing=Timing.IMMEDIATE if kind in DIGEST_KINDS else pref.timing,
        )
    return pref
