"""In-app notifications: one row per person told about one thing.

A notification names its subject (any model, through a generic key) so that whoever shows it can
ask the permission rule again: the list redacts a notification whose subject the recipient may no
longer read. Delivery over other channels (email, chat, digests) builds on these rows.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from teams.permissions import AccessPolicy, Action, TeamRole, VisibleQuerySet


class Notification(models.Model):
    class Kind(models.TextChoices):
        POSTMORTEM_REVIEW_REQUESTED = "postmortem_review_requested", "Review requested"
        POSTMORTEM_COMMENTED = "postmortem_commented", "Comment on your postmortem"
        POSTMORTEM_APPROVED = "postmortem_approved", "Postmortem approved"
        COMMENT_REPLY = "comment_reply", "Reply to your comment"
        MENTION = "mention", "You were mentioned"
        ACTION_ITEM_ASSIGNED = "action_item_assigned", "Action item assigned to you"
        ACTION_ITEM_DUE_SOON = "action_item_due_soon", "Action item due soon"
        ACTION_ITEM_OVERDUE = "action_item_overdue", "Action item overdue"
        INCIDENT_DECLARED = "incident_declared", "Incident declared"
        SIGNOFF_REQUESTED = "signoff_requested", "Sign-off requested"
        ACCEPTANCE_EXPIRING = "acceptance_expiring", "Risk acceptance expiring"
        REVIEW_DUE = "review_due", "Readiness review due"
        POSTMORTEM_OVERDUE = "postmortem_overdue", "Postmortem overdue"
        DIGEST_TEAM = "digest_team", "Team digest"
        DIGEST_PERSONAL = "digest_personal", "Personal digest"
        DIGEST_LEADERSHIP = "digest_leadership", "Leadership digest"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=500, help_text="A path on this site, e.g. /postmortems/7/.")
    # For reminders and digests: the period the notice is about ("2026-W48", "2026-12-01"). With a
    # period, (recipient, kind, subject, period) is unique, so a repeated sweep tells nobody twice.
    period = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()
    # Private to the recipient: selectors scope by recipient, and the subject is checked when shown.
    access = AccessPolicy(team_path=())

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
            # The navigation badge: COUNT(*) WHERE recipient_id = %s AND read_at IS NULL, on every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["subject_type", "subject_id"], name="notification_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "period"],
                condition=~Q(period=""),
                name="notification_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    def clean(self) -> None:
        if not self.link.startswith("/") or self.link.startswith("//"):
            raise ValidationError({"link": "Use a path on this site (starting with a single /)."})


class Channel(models.TextChoices):
    """Where a person hears about a kind of notification. In-app is part of every choice but "off"."""

    OFF = "off", "Off"
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email (and in the app)"
    CHAT = "chat", "Chat (and in the app)"


class Timing(models.TextChoices):
    IMMEDIATE = "immediate", "Right away"
    DIGEST = "digest", "Bundled into my digest"


K = Notification.Kind
# What someone who never opened the settings page gets: email right away for what asks them to act,
# in the app for the rest; digests are email by nature.
DEFAULT_CHANNELS: dict[str, str] = {
    K.ACTION_ITEM_ASSIGNED: Channel.EMAIL,
    K.POSTMORTEM_REVIEW_REQUESTED: Channel.EMAIL,
    K.SIGNOFF_REQUESTED: Channel.EMAIL,
    K.MENTION: Channel.EMAIL,
    K.DIGEST_TEAM: Channel.EMAIL,
    K.DIGEST_PERSONAL: Channel.EMAIL,
    K.DIGEST_LEADERSHIP: Channel.EMAIL,
}
DIGEST_KINDS = frozenset({K.DIGEST_TEAM, K.DIGEST_PERSONAL, K.DIGEST_LEADERSHIP})
# Incidents declared for a followed team or service notify at this severity level or worse by default.
DEFAULT_INCIDENT_SEVERITY = 2


class Preference(models.Model):
    """One person's choice for one kind; a kind without a row uses DEFAULT_CHANNELS (in-app otherwise)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=40, choices=Notification.Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    timing = models.CharField(max_length=10, choices=Timing.choices, default=Timing.IMMEDIATE)
    # Only for incident_declared: notify for this severity level or worse (1 = SEV1 only .. 5 = all).
    max_severity = models.PositiveSmallIntegerField(
        default=DEFAULT_INCIDENT_SEVERITY, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path=())  # private to its user; selectors scope by user

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}/{self.timing}"

    @classmethod
    def default(cls, user_id: int, kind: str) -> "Preference":
        return cls(user_id=user_id, kind=kind, channel=DEFAULT_CHANNELS.get(kind, Channel.IN_APP))

    @property
    def bundled(self) -> bool:
        return self.timing == Timing.DIGEST and self.kind not in DIGEST_KINDS


def validate_webhook_url(value: str) -> None:
    """An incoming-webhook address must be https (it carries a secret in its path)."""
    URLValidator(schemes=["https"])(value)


class WebhookMixin(models.Model):
    """A Slack-compatible incoming-webhook URL: a secret, so it is never shown back in full."""

    webhook_url = models.CharField(max_length=500, blank=True, validators=[validate_webhook_url])
    paused = models.BooleanField(default=False, help_text="Paused: nothing is sent at all.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def webhook_hint(self) -> str:
        """What a page may show of the URL: its host and the last four characters."""
        if not self.webhook_url:
            return ""
        host = self.webhook_url.split("/")[2] if self.webhook_url.count("/") >= 2 else ""
        return f"https://{host}/…{self.webhook_url[-4:]}"


class TeamChannel(WebhookMixin):
    """A team's chat webhook and pause switch (team leads set them)."""

    team = models.OneToOneField("teams.Team", on_delete=models.CASCADE, related_name="notification_channel")

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="team", roles={Action.CHANGE: TeamRole.LEAD, Action.CREATE: TeamRole.LEAD})

    def __str__(self) -> str:
        return f"Notifications of team {self.team_id}"


class PersonChannel(WebhookMixin):
    """A person's own chat webhook (optional) and pause switch."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_channel")

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path=())

    def __str__(self) -> str:
        return f"Notifications of user {self.user_id}"


class Delivery(models.Model):
    """The outbox: one notification sent over one channel (email or chat), written with the notification.

    A worker claims a pending row with a conditional UPDATE that sets a lease (`claimed_until`, and
    a fresh `claim_token`) before sending; only the holder of the token records the outcome. So a
    duplicated or redelivered task finds the claim and sends nothing, and a worker that died holding
    a claim is replaced once the lease runs out (see docs/notifications.md).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=[(Channel.EMAIL, "Email"), (Channel.CHAT, "Chat")])
    # Chat only: the team whose webhook gets it (null: the recipient's own webhook).
    team = models.ForeignKey("teams.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it was suppressed (digest, paused, …).")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a message for this row was last handed to the broker (or is due there, for a retry):
    # the drain re-enqueues only rows whose message must be lost, so a backlog is not multiplied.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path=())  # operators (admins) only; see selectors.delivery_list

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The drain: pending rows whose next attempt is due.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            models.Index(fields=["status", "-created_at"], name="delivery_status_recent"),
        ]
        constraints = [
            # (recipient, kind, subject, period) is the notification; one delivery per channel of it.
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery of notification {self.notification_id}: {self.status}"
