from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import ActionItem
from reviews import lensfile, selectors
from reviews.lens_cache import questions_by_id
from reviews.models import (
    Answer,
    Decision,
    FailureScenario,
    GameDay,
    GameDayFinding,
    Lens,
    LensVersion,
    Level,
    Milestone,
    Review,
    RiskAcceptance,
)
from teams.api.serializers import UserSummarySerializer
from teams.models import System, User


class LensVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LensVersion
        fields = ["id", "number", "version_label", "fingerprint", "question_count", "created_at"]
        read_only_fields = fields


class LensSerializer(serializers.ModelSerializer):
    versions = LensVersionSerializer(many=True, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:lens-detail", lookup_field="slug")

    class Meta:
        model = Lens
        fields = ["id", "url", "name", "slug", "description", "builtin", "versions", "created_at"]
        read_only_fields = fields


class LensUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="opsx YAML (.yaml/.yml) or AWS custom lens JSON (.json).")
    format = serializers.ChoiceField(choices=lensfile.FORMATS, required=False, help_text="Override detection.")
    strict = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Refuse a file that needs any repair (the repairs are listed under `fields.file`) instead of "
        "importing it with warnings.",
    )


class LensImportResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["created", "new version", "unchanged"])
    lens = LensSerializer()
    version = LensVersionSerializer()
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="One line per repair or oddity: the field path, then what was done."
    )


# --- lens version comparison and upgrade preview (the fields of reviews.lensfile.diff) --------


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="e.g. title, description, improvement_plan, pillar, rule_order.")
    before = serializers.CharField(help_text="As text; a resource is `text <url>`; empty when absent.")
    after = serializers.CharField()


class ChoiceRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class ChoiceChangeSerializer(ChoiceRefSerializer):
    changes = FieldChangeSerializer(many=True)


LENS_RISK_HELP = "As in the lens file: HIGH_RISK, MEDIUM_RISK or NO_RISK."


class RuleRefSerializer(serializers.Serializer):
    risk = serializers.CharField(help_text=LENS_RISK_HELP)
    condition = serializers.CharField()


class RuleChangeSerializer(serializers.Serializer):
    risk = serializers.CharField(help_text=f"{LENS_RISK_HELP} Rules are matched by risk.")
    before = serializers.CharField(help_text="The condition before.")
    after = serializers.CharField()


class QuestionRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    pillar_id = serializers.CharField()
    pillar_name = serializers.CharField()


class QuestionChangeSerializer(QuestionRefSerializer):
    changes = FieldChangeSerializer(many=True)
    choices_added = ChoiceRefSerializer(many=True)
    choices_removed = ChoiceRefSerializer(many=True)
    choices_changed = ChoiceChangeSerializer(many=True)
    rules_added = RuleRefSerializer(many=True)
    rules_removed = RuleRefSerializer(many=True)
    rules_changed = RuleChangeSerializer(many=True)


class PillarRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class PillarChangeSerializer(serializers.Serializer):
    id = serializers.CharField()
    changes = FieldChangeSerializer(many=True)


class LensDiffSerializer(serializers.Serializer):
    changes = FieldChangeSerializer(many=True, help_text="Lens name, description and version label.")
    pillars_added = PillarRefSerializer(many=True)
    pillars_removed = PillarRefSerializer(many=True)
    pillars_changed = PillarChangeSerializer(many=True)
    questions_added = QuestionRefSerializer(many=True)
    questions_removed = QuestionRefSerializer(many=True)
    questions_changed = QuestionChangeSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())


class LensComparisonSerializer(serializers.Serializer):
    lens = serializers.CharField(source="lens.slug")
    before = LensVersionSerializer(help_text="The `from` version.")
    after = LensVersionSerializer(help_text="The `to` version.")
    diff = LensDiffSerializer()


class CarriedAnswerSerializer(serializers.Serializer):
    question_id = serializers.CharField(source="answer.question_id")
    title = serializers.CharField()
    selected_before = serializers.ListField(child=serializers.CharField(), source="answer.selected")
    selected_after = serializers.ListField(child=serializers.CharField())
    dropped_choices = ChoiceRefSerializer(many=True)
    not_applicable = serializers.BooleanField(source="answer.not_applicable")
    risk_before = serializers.CharField()
    risk_after = serializers.CharField()
    question_changed = serializers.SerializerMethodField()

    def get_question_changed(self, item: Any) -> bool:
        return item.question_change is not None


class LostAnswerSerializer(serializers.Serializer):
    question_id = serializers.CharField(source="answer.question_id")
    title = serializers.CharField()
    selected = serializers.ListField(child=serializers.CharField(), source="answer.selected")
    not_applicable = serializers.BooleanField(source="answer.not_applicable")
    has_notes = serializers.SerializerMethodField()
    risk = serializers.CharField(source="answer.risk")

    def get_has_notes(self, item: Any) -> bool:
        return bool(item.answer.notes.strip())


class UpgradePreviewSerializer(serializers.Serializer):
    lens = serializers.CharField(source="review_lens.lens.slug")
    current = LensVersionSerializer()
    target = LensVersionSerializer()
    carried = CarriedAnswerSerializer(
        many=True, source="answered", help_text="Answered questions that stay, with what is kept and the new risk."
    )
    lost = LostAnswerSerializer(many=True, help_text="Answered questions the new version removes.")
    removed_unanswered = QuestionRefSerializer(many=True)
    new = QuestionRefSerializer(many=True, help_text="New questions; they start unanswered.")
    diff = LensDiffSerializer()


class RiskCountsField(serializers.DictField):
    child = serializers.IntegerField()


class ReviewLensSerializer(serializers.Serializer):
    lens = serializers.CharField(source="review_lens.lens.slug")
    name = serializers.CharField(source="review_lens.lens.name")
    version = serializers.IntegerField(source="review_lens.lens_version.number")
    newer_version = serializers.IntegerField(source="newer.number", allow_null=True, default=None)
    counts = RiskCountsField(source="counts.counts")


class ReviewSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(source="system", slug_field="slug", queryset=System.objects.all())
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lenses = serializers.ListField(
        child=serializers.SlugField(),
        write_only=True,
        required=False,
        help_text="Lens slugs; the latest version of each is used. Default: the built-in lens.",
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:review-detail")
    status = serializers.ChoiceField(
        source="launch_status",
        choices=Review.Status.choices,
        read_only=True,
        help_text="draft, requested (awaiting sign-off), approved, or reopened: approved, but an accepted high risk "
        "has lapsed since, so the launch needs fixing or accepting again and new sign-offs. Shown as of the request, "
        "before the periodic sweep records the reopening.",
    )

    class Meta:
        model = Review
        fields = ["id", "url", "title", "service", "team", "status", "lenses", "requested_at", "approved_at",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "status", "requested_at", "approved_at", "created_at", "updated_at"]

    def validate_lenses(self, value: list[str]) -> list[LensVersion]:
        newest = {v.lens.slug: v for v in selectors.newest_versions().values()}
        unknown = [slug for slug in value if slug not in newest]
        if unknown:
            raise serializers.ValidationError(f"Unknown lens: {', '.join(unknown)}.")
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each lens once.")
        return [newest[slug] for slug in value]


class ReviewUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["title"]


class ReviewDetailSerializer(ReviewSerializer):
    counts = serializers.SerializerMethodField()
    lens_details = serializers.SerializerMethodField()
    blockers = serializers.SerializerMethodField()
    signoffs = serializers.SerializerMethodField()
    required_signoffs = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "counts", "lens_details", "blockers", "signoffs", "required_signoffs"]

    @extend_schema_field(RiskCountsField())
    def get_counts(self, review: Review) -> dict[str, int]:
        return selectors.review_counts(review).as_dict()

    @extend_schema_field(ReviewLensSerializer(many=True))
    def get_lens_details(self, review: Review) -> list[dict[str, Any]]:
        return ReviewLensSerializer(selectors.review_structure(review), many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blockers(self, review: Review) -> list[str]:
        return [a.question_id for a in selectors.launch_blockers(review)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_signoffs(self, review: Review) -> list[str]:
        """Roles that signed off in the current round (kept once approved; none after a reopening)."""
        return sorted(selectors.current_signoff_roles(review))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_required_signoffs(self, review: Review) -> list[str]:
        return sorted(selectors.required_signoff_roles(review.system))


class AnswerSerializer(serializers.ModelSerializer):
    lens = serializers.CharField(source="review_lens.lens.slug", read_only=True)
    question_title = serializers.SerializerMethodField()
    updated_by = UserSummarySerializer(read_only=True)
    evidence_links = serializers.ListField(child=serializers.URLField(), required=False)
    selected = serializers.ListField(child=serializers.CharField(max_length=128), required=False)
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one is refused with 409 (or use If-Match: 412)."
    )

    class Meta:
        model = Answer
        fields = ["id", "review", "lens", "pillar_id", "question_id", "question_title", "selected", "not_applicable",
                  "na_reason", "notes", "evidence_links", "risk", "version", "updated_by", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "review", "lens", "pillar_id", "question_id", "risk", "updated_by", "updated_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_question_title(self, answer: Answer) -> str:
        return questions_by_id(answer.review_lens.lens_version)[answer.question_id].title


class PlanActionSerializer(serializers.Serializer):
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=ActionItem.Priority.choices, required=False)


class ActionItemSummarySerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "title", "status", "priority", "owner", "due_date", "origin"]
        read_only_fields = fields


class PlanStepSerializer(serializers.Serializer):
    choice_id = serializers.CharField(allow_null=True)
    choice = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class PlanItemSerializer(serializers.Serializer):
    answer = serializers.IntegerField(source="answer.pk")
    lens = serializers.CharField(source="lens.slug")
    question_id = serializers.CharField(source="question.id")
    title = serializers.CharField(source="question.title")
    risk = serializers.CharField()
    steps = PlanStepSerializer(many=True)
    action_items = ActionItemSummarySerializer(many=True)


class SnapshotField(serializers.JSONField):
    """A milestone's snapshot as recorded, less the stored HTML of the notes (derived data for the page)."""

    def to_representation(self, value: Any) -> Any:
        lenses = [
            {**lens, "answers": [{k: v for k, v in a.items() if k != "markdown_html"} for a in lens.get("answers", [])]}
            for lens in value.get("lenses", [])
        ]
        return super().to_representation({**value, "lenses": lenses})


class MilestoneSerializer(serializers.ModelSerializer):
    created_by = UserSummarySerializer(read_only=True)
    snapshot = SnapshotField(read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "review", "name", "snapshot", "created_by", "created_at"]
        read_only_fields = ["id", "snapshot", "created_by", "created_at"]
        validators = []  # the service reports a duplicate name as a field error


class AnswerStateSerializer(serializers.Serializer):
    risk = serializers.CharField()
    risk_label = serializers.CharField()
    selected = serializers.ListField(child=serializers.CharField(), help_text="Choice ids.")
    choices = serializers.ListField(child=serializers.CharField(), help_text="Titles of the selected choices.")
    not_applicable = serializers.BooleanField()
    na_reason = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    evidence_links = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="null: not recorded in this (older) milestone."
    )


class ComparisonChangeSerializer(serializers.Serializer):
    lens = serializers.CharField()
    question_id = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["added", "removed", "changed"])
    changed = serializers.ListField(
        child=serializers.ChoiceField(choices=[name for name, _, _ in selectors.COMPARED_FIELDS]),
        help_text="For kind=changed: which of risk, choices, not_applicable, notes, evidence differ.",
    )
    risk_before = serializers.CharField(allow_null=True)
    risk_after = serializers.CharField(allow_null=True)
    selected_before = serializers.ListField(child=serializers.CharField())
    selected_after = serializers.ListField(child=serializers.CharField())
    risk_changed = serializers.BooleanField()
    choices_added = serializers.ListField(child=serializers.CharField(), help_text="Titles newly selected.")
    choices_removed = serializers.ListField(child=serializers.CharField(), help_text="Titles no longer selected.")
    before = AnswerStateSerializer(allow_null=True, help_text="null for an added question.")
    after = AnswerStateSerializer(allow_null=True, help_text="null for a removed question.")


class CountRowSerializer(serializers.Serializer):
    risk = serializers.CharField()
    label = serializers.CharField()
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    change = serializers.IntegerField()


class ComparisonSerializer(serializers.Serializer):
    counts = CountRowSerializer(many=True, help_text="One row per risk, most severe first.")
    counts_before = RiskCountsField()
    counts_after = RiskCountsField()
    changes = ComparisonChangeSerializer(many=True)


class LaunchHistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(
        choices=[*Decision.Kind.values, "risk_accepted", "acceptance_expired"],
        help_text="A decision kind, or risk_accepted / acceptance_expired for risk acceptances.",
    )
    label = serializers.CharField()
    actor = UserSummarySerializer(allow_null=True, help_text="null when opsx recorded it, or for an expiry.")
    automatic = serializers.BooleanField(help_text="Recorded by opsx itself (a reopening).")
    role = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    question_id = serializers.CharField(allow_blank=True)


class DecisionSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True, help_text="null when opsx recorded it.")
    role = serializers.CharField(read_only=True, help_text="For sign-offs: lead or external.")
    kind = serializers.ChoiceField(
        choices=[(k, lbl) for k, lbl in Decision.Kind.choices if k not in Decision.AUTOMATIC_KINDS],
        help_text="requested, signed_off or withdrawn; approval follows the last required sign-off. Reads also "
        "show approved, and reopened (recorded by opsx when an accepted risk of an approved launch lapsed).",
    )

    class Meta:
        model = Decision
        fields = ["id", "review", "kind", "role", "actor", "note", "created_at"]
        read_only_fields = ["id", "role", "actor", "created_at"]


class RiskAcceptanceSerializer(serializers.ModelSerializer):
    accepted_by = UserSummarySerializer(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    lapse_recorded_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When opsx handled the lapse (reopening an approved launch)."
    )

    class Meta:
        model = RiskAcceptance
        fields = ["id", "review", "answer", "reason", "expires_at", "is_active", "lapse_recorded_at", "accepted_by",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "review", "is_active", "lapse_recorded_at", "accepted_by", "created_at"]


class FailureScenarioSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    # Plain strings in the schema: one enum under two names makes drf-spectacular warn.
    likelihood = serializers.CharField(required=False, help_text="low, medium or high")
    impact = serializers.CharField(required=False, help_text="low, medium or high")

    class Meta:
        model = FailureScenario
        fields = ["id", "review", "title", "description", "likelihood", "impact", "mitigation", "owner", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["review"].read_only = True  # a scenario stays on its review
        return fields

    def _level(self, value: str) -> str:
        if value not in Level.values:
            raise serializers.ValidationError(f"Use one of: {', '.join(Level.values)}.")
        return value

    def validate_likelihood(self, value: str) -> str:
        return self._level(value)

    def validate_impact(self, value: str) -> str:
        return self._level(value)


class GameDayFindingSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = GameDayFinding
        fields = ["id", "game_day", "description", "created_by", "created_at"]
        read_only_fields = ["id", "game_day", "created_by", "created_at"]


class GameDaySerializer(serializers.ModelSerializer):
    findings = GameDayFindingSerializer(many=True, read_only=True)
    outcome = serializers.ChoiceField(choices=["planned", "passed", "partial", "failed"], required=False)

    class Meta:
        model = GameDay
        fields = ["id", "review", "title", "held_on", "scenario", "participants", "outcome", "summary", "findings",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "findings", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["review"].read_only = True
        return fields


class FindingActionSerializer(serializers.Serializer):
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
