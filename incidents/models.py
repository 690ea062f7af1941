"""Incidents, their timeline, and action items (shared by every origin: incidents, postmortems,
readiness reviews and game days)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from opsx.models import TimeStampedModel
from teams.permissions import AccessPolicy, VisibleQuerySet


class Severity(models.Model):
    """SEV1 (worst) .. SEV5, with definitions the organization edits."""

    level = models.PositiveSmallIntegerField(unique=True, help_text="1 is the most severe.")
    name = models.CharField(max_length=16, unique=True, help_text="e.g. SEV1")
    description = models.TextField(help_text="When to use this severity.")
    requires_postmortem = models.BooleanField(default=False)

    class Meta:
        ordering = ["level"]
        verbose_name_plural = "severities"
        constraints = [models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="severity_level_1_to_5")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IncidentQuerySet(VisibleQuerySet):
    pass


class Incident(TimeStampedModel):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown.")
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVESTIGATING, db_index=True)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="incidents", verbose_name="owning team"
    )
    services = models.ManyToManyField(
        "teams.System", related_name="incidents", blank=True, verbose_name="affected services"
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commanded_incidents",
        verbose_name="incident commander",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    impact_description = models.TextField("customer impact", blank=True)
    users_affected = models.PositiveBigIntegerField(null=True, blank=True)
    requests_affected = models.PositiveBigIntegerField(null=True, blank=True)

    external_id = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="Id in the tool that opened it (makes creation idempotent).",
    )
    pager_id = models.CharField(max_length=200, blank=True)
    ticket_url = models.URLField(blank=True)
    tags = models.ManyToManyField(Tag, related_name="incidents", blank=True)

    restricted = models.BooleanField(
        default=False, help_text="Visible only to the people named on it and to admins (e.g. security incidents)."
    )
    access_list = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="named_incidents",
        blank=True,
        help_text="People who may see a restricted incident.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change (optimistic locking).")

    objects = IncidentQuerySet.as_manager()
    access = AccessPolicy(team_path=("team", "services__team"), restricted_field="restricted", named_path="access_list")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["team", "-started_at"]), models.Index(fields=["severity", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident-detail", kwargs={"pk": self.pk})

    def _since_start(self, moment: "timezone.datetime | None") -> timedelta | None:
        return moment - self.started_at if moment and self.started_at else None

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self._since_start(self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved_at)

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        STATUS_CHANGE = "status_change", "Status change"
        SEVERITY_CHANGE = "severity_change", "Severity change"
        ACTION = "action", "Action"
        DECISION = "decision", "Decision"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(
        team_path=("incident__team", "incident__services__team"),
        restricted_field="incident__restricted",
        named_path="incident__access_list",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ActionItem(TimeStampedModel):
    """A follow-up with an owner and a due date, from any origin.

    `incident` is set for items that come from an incident or its postmortem, so a restricted
    incident's items are restricted too. `source` points at the exact record the item came from
    (a postmortem, a review question, a game-day finding...).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    class Priority(models.TextChoices):
        P1 = "p1", "P1 (urgent)"
        P2 = "p2", "P2 (high)"
        P3 = "p3", "P3 (normal)"
        P4 = "p4", "P4 (low)"

    class Origin(models.TextChoices):
        INCIDENT = "incident", "Incident"
        POSTMORTEM = "postmortem", "Postmortem"
        REVIEW = "review", "Readiness review"
        GAME_DAY = "game_day", "Game day"
        OTHER = "other", "Other"

    CLOSED_STATUSES = (Status.DONE, Status.WONT_DO)

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="action_items")
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    wont_do_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.OTHER, db_index=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="action_items")
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    tracker_url = models.URLField("external tracker URL", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="team", restricted_field="incident__restricted", named_path="incident__access_list")

    class Meta:
        ordering = ["due_date", "-created_at"]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="wont_do") | ~Q(wont_do_reason=""), name="action_item_wont_do_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("incidents:action-item-detail", kwargs={"pk": self.pk})

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.status not in self.CLOSED_STATUSES
            and self.due_date < timezone.localdate()
        )
