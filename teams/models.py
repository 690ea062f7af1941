"""Organization: people, teams and the systems (services) they own.

The model is called System so it is never confused with the `services.py` modules that hold
business logic; the UI and API call it "service".
"""

import hashlib
import secrets
import zoneinfo

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from opsx.models import TimeStampedModel

from .permissions import AccessPolicy, Action, TeamRole, VisibleQuerySet


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    class OrgRole(models.TextChoices):
        MEMBER = "member", "Member"
        LEADERSHIP = "leadership", "Leadership"
        ADMIN = "admin", "Admin"

    org_role = models.CharField(
        "organization role",
        max_length=16,
        choices=OrgRole.choices,
        default=OrgRole.MEMBER,
        help_text="Admins manage everything; leadership reads everything; members work in their teams.",
    )

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def is_org_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.org_role == self.OrgRole.ADMIN)

    @property
    def is_leadership(self) -> bool:
        return self.is_active and self.org_role == self.OrgRole.LEADERSHIP


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known time zone (use an IANA name such as Europe/Berlin).")


class TeamQuerySet(VisibleQuerySet):
    pass


@pghistory.track()
class Team(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, help_text="Short name used in URLs.")
    description = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    members = models.ManyToManyField(User, through="Membership", related_name="teams")

    objects = TeamQuerySet.as_manager()

    # Every signed-in user reads teams; leads edit their team; only admins create or delete teams.
    access = AccessPolicy(
        team_path="id",
        roles={Action.CREATE: None, Action.CHANGE: TeamRole.LEAD, Action.APPROVE: TeamRole.LEAD, Action.DELETE: None},
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:team-detail", kwargs={"slug": self.slug})


@pghistory.track()
class Membership(TimeStampedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(
        team_path="team",
        roles={Action.CREATE: TeamRole.LEAD, Action.CHANGE: TeamRole.LEAD, Action.DELETE: TeamRole.LEAD},
    )

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


@pghistory.track()
class System(TimeStampedModel):
    """A service a team owns and operates (called "service" everywhere users see it)."""

    class Tier(models.IntegerChoices):
        TIER_1 = 1, "Tier 1 (critical)"
        TIER_2 = 2, "Tier 2 (important)"
        TIER_3 = 3, "Tier 3 (standard)"
        TIER_4 = 4, "Tier 4 (experimental)"

    class Lifecycle(models.TextChoices):
        DESIGN = "design", "In design"
        PRE_PRODUCTION = "pre_production", "Pre-production"
        PRODUCTION = "production", "In production"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, help_text="Short name used in URLs.")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="systems", verbose_name="owner team")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_3)
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.DESIGN)
    description = models.TextField(blank=True)
    repository_url = models.URLField("repository", blank=True)
    runbook_url = models.URLField("runbook", blank=True)
    dashboard_url = models.URLField("dashboard", blank=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="team")

    class Meta:
        ordering = ["name"]
        verbose_name = "service"
        verbose_name_plural = "services"
        indexes = [models.Index(fields=["team", "tier"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:service-detail", kwargs={"slug": self.slug})


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


@pghistory.track(exclude=["key_hash", "last_used_at"])
class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "opsx_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
