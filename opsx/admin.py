from django.contrib import admin
from django.http import HttpRequest

from opsx.models import WorkerHeartbeat


class AppendOnlyAdmin(admin.ModelAdmin):
    """History rows (decisions, acceptances, snapshots, upgrades, lens versions) are never edited or deleted."""

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(AppendOnlyAdmin):
    """Records that only opsx's services write (timeline entries, postmortem revisions): shown, never written."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted there (list them in `fields`)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["created_at", "token"]
    readonly_fields = ["created_at", "token"]
