from django.contrib import admin

from opsx.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["created_at", "token"]
    readonly_fields = ["created_at", "token"]
