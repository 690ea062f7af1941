"""Reading the audit trail: an object's history for its page, and every event for the admins' export.

An object's history is its own events plus those of the parts that share its visibility (an
incident's timeline entries and links, a review's answers and decisions, a team's memberships...),
listed in `PARTS`. A postmortem draft is not part of its incident's history: drafts are read by
fewer people than the incident, so they keep their own page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from audit import context
from audit.models import AuditEvent

# Tracked model -> the event models shown on its page (its own first).
PARTS: dict[str, list[str]] = {
    "teams.team": ["teams.TeamEvent", "teams.MembershipEvent"],
    "teams.system": ["teams.SystemEvent"],
    "reviews.lens": ["reviews.LensEvent", "reviews.LensVersionEvent"],
    "reviews.review": [
        "reviews.ReviewEvent",
        "reviews.ReviewLensEvent",
        "reviews.AnswerEvent",
        "reviews.DecisionEvent",
        "reviews.RiskAcceptanceEvent",
        "reviews.MilestoneEvent",
        "reviews.FailureScenarioEvent",
        "reviews.GameDayEvent",
    ],
    "incidents.incident": [
        "incidents.IncidentEvent",
        "incidents.TimelineEntryEvent",
        "incidents.IncidentAccessEvent",
        "incidents.IncidentServiceEvent",
        "incidents.IncidentTagEvent",
    ],
    "incidents.postmortem": [
        "incidents.PostmortemEvent",
        "incidents.PostmortemCommentEvent",
        "incidents.PostmortemApprovalEvent",
        "incidents.PostmortemReviewerEvent",
    ],
    "incidents.actionitem": ["incidents.ActionItemEvent"],
}

LABELS = {"insert": "created", "update": "changed", "delete": "deleted", "add": "added", "remove": "removed"}
# Bookkeeping columns that change with every save and say nothing to a reader.
QUIET_FIELDS = {"version", "updated_at", "created_at", "search_vector"}
SUMMARY_FIELDS = ("title", "name", "username", "body", "question_id", "kind", "note", "reason", "description")
MAX_VALUE = 160


def history_model(label: str) -> type[models.Model] | None:
    """The tracked model for a `app_label.model_name` that has a history page, else None."""
    if label not in PARTS:
        return None
    return apps.get_model(label)


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The object's events and its parts', newest first (PostgreSQL only)."""
    across = PARTS[obj._meta.label_lower]
    return AuditEvent.objects.references(obj).across(*across).order_by("-pgh_created_at", "-pgh_slug")


def all_events(*, since: dt.datetime | None = None) -> models.QuerySet[AuditEvent]:
    """Every recorded event, oldest first (for the export)."""
    events = AuditEvent.objects.order_by("pgh_created_at", "pgh_slug")
    return events.filter(pgh_created_at__gte=since) if since else events


# --- display --------------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Row:
    when: dt.datetime
    who: str
    source: str
    what: str
    summary: str = ""
    changes: list[Change] = field(default_factory=list)


def source_text(meta: dict[str, Any] | None) -> str:
    meta = meta or {}
    source = meta.get("source")
    if source == "api":
        return f"API token “{meta['token']}”" if meta.get("token") else "API"
    if source == "command":
        return f"command {meta.get('command', '')}".strip()
    if source == "task":
        return f"task {meta.get('task', '')}".strip()
    if source in context.SOURCES:
        return str(source)
    return "outside opsx"


def _columns(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields}


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


# Related records named in the history by their name instead of their id: everyone signed in reads
# them all, so naming them tells nothing new (an incident or a review stays "#id").
NAMED_MODELS = {"teams.user", "teams.team", "teams.system", "incidents.severity", "incidents.tag", "reviews.lens"}


class _Labels:
    """Names for the related ids on one page, loaded with one query per related model."""

    def __init__(self, wanted: dict[type[models.Model], set[Any]]) -> None:
        self.names: dict[tuple[type[models.Model], int], str] = {}
        for model, ids in wanted.items():
            pks = {int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}
            for obj in model._default_manager.filter(pk__in=pks):
                self.names[(model, obj.pk)] = str(obj)

    def get(self, model: type[models.Model], value: Any) -> str | None:
        try:
            return self.names.get((model, int(value)))
        except (TypeError, ValueError):
            return None


def _named(model_field: models.Field | None) -> type[models.Model] | None:
    if model_field is None or not model_field.is_relation or model_field.related_model is None:
        return None
    related = model_field.related_model
    return related if related._meta.label_lower in NAMED_MODELS else None


def _value(model_field: models.Field | None, value: Any, labels: _Labels) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if model_field is not None and model_field.is_relation:
        related = model_field.related_model
        name = labels.get(related, value) if _named(model_field) else None
        return name or f"{related._meta.verbose_name} #{value}"
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            pass
    if model_field is not None and model_field.choices:
        return _short(str(dict(model_field.flatchoices).get(value, value)))
    return _short(value if isinstance(value, str) else str(value))


def _wanted(
    events: list[AuditEvent], columns: dict[str, dict[str, models.Field]]
) -> dict[type[models.Model], set[Any]]:
    wanted: dict[type[models.Model], set[Any]] = {get_user_model(): set()}
    for event in events:
        wanted[get_user_model()].add((event.pgh_context or {}).get("user"))
        for column, model_field in columns[event.pgh_obj_model].items():
            related = _named(model_field)
            if related is not None:
                wanted.setdefault(related, set()).add((event.pgh_data or {}).get(column))
                wanted[related].update((event.pgh_diff or {}).get(column) or [])
    return wanted


def rows(events: Iterable[AuditEvent], *, log: bool = False) -> list[Row]:
    """Events as a reader sees them: when, who, from where, what, and each field before and after.

    In the whole log (`log`), each row also names its record (kind and id, and its title or name).
    """
    events = list(events)
    models_by_label = {e.pgh_obj_model: apps.get_model(e.pgh_obj_model) for e in events}
    columns = {label: _columns(model) for label, model in models_by_label.items()}
    labels = _Labels(_wanted(events, columns))
    out = []
    for event in events:
        model, cols, meta = models_by_label[event.pgh_obj_model], columns[event.pgh_obj_model], event.pgh_context or {}
        who = labels.get(get_user_model(), meta.get("user")) or meta.get("username")
        who = who or ("opsx" if meta.get("source") in ("command", "task") else "unknown")
        row = Row(
            when=event.pgh_created_at,
            who=who,
            source=source_text(meta),
            what=f"{model._meta.verbose_name.capitalize()}"
            + (f" #{event.pgh_obj_id}" if log and event.pgh_obj_id else "")
            + f" {LABELS.get(event.pgh_label, event.pgh_label)}",
        )
        data = event.pgh_data or {}
        if event.pgh_label == "update":
            for column, (before, after) in sorted((event.pgh_diff or {}).items()):
                if column in QUIET_FIELDS:
                    continue
                model_field = cols.get(column)
                label = str(model_field.verbose_name) if model_field is not None else column
                row.changes.append(
                    Change(label, _value(model_field, before, labels), _value(model_field, after, labels))
                )
            if not row.changes:
                continue  # only bookkeeping changed
        if log or event.pgh_label != "update" or model._meta.label_lower not in PARTS:
            row.summary = _summary(model, cols, data, labels)
        out.append(row)
    return out


def _summary(model: type[models.Model], cols: dict[str, models.Field], data: dict[str, Any], labels: _Labels) -> str:
    """A few words naming the row: its title, body or name; else who (and what) it links, and its role or kind."""
    for name in SUMMARY_FIELDS:
        if data.get(name):
            return _value(cols.get(name), data[name], labels)
    owner = _link_owner(model)
    parts = []
    for column, model_field in cols.items():
        if model_field.is_relation:
            other_side = owner is not None and model_field.related_model is not owner
            if other_side or model_field.related_model is get_user_model():
                parts.append(_value(model_field, data.get(column), labels))
        elif model_field.choices:
            parts.append(_value(model_field, data.get(column), labels))
    return " · ".join(parts)


def _link_owner(model: type[models.Model]) -> type[models.Model] | None:
    """For a recorded link table (incident ↔ person), the model that declares the link; None for other models."""
    concrete = model._meta.concrete_model
    creator = concrete._meta.auto_created if concrete is not None else None
    return creator or None
