from django.contrib import admin
from django.http import HttpRequest

from incidents.models import (
    ActionItem,
    FactorCategory,
    IdempotencyKey,
    Incident,
    OrgSettings,
    Postmortem,
    PostmortemApproval,
    PostmortemComment,
    PostmortemRevision,
    Severity,
    Tag,
    TimelineEntry,
)
from opsx.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "requires_postmortem"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ["occurred_at", "kind", "author", "body"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "severity", "status", "team", "started_at", "restricted"]
    list_filter = ["severity", "status", "restricted", "team"]
    search_fields = ["title", "external_id", "pager_id"]
    autocomplete_fields = ["services", "commander", "tags", "access_list"]
    inlines = [TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "occurred_at", "author"]
    list_filter = ["kind"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "owner", "status", "priority", "due_date", "origin"]
    list_filter = ["status", "priority", "origin", "team"]
    search_fields = ["title"]


@admin.register(OrgSettings)
class OrgSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "postmortem_due_business_days", "autosave_seconds"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not OrgSettings.objects.exists()


@admin.register(FactorCategory)
class FactorCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "active"]
    list_editable = ["position", "active"]
    prepopulated_fields = {"slug": ["name"]}


class RevisionInline(ReadOnlyInline):
    model = PostmortemRevision
    fields = ["version", "author", "note", "created_at"]


class ApprovalInline(admin.TabularInline):
    model = PostmortemApproval
    extra = 0
    fields = ["reviewer", "version", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "required", "due_date", "owner", "published_at", "version"]
    list_filter = ["status", "required"]
    search_fields = ["incident__title", "summary"]
    autocomplete_fields = ["owner", "reviewers"]
    raw_id_fields = ["incident"]
    readonly_fields = ["version", "published_by", "publish_confirmed"]
    inlines = [ApprovalInline, RevisionInline]


@admin.register(PostmortemRevision)
class PostmortemRevisionAdmin(ReadOnlyAdmin):
    list_display = ["postmortem", "version", "author", "note", "created_at"]
    raw_id_fields = ["postmortem"]


@admin.register(PostmortemApproval)
class PostmortemApprovalAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "reviewer", "version", "created_at"]
    raw_id_fields = ["postmortem", "reviewer"]


@admin.register(PostmortemComment)
class PostmortemCommentAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "author", "section", "created_at", "resolved_at"]
    raw_id_fields = ["postmortem"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "incident", "created_at"]
    raw_id_fields = ["incident"]
    search_fields = ["key"]
