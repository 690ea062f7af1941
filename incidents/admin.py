from django.contrib import admin

from incidents.models import ActionItem, Incident, Severity, Tag, TimelineEntry


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "requires_postmortem"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "severity", "status", "team", "started_at", "restricted"]
    list_filter = ["severity", "status", "restricted", "team"]
    search_fields = ["title", "external_id", "pager_id"]
    autocomplete_fields = ["services", "commander", "tags", "access_list"]
    inlines = [TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["incident", "kind", "occurred_at", "author"]
    list_filter = ["kind"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "owner", "status", "priority", "due_date", "origin"]
    list_filter = ["status", "priority", "origin", "team"]
    search_fields = ["title"]
