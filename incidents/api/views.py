import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from incidents import selectors, services
from incidents.api.serializers import (
    ActionItemSerializer,
    ActionItemUpdateSerializer,
    IncidentSerializer,
    PostmortemApproveSerializer,
    PostmortemCommentResolveSerializer,
    PostmortemCommentSerializer,
    PostmortemContentSerializer,
    PostmortemPublishSerializer,
    PostmortemRestoreSerializer,
    PostmortemRevisionSerializer,
    PostmortemSerializer,
    PostmortemSubmitSerializer,
    TimelineEntrySerializer,
)
from incidents.filters import ActionItemFilterSet, IncidentFilterSet, PostmortemFilterSet
from incidents.models import ActionItem, Incident, Postmortem
from opsx.api_permissions import READ, WRITE, TeamRolePermission
from opsx.api_utils import error_response
from teams import permissions
from teams.permissions import Action

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Repeating a create with the same key (and body) returns the first incident instead of a new one.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag from your last GET (e.g. W/"3"). 428 when missing, 412 when someone saved since.',
)


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents. Creation is idempotent by `external_id` and by the `Idempotency-Key` header."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = {**READ, **WRITE, "timeline": Action.VIEW, "timeline_add": Action.CHANGE}
    ordering_fields = ["started_at", "severity__level", "status", "title"]
    search_fields = ["title", "summary"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.incident_list(user=self.request.user).prefetch_related("access_list")  # type: ignore[arg-type]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={201: IncidentSerializer, 409: OpenApiResponse(description="Key reused with another body")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)  # type: ignore[arg-type]
        permissions.check_create(request.user, Incident, [data["team"].pk])
        key = request.headers.get("Idempotency-Key", "").strip()[:255] or None
        try:
            incident, created = services.incident_create_idempotent(
                actor=request.user,  # type: ignore[arg-type]
                key=key,
                fingerprint=services.request_fingerprint(request.data),
                data=data,
            )
        except services.IdempotencyConflict as exc:
            return error_response(409, "idempotency_conflict", str(exc))
        visible = self.get_queryset().filter(pk=incident.pk).first()
        if visible is None:
            return error_response(
                409, "duplicate", "An incident with this external id exists and is not shared with you."
            )
        response = Response(self.get_serializer(visible).data, status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response

    def perform_update(self, serializer: BaseSerializer) -> None:
        incident: Incident = serializer.instance  # type: ignore[assignment]
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        if "team" in data and data["team"].pk != incident.team_id:
            permissions.check_create(self.request.user, Incident, [data["team"].pk])
        serializer.instance = services.incident_update(incident=incident, actor=self.request.user, data=data)  # type: ignore[arg-type]

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        entries = selectors.timeline_for(incident=incident)
        return Response(TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(request=TimelineEntrySerializer, responses={201: TimelineEntrySerializer})
    @timeline.mapping.post
    def timeline_add(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = TimelineEntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.timeline_entry_add(incident=incident, actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


def etag(postmortem: Postmortem) -> str:
    return f'W/"{postmortem.version}"'


def _if_match_version(request: Request) -> int | Response:
    """The version an If-Match header names, or the 428 response when it names none."""
    match = re.fullmatch(r'\s*(?:W/)?"(\d+)"\s*', request.headers.get("If-Match", ""))
    if match is None:
        return error_response(428, "precondition_required", 'Send If-Match with the ETag of your last GET (W/"n").')
    return int(match.group(1))


class PostmortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems. Updates need `If-Match` with the ETag of the version you edited."""

    filterset_class = PostmortemFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = {
        **READ,
        **WRITE,
        "submit": Action.CHANGE,
        "return_to_draft": Action.CHANGE,
        # Named reviewers approve, wherever they work: the service checks who is named.
        "approve": Action.VIEW,
        "publish": Action.APPROVE,
        "revisions": Action.VIEW,
        "restore": Action.CHANGE,
        "comments": Action.VIEW,
        "comments_add": Action.VIEW,
        # The comment's author or the owning team: checked by the service.
        "comment_resolve": Action.VIEW,
    }
    ordering_fields = ["created_at", "due_date", "published_at"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.postmortem_list(user=self.request.user).prefetch_related(  # type: ignore[arg-type]
            "reviewers", "approvals__reviewer", "approvals__postmortem"
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action in ("update", "partial_update"):
            return PostmortemContentSerializer
        return PostmortemSerializer

    def _respond(self, postmortem: Postmortem, code: int = 200) -> Response:
        postmortem = self.get_queryset().get(pk=postmortem.pk)
        response = Response(PostmortemSerializer(postmortem, context=self.get_serializer_context()).data, status=code)
        response["ETag"] = etag(postmortem)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self.get_object())

    @extend_schema(request=PostmortemSerializer, responses={201: PostmortemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PostmortemSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)  # type: ignore[arg-type]
        incident = permissions.get_for(request.user, Incident, Action.CHANGE, pk=data.pop("incident").pk)
        if Postmortem.objects.filter(incident=incident).exists():
            return error_response(409, "exists", "This incident already has a postmortem.")
        postmortem = services.postmortem_start(incident=incident, actor=request.user, owner=data.pop("owner", None))  # type: ignore[arg-type]
        if data:
            postmortem = services.postmortem_save(
                postmortem=postmortem,
                actor=request.user,
                data=data,
                expected_version=postmortem.version,  # type: ignore[arg-type]
            )
        return self._respond(postmortem, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemContentSerializer,
        responses={
            200: PostmortemSerializer,
            412: OpenApiResponse(description="Saved by someone else since your ETag"),
            428: OpenApiResponse(description="If-Match missing"),
        },
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        postmortem = self.get_object()
        expected = _if_match_version(request)
        if isinstance(expected, Response):
            return expected
        if expected != postmortem.version:
            return self._stale(postmortem)
        serializer = PostmortemContentSerializer(postmortem, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            postmortem = services.postmortem_save(
                postmortem=postmortem,
                actor=request.user,  # type: ignore[arg-type]
                data=dict(serializer.validated_data),  # type: ignore[arg-type]
                expected_version=expected,
            )
        except services.StaleVersion as exc:
            return self._stale(exc.current)
        return self._respond(postmortem)

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemContentSerializer,
        responses={200: PostmortemSerializer, 412: OpenApiResponse(), 428: OpenApiResponse()},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def _stale(self, current: Postmortem) -> Response:
        response = error_response(
            412,
            "precondition_failed",
            f"Version {current.version} was saved since your copy; GET it, merge, and retry with its ETag.",
            current_version=current.version,
        )
        response["ETag"] = etag(current)
        return response

    def _workflow(self, func: Any, **kwargs: Any) -> Response:
        """Run a review step. Refusals say why: 400 with fields for bad input, 409 with the refusal's code
        (`invalid_transition`, `stale_version`, `approvals_required`, `open_points`, `confirmation_required`)
        and every reason in `reasons`, 403 with the reason when the caller may not take the step."""
        postmortem = self.get_object()
        try:
            result = func(postmortem=postmortem, actor=self.request.user, **kwargs)
        except DjangoPermissionDenied as exc:
            return error_response(403, "permission_denied", str(exc) or "You may not do that.")
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            errors = exc.error_list
            reasons = [{"code": e.code or "invalid_transition", "message": m} for e in errors for m in e.messages]
            return error_response(409, reasons[0]["code"], " ".join(exc.messages), reasons=reasons)
        return self._respond(result if isinstance(result, Postmortem) else postmortem)

    @extend_schema(
        request=PostmortemSubmitSerializer,
        responses={200: PostmortemSerializer, 400: OpenApiResponse(), 409: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Draft → in review, naming the reviewers (not the author); they are notified."""
        serializer = PostmortemSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._workflow(services.postmortem_submit, reviewers=serializer.validated_data["reviewers"])  # type: ignore[index]

    @extend_schema(request=None, responses={200: PostmortemSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"], url_path="return-to-draft")
    def return_to_draft(self, request: Request, pk: str | None = None) -> Response:
        return self._workflow(services.postmortem_return_to_draft)

    @extend_schema(
        request=PostmortemApproveSerializer,
        responses={
            200: PostmortemSerializer,
            403: OpenApiResponse(description="Not a named reviewer, or the author"),
            409: OpenApiResponse(description="Not in review, or `stale_version`"),
        },
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A named reviewer (not the author) approves the current version; the author is notified.
        A later content change needs a new approval."""
        serializer = PostmortemApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._workflow(services.postmortem_approve, version=serializer.validated_data.get("version"))  # type: ignore[union-attr]

    @extend_schema(
        request=PostmortemPublishSerializer,
        responses={
            200: PostmortemSerializer,
            400: OpenApiResponse(description="No summary"),
            409: OpenApiResponse(
                description="Not in review, approvals missing, open points refused by the settings, or "
                "`confirmation_required` (send `confirm: true`); `reasons` lists each"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """In review → published (team leads), once the approvals the organization asks for are in."""
        serializer = PostmortemPublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._workflow(services.postmortem_publish, confirm=serializer.validated_data["confirm"])  # type: ignore[index]

    @extend_schema(responses=PostmortemRevisionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        postmortem = self.get_object()
        return Response(PostmortemRevisionSerializer(selectors.revisions_for(postmortem=postmortem), many=True).data)

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemRestoreSerializer,
        responses={200: PostmortemSerializer, 412: OpenApiResponse(), 428: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Save an old revision's content as the newest version."""
        postmortem = self.get_object()
        serializer = PostmortemRestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = _if_match_version(request)
        if isinstance(expected, Response):
            return expected
        revision = postmortem.revisions.filter(version=serializer.validated_data["version"]).first()  # type: ignore[index]
        if revision is None:
            return error_response(404, "not_found", "No such revision.")
        try:
            postmortem = services.postmortem_restore(
                postmortem=postmortem,
                actor=request.user,
                revision=revision,
                expected_version=expected,  # type: ignore[arg-type]
            )
        except services.StaleVersion as exc:
            return self._stale(exc.current)
        return self._respond(postmortem)

    @extend_schema(responses=PostmortemCommentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        postmortem = self.get_object()
        return Response(PostmortemCommentSerializer(selectors.comments_for(postmortem=postmortem), many=True).data)

    @extend_schema(request=PostmortemCommentSerializer, responses={201: PostmortemCommentSerializer})
    @comments.mapping.post
    def comments_add(self, request: Request, pk: str | None = None) -> Response:
        postmortem = self.get_object()
        serializer = PostmortemCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.postmortem_comment_add(
            postmortem=postmortem, actor=request.user, **serializer.validated_data
        )  # type: ignore[arg-type]
        return Response(PostmortemCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PostmortemCommentResolveSerializer,
        responses={200: PostmortemCommentSerializer, 403: OpenApiResponse(), 404: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"], url_path=r"comments/(?P<comment_id>\d+)/resolve")
    def comment_resolve(self, request: Request, pk: str | None = None, comment_id: str | None = None) -> Response:
        """Resolve a comment (or reopen it with `resolved: false`): its author or the owning team."""
        postmortem = self.get_object()
        comment = postmortem.comments.filter(pk=comment_id).first()
        if comment is None:
            return error_response(404, "not_found", "No such comment on this postmortem.")
        serializer = PostmortemCommentResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            comment = services.postmortem_comment_resolve(
                comment=comment,
                actor=request.user,  # type: ignore[arg-type]
                resolved=serializer.validated_data["resolved"],  # type: ignore[index]
            )
        except DjangoPermissionDenied as exc:
            return error_response(403, "permission_denied", str(exc))
        return Response(PostmortemCommentSerializer(comment).data)


class ActionItemViewSet(viewsets.ModelViewSet):
    """Action items from every origin (incidents, postmortems, readiness reviews, game days)."""

    filterset_class = ActionItemFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = {**READ, **WRITE, "destroy": Action.DELETE}
    ordering_fields = ["due_date", "priority", "created_at", "status"]
    search_fields = ["title", "description"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.action_item_list(user=self.request.user)  # type: ignore[arg-type]

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action in ("update", "partial_update"):
            return ActionItemUpdateSerializer
        return ActionItemSerializer

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)  # type: ignore[arg-type]
        permissions.check_create(self.request.user, ActionItem, [data["team"].pk])
        if data.get("incident") is not None:
            data["incident"] = permissions.get_for(self.request.user, Incident, pk=data["incident"].pk)
        status_value = data.pop("status", ActionItem.Status.OPEN)
        reason = data.pop("wont_do_reason", "")
        item = services.action_item_create(actor=self.request.user, **data)  # type: ignore[arg-type]
        if status_value != item.status:
            item = services.action_item_set_status(
                item=item, actor=self.request.user, status=status_value, reason=reason
            )  # type: ignore[arg-type]
        serializer.instance = item

    def perform_update(self, serializer: BaseSerializer) -> None:
        item: ActionItem = serializer.instance  # type: ignore[assignment]
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        if "team" in data and data["team"].pk != item.team_id:
            permissions.check_create(self.request.user, ActionItem, [data["team"].pk])
        serializer.instance = services.action_item_update(item=item, actor=self.request.user, data=data)  # type: ignore[arg-type]
