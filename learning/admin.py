from django.contrib import admin

from learning.models import EntryFacet, EntryRead, ExternalSource, Follow, LessonComment, LibraryEntry, UsefulMark


class EntryFacetInline(admin.TabularInline):
    model = EntryFacet
    extra = 0
    readonly_fields = ["kind", "value", "label"]


@admin.register(LibraryEntry)
class LibraryEntryAdmin(admin.ModelAdmin):
    """Derived from published postmortems: edit the postmortem, then the entry follows (or reindex_library)."""

    list_display = ["title", "team", "severity_name", "occurred_on", "restricted", "read_count", "useful_count"]
    list_filter = ["restricted", "severity_level", "year", "team"]
    search_fields = ["title", "summary"]
    readonly_fields = ["postmortem", "incident", "indexed_at"]
    exclude = ["search_vector"]
    inlines = [EntryFacetInline]


@admin.register(EntryFacet)
class EntryFacetAdmin(admin.ModelAdmin):
    list_display = ["entry", "kind", "value", "label"]
    list_filter = ["kind"]
    search_fields = ["value", "label"]
    raw_id_fields = ["entry"]


@admin.register(ExternalSource)
class ExternalSourceAdmin(admin.ModelAdmin):
    list_display = ["key", "incident", "organization", "imported_at"]
    search_fields = ["key", "organization", "source_url"]
    raw_id_fields = ["incident"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "label", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "label", "user__username"]


@admin.register(UsefulMark)
class UsefulMarkAdmin(admin.ModelAdmin):
    list_display = ["entry", "user", "created_at"]
    raw_id_fields = ["entry"]


@admin.register(LessonComment)
class LessonCommentAdmin(admin.ModelAdmin):
    list_display = ["entry", "author", "created_at"]
    search_fields = ["body"]
    raw_id_fields = ["entry"]


@admin.register(EntryRead)
class EntryReadAdmin(admin.ModelAdmin):
    list_display = ["entry", "user", "times", "last_read_at"]
    raw_id_fields = ["entry"]
