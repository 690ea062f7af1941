from typing import Any

from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from opsx.api_permissions import TeamRolePermission, crud_actions
from teams import permissions, selectors, services
from teams.api.serializers import MembershipSerializer, MembershipUpdateSerializer, SystemSerializer, TeamSerializer
from teams.filters import MembershipFilterSet, SystemFilterSet, TeamFilterSet
from teams.models import Membership, System, Team


class TeamViewSet(viewsets.ModelViewSet):
    """Teams. Everyone signed in reads them; admins create and delete; leads edit their team."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = crud_actions()
    lookup_field = "slug"
    ordering_fields = ["name", "created_at"]
    search_fields = ["name", "description"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.team_list(user=self.request.user)  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer) -> None:
        permissions.check_create(self.request.user, Team, [])
        serializer.instance = services.team_create(actor=self.request.user, **serializer.validated_data)  # type: ignore[arg-type]

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.team_update(team=serializer.instance, data=serializer.validated_data)  # type: ignore[arg-type]


class MembershipViewSet(viewsets.ModelViewSet):
    """Team memberships. Leads of the team (and admins) add, change and remove members."""

    permission_classes = [TeamRolePermission]
    filterset_class = MembershipFilterSet
    required_actions = crud_actions()
    ordering_fields = ["created_at"]

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action in ("update", "partial_update"):
            return MembershipUpdateSerializer
        return MembershipSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.membership_list(user=self.request.user)  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        permissions.check_create(self.request.user, Membership, [data["team"].pk])
        serializer.instance = services.membership_set(team=data["team"], user=data["user"], role=data["role"])

    def perform_update(self, serializer: BaseSerializer) -> None:
        membership: Membership = serializer.instance  # type: ignore[assignment]
        serializer.instance = services.membership_set(
            team=membership.team,
            user=membership.user,
            role=serializer.validated_data["role"],  # type: ignore[index]
        )

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_remove(membership=instance)


class SystemViewSet(viewsets.ModelViewSet):
    """Services (systems) and their owner team. Members of the owner team create and edit them."""

    serializer_class = SystemSerializer
    filterset_class = SystemFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = crud_actions()
    lookup_field = "slug"
    ordering_fields = ["name", "tier", "created_at"]
    search_fields = ["name", "description"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.system_list(user=self.request.user)  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        permissions.check_create(self.request.user, System, [data["team"].pk])
        serializer.instance = services.system_create(actor=self.request.user, **data)  # type: ignore[arg-type]

    def perform_update(self, serializer: BaseSerializer) -> None:
        system: System = serializer.instance  # type: ignore[assignment]
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        if "team" in data and data["team"].pk != system.team_id:
            permissions.check_create(self.request.user, System, [data["team"].pk])
        serializer.instance = services.system_update(system=system, data=data)
