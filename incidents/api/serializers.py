from typing import Any

from rest_framework import serializers

from incidents.models import (
    ActionItem,
    Incident,
    Postmortem,
    PostmortemApproval,
    PostmortemComment,
    PostmortemRevision,
    Severity,
    TimelineEntry,
)
from teams.api.serializers import UserSummarySerializer
from teams.models import System, Team, User

ACTIVE_USERS = User.objects.filter(is_active=True)


class TagListField(serializers.ListField):
    """Tags as a list of names in and out; unknown names are created."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data: Any) -> list[str]:
        return [tag.name for tag in data.all()]


class SeveritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Severity
        fields = ["level", "name", "description", "requires_postmortem"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    severity = serializers.SlugRelatedField(slug_field="name", queryset=Severity.objects.all())
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    services = serializers.SlugRelatedField(slug_field="slug", queryset=System.objects.all(), many=True, required=False)
    commander = serializers.SlugRelatedField(
        slug_field="username", queryset=ACTIVE_USERS, required=False, allow_null=True
    )
    access_list = serializers.SlugRelatedField(slug_field="username", queryset=ACTIVE_USERS, many=True, required=False)
    tags = TagListField(required=False)
    time_to_detect = serializers.DurationField(read_only=True)
    time_to_acknowledge = serializers.DurationField(read_only=True)
    time_to_mitigate = serializers.DurationField(read_only=True)
    time_to_resolve = serializers.DurationField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail")

    class Meta:
        model = Incident
        fields = [
            "id",
            "url",
            "title",
            "summary",
            "severity",
            "status",
            "team",
            "services",
            "commander",
            "started_at",
            "detected_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "time_to_detect",
            "time_to_acknowledge",
            "time_to_mitigate",
            "time_to_resolve",
            "impact_description",
            "users_affected",
            "requests_affected",
            "external_id",
            "pager_id",
            "ticket_url",
            "tags",
            "restricted",
            "access_list",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        # Duplicates of external_id are not an error on create: they return the existing incident.
        extra_kwargs = {"external_id": {"validators": []}}


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)
    kind = serializers.ChoiceField(choices=TimelineEntry.MANUAL_KINDS, default=TimelineEntry.Kind.NOTE)

    class Meta:
        model = TimelineEntry
        fields = ["id", "incident", "occurred_at", "author", "kind", "body", "created_at"]
        read_only_fields = ["id", "incident", "author", "created_at"]
        extra_kwargs = {"occurred_at": {"required": False}}


class FactorSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=50)
    description = serializers.CharField()


class PostmortemContentSerializer(serializers.ModelSerializer):
    """The document's content: what PUT/PATCH change (with If-Match)."""

    factors = FactorSerializer(many=True, required=False)

    class Meta:
        model = Postmortem
        fields = [
            "summary",
            "impact",
            "timeline",
            "detection",
            "response",
            "went_well",
            "went_poorly",
            "lucky",
            "lessons",
            "factors",
        ]


class PostmortemApprovalSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    current = serializers.SerializerMethodField(help_text="Approves the current version (only these count).")

    class Meta:
        model = PostmortemApproval
        fields = ["reviewer", "version", "current", "created_at"]
        read_only_fields = fields

    def get_current(self, obj: PostmortemApproval) -> bool:
        return obj.version == obj.postmortem.version


class PostmortemSerializer(PostmortemContentSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=ACTIVE_USERS, required=False, allow_null=True)
    reviewers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    approvals = PostmortemApprovalSerializer(many=True, read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "incident",
            "incident_title",
            "status",
            "required",
            "due_date",
            "is_overdue",
            "owner",
            "reviewers",
            "approvals",
            *PostmortemContentSerializer.Meta.fields,
            "submitted_at",
            "published_at",
            "published_by",
            "publish_confirmed",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "required",
            "due_date",
            "submitted_at",
            "published_at",
            "published_by",
            "publish_confirmed",
            "version",
            "created_at",
            "updated_at",
        ]


class PostmortemSubmitSerializer(serializers.Serializer):
    reviewers = serializers.SlugRelatedField(slug_field="username", queryset=ACTIVE_USERS, many=True)


class PostmortemApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; refused (409 stale_version) when a newer one was saved since.",
    )


class PostmortemPublishSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        default=False,
        help_text="Publish despite unresolved comments or no action item (recorded in `publish_confirmed`).",
    )


class PostmortemCommentResolveSerializer(serializers.Serializer):
    resolved = serializers.BooleanField(default=True, help_text="False reopens the comment.")


class PostmortemRestoreSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The revision to restore.")


class PostmortemRevisionSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)

    class Meta:
        model = PostmortemRevision
        fields = ["version", "author", "note", "created_at", "content"]
        read_only_fields = fields


class PostmortemCommentSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PostmortemComment
        fields = ["id", "section", "body", "author", "created_at", "resolved_at", "resolved_by"]
        read_only_fields = ["id", "author", "created_at", "resolved_at", "resolved_by"]


class ActionItemSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    owner = serializers.SlugRelatedField(slug_field="username", queryset=ACTIVE_USERS, required=False, allow_null=True)
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), required=False, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:action-item-detail")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "url",
            "title",
            "description",
            "owner",
            "team",
            "priority",
            "due_date",
            "status",
            "wont_do_reason",
            "completed_at",
            "is_overdue",
            "origin",
            "incident",
            "tracker_url",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "completed_at", "version", "created_at", "updated_at"]


class ActionItemUpdateSerializer(ActionItemSerializer):
    class Meta(ActionItemSerializer.Meta):
        read_only_fields = [*ActionItemSerializer.Meta.read_only_fields, "origin", "incident"]
