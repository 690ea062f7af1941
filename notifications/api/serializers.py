from typing import Any

from rest_framework import serializers

from notifications.models import Channel, Notification, Timing

HIDDEN_TEXT = "This is no longer shared with you."


class NotificationSerializer(serializers.ModelSerializer):
    """A notification; one whose subject the reader may no longer see keeps only its kind and times."""

    subject_type = serializers.SerializerMethodField()
    subject_id = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField(help_text="False when the subject is gone or no longer shared.")
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "link",
            "subject_type",
            "subject_id",
            "available",
            "unread",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields

    def _visible(self, obj: Notification) -> bool:
        return bool(getattr(obj, "subject_visible", False))

    def get_subject_type(self, obj: Notification) -> str | None:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}" if self._visible(obj) else None

    def get_subject_id(self, obj: Notification) -> int | None:
        return obj.subject_id if self._visible(obj) else None

    def get_available(self, obj: Notification) -> bool:
        return self._visible(obj)

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self._visible(instance):
            data.update(text=HIDDEN_TEXT, link=None)
        return data


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


class PreferenceSerializer(serializers.Serializer):
    """One kind's choice. `max_severity` applies to incident_declared only (1 = SEV1 only .. 5 = every SEV)."""

    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    label = serializers.CharField(source="get_kind_display", read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    timing = serializers.ChoiceField(choices=Timing.choices, default=Timing.IMMEDIATE)
    max_severity = serializers.IntegerField(min_value=1, max_value=5, required=False)
