"""History pages (one template for every record) and the admins' audit log and export."""

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from audit import context, history
from opsx.htmx import is_partial
from opsx.views import bad_request
from teams import permissions

PANEL_ROWS = 10
PAGE_ROWS = 50
EXPORT_FIELDS = [
    "at",
    "event",
    "label",
    "model",
    "object_id",
    "source",
    "user",
    "username",
    "token",
    "context",
    "data",
    "diff",
]


def _page(request: HttpRequest, events: Any, size: int, *, log: bool = False) -> tuple[Any, list[history.Row]]:
    page = Paginator(events, size).get_page(request.GET.get("page"))
    return page, history.rows(page.object_list, log=log)


@require_GET
@vary_on_headers("HX-Request")
def history_page(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """Who changed what, when, and from where, for one record (and its parts). Outsiders get 404."""
    model = history.history_model(label)
    if model is None:
        raise Http404("No history for this kind of record.")
    obj = permissions.get_for(request.user, model, pk=pk)
    panel = is_partial(request) or request.GET.get("panel") == "1"
    page, rows = (
        (None, [])
        if not context.enabled()
        else _page(request, history.events_for(obj), PANEL_ROWS if panel else PAGE_ROWS)
    )
    ctx = {"obj": obj, "page": page, "rows": rows, "enabled": context.enabled(), "panel": panel}
    return render(request, "audit/history.html#history-panel" if panel else "audit/history.html", ctx)


def _admin_only(request: HttpRequest) -> None:
    if not permissions.is_admin(request.user):
        raise PermissionDenied("Only admins read the whole audit trail.")


def _since(request: HttpRequest) -> dt.datetime | None:
    """`?since=YYYY-MM-DD` as the start of that day (UTC); raises ValueError when it is not a date."""
    raw = request.GET.get("since", "").strip()
    if not raw:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(0, 0), tzinfo=dt.UTC)


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every recorded change, newest first, with the export links (admins only)."""
    _admin_only(request)
    page, rows = (
        (None, []) if not context.enabled() else _page(request, history.all_events().reverse(), PAGE_ROWS, log=True)
    )
    return render(
        request, "audit/history.html", {"page": page, "rows": rows, "enabled": context.enabled(), "log": True}
    )


def _record(event: Any) -> dict[str, Any]:
    meta = event.pgh_context or {}
    return {
        "at": event.pgh_created_at,
        "event": event.pgh_slug,
        "label": event.pgh_label,
        "model": event.pgh_obj_model,
        "object_id": event.pgh_obj_id,
        "source": meta.get("source"),
        "user": meta.get("user"),
        "username": meta.get("username"),
        "token": meta.get("token"),
        "context": meta,
        "data": event.pgh_data,
        "diff": event.pgh_diff,
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (the JSON Lines export is exact)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(fmt: str, events: Any) -> Iterator[str]:
    if fmt == "jsonl":
        for event in events.iterator(chunk_size=2000):
            yield json.dumps(_record(event), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"
        return
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    for event in events.iterator(chunk_size=2000):
        record = _record(event)
        for key in ("context", "data", "diff"):
            record[key] = json.dumps(record[key], cls=DjangoJSONEncoder, ensure_ascii=False)
        yield writer.writerow([_cell(record[name]) for name in EXPORT_FIELDS])


@require_GET
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole audit trail (or since a day) as CSV or JSON Lines, oldest first (admins only; docs/audit.md)."""
    _admin_only(request)
    if fmt not in ("csv", "jsonl"):
        raise Http404("Export formats: csv, jsonl.")
    if not context.enabled():
        return HttpResponse("The audit trail is recorded on PostgreSQL only.\n", status=404, content_type="text/plain")
    try:
        since = _since(request)
    except ValueError:
        return bad_request(request, "invalid", "Invalid input.", fields={"since": ["Use a date, YYYY-MM-DD."]})
    events = history.all_events(since=since)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/jsonl; charset=utf-8"
    response = StreamingHttpResponse(_lines(fmt, events), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="opsx-audit-{stamp}.{fmt}"'
    return response
