from django.contrib import admin

from reminders.models import Digest, ReminderSettings, TeamSchedule


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "due_soon_days", "lead_grace_days", "acceptance_expiring_days", "digest_weekday"]

    def has_add_permission(self, request: object) -> bool:
        return not ReminderSettings.objects.exists()

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(TeamSchedule)
class TeamScheduleAdmin(admin.ModelAdmin):
    list_display = ["team", "digest_enabled", "digest_weekday", "digest_hour", "quiet_start_hour", "quiet_end_hour"]
    list_select_related = ["team"]
    raw_id_fields = ["team"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """Read-only: digests are built by the digest run; admins see that they went out, not change them."""

    list_display = ["title", "recipient", "kind", "period", "created_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "period"]
    raw_id_fields = ["recipient", "team"]
    readonly_fields = ["recipient", "kind", "team", "period", "title", "content", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
