"""Reminder and digest settings, and the digests built for each reader.

`ReminderSettings` is the organization's escalation ladder (one row, pk=1, edited by admins in the
Django admin); `TeamSchedule` holds a team's digest day and hour and its quiet hours (a team
without a row uses the defaults); a `Digest` is what one reader was sent for one period, stored as
rendered content so that its page and its email need no further queries or permission checks.
"""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from audit.tracking import track
from teams.models import validate_timezone
from teams.permissions import AccessPolicy, Action, VisibleQuerySet

WEEKDAYS = list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
HOURS = [MinValueValidator(0), MaxValueValidator(23)]

# Settings and schedules belong to no team: everyone signed in may read them, admins change them.
ADMINS_ONLY = AccessPolicy(
    team_path=(), roles={Action.CREATE: None, Action.CHANGE: None, Action.APPROVE: None, Action.DELETE: None}
)


@track()
class ReminderSettings(models.Model):
    """The escalation ladder and the organization-wide digest schedule: one row (pk=1)."""

    due_soon_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Remind owners of action items (and leads of services due for review) this many days ahead.",
    )
    lead_grace_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(60)],
        help_text="Days after the owner's overdue reminder before the team's leads are reminded too.",
    )
    acceptance_expiring_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Remind about accepted risks this many days before the acceptance expires.",
    )
    digest_weekday = models.PositiveSmallIntegerField(
        default=0, choices=WEEKDAYS, help_text="Day the personal and leadership digests go out."
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=8, validators=HOURS, help_text="Hour (0-23) the personal and leadership digests go out."
    )
    digest_timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="Time zone of that day and hour."
    )

    objects = VisibleQuerySet.as_manager()
    access = ADMINS_ONLY

    class Meta:
        verbose_name = "reminder settings"
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        return "Reminder settings"

    @classmethod
    def current(cls) -> "ReminderSettings":
        """The row, or the defaults while nobody has saved one (reading never writes: dry runs stay dry)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


@track()
class TeamSchedule(models.Model):
    """When a team's weekly digest goes out and when the team must not be disturbed (its own time zone)."""

    team = models.OneToOneField("teams.Team", on_delete=models.CASCADE, related_name="reminder_schedule")
    digest_enabled = models.BooleanField(default=True)
    digest_weekday = models.PositiveSmallIntegerField(default=0, choices=WEEKDAYS)
    digest_hour = models.PositiveSmallIntegerField(default=9, validators=HOURS)
    quiet_start_hour = models.PositiveSmallIntegerField(
        default=20, validators=HOURS, help_text="Nothing is sent from this hour (team's local time)..."
    )
    quiet_end_hour = models.PositiveSmallIntegerField(
        default=8, validators=HOURS, help_text="...until this hour (the same hour twice: no quiet hours)."
    )
    quiet_weekends = models.BooleanField(default=True, help_text="Send nothing on Saturdays and Sundays.")

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="team", roles={Action.CREATE: None, Action.DELETE: None})

    class Meta:
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"Schedule of {self.team_id}"

    def is_quiet(self, local: datetime) -> bool:
        """Is `local` (the team's local time) in the quiet hours or a quiet weekend?"""
        if self.quiet_weekends and local.weekday() >= 5:
            return True
        start, end = self.quiet_start_hour, self.quiet_end_hour
        if start == end:
            return False
        if start < end:
            return start <= local.hour < end
        return local.hour >= start or local.hour < end


class Digest(models.Model):
    """One digest as built for one reader, private to that reader."""

    class Kind(models.TextChoices):
        TEAM = "team", "Team digest"
        PERSONAL = "personal", "Personal digest"
        LEADERSHIP = "leadership", "Leadership digest"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # "2026-W48" (personal, leadership) or "payments:2026-W48" (team): with recipient and kind, unique,
    # so a repeated or concurrent run builds each reader's digest once.
    period = models.CharField(max_length=140)
    title = models.CharField(max_length=200)
    content = models.JSONField(help_text="The rendered sections: every name, link and figure as shown.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    # Private to the recipient (like notifications and follows): selectors scope by recipient.
    access = AccessPolicy(team_path=())

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "period"], name="digest_once_per_period"),
        ]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="digest_recent")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reminders:digest-detail", kwargs={"pk": self.pk})

    @property
    def notification_kind(self) -> str:
        return f"digest_{self.kind}"
