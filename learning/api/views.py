import io
import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from learning import selectors, services
from learning.api.serializers import (
    FacetsSerializer,
    FollowSerializer,
    ImportResultSerializer,
    ImportSerializer,
    LessonCommentSerializer,
    LibraryEntrySerializer,
    RelatedSerializer,
    UsefulSerializer,
    import_limits,
)
from learning.models import Follow, LessonComment, UsefulMark
from learning.postmortemfile import dump_jsonl_line, file_too_large, markdown_files, read_text_located
from learning.transfer import OptionError, options_from
from opsx.api_permissions import TeamRolePermission
from opsx.api_utils import Pagination
from opsx.limits import TooLarge
from teams.permissions import Action

SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description='Full-text query (websearch syntax: "phrase", -word, or).'),
    *[
        OpenApiParameter(
            kind, {"type": "array", "items": {"type": "string"}}, explode=True, description=f"{kind} facet"
        )
        for kind in selectors.FACET_KINDS
    ],
]


def _search(request: Request) -> Any:
    return selectors.library_search(
        user=request.user,  # type: ignore[arg-type]
        q=request.query_params.get("q", ""),
        filters=_filters(request),
    )


def _filters(request: Request) -> dict[str, list[str]]:
    return {
        kind: request.query_params.getlist(kind)[:20]
        for kind in selectors.FACET_KINDS
        if request.query_params.getlist(kind)
    }


class LibraryPagination(Pagination):
    """The usual page, plus the facet counts of the whole result set."""

    facets: dict | None = None

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["facets"] = self.facets or {}
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["facets"] = {
            "type": "object",
            "description": "{kind: [{value, label, count, selected}]} over every matching entry.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {"type": "integer"},
                        "selected": {"type": "boolean"},
                    },
                },
            },
        }
        return paginated


@extend_schema_view(list=extend_schema(parameters=SEARCH_PARAMETERS))
class LibraryViewSet(viewsets.ReadOnlyModelViewSet):
    """The lessons-learned library: published postmortems you may read, searchable, with facet counts."""

    serializer_class = LibraryEntrySerializer
    pagination_class = LibraryPagination
    permission_classes = [TeamRolePermission]
    required_actions = {
        "list": Action.VIEW,
        "retrieve": Action.VIEW,
        "facets": Action.VIEW,
        "related": Action.VIEW,
        "useful": Action.VIEW,
        "export": Action.VIEW,
        "import_files": Action.CREATE,
        "most_read": Action.VIEW,
    }
    # Search as you type, exports and imports are throttled per user and per token (opsx.throttling).
    throttle_scopes = {"list": "search", "facets": "search", "export": "export", "import_files": "import"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return _search(self.request)
        return selectors.entry_list(user=self.request.user)  # type: ignore[arg-type]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        q = request.query_params.get("q", "")
        search = selectors.SearchPage(user=request.user, q=q, filters=_filters(request))  # type: ignore[arg-type]
        page = self.paginate_queryset(search)  # type: ignore[arg-type]
        ranks = dict(page if page is not None else search[0 : search.count()])
        entries = selectors.entries_by_ids(ids=list(ranks))
        snippets = selectors.snippets_for(entry_ids=list(ranks), q=q) if q.strip() else {}
        for entry in entries:
            entry.snippet = snippets.get(entry.pk)
            entry.rank = ranks[entry.pk]
        self.paginator.facets = self._facets(search)  # type: ignore[union-attr]
        return self.get_paginated_response(self.get_serializer(entries, many=True).data)

    def _facets(self, search: selectors.SearchPage) -> dict:
        return {kind: [vars(v) for v in values] for kind, values in search.facets().items()}

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=FacetsSerializer)
    @action(detail=False, methods=["get"])
    def facets(self, request: Request) -> Response:
        """Facet counts alone (team, service, severity, category, tag, year) for a query and filters."""
        search = selectors.SearchPage(
            user=request.user,  # type: ignore[arg-type]
            q=request.query_params.get("q", ""),
            filters=_filters(request),
        )
        return Response(self._facets(search))

    @extend_schema(responses=LibraryEntrySerializer(many=True))
    @action(detail=False, methods=["get"], url_path="most-read")
    def most_read(self, request: Request) -> Response:
        """Entries by distinct readers, most first (leadership and admins; 403 for others)."""
        if not selectors.can_see_reading_stats(request.user):  # type: ignore[arg-type]
            raise PermissionDenied("Reading statistics are for leadership and admins.")
        page = self.paginate_queryset(selectors.most_read(user=request.user))  # type: ignore[arg-type]
        self.paginator.facets = None  # type: ignore[union-attr]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=RelatedSerializer(many=True))
    @action(detail=True, methods=["get"])
    def related(self, request: Request, pk: str | None = None) -> Response:
        """Other incidents sharing services, factor categories, tags or wording; best first, with reasons."""
        entry = self.get_object()
        related = selectors.related_entries(user=request.user, entry=entry)  # type: ignore[arg-type]
        data = [{"entry": r.entry, "score": r.score, "reasons": r.reasons} for r in related]
        return Response(RelatedSerializer(data, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=UsefulSerializer)
    @action(detail=True, methods=["post", "delete"])
    def useful(self, request: Request, pk: str | None = None) -> Response:
        """POST marks the lesson useful for you; DELETE takes the mark back."""
        entry = self.get_object()
        if request.method == "DELETE":
            entry = services.useful_unmark(entry=entry, user=request.user)  # type: ignore[arg-type]
        else:
            entry = services.useful_mark(entry=entry, user=request.user)  # type: ignore[arg-type]
        useful = UsefulMark.objects.filter(entry=entry, user=request.user).exists()  # type: ignore[misc]
        return Response({"useful": useful, "useful_count": entry.useful_count})

    @extend_schema(
        parameters=[
            *SEARCH_PARAMETERS,
            OpenApiParameter("fmt", OpenApiTypes.STR, enum=["jsonl", "markdown"], description="Default jsonl."),
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="JSON Lines"),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="Markdown files in a zip"),
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponseBase:
        """The postmortems you may read (narrowed by the same query and facets), in a format import reads back:
        JSON Lines (`fmt=jsonl`, default) or a zip of Markdown files with front matter (`fmt=markdown`)."""
        fmt = request.query_params.get("fmt", "jsonl")
        if fmt not in ("jsonl", "markdown"):
            raise ValidationError({"fmt": [f"Unknown format {fmt!r}: use jsonl or markdown."]})
        records = selectors.export_records(
            user=request.user,  # type: ignore[arg-type]
            q=request.query_params.get("q", ""),
            filters=_filters(request),
        )
        if fmt == "markdown":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, text in markdown_files(records):
                    archive.writestr(name, text)
            response: HttpResponseBase = HttpResponse(buffer.getvalue(), content_type="application/zip")
            response["Content-Disposition"] = 'attachment; filename="postmortems.zip"'
            return response
        response = StreamingHttpResponse(
            (dump_jsonl_line(record) + "\n" for record in records), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = 'attachment; filename="postmortems.jsonl"'
        return response

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(
                description=f"The upload is unusable: no file, a bad option, or too many files. {import_limits()} "
                "More than 100 files are refused before the upload is read (code too_many_files)."
            ),
            413: OpenApiResponse(description="A file is over the size limit (code too_large); nothing is imported."),
            429: OpenApiResponse(description="Too many imports in a short time; `Retry-After` says when to retry."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_files(self, request: Request) -> Response:
        """Import uploaded postmortem files. You may add postmortems only for teams you belong to (admins: any).

        Answers 200 with created/updated counts, the refused records (file, line, message) and warnings about
        imported ones in the same shape (e.g. an action item's unknown owner, left unassigned); 400 when the
        upload itself is unusable (no file, a bad option, too many files), 413 when a file is over the size
        limit. Each record is held to the text limits (per section, per postmortem) and refused when over them.
        """
        data = {
            key: request.data.getlist(key) if key.startswith(("files", "map_")) else request.data[key]
            for key in request.data
        }
        limit = settings.LIMIT_IMPORT_FILE_BYTES
        too_big = [file_too_large(f.name, f.size, limit) for f in request.FILES.getlist("files") if f.size > limit]
        if too_big:
            raise TooLarge("; ".join(too_big) + ". Nothing was imported.")
        serializer = ImportSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        errors: dict[str, list[str]] = {}
        try:
            options = options_from(values)
        except OptionError as exc:
            errors[exc.field] = [exc.message]
        records = []
        for upload in values["files"]:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                errors.setdefault("files", []).append(f"{upload.name}: not UTF-8 text.")
                continue
            records += [(upload.name, line, parsed) for line, parsed in read_text_located(text, upload.name)]
        if errors:
            raise serializers.ValidationError(errors)
        outcome = services.import_records(records=records, actor=request.user, options=options)  # type: ignore[arg-type]
        result = {
            "created": outcome.created,
            "updated": outcome.updated,
            "refused": [{"file": e.file, "line": e.line, "message": e.message} for e in outcome.refused],
            "warnings": [{"file": e.file, "line": e.line, "message": e.message} for e in outcome.warnings],
            "summary": outcome.summary(),
        }
        return Response(ImportResultSerializer(result).data, status=status.HTTP_200_OK)


class FollowViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """What you follow (tags, services, teams, factor categories); it feeds your "for you" list."""

    serializer_class = FollowSerializer
    permission_classes = [TeamRolePermission]
    required_actions = {"list": Action.VIEW, "create": Action.VIEW, "destroy": Action.VIEW, "for_you": Action.VIEW}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Follow.objects.none()
        return selectors.follow_list(user=self.request.user)  # type: ignore[arg-type]

    def perform_create(self, serializer: BaseSerializer) -> None:
        try:
            serializer.instance = services.follow_add(user=self.request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def perform_destroy(self, instance: Any) -> None:
        services.follow_remove(follow=instance)

    @extend_schema(responses=LibraryEntrySerializer(many=True))
    @action(detail=False, methods=["get"], url_path="for-you")
    def for_you(self, request: Request) -> Response:
        """Entries about what you follow, newest first."""
        page = self.paginate_queryset(selectors.for_you(user=request.user))  # type: ignore[arg-type]
        data = LibraryEntrySerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class LessonCommentViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Comments on library entries. Authors delete their own; leads of the entry's team and admins any."""

    serializer_class = LessonCommentSerializer
    permission_classes = [TeamRolePermission]
    required_actions = {"list": Action.VIEW, "create": Action.VIEW, "destroy": Action.VIEW}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = selectors.comment_list(user=self.request.user)  # type: ignore[arg-type]
        entry = self.request.query_params.get("entry")
        if entry and entry.isdigit():
            queryset = queryset.filter(entry_id=int(entry))
        return queryset

    @extend_schema(parameters=[OpenApiParameter("entry", OpenApiTypes.INT, description="Only this entry's comments.")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer) -> None:
        data: dict[str, Any] = serializer.validated_data  # type: ignore[assignment]
        serializer.instance = services.comment_add(entry=data["entry"], author=self.request.user, body=data["body"])  # type: ignore[arg-type]

    def perform_destroy(self, instance: LessonComment) -> None:
        services.comment_delete(comment=instance, actor=self.request.user)  # type: ignore[arg-type]
