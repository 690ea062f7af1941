from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api.serializers import MarkedReadSerializer, NotificationSerializer, PreferenceSerializer
from notifications.filters import NotificationFilterSet
from notifications.models import Notification
from opsx.api_permissions import READ, TeamRolePermission
from teams.permissions import Action


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your own notifications, newest first (`?unread=true` for unread ones). Nobody lists anyone else's."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [TeamRolePermission]
    # Marking your own notification read changes nothing anybody else sees: reading is enough.
    # Your own preferences likewise concern only you.
    required_actions = {**READ, "read": Action.VIEW, "read_all": Action.VIEW, "preferences": Action.VIEW}
    ordering_fields = ["created_at"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list(user=self.request.user).select_related("subject_type")  # type: ignore[arg-type]

    def _data(self, rows: list[Notification]) -> list:
        rows = selectors.with_access(rows, user=self.request.user)  # type: ignore[arg-type]
        return NotificationSerializer(rows, many=True, context=self.get_serializer_context()).data  # type: ignore[return-value]

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self._data(list(page or [])))

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        return Response(self._data([self.get_object()])[0])

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark this notification read."""
        notification = services.notification_mark_read(notification=self.get_object(), actor=request.user)  # type: ignore[arg-type]
        return Response(self._data([notification])[0])

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your notifications read."""
        marked = services.notification_mark_all_read(actor=request.user)  # type: ignore[arg-type]
        return Response({"marked": marked})

    @extend_schema(methods=["GET"], request=None, responses=PreferenceSerializer(many=True))
    @extend_schema(
        methods=["PATCH"], request=PreferenceSerializer(many=True), responses=PreferenceSerializer(many=True)
    )
    @action(detail=False, methods=["get", "patch"])
    def preferences(self, request: Request) -> Response:
        """Your channel (off, in_app, email, chat) and timing (immediate, digest) for every kind.

        PATCH a list of the kinds to change; the answer is the whole list. One refused entry changes none.
        """
        if request.method == "PATCH":
            items = PreferenceSerializer(data=request.data, many=True)
            items.is_valid(raise_exception=True)
            choices = {item.pop("kind"): item for item in items.validated_data}  # type: ignore[union-attr]
            services.preferences_update(actor=request.user, choices=choices)  # type: ignore[arg-type]
        current = selectors.preferences_for(user=request.user)  # type: ignore[arg-type]
        return Response(PreferenceSerializer(list(current.values()), many=True).data)
