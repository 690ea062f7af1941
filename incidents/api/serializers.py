from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents import sources
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
from opsx.api_utils import VisiblePrimaryKeyRelatedField
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


class IncidentPostmortemSerializer(serializers.ModelSerializer):
    """The incident's postmortem as the caller may see it (null when none, or a draft they may not read)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:postmortem-detail")

    class Meta:
        model = Postmortem
        fields = ["id", "url", "status", "required", "due_date"]
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
    date_only_times = serializers.ListField(
        child=serializers.ChoiceField(choices=Incident.TIME_FIELDS),
        required=False,
        help_text="Times known only to the day (imported records): their time_to_* are null. Giving another "
        "value for such a time makes it exact.",
    )
    postmortem = serializers.SerializerMethodField()
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
            "date_only_times",
            "impact_description",
            "users_affected",
            "requests_affected",
            "external_id",
            "pager_id",
            "ticket_url",
            "tags",
            "restricted",
            "access_list",
            "postmortem",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        # Duplicates of external_id are not an error on create: they return the existing incident.
        extra_kwargs = {"external_id": {"validators": []}}

    @extend_schema_field(IncidentPostmortemSerializer(allow_null=True))
    def get_postmortem(self, incident: Incident) -> dict[str, Any] | None:
        """From the viewset's `visible_postmortem` prefetch (the caller's view of it)."""
        postmortem = getattr(incident, "visible_postmortem", None)
        if postmortem is None:
            return None
        return IncidentPostmortemSerializer(postmortem, context=self.context).data  # type: ignore[return-value]


class IncidentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)


class IncidentSeveritySerializer(serializers.Serializer):
    severity = serializers.SlugRelatedField(slug_field="name", queryset=Severity.objects.all(), help_text="e.g. SEV2")


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
    incident = VisiblePrimaryKeyRelatedField(queryset=Incident.objects.all())
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


# What a client sets on an action item (create adds the link and origin; the rest is read-only).
ACTION_ITEM_WRITE_FIELDS = [
    "title",
    "description",
    "owner",
    "team",
    "priority",
    "due_date",
    "status",
    "wont_do_reason",
    "tracker_url",
]


class ActionItemSourceSerializer(serializers.Serializer):
    """Where an action item came from. A source the caller may not see (or one deleted since) keeps only its type."""

    type = serializers.CharField(
        allow_null=True, help_text="incident, postmortem, review_answer, game_day or game_day_finding; null: none."
    )
    id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField(allow_null=True)
    url = serializers.URLField(allow_null=True, help_text="The page that shows the source.")


class ActionItemListSerializer(serializers.ListSerializer):
    """Describes the sources of a whole page of items at once (one query per kind of source)."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        request = self.context.get("request")
        self.child.context["sources"] = sources.describe_many(items, getattr(request, "user", None))  # type: ignore[union-attr]
        return super().to_representation(items)


class ActionItemSerializer(serializers.ModelSerializer):
    """An action item as the API returns it."""

    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    source = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api:action-item-detail")

    class Meta:
        model = ActionItem
        list_serializer_class = ActionItemListSerializer
        fields = [
            "id",
            "url",
            *ACTION_ITEM_WRITE_FIELDS,
            "completed_at",
            "is_overdue",
            "origin",
            "incident",
            "source",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ActionItemSourceSerializer)
    def get_source(self, item: ActionItem) -> dict[str, Any]:
        described = self.context.get("sources")
        request = self.context.get("request")
        if described is None or item.pk not in described:
            described = sources.describe_many([item], getattr(request, "user", None))
        source = dict(described[item.pk])
        if source["url"] and request is not None:
            source["url"] = request.build_absolute_uri(source["url"])
        return source


class ActionItemUpdateSerializer(serializers.ModelSerializer):
    """What PUT/PATCH change. The origin and the source stay as created."""

    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=ACTIVE_USERS,
        required=False,
        allow_null=True,
        help_text="Username of an active member of the item's team.",
    )

    class Meta:
        model = ActionItem
        fields = ACTION_ITEM_WRITE_FIELDS
        extra_kwargs = {"due_date": {"help_text": "Not in the past (an existing date may stay)."}}


class ActionItemCreateSerializer(ActionItemUpdateSerializer):
    """A new action item. Link it to the record it comes from with one of the id fields (`incident`,
    `postmortem`, `review_answer`, `game_day`, `game_day_finding`); the origin follows from the link."""

    origin = serializers.ChoiceField(
        choices=ActionItem.Origin.choices,
        required=False,
        help_text="Derived from the link; when given it must agree with it. Without a link: default other.",
    )

    class Meta(ActionItemUpdateSerializer.Meta):
        fields = [*ActionItemUpdateSerializer.Meta.fields, "origin"]
        extra_kwargs = {"due_date": {"help_text": "Not in the past."}}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for kind in sources.kinds():
            fields[kind.name] = serializers.IntegerField(
                required=False,
                allow_null=True,
                min_value=1,
                help_text=f"Id of the {kind.label.lower()} the item comes from (origin {kind.origin}).",
            )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Turn the link ids into records the caller may see (a hidden id answers like a missing one)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        links = {k.name: attrs.pop(k.name) for k in sources.kinds() if attrs.get(k.name) is not None}
        for kind in sources.kinds():
            attrs.pop(kind.name, None)
        incident_id = links.pop("incident", None)
        if len(links) > 1:
            raise serializers.ValidationError({name: "Link one record only." for name in links})
        if incident_id is not None:
            attrs["incident"] = sources.resolve(user=user, name="incident", pk=incident_id)
        for name, pk in links.items():
            attrs["source"] = sources.resolve(user=user, name=name, pk=pk)
        return attrs
