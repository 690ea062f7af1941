from rest_framework import serializers

from teams.models import Membership, System, Team, User


class UserSummarySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True, required=False)
    service_count = serializers.IntegerField(read_only=True, required=False)
    url = serializers.HyperlinkedIdentityField(view_name="api:team-detail", lookup_field="slug")

    class Meta:
        model = Team
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "description",
            "timezone",
            "member_count",
            "service_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class MembershipSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    user_detail = UserSummarySerializer(source="user", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "user_detail", "role", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # uniqueness is handled by the service (add or change role)


class MembershipUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["role"]


class SystemSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    url = serializers.HyperlinkedIdentityField(view_name="api:service-detail", lookup_field="slug")

    class Meta:
        model = System
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "team",
            "tier",
            "lifecycle",
            "description",
            "repository_url",
            "runbook_url",
            "dashboard_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
