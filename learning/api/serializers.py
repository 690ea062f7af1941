from django.conf import settings
from rest_framework import serializers

from learning.models import Follow, FollowKind, LessonComment, LibraryEntry
from learning.services import UNKNOWN_POLICIES
from teams.api.serializers import UserSummarySerializer


class LibraryEntrySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    severity = serializers.CharField(source="severity_name", read_only=True)
    postmortem = serializers.IntegerField(source="postmortem_id", read_only=True)
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    rank = serializers.FloatField(read_only=True, required=False, allow_null=True, default=None)
    snippet = serializers.CharField(
        read_only=True, required=False, allow_null=True, default=None, help_text="HTML: escaped text with <mark>."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:library-detail")

    class Meta:
        model = LibraryEntry
        fields = [
            "id",
            "url",
            "title",
            "summary",
            "lessons",
            "team",
            "severity",
            "severity_level",
            "occurred_on",
            "published_at",
            "organization",
            "postmortem",
            "incident",
            "useful_count",
            "comment_count",
            "read_count",
            "rank",
            "snippet",
        ]
        read_only_fields = fields


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetsSerializer(serializers.Serializer):
    team = FacetValueSerializer(many=True)
    service = FacetValueSerializer(many=True)
    severity = FacetValueSerializer(many=True)
    category = FacetValueSerializer(many=True)
    tag = FacetValueSerializer(many=True)
    year = FacetValueSerializer(many=True)


class RelatedSerializer(serializers.Serializer):
    entry = LibraryEntrySerializer()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class UsefulSerializer(serializers.Serializer):
    useful = serializers.BooleanField(help_text="Whether you now find it useful.")
    useful_count = serializers.IntegerField()


class FollowSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=FollowKind.choices)

    class Meta:
        model = Follow
        fields = ["id", "kind", "value", "label", "created_at"]
        read_only_fields = ["id", "label", "created_at"]
        validators = []  # following twice returns the existing follow


class LessonCommentSerializer(serializers.ModelSerializer):
    entry = serializers.PrimaryKeyRelatedField(queryset=LibraryEntry.objects.none())
    author = UserSummarySerializer(read_only=True)

    class Meta:
        model = LessonComment
        fields = ["id", "entry", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only entries the caller may read: others are "does not exist", never a hint that they do.
            self.fields["entry"].queryset = LibraryEntry.objects.visible_to(request.user)  # type: ignore[attr-defined]


def _policy_field(name: str) -> serializers.CharField:
    # A plain string (checked in validate) rather than four enums that share values.
    choices = UNKNOWN_POLICIES[name]
    return serializers.CharField(
        default=choices[0], help_text=f"What to do with unknown {name}: {', '.join(choices)} (default {choices[0]})."
    )


# Upload limits of the import API. Django itself refuses a request with more than DATA_UPLOAD_MAX_NUMBER_FILES
# (100) files before it is read (400, code too_many_files); a file over LIMIT_IMPORT_FILE_BYTES is a 413
# (the import command refuses such a file too).
IMPORT_MAX_FILES = 50


def import_limits() -> str:
    size = settings.LIMIT_IMPORT_FILE_BYTES
    return f"At most {IMPORT_MAX_FILES} files per request, each at most {size} bytes ({size / (1024 * 1024):g} MiB)."


class ImportSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(max_length=300, allow_empty_file=True),
        min_length=1,
        max_length=IMPORT_MAX_FILES,
        help_text=f"Markdown (.md) files with YAML front matter and/or JSON Lines (.jsonl) files. {import_limits()}",
    )
    team = serializers.SlugField(
        required=False, help_text="Team for records that name none (and for those with only an organization)."
    )
    severity = serializers.RegexField(r"^(?i:sev)?[1-5]$", default="SEV3", help_text="Default severity.")
    unknown_teams = _policy_field("teams")
    unknown_services = _policy_field("services")
    unknown_tags = _policy_field("tags")
    unknown_categories = _policy_field("categories")
    map_team = serializers.ListField(child=serializers.CharField(), required=False, help_text="NAME=SLUG pairs.")
    map_service = serializers.ListField(child=serializers.CharField(), required=False, help_text="NAME=SLUG pairs.")
    map_tag = serializers.ListField(child=serializers.CharField(), required=False, help_text="NAME=SLUG pairs.")
    map_category = serializers.ListField(child=serializers.CharField(), required=False, help_text="NAME=SLUG pairs.")

    def validate(self, attrs: dict) -> dict:
        errors = {}
        for name, choices in UNKNOWN_POLICIES.items():
            if attrs.get(f"unknown_{name}") not in choices:
                errors[f"unknown_{name}"] = [f"Choose one of: {', '.join(choices)}."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RefusedRecordSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    refused = RefusedRecordSerializer(many=True)
    warnings = RefusedRecordSerializer(
        many=True, help_text="Notes about records that were imported, e.g. something left out (file, line, message)."
    )
    summary = serializers.CharField()
