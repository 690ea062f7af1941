from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from incidents import selectors, services
from incidents.api.serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    ActionItemUpdateSerializer,
    IncidentSerializer,
    IncidentSeveritySerializer,
    IncidentStatusSerializer,
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
from opsx import etag
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
EXTERNAL_ID_IN_USE = "This external_id is already in use; send another one."
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag from your last GET (e.g. W/"3"; several may be listed, comma-separated), or * for any '
    "version. 428 when missing, 400 when malformed, 412 (with the current ETag) when someone saved since.",
)
CONDITIONAL_ERRORS = {
    400: OpenApiResponse(description="Invalid input or a malformed If-Match"),
    412: OpenApiResponse(description="Saved by someone else since your ETag (the answer carries the current one)"),
    428: OpenApiResponse(description="If-Match missing"),
}


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents. Creation is idempotent by `external_id` and by the `Idempotency-Key` header; changes
    (PUT, PATCH, status, severity) need `If-Match` with the ETag of the version you changed."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = {
        **READ,
        **WRITE,
        "timeline": Action.VIEW,
        "timeline_add": Action.CHANGE,
        "set_status": Action.CHANGE,
        "set_severity": Action.CHANGE,
    }
    ordering_fields = ["started_at", "severity__level", "status", "title"]
    search_fields = ["title", "summary"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = self.request.user
        return selectors.incident_list(user=user).prefetch_related(  # type: ignore[arg-type]
            "access_list",
            selectors.visible_postmortem_prefetch(user=user),  # type: ignore[arg-type]
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: IncidentSerializer,
            409: OpenApiResponse(
                description="Idempotency-Key reused with another body, or an external_id you cannot use (held by "
                "a record that is not shared with you)"
            ),
        },
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
        if visible is None:  # the external_id is held by an incident the caller may not see: say nothing about it
            return error_response(409, "conflict", EXTERNAL_ID_IN_USE)
        response = etag.with_etag(
            Response(self.get_serializer(visible).data, status=status.HTTP_201_CREATED), visible.version
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response

    def _respond(self, incident: Incident, code: int = 200, **headers: str) -> Response:
        incident = self.get_queryset().get(pk=incident.pk)
        response = Response(self.get_serializer(incident).data, status=code, headers=headers or None)
        return etag.with_etag(response, incident.version)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self.get_object())

    def _update(self, request: Request, make_serializer: Callable[[Incident], BaseSerializer]) -> Response:
        """Check If-Match, validate the input and apply it to that version; the service checks permission
        and (with a conditional UPDATE) the version."""
        incident: Incident = self.get_object()

        def write(expected: int | None) -> Incident:
            form = make_serializer(incident)
            form.is_valid(raise_exception=True)
            return services.incident_update(
                incident=incident,
                actor=request.user,  # type: ignore[arg-type]
                data=dict(form.validated_data),  # type: ignore[arg-type]
                expected_version=expected,
            )

        updated = etag.write_if_match(request, current=incident.version, write=write, stale=services.StaleVersion)
        return self._respond(updated)

    @extend_schema(parameters=[IF_MATCH], responses={200: IncidentSerializer, **CONDITIONAL_ERRORS})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.get("partial", False)
        return self._update(request, lambda incident: self.get_serializer(incident, data=request.data, partial=partial))

    @extend_schema(parameters=[IF_MATCH], responses={200: IncidentSerializer, **CONDITIONAL_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        parameters=[IF_MATCH],
        request=IncidentStatusSerializer,
        responses={200: IncidentSerializer, **CONDITIONAL_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        """Change the status in one call (logged on the timeline). Resolving a severity that requires a
        postmortem creates its draft: `postmortem` in the answer shows it, with its due date."""
        return self._update(request, lambda _incident: IncidentStatusSerializer(data=request.data))

    @extend_schema(
        parameters=[IF_MATCH],
        request=IncidentSeveritySerializer,
        responses={200: IncidentSerializer, **CONDITIONAL_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="severity")
    def set_severity(self, request: Request, pk: str | None = None) -> Response:
        """Change the severity in one call (logged on the timeline)."""
        return self._update(request, lambda _incident: IncidentSeveritySerializer(data=request.data))

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
        return etag.with_etag(response, postmortem.version)

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
        responses={200: PostmortemSerializer, **CONDITIONAL_ERRORS},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        postmortem = self.get_object()

        def write(expected: int | None) -> Postmortem:
            serializer = PostmortemContentSerializer(
                postmortem, data=request.data, partial=kwargs.get("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            return services.postmortem_save(
                postmortem=postmortem,
                actor=request.user,  # type: ignore[arg-type]
                data=dict(serializer.validated_data),  # type: ignore[arg-type]
                expected_version=expected,
            )

        saved = etag.write_if_match(request, current=postmortem.version, write=write, stale=services.StaleVersion)
        return self._respond(saved)

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemContentSerializer,
        responses={200: PostmortemSerializer, **CONDITIONAL_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

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
        responses={200: PostmortemSerializer, **CONDITIONAL_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Save an old revision's content as the newest version."""
        postmortem = self.get_object()
        serializer = PostmortemRestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data["version"]  # type: ignore[index]

        def write(expected: int | None) -> Postmortem:
            revision = postmortem.revisions.filter(version=wanted).first()
            if revision is None:
                raise NotFound("No such revision.")
            return services.postmortem_restore(
                postmortem=postmortem,
                actor=request.user,  # type: ignore[arg-type]
                revision=revision,
                expected_version=expected,
            )

        postmortem = etag.write_if_match(request, current=postmortem.version, write=write, stale=services.StaleVersion)
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
    """Action items from every origin (incidents, postmortems, readiness reviews, game days).

    Create with one link to the record the item comes from; the origin follows from it. The owner must
    be a member of the item's team and the due date not in the past (400 with field messages).
    """

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilterSet
    permission_classes = [TeamRolePermission]
    required_actions = {**READ, **WRITE, "destroy": Action.DELETE}
    ordering_fields = ["due_date", "priority", "created_at", "status"]
    search_fields = ["title", "description"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.action_item_list(user=self.request.user)  # type: ignore[arg-type]

    def _respond(self, item: ActionItem, code: int = status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=item.pk)
        return Response(ActionItemSerializer(item, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ActionItemCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        item = services.action_item_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return self._respond(item, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemUpdateSerializer, responses=ActionItemSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = ActionItemUpdateSerializer(item, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        item = services.action_item_update(item=item, actor=request.user, data=dict(serializer.validated_data))  # type: ignore[arg-type]
        return self._respond(item)

    @extend_schema(request=ActionItemUpdateSerializer, responses=ActionItemSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)
