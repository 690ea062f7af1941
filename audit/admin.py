"""The audit trail in the Django admin: read only (pghistory's events admin), PostgreSQL only."""

from django.contrib import admin, messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from pghistory.admin import EventsAdmin

from audit.models import AuditContext
from opsx.admin import ReadOnlyAdmin


class AuditEventsAdmin(EventsAdmin):
    """Lists every recorded change; nobody may add, change or delete one (and the database refuses it too)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if connection.vendor != "postgresql":
            messages.info(request, "The audit trail is recorded on PostgreSQL only; this database has none.")
            context = {**self.admin_site.each_context(request), "title": "Audit events", "opts": self.model._meta}
            return TemplateResponse(request, "admin/audit/unavailable.html", context)
        extra_context = {**(extra_context or {}), "audit_export": True}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(AuditContext)
class AuditContextAdmin(ReadOnlyAdmin):
    """The facts (who, from where) shared by the events of one request, command or task."""

    list_display = ["id", "created_at", "metadata"]
    readonly_fields = ["id", "created_at", "updated_at", "metadata"]
