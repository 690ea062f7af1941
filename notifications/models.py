"""In-app notifications: one row per person told about one thing.

A notification names its subject (any model, through a generic key) so that whoever shows it can
ask the permission rule again: the list redacts a notification whose subject the recipient may no
longer read. Delivery over other channels (email, chat, digests) builds on these rows.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from teams.permissions import AccessPolicy, VisibleQuerySet


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
