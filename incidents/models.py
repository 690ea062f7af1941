"""Incidents, their timeline, and action items (shared by every origin: incidents, postmortems,
readiness reviews and game days)."""

from datetime import UTC, date, timedelta

import pghistory
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.tracking import track
from opsx.limits import TextLimitValidator, postmortem_size_errors
from opsx.models import MarkdownModel, TimeStampedModel
from teams.permissions import AccessPolicy, VisibleQuerySet


@track()
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


@track(derived=True)
class Incident(MarkdownModel, TimeStampedModel):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    MARKDOWN_FIELDS = ("summary",)

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])
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

    impact_description = models.TextField("customer impact", blank=True, validators=[TextLimitValidator()])
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
    date_only_times = models.JSONField(
        default=list,
        blank=True,
        help_text="Time fields known only to the day (e.g. imported records): shown as a date, left out of "
        "time-to-X figures. Entering another value for one makes it exact.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change; writes name the version they edited (optimistic locking)."
    )

    objects = IncidentQuerySet.as_manager()
    access = AccessPolicy(team_path=("team", "services__team"), restricted_field="restricted", named_path="access_list")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["team", "-started_at"]), models.Index(fields=["severity", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident-detail", kwargs={"pk": self.pk})

    TIME_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")

    def is_date_only(self, name: str) -> bool:
        return isinstance(self.date_only_times, list) and name in self.date_only_times

    def _since_start(self, name: str) -> timedelta | None:
        """Time from the start to `name`; None (unknown) when either is missing or known only to the day."""
        moment = getattr(self, name)
        if moment is None or self.started_at is None or self.is_date_only(name) or self.is_date_only("started_at"):
            return None
        return moment - self.started_at

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start("detected_at")

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self._since_start("acknowledged_at")

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start("mitigated_at")

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start("resolved_at")

    def time_rows(self) -> list[dict[str, object]]:
        """The five times for display: label, value, whether only the date is known, time since the start."""
        return [
            {
                "name": name,
                "label": name.removesuffix("_at").capitalize(),
                "value": getattr(self, name),
                "date_only": self.is_date_only(name),
                "since_start": self._since_start(name) if name != "started_at" else None,
            }
            for name in self.TIME_FIELDS
        ]

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)

    # (field, must not be before this field) pairs checked by clean(); a missing time skips its rule.
    TIME_RULES = [
        ("detected_at", "started_at"),
        ("acknowledged_at", "started_at"),
        ("acknowledged_at", "detected_at"),
        ("mitigated_at", "started_at"),
        ("mitigated_at", "detected_at"),
        ("resolved_at", "started_at"),
        ("resolved_at", "detected_at"),
        ("resolved_at", "mitigated_at"),
    ]

    TIME_LABELS = {"started_at": "the start", "detected_at": "detection", "mitigated_at": "mitigation"}

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for later, earlier in self.TIME_RULES:
            later_value, earlier_value = getattr(self, later), getattr(self, earlier)
            if later in errors or later_value is None or earlier_value is None:
                continue
            if self.is_date_only(later) or self.is_date_only(earlier):  # compare what is known: the days
                if later_value.astimezone(UTC).date() < earlier_value.astimezone(UTC).date():
                    label = self.TIME_LABELS[earlier]
                    errors[later] = f"Must not be earlier than {label} ({earlier_value.astimezone(UTC):%Y-%m-%d})."
            elif later_value < earlier_value:
                label = self.TIME_LABELS[earlier]
                errors[later] = f"Must not be earlier than {label} ({earlier_value:%Y-%m-%d %H:%M} UTC)."
        now = timezone.now() + timedelta(minutes=5)
        for name in self.TIME_FIELDS:
            value = getattr(self, name)
            if name not in errors and value is not None and value > now:
                errors[name] = "Must not be in the future."
        if self.status in (self.Status.RESOLVED, self.Status.CLOSED) and self.resolved_at is None:
            errors.setdefault("resolved_at", "A resolved or closed incident needs a resolved time.")
        date_only = self.date_only_times
        if not isinstance(date_only, list) or not set(date_only) <= set(self.TIME_FIELDS):
            errors["date_only_times"] = f"Use a list of time fields ({', '.join(self.TIME_FIELDS)})."
        if errors:
            raise ValidationError(errors)


@track()
class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        STATUS_CHANGE = "status_change", "Status change"
        SEVERITY_CHANGE = "severity_change", "Severity change"
        ACTION = "action", "Action"
        DECISION = "decision", "Decision"
        POSTMORTEM = "postmortem", "Postmortem"
        ACCESS = "access", "Access change"

    # Kinds people add by hand; status and severity changes (and the postmortem a resolution creates)
    # are written by the services only.
    MANUAL_KINDS = [(k.value, k.label) for k in (Kind.NOTE, Kind.ACTION, Kind.DECISION)]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField(validators=[TextLimitValidator()])
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


@track(derived=True)
class ActionItem(MarkdownModel, TimeStampedModel):
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

    MARKDOWN_FIELDS = ("description",)

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])
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
            # Dashboards: open and overdue work per team, and what was closed in a period.
            models.Index(
                fields=["team", "due_date"],
                condition=Q(status__in=["open", "in_progress"]),
                name="action_item_open_due",
            ),
            models.Index(
                fields=["completed_at"], condition=Q(completed_at__isnull=False), name="action_item_closed_at"
            ),
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


# --- organization settings -------------------------------------------------------------------

# The postmortem document's sections, in order: (field name, heading).
POSTMORTEM_SECTIONS: list[tuple[str, str]] = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("timeline", "Timeline"),
    ("detection", "Detection"),
    ("response", "Response and recovery"),
    ("went_well", "What went well"),
    ("went_poorly", "What went poorly"),
    ("lucky", "Where we got lucky"),
    ("lessons", "Lessons learned"),
]
SECTION_FIELDS = [name for name, _ in POSTMORTEM_SECTIONS]


def default_postmortem_template() -> dict[str, str]:
    from incidents.defaults import POSTMORTEM_GUIDANCE

    return dict(POSTMORTEM_GUIDANCE)


@track()
class OrgSettings(models.Model):
    """Organization-wide incident settings: one row (pk=1), edited in the admin."""

    class PublishWarnings(models.TextChoices):
        CONFIRM = "confirm", "Ask for a confirmation (and record it)"
        BLOCK = "block", "Refuse to publish"

    postmortem_due_business_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A required postmortem is due this many business days (Mon-Fri) after resolution.",
    )
    postmortem_template = models.JSONField(
        default=default_postmortem_template,
        blank=True,
        help_text="Guidance shown above each postmortem section: {section: text}. Sections: "
        + ", ".join(SECTION_FIELDS)
        + ", factors.",
    )
    autosave_seconds = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(5), MaxValueValidator(600)], help_text="Draft autosave interval."
    )
    postmortem_approvals_required = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(10)],
        help_text="Approvals a postmortem needs before it is published, from named reviewers other than its author "
        "(approvals of the current version only).",
    )
    postmortem_author_may_publish_alone = models.BooleanField(
        default=False,
        help_text="Let an author publish their own postmortem without anyone else's approval (matters only when "
        "no approvals are required).",
    )
    postmortem_publish_warnings = models.CharField(
        max_length=16,
        choices=PublishWarnings.choices,
        default=PublishWarnings.CONFIRM,
        help_text="Publishing with unresolved comments or without an action item: ask for a confirmation, or refuse.",
    )

    class Meta:
        verbose_name = "organization settings"
        verbose_name_plural = "organization settings"

    def __str__(self) -> str:
        return "Organization settings"

    def clean(self) -> None:
        template = self.postmortem_template
        if not isinstance(template, dict) or not all(isinstance(v, str) for v in template.values()):
            raise ValidationError({"postmortem_template": "Use an object of section name to guidance text."})
        unknown = set(template) - {*SECTION_FIELDS, "factors"}
        if unknown:
            raise ValidationError({"postmortem_template": f"Unknown sections: {', '.join(sorted(unknown))}."})

    @classmethod
    def current(cls) -> "OrgSettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row

    def guidance(self, section: str) -> str:
        return (self.postmortem_template or {}).get(section) or default_postmortem_template().get(section, "")


def add_business_days(start: date, days: int) -> date:
    """`days` weekdays (Mon-Fri) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


@track()
class FactorCategory(models.Model):
    """Editable taxonomy for contributing factors (change, configuration, capacity, ...)."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Inactive categories stay on old postmortems only.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "factor categories"

    def __str__(self) -> str:
        return self.name


# --- postmortems -----------------------------------------------------------------------------


def _postmortem_draft() -> Q:
    return ~Q(status=Postmortem.Status.PUBLISHED)


@track(derived=True)
class Postmortem(MarkdownModel, TimeStampedModel):
    """The blameless write-up of one incident. Drafts are private to the team and named reviewers."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    required = models.BooleanField(default=False, help_text="The incident's severity requires a postmortem.")
    due_date = models.DateField(null=True, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_postmortems",
        help_text="Who drives the write-up.",
    )
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="postmortems_to_review", blank=True)

    MARKDOWN_FIELDS = tuple(SECTION_FIELDS)

    summary = models.TextField(blank=True, validators=[TextLimitValidator()])
    impact = models.TextField(blank=True, validators=[TextLimitValidator()])
    timeline = models.TextField(
        blank=True, help_text="Pulled from the incident when the postmortem starts.", validators=[TextLimitValidator()]
    )
    detection = models.TextField(blank=True, validators=[TextLimitValidator()])
    response = models.TextField("response and recovery", blank=True, validators=[TextLimitValidator()])
    went_well = models.TextField("what went well", blank=True, validators=[TextLimitValidator()])
    went_poorly = models.TextField("what went poorly", blank=True, validators=[TextLimitValidator()])
    lucky = models.TextField("where we got lucky", blank=True, validators=[TextLimitValidator()])
    lessons = models.TextField("lessons learned", blank=True, validators=[TextLimitValidator()])
    factors = models.JSONField(
        "contributing factors", default=list, blank=True, help_text='[{"category": slug, "description": text}]'
    )

    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    publish_confirmed = models.JSONField(
        default=list, blank=True, help_text="Warnings the publisher confirmed (unresolved comments, no action item)."
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save (optimistic locking).")

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(
        team_path=("incident__team", "incident__services__team"),
        restricted_field="incident__restricted",
        named_path="incident__access_list",
        draft=_postmortem_draft,
        draft_readers_path="reviewers",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False), name="postmortem_published_has_date"
            ),
        ]
        # Dashboards: overdue postmortems are the unpublished ones past their due date.
        indexes = [
            models.Index(fields=["due_date"], condition=~Q(status="published"), name="postmortem_unpublished_due")
        ]

    def __str__(self) -> str:
        return f"Postmortem: {self.incident.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:postmortem-detail", kwargs={"pk": self.pk})

    @property
    def author_id(self) -> int | None:
        """The author, for the review rules, is the owner: the person who drives the write-up."""
        return self.owner_id

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None and self.status != self.Status.PUBLISHED and self.due_date < timezone.localdate()
        )

    def clean(self) -> None:
        errors = validate_factors(self.factors)
        if errors:
            raise ValidationError({"factors": errors})
        too_large = postmortem_size_errors((getattr(self, name) for name in SECTION_FIELDS), self.factors)
        if too_large:
            raise ValidationError(too_large)

    def snapshot(self) -> dict:
        """The document's content, as stored in a revision (and compared when merging)."""
        return {
            **{name: getattr(self, name) for name in SECTION_FIELDS},
            "factors": [dict(f) for f in self.factors or []],
        }


def validate_factors(factors: object) -> list[str]:
    """Messages for a malformed contributing-factors list (empty when it is fine)."""
    if not isinstance(factors, list):
        return ["Contributing factors must be a list."]
    known = set(FactorCategory.objects.values_list("slug", flat=True))
    errors = []
    for index, factor in enumerate(factors, start=1):
        if not isinstance(factor, dict) or set(factor) - {"category", "description"}:
            errors.append(f"Factor {index}: use an object with 'category' and 'description'.")
            continue
        if factor.get("category") not in known:
            errors.append(f"Factor {index}: unknown category {factor.get('category')!r}.")
        description = factor.get("description")
        if not isinstance(description, str) or not description.strip():
            errors.append(f"Factor {index}: describe the factor.")
    return errors


@track()
class PostmortemRevision(models.Model):
    """A full snapshot of the document after each save; restoring one is a new save."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    content = models.JSONField()
    note = models.CharField(max_length=200, blank=True, help_text="e.g. 'autosave' or 'restored version 3'.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "version"], name="postmortem_revision_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id} v{self.version}"


_POSTMORTEM_PART_POLICY = {
    "team_path": ("postmortem__incident__team", "postmortem__incident__services__team"),
    "restricted_field": "postmortem__incident__restricted",
    "named_path": "postmortem__incident__access_list",
    "draft": lambda: ~Q(postmortem__status=Postmortem.Status.PUBLISHED),
    "draft_readers_path": "postmortem__reviewers",
}


@track(derived=True)
class PostmortemComment(MarkdownModel):
    """A reviewer's (or anyone's who can read it) comment on the document, optionally on one section.

    A comment stays open until someone resolves it; publishing with open comments needs a confirmation.
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    MARKDOWN_FIELDS = ("body",)

    section = models.CharField(
        max_length=20, blank=True, choices=[*POSTMORTEM_SECTIONS, ("factors", "Contributing factors")]
    )
    body = models.TextField(validators=[TextLimitValidator()])
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(**_POSTMORTEM_PART_POLICY)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.postmortem_id}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


@track()
class PostmortemApproval(models.Model):
    """A named reviewer approved one version of the document.

    Approvals are per version: a later content save (a new version) leaves the approval in place
    as a record but it no longer counts towards publishing until the reviewer approves again.
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="approvals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(help_text="The version the reviewer approved.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(**_POSTMORTEM_PART_POLICY)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "reviewer", "version"], name="postmortem_approval_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} approved {self.postmortem_id} v{self.version}"


# --- recorded many-to-many links -------------------------------------------------------------
# Proxies of the auto-created link tables, so that adding or removing a person, service, tag or
# reviewer is an audit event like any other change (docs/audit.md).

LINK_TRACKERS = (pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"))


@pghistory.track(*LINK_TRACKERS, obj_field=None, model_name="IncidentAccessEvent")
class IncidentAccess(Incident.access_list.through):
    class Meta:
        proxy = True
        verbose_name = "person named on an incident"


@pghistory.track(*LINK_TRACKERS, obj_field=None, model_name="IncidentServiceEvent")
class IncidentService(Incident.services.through):
    class Meta:
        proxy = True
        verbose_name = "affected service"


@pghistory.track(*LINK_TRACKERS, obj_field=None, model_name="IncidentTagEvent")
class IncidentTag(Incident.tags.through):
    class Meta:
        proxy = True
        verbose_name = "incident tag"


@pghistory.track(*LINK_TRACKERS, obj_field=None, model_name="PostmortemReviewerEvent")
class PostmortemReviewer(Postmortem.reviewers.through):
    class Meta:
        proxy = True
        verbose_name = "postmortem reviewer"


# --- idempotent creation ---------------------------------------------------------------------


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent when creating an incident, and what it created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
