from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications import services
from notifications.models import Delivery, Notification, PersonChannel, Preference, TeamChannel


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "text", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "text"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "timing", "max_severity"]
    list_filter = ["kind", "channel", "timing"]
    raw_id_fields = ["user"]


@admin.register(TeamChannel, PersonChannel)
class ChannelAdmin(admin.ModelAdmin):
    """The webhook URL is a secret: the admin shows its hint, never the URL."""

    list_display = ["__str__", "webhook_hint", "paused", "updated_at"]
    exclude = ["webhook_url"]
    readonly_fields = ["webhook_hint"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "notification", "channel", "status", "reason", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["notification", "team"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed deliveries")
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = 0
        for delivery in queryset.filter(status=Delivery.Status.FAILED):
            services.delivery_retry(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
            retried += 1
        self.message_user(request, f"{retried} deliveries queued again.")
