from django.contrib import admin

from opsx.admin import AppendOnlyAdmin
from reviews.models import (
    Answer,
    Decision,
    FailureScenario,
    GameDay,
    GameDayFinding,
    Lens,
    LensUpgrade,
    LensVersion,
    Milestone,
    Review,
    ReviewLens,
    RiskAcceptance,
    TierPolicy,
)


class LensVersionInline(admin.TabularInline):
    model = LensVersion
    extra = 0
    fields = ["number", "version_label", "question_count", "fingerprint", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Lens)
class LensAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "builtin", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [LensVersionInline]


@admin.register(LensVersion)
class LensVersionAdmin(AppendOnlyAdmin):
    list_display = ["lens", "number", "version_label", "question_count", "created_at"]
    list_filter = ["lens"]
    readonly_fields = ["fingerprint", "document", "source_yaml", "question_count"]


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    list_display = ["tier", "review_interval_days", "requires_external_signoff"]


class ReviewLensInline(admin.TabularInline):
    model = ReviewLens
    extra = 0
    raw_id_fields = ["lens_version"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["title", "system", "team", "status", "approved_at", "created_at"]
    list_filter = ["status", "team"]
    search_fields = ["title", "system__name"]
    raw_id_fields = ["system", "team", "created_by"]
    inlines = [ReviewLensInline]


@admin.register(ReviewLens)
class ReviewLensAdmin(admin.ModelAdmin):
    list_display = ["review", "lens", "lens_version", "position"]
    raw_id_fields = ["review", "lens_version"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["question_id", "review", "risk", "not_applicable", "version", "updated_at"]
    list_filter = ["risk"]
    search_fields = ["question_id", "review__title"]
    raw_id_fields = ["review", "review_lens", "updated_by"]


@admin.register(LensUpgrade)
class LensUpgradeAdmin(AppendOnlyAdmin):
    list_display = ["review_lens", "from_version", "to_version", "actor", "created_at"]
    raw_id_fields = ["review_lens", "from_version", "to_version", "actor"]


@admin.register(Milestone)
class MilestoneAdmin(AppendOnlyAdmin):
    list_display = ["name", "review", "created_by", "created_at"]
    raw_id_fields = ["review", "created_by"]
    readonly_fields = ["snapshot"]


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(AppendOnlyAdmin):
    list_display = ["answer", "review", "accepted_by", "expires_at", "created_at"]
    raw_id_fields = ["answer", "review", "accepted_by"]


@admin.register(Decision)
class DecisionAdmin(AppendOnlyAdmin):
    list_display = ["review", "kind", "role", "actor", "created_at"]
    list_filter = ["kind", "role"]
    raw_id_fields = ["review", "actor"]


@admin.register(FailureScenario)
class FailureScenarioAdmin(admin.ModelAdmin):
    list_display = ["title", "review", "likelihood", "impact", "owner"]
    raw_id_fields = ["review", "owner"]


class GameDayFindingInline(admin.TabularInline):
    model = GameDayFinding
    extra = 0
    raw_id_fields = ["created_by"]


@admin.register(GameDay)
class GameDayAdmin(admin.ModelAdmin):
    list_display = ["title", "review", "held_on", "outcome"]
    raw_id_fields = ["review"]
    inlines = [GameDayFindingInline]


@admin.register(GameDayFinding)
class GameDayFindingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "game_day", "created_at"]
    raw_id_fields = ["game_day", "created_by"]
