"""Operational readiness reviews: lenses, reviews, answers, milestones, launch decisions, pre-mortems.

A lens is stored once per version (`LensVersion`) as its canonical opsx YAML plus the canonical
dict, so rendering a review never needs one query per question: the parsed lens is cached in
memory by fingerprint (see `reviews.lenses`).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.tracking import track
from opsx.etag import format_etag
from opsx.limits import TextLimitValidator
from opsx.models import MarkdownModel, TimeStampedModel
from teams.permissions import AccessPolicy, Action, VisibleQuerySet

# Lenses and tier policies belong to no team: everyone signed in reads them; the rule for who may
# import lenses lives in `reviews.selectors.can_import_lens` (admins and team leads).
ORG_WIDE = AccessPolicy(
    team_path=(), roles={Action.CREATE: None, Action.CHANGE: None, Action.APPROVE: None, Action.DELETE: None}
)


class Risk(models.TextChoices):
    HIGH = "high", "High risk"
    MEDIUM = "medium", "Medium risk"
    NONE = "none", "No risk"
    UNANSWERED = "unanswered", "Unanswered"
    NOT_APPLICABLE = "na", "Not applicable"


#: Order used by the improvement plan and comparisons (most severe first).
RISK_ORDER = [Risk.HIGH, Risk.MEDIUM, Risk.UNANSWERED, Risk.NONE, Risk.NOT_APPLICABLE]


@track()
class Lens(TimeStampedModel):
    name = models.CharField(max_length=128, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    builtin = models.BooleanField(default=False, help_text="Shipped with opsx.")

    objects = VisibleQuerySet.as_manager()
    access = ORG_WIDE

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "lenses"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reviews:lens-detail", kwargs={"slug": self.slug})


@track()
class LensVersion(models.Model):
    lens = models.ForeignKey(Lens, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    version_label = models.CharField(max_length=32, blank=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    document = models.JSONField(help_text="Canonical form of the lens (Lens.to_dict()).")
    source_yaml = models.TextField(help_text="The lens as opsx YAML; parsed (and cached) to evaluate answers.")
    question_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = ORG_WIDE

    class Meta:
        ordering = ["lens__name", "-number"]
        constraints = [models.UniqueConstraint(fields=["lens", "number"], name="lens_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.lens.name} v{self.number}"


@track()
class TierPolicy(models.Model):
    """How often a service of a tier is reviewed, and whether launch needs an outside sign-off."""

    tier = models.PositiveSmallIntegerField(
        unique=True, choices=[(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3"), (4, "Tier 4")]
    )
    review_interval_days = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3650)])
    requires_external_signoff = models.BooleanField(default=True)

    objects = VisibleQuerySet.as_manager()
    access = ORG_WIDE

    class Meta:
        ordering = ["tier"]
        verbose_name_plural = "tier policies"

    def __str__(self) -> str:
        return f"Tier {self.tier}: every {self.review_interval_days} days"


def unaccepted_high_risks() -> models.QuerySet:
    """Answers at high risk without an acceptance that is still valid now (the launch blockers).

    Evaluated against the clock at query time: an acceptance that lapsed a second ago no longer counts.
    """
    active = RiskAcceptance.objects.filter(answer=models.OuterRef("pk"), expires_at__gt=timezone.now())
    return Answer.objects.filter(risk=Risk.HIGH).exclude(models.Exists(active))


class ReviewQuerySet(VisibleQuerySet):
    def with_launch_status(self) -> "ReviewQuerySet":
        """Annotate `current_status`: the stored status, except that an approval whose accepted risk has
        lapsed reads as reopened at once (time passing is not a write; the sweep records it later)."""
        lapsed = models.Exists(unaccepted_high_risks().filter(review=models.OuterRef("pk")))
        return self.annotate(
            current_status=models.Case(
                models.When(Q(status=Review.Status.APPROVED) & lapsed, then=models.Value(Review.Status.REOPENED)),
                default=models.F("status"),
                output_field=models.CharField(),
            )
        )


@track()
class Review(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        REQUESTED = "requested", "Awaiting sign-off"
        APPROVED = "approved", "Approved for production"
        REOPENED = "reopened", "Reopened: an accepted risk lapsed"

    #: Statuses in which the launch request is open and sign-offs are collected.
    AWAITING_SIGNOFF = (Status.REQUESTED, Status.REOPENED)

    title = models.CharField(max_length=200)
    system = models.ForeignKey("teams.System", on_delete=models.PROTECT, related_name="reviews", verbose_name="service")
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="reviews", verbose_name="owner team")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lenses = models.ManyToManyField(LensVersion, through="ReviewLens", related_name="reviews")

    objects = ReviewQuerySet.as_manager()
    access = AccessPolicy(team_path="team")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["system", "status", "-approved_at"]),
            models.Index(fields=["system", "-created_at"], name="review_system_latest"),  # each service's latest
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:review-detail", kwargs={"pk": self.pk})

    @property
    def launch_status(self) -> "Review.Status":
        """The status as of now (see `ReviewQuerySet.with_launch_status`); pages and the API show this one.

        Uses the `current_status` annotation when the row was loaded with it, else asks the database.
        """
        annotated = self.__dict__.get("current_status")
        if annotated is not None:
            return Review.Status(annotated)
        if self.status == Review.Status.APPROVED and unaccepted_high_risks().filter(review_id=self.pk).exists():
            return Review.Status.REOPENED
        return Review.Status(self.status)

    def refresh_from_db(self, *args: object, **kwargs: object) -> None:
        self.__dict__.pop("current_status", None)  # derived from the old row
        super().refresh_from_db(*args, **kwargs)  # type: ignore[arg-type]


@track()
class ReviewLens(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="review_lenses")
    lens = models.ForeignKey(Lens, on_delete=models.PROTECT, related_name="+")
    lens_version = models.ForeignKey(LensVersion, on_delete=models.PROTECT, related_name="review_lenses")
    position = models.PositiveSmallIntegerField(default=0)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team")

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "lens"], name="review_lens_unique_lens")]

    def __str__(self) -> str:
        return f"{self.review} / {self.lens_version}"


def validate_links(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Evidence links must be a list of URLs.")
    check = URLValidator(schemes=["http", "https"])
    for link in value:
        try:
            check(link)
        except ValidationError as exc:
            raise ValidationError(f"'{link}' is not a valid http(s) URL.") from exc


def validate_choice_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Selected choices must be a list of choice ids.")


@track(derived=True)
class Answer(MarkdownModel):
    """The team's answer to one question of one lens in a review. `version` guards against lost updates."""

    MARKDOWN_FIELDS = ("notes",)

    review_lens = models.ForeignKey(ReviewLens, on_delete=models.CASCADE, related_name="answers")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    pillar_id = models.CharField(max_length=128)
    question_id = models.CharField(max_length=128)
    position = models.PositiveIntegerField(default=0)
    selected = models.JSONField(default=list, blank=True, validators=[validate_choice_list])
    not_applicable = models.BooleanField(default=False)
    na_reason = models.TextField("reason it does not apply", blank=True, validators=[TextLimitValidator()])
    notes = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])
    evidence_links = models.JSONField(default=list, blank=True, validators=[validate_links])
    risk = models.CharField(max_length=12, choices=Risk.choices, default=Risk.UNANSWERED, db_index=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team")

    class Meta:
        ordering = ["review_lens__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["review_lens", "question_id"], name="answer_unique_question"),
            models.CheckConstraint(condition=Q(not_applicable=False) | ~Q(na_reason=""), name="answer_na_needs_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} ({self.get_risk_display()})"

    def get_absolute_url(self) -> str:
        """Its improvement-plan item while it is at risk (where its action items are listed), else the question."""
        if self.risk in (Risk.HIGH, Risk.MEDIUM):
            return reverse("reviews:review-plan", kwargs={"pk": self.review_id}) + f"#plan-{self.pk}"
        return reverse("reviews:review-detail", kwargs={"pk": self.review_id}) + f"#q-{self.pk}"

    def clean(self) -> None:
        if self.not_applicable and not self.na_reason.strip():
            raise ValidationError({"na_reason": "Say why this question does not apply."})

    @property
    def evidence_text(self) -> str:
        return "\n".join(self.evidence_links)

    @property
    def etag(self) -> str:
        return format_etag(self.version)


@track()
class LensUpgrade(models.Model):
    """Append-only record of a review moving to a newer lens version, with what changed."""

    review_lens = models.ForeignKey(ReviewLens, on_delete=models.CASCADE, related_name="upgrades")
    from_version = models.ForeignKey(LensVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(LensVersion, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review_lens__review__team")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_version} → {self.to_version}"


@track()
class Milestone(models.Model):
    """A named, immutable snapshot of a review's answers and risks."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=100)
    snapshot = models.JSONField(editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team", roles={Action.CHANGE: None, Action.DELETE: None})

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["review", "name"], name="milestone_unique_name")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def rerender_markdown(cls, *, force: bool = False) -> tuple[int, int]:
        """Store fresh HTML for the answer notes in every snapshot (see opsx.markdown): (milestones, changed)."""
        return rerender_snapshots(cls, force=force)


def rerender_snapshots(model: type[models.Model], *, force: bool = False) -> tuple[int, int]:
    """The answers' notes HTML in every milestone snapshot of `model` (also a migration's historical model)."""
    from opsx.markdown import refresh_html

    seen = changed = 0
    for milestone in model._default_manager.order_by("pk").iterator(chunk_size=100):  # type: ignore[attr-defined]
        seen += 1
        answers = [a for lens in milestone.snapshot.get("lenses", []) for a in lens.get("answers", [])]
        if any([refresh_html(answer, ["notes"], force=force) for answer in answers if answer.get("notes")]):
            model._default_manager.filter(pk=milestone.pk).update(snapshot=milestone.snapshot)  # type: ignore[attr-defined]
            changed += 1
    return seen, changed


@track()
class RiskAcceptance(models.Model):
    """A lead accepts an open high risk for launch, with a reason, until a date. Append-only.

    `lapse_recorded_at` is the sweep's marker: set (by a conditional UPDATE) once the lapse has been
    handled, i.e. the approved launch it let through was reopened, or there was nothing to reopen.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="acceptances")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="acceptances")
    reason = models.TextField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    lapse_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team", roles={Action.CHANGE: None, Action.DELETE: None})

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(lapse_recorded_at__isnull=True), name="acceptance_lapse_pending"
            ),
            models.Index(fields=["review", "expires_at"], name="risk_acceptance_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.answer.question_id} accepted until {self.expires_at:%Y-%m-%d}"

    def clean(self) -> None:
        if not self.reason.strip():
            raise ValidationError({"reason": "Say why the risk is acceptable."})
        if self.expires_at and self.expires_at <= timezone.now():
            raise ValidationError({"expires_at": "The expiry must be in the future."})
        if self.expires_at and self.expires_at > timezone.now() + timedelta(days=366):
            raise ValidationError({"expires_at": "Accept a risk for at most a year; review it again after that."})

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


@track()
class Decision(models.Model):
    """Append-only history of the launch decision: requests, sign-offs, approval, withdrawals, reopenings.

    `actor` is empty for what opsx records itself (a reopening after an accepted risk lapsed).
    """

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Requested ready for production"
        SIGNED_OFF = "signed_off", "Signed off"
        APPROVED = "approved", "Approved for production"
        WITHDRAWN = "withdrawn", "Request withdrawn"
        REOPENED = "reopened", "Reopened: an accepted risk lapsed"

    #: Kinds that start a round of sign-offs.
    ROUND_STARTS = (Kind.REQUESTED, Kind.REOPENED)
    #: Kinds nobody posts: approval follows the last sign-off, a reopening follows a lapse.
    AUTOMATIC_KINDS = (Kind.APPROVED, Kind.REOPENED)

    class Role(models.TextChoices):
        NONE = "", "—"
        LEAD = "lead", "Team lead"
        EXTERNAL = "external", "Outside reviewer"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True, default=Role.NONE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when opsx recorded it (a reopening).",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team", roles={Action.CHANGE: None, Action.DELETE: None})

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor or 'opsx'}"


class Level(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


@track(derived=True)
class FailureScenario(MarkdownModel, TimeStampedModel):
    """Pre-mortem: a way the service could fail, how likely and bad it is, and what we do about it."""

    MARKDOWN_FIELDS = ("description", "mitigation")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scenarios")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])
    likelihood = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    impact = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    mitigation = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


@track(derived=True)
class GameDay(MarkdownModel, TimeStampedModel):
    """An exercise that tests the service's readiness against a scenario."""

    MARKDOWN_FIELDS = ("scenario", "summary")

    class Outcome(models.TextChoices):
        PLANNED = "planned", "Planned"
        PASSED = "passed", "Passed"
        PARTIAL = "partial", "Partly passed"
        FAILED = "failed", "Failed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="game_days")
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    scenario = models.TextField(help_text="Markdown.", validators=[TextLimitValidator()])
    participants = models.CharField(max_length=500, blank=True, help_text="Names, comma separated.")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PLANNED)
    summary = models.TextField(blank=True, help_text="Markdown.", validators=[TextLimitValidator()])

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="review__team")

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:review-exercises", kwargs={"pk": self.review_id}) + f"#gd-{self.pk}"


@track()
class GameDayFinding(models.Model):
    game_day = models.ForeignKey(GameDay, on_delete=models.CASCADE, related_name="findings")
    description = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="game_day__review__team")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description[:80]

    def get_absolute_url(self) -> str:
        return reverse("reviews:review-exercises", kwargs={"pk": self.game_day.review_id}) + f"#finding-{self.pk}"


__all__ = [
    "Answer",
    "Decision",
    "FailureScenario",
    "GameDay",
    "GameDayFinding",
    "Lens",
    "LensUpgrade",
    "LensVersion",
    "Milestone",
    "Review",
    "ReviewLens",
    "Risk",
    "RiskAcceptance",
    "TierPolicy",
]
