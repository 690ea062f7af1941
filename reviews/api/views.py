"""Readiness review API. Reads go through `visible_to`; writes through `reviews.services`."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from opsx import etag
from opsx.api_permissions import READ, TeamRolePermission
from opsx.api_utils import error_response
from opsx.limits import TooLarge
from reviews import lensfile, selectors, services
from reviews.api.serializers import (
    ActionItemSummarySerializer,
    AnswerSerializer,
    ComparisonSerializer,
    DecisionSerializer,
    FailureScenarioSerializer,
    FindingActionSerializer,
    GameDayFindingSerializer,
    GameDaySerializer,
    LaunchHistoryEntrySerializer,
    LensComparisonSerializer,
    LensImportResultSerializer,
    LensSerializer,
    LensUploadSerializer,
    MilestoneSerializer,
    PlanActionSerializer,
    PlanItemSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    RiskAcceptanceSerializer,
    UpgradePreviewSerializer,
)
from reviews.filters import (
    AnswerFilterSet,
    DecisionFilterSet,
    FailureScenarioFilterSet,
    GameDayFilterSet,
    GameDayFindingFilterSet,
    MilestoneFilterSet,
    ReviewFilterSet,
    RiskAcceptanceFilterSet,
)
from reviews.forms import LensCompareForm, LensUpgradeForm
from reviews.models import (
    Answer,
    Decision,
    FailureScenario,
    GameDay,
    GameDayFinding,
    Lens,
    LensVersion,
    Milestone,
    Review,
    ReviewLens,
    RiskAcceptance,
)
from reviews.views import lens_download
from teams import permissions
from teams.permissions import Action


def state_conflict(exc: services.ReviewStateError) -> Response:
    return error_response(status.HTTP_409_CONFLICT, "conflict", str(exc))


def form_errors(form: Any) -> ValidationError:
    """A Django form's errors as DRF's 400 (the page and the API validate with the same form)."""
    return ValidationError({name: list(errors) for name, errors in form.errors.items()})


class LensViewSet(viewsets.ReadOnlyModelViewSet):
    """Lenses and their versions. Everyone signed in reads them; admins and team leads upload."""

    serializer_class = LensSerializer
    permission_classes = [TeamRolePermission]
    required_actions = {**READ, "upload": Action.CREATE, "export": Action.VIEW, "compare": Action.VIEW}
    throttle_scopes = {"upload": "import", "export": "export"}
    lookup_field = "slug"
    filterset_class = None
    search_fields = ["name", "description"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.lens_list(user=self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        request={"multipart/form-data": LensUploadSerializer},
        responses={
            201: LensImportResultSerializer,
            200: LensImportResultSerializer,
            413: OpenApiResponse(description="The file is over 500 KiB (code too_large); nothing of it is read."),
            429: OpenApiResponse(description="Too many imports in a short time; `Retry-After` says when to retry."),
        },
        description="Import a lens file. 201 when a lens or version is created, 200 when it is unchanged; an invalid "
        "file is refused (400) with one message per problem under `fields.file`, each naming its field path. What a "
        "published AWS file needs repairing is repaired as the AWS tool reads it and listed in `warnings`; with "
        "`strict` such a file is refused instead.",
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        if not selectors.can_import_lens(request.user):
            raise PermissionDenied("Only admins and team leads import lenses.")
        form = LensUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > lensfile.MAX_FILE_BYTES:
            raise TooLarge(str(lensfile.too_large_issue(upload.size)))
        try:
            result = services.lens_import(
                data=upload.read(),
                actor=request.user,  # type: ignore[arg-type]
                filename=upload.name,
                fmt=form.validated_data.get("format"),
                strict=form.validated_data["strict"],
            )
        except lensfile.LensFormatError as exc:
            raise ValidationError({"file": str(exc).splitlines()}) from exc
        body = LensImportResultSerializer(
            {"outcome": result.outcome, "lens": result.lens, "version": result.version, "warnings": result.warnings},
            context={"request": request},
        ).data
        return Response(body, status=status.HTTP_200_OK if result.outcome == "unchanged" else status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, enum=list(lensfile.FORMATS), description="yaml (default) or aws"),
            OpenApiParameter("version", int, description="Version number (default: latest)"),
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, slug: str | None = None) -> HttpResponse:
        lens: Lens = self.get_object()
        fmt = request.query_params.get("fmt", "yaml")
        if fmt not in lensfile.FORMATS:
            raise ValidationError({"fmt": [f"Use one of: {', '.join(lensfile.FORMATS)}."]})
        number = request.query_params.get("version")
        version = lens.versions.filter(number=number).first() if number else selectors.latest_version(lens)
        if version is None:
            raise ValidationError({"version": [f"{lens.name} has no version {number}."]})
        try:
            text = services.lens_export(version=version, fmt=fmt)  # type: ignore[arg-type]
        except lensfile.LensFormatError as exc:
            raise ValidationError({"fmt": str(exc).splitlines()}) from exc
        return lens_download(lens, version, text, fmt)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="Version number to compare from (default: the one before `to`)"),
            OpenApiParameter("to", int, description="Version number to compare to (default: the newest)"),
        ],
        responses={
            200: LensComparisonSerializer,
            400: OpenApiResponse(description="A version number the lens does not have (under `fields.from`/`to`)"),
        },
        description="What changed between two versions of a lens: questions, choices and risk rules added, removed "
        "and changed, each with its text before and after. Questions and choices are matched by id, risk rules by "
        "risk level.",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def compare(self, request: Request, slug: str | None = None) -> Response:
        lens: Lens = self.get_object()
        numbers = list(lens.versions.values_list("number", flat=True))
        form = LensCompareForm(request.query_params, lens_name=lens.name, numbers=numbers)
        if not form.is_valid():
            raise form_errors(form)
        comparison = selectors.lens_compare(lens=lens, before=form.cleaned_data["from"], after=form.cleaned_data["to"])
        return Response(LensComparisonSerializer(comparison).data)


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Readiness reviews. Everyone reads them; the service's team creates and answers them."""

    permission_classes = [TeamRolePermission]
    filterset_class = ReviewFilterSet
    required_actions = {
        **READ,
        "create": Action.CREATE,
        "update": Action.CHANGE,
        "partial_update": Action.CHANGE,
        "plan": Action.VIEW,
        "upgrade": Action.CHANGE,
        "launch_history": Action.VIEW,
        "upgrade_preview": Action.VIEW,
    }
    ordering_fields = ["created_at", "approved_at"]

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return ReviewDetailSerializer
        if self.action in ("update", "partial_update"):
            return ReviewUpdateSerializer
        return ReviewSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.review_list(user=self.request.user).order_by("-created_at")  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        permissions.check_create(self.request.user, Review, [data["system"].team_id])
        versions = data.get("lenses") or [selectors.builtin_version()]
        serializer.instance = services.review_create(
            actor=self.request.user,  # type: ignore[arg-type]
            system=data["system"],
            title=data["title"],
            lens_versions=versions,
        )

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.review_update(
            review=serializer.instance,  # type: ignore[arg-type]
            title=serializer.validated_data["title"],  # type: ignore[index]
        )

    @extend_schema(responses=PlanItemSerializer(many=True), description="Questions at risk, highest first.")
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def plan(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        plan = selectors.improvement_plan(review, user=request.user)  # type: ignore[arg-type]
        return Response(PlanItemSerializer(plan, many=True).data)

    def _upgrade_target(self, review: Review, data: Any) -> tuple[ReviewLens, LensVersion]:
        """The review's lens named by `lens` and the version to move it to (`to`, default the newest).

        Raises a 400 for an unknown lens or version, and `ReviewStateError` when there is no newer version.
        """
        review_lens = (
            review.review_lenses.select_related("lens", "lens_version").filter(lens__slug=data.get("lens", "")).first()
        )
        if review_lens is None:
            raise ValidationError({"lens": ["This review does not use that lens."]})
        newer = selectors.newer_versions(review_lens)
        if not newer:
            raise services.ReviewStateError("There is no newer version of this lens to upgrade to.")
        form = LensUpgradeForm(data, lens_name=review_lens.lens.name, numbers=[v.number for v in newer])
        if not form.is_valid():
            raise form_errors(form)
        return review_lens, next(v for v in newer if v.number == form.cleaned_data["to"])

    @extend_schema(
        responses=LaunchHistoryEntrySerializer(many=True),
        description="The launch history, newest first: decisions (request, sign-offs, approval, withdrawal, "
        "reopening) and risk acceptances (granted, and expired once their date has passed). The page shows the same.",
    )
    @action(detail=True, methods=["get"], url_path="launch-history", pagination_class=None, filterset_class=None)
    def launch_history(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        return Response(LaunchHistoryEntrySerializer(selectors.launch_history(review), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("lens", str, required=True, description="Slug of one of the review's lenses"),
            OpenApiParameter("to", int, description="A newer version number (default: the newest)"),
        ],
        responses={
            200: UpgradePreviewSerializer,
            400: OpenApiResponse(description="Unknown lens, or no such newer version"),
            409: OpenApiResponse(description="No newer version"),
        },
        description="What upgrading the review to a newer lens version would do, without doing it: which answers "
        "carry over (with the choices dropped and the risk under the new rules), which are lost, which questions "
        "are new, and the lens diff.",
    )
    @action(detail=True, methods=["get"], url_path="upgrade-preview", filterset_class=None, pagination_class=None)
    def upgrade_preview(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        try:
            review_lens, target = self._upgrade_target(review, request.query_params)
        except services.ReviewStateError as exc:
            return state_conflict(exc)
        preview = selectors.upgrade_preview(review_lens=review_lens, target=target)
        return Response(UpgradePreviewSerializer(preview).data)

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "required": ["lens"],
                "properties": {
                    "lens": {"type": "string", "description": "Slug of one of the review's lenses."},
                    "to": {"type": "integer", "description": "A newer version number (default: the newest)."},
                },
            }
        },
        responses={
            200: ReviewDetailSerializer,
            400: OpenApiResponse(description="Unknown lens, or no such newer version"),
            409: OpenApiResponse(description="No newer version"),
        },
        description="Move the review to a newer version of a lens (`lens`: its slug; `to`: the version, default the "
        "newest). `upgrade-preview` shows first what this carries over and loses.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def upgrade(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        try:
            review_lens, target = self._upgrade_target(review, request.data)
            upgrade = services.review_lens_upgrade(
                review_lens=review_lens,
                actor=request.user,  # type: ignore[arg-type]
                to_version=target,
            )
        except services.ReviewStateError as exc:
            return state_conflict(exc)
        body = ReviewDetailSerializer(review, context=self.get_serializer_context()).data
        return Response({**body, "upgrade": upgrade.changes})


class AnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Answers. PUT/PATCH need the version you read: `If-Match: <ETag>` (412 when stale, `*` for any
    version) or `version` in the body (409 when stale); without either, 428."""

    serializer_class = AnswerSerializer
    permission_classes = [TeamRolePermission]
    filterset_class = AnswerFilterSet
    required_actions = {**READ, "update": Action.CHANGE, "partial_update": Action.CHANGE, "action_item": Action.CHANGE}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return (
            Answer.objects.visible_to(self.request.user)
            .select_related("review_lens__lens_version", "review_lens__lens", "updated_by", "review")
            .order_by("review_id", "review_lens__position", "position")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        answer = self.get_object()
        return etag.with_etag(Response(self.get_serializer(answer).data), answer.version)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        answer: Answer = self.get_object()
        by_header = "If-Match" in request.headers
        serializer = self.get_serializer(answer, data=request.data, partial=kwargs.get("partial", False))
        if by_header or "version" not in request.data:
            try:
                version = etag.expected_version(
                    request,
                    current=answer.version,
                    hint="Send If-Match with the answer's ETag, or the version you read.",
                )
            except etag.PreconditionFailed as exc:
                raise self._stale(answer, etag.PreconditionFailed) from exc
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        if not by_header:
            version = data["version"]
        try:
            fresh = services.answer_update(
                answer=answer,
                actor=request.user,  # type: ignore[arg-type]
                version=version,
                selected=data.get("selected", answer.selected),
                not_applicable=data.get("not_applicable", answer.not_applicable),
                na_reason=data.get("na_reason", answer.na_reason),
                notes=data.get("notes", answer.notes),
                evidence_links=data.get("evidence_links", answer.evidence_links),
            )
        except services.StaleAnswer as exc:
            raise self._stale(exc.current, etag.PreconditionFailed if by_header else etag.VersionConflict) from exc
        except services.ReviewStateError as exc:
            return state_conflict(exc)
        return etag.with_etag(Response(self.get_serializer(fresh).data), fresh.version)

    def _stale(self, current: Answer, error: type[etag.PreconditionFailed]) -> etag.PreconditionFailed:
        current.refresh_from_db()
        return error(
            current.version,
            f"Someone changed this answer since you read it (now version {current.version}). Read it again.",
            current=self.get_serializer(current).data,
        )

    @extend_schema(request=PlanActionSerializer, responses={201: ActionItemSummarySerializer})
    @action(detail=True, methods=["post"], url_path="action-item", filterset_class=None)
    def action_item(self, request: Request, pk: str | None = None) -> Response:
        """Turn this improvement-plan item (a question at risk) into an action item."""
        answer: Answer = self.get_object()
        form = PlanActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = services.plan_item_to_action(answer=answer, actor=request.user, **form.validated_data)  # type: ignore[arg-type]
        return Response(ActionItemSummarySerializer(item).data, status=status.HTTP_201_CREATED)


def _review_for(request: Request, review_id: Any, action: Action) -> Review:
    return permissions.get_for(request.user, Review.objects.select_related("system"), action, pk=review_id)


class MilestoneViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Immutable snapshots of a review; `compare` shows what changed between two."""

    serializer_class = MilestoneSerializer
    permission_classes = [TeamRolePermission]
    filterset_class = MilestoneFilterSet
    required_actions = {**READ, "create": Action.CREATE, "compare": Action.VIEW}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Milestone.objects.visible_to(self.request.user).select_related("created_by")

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        review = _review_for(self.request, data["review"].pk, Action.CHANGE)
        serializer.instance = services.milestone_create(review=review, actor=self.request.user, name=data["name"])  # type: ignore[arg-type]

    @extend_schema(
        parameters=[
            OpenApiParameter("a", int, required=True, description="Earlier milestone id"),
            OpenApiParameter("b", int, required=True, description="Later milestone id"),
        ],
        responses={
            200: ComparisonSerializer,
            400: OpenApiResponse(description="Bad ids, or milestones of two reviews"),
        },
        description="What changed between two milestones of one review (the milestones page shows the same).",
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def compare(self, request: Request) -> Response:
        comparison = selectors.milestone_comparison(
            user=request.user,  # type: ignore[arg-type]
            a=request.query_params.get("a"),
            b=request.query_params.get("b"),
        )
        return Response(ComparisonSerializer(comparison).data)


class DecisionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Launch decision history (append-only): request, sign off, withdraw. Approval follows the last sign-off."""

    serializer_class = DecisionSerializer
    permission_classes = [TeamRolePermission]
    filterset_class = DecisionFilterSet
    required_actions = {**READ, "create": Action.VIEW}  # the service decides who may sign off; see create()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Decision.objects.visible_to(self.request.user).select_related("actor")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        kind, note, user = data["kind"], data.get("note", ""), request.user
        try:
            if kind == Decision.Kind.SIGNED_OFF:
                review = _review_for(request, data["review"].pk, Action.VIEW)
                decision = services.review_sign_off(review=review, actor=user, note=note)  # type: ignore[arg-type]
            elif kind == Decision.Kind.REQUESTED:
                review = _review_for(request, data["review"].pk, Action.CHANGE)
                decision = services.review_request_launch(review=review, actor=user, note=note)  # type: ignore[arg-type]
            else:
                review = _review_for(request, data["review"].pk, Action.CHANGE)
                decision = services.review_withdraw_launch(review=review, actor=user, note=note)  # type: ignore[arg-type]
        except services.ReviewStateError as exc:
            return state_conflict(exc)
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)


class RiskAcceptanceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Accepted high risks (append-only). The team's lead accepts, with a reason and an expiry."""

    serializer_class = RiskAcceptanceSerializer
    permission_classes = [TeamRolePermission]
    filterset_class = RiskAcceptanceFilterSet
    required_actions = {**READ, "create": Action.APPROVE}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return RiskAcceptance.objects.visible_to(self.request.user).select_related("accepted_by")

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        answer: Answer = data["answer"]
        _review_for(self.request, answer.review_id, Action.APPROVE)
        serializer.instance = services.risk_accept(
            answer=answer,
            actor=self.request.user,  # type: ignore[arg-type]
            reason=data["reason"],
            expires_at=data["expires_at"],
        )


class _ReviewChildViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Records hanging off a review that its team creates and edits (pre-mortem scenarios, game days)."""

    permission_classes = [TeamRolePermission]
    required_actions = {
        **READ,
        "create": Action.CREATE,
        "update": Action.CHANGE,
        "partial_update": Action.CHANGE,
    }

    # Set by subclasses (as staticmethods): the service that creates and the one that updates.
    create_service: Any
    update_service: Any
    instance_kwarg: str

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)  # type: ignore[arg-type]
        review = _review_for(self.request, data.pop("review").pk, Action.CHANGE)
        serializer.instance = self.create_service(review=review, actor=self.request.user, **data)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = self.update_service(
            **{self.instance_kwarg: serializer.instance}, data=serializer.validated_data
        )


class FailureScenarioViewSet(_ReviewChildViewSet):
    """Pre-mortem failure scenarios: likelihood, impact, mitigation and owner."""

    serializer_class = FailureScenarioSerializer
    filterset_class = FailureScenarioFilterSet
    create_service = staticmethod(services.scenario_create)
    update_service = staticmethod(services.scenario_update)
    instance_kwarg = "scenario"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return FailureScenario.objects.visible_to(self.request.user).select_related("owner")


class GameDayViewSet(_ReviewChildViewSet):
    """Game days (exercises) with their findings; `findings` adds one."""

    serializer_class = GameDaySerializer
    filterset_class = GameDayFilterSet
    required_actions = {**_ReviewChildViewSet.required_actions, "findings": Action.CHANGE}
    create_service = staticmethod(services.game_day_create)
    update_service = staticmethod(services.game_day_update)
    instance_kwarg = "game_day"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return GameDay.objects.visible_to(self.request.user).prefetch_related("findings__created_by")

    @extend_schema(request=GameDayFindingSerializer, responses={201: GameDayFindingSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def findings(self, request: Request, pk: str | None = None) -> Response:
        game_day: GameDay = self.get_object()
        form = GameDayFindingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        finding = services.finding_create(
            game_day=game_day,
            actor=request.user,  # type: ignore[arg-type]
            description=form.validated_data["description"],
        )
        return Response(GameDayFindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class GameDayFindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Game-day findings; `action-item` turns one into an action item (origin game day)."""

    serializer_class = GameDayFindingSerializer
    permission_classes = [TeamRolePermission]
    filterset_class = GameDayFindingFilterSet
    required_actions = {**READ, "action_item": Action.CHANGE}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return GameDayFinding.objects.visible_to(self.request.user).select_related("game_day__review", "created_by")

    @extend_schema(request=FindingActionSerializer, responses={201: ActionItemSummarySerializer})
    @action(detail=True, methods=["post"], url_path="action-item", filterset_class=None)
    def action_item(self, request: Request, pk: str | None = None) -> Response:
        finding: GameDayFinding = self.get_object()
        form = FindingActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = services.finding_to_action(finding=finding, actor=request.user, **form.validated_data)  # type: ignore[arg-type]
        return Response(ActionItemSummarySerializer(item).data, status=status.HTTP_201_CREATED)
