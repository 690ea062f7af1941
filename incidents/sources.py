"""Where an action item comes from: the kinds of record an action item can be born from.

An action item points at the record it came from with a generic relation (`source_type`,
`source_id`). Each kind of source is registered here once: this app registers incidents and
postmortems, `reviews` registers improvement-plan items (review answers), game days and game-day
findings from its `AppConfig.ready()`. Pages, the API and `services.action_item_create` then derive
the origin, the linked incident, the default team, a title and a link the same way for every kind,
and `incidents` never imports `reviews`.

The kind's `name` is also the API field and the page's query parameter that names a source
(`?postmortem=12`, `{"review_answer": 7}`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from teams import permissions

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from incidents.models import Incident
    from teams.models import Team, User


def _no_incident(obj: Any) -> Incident | None:
    return None


def _no_defaults(obj: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SourceKind:
    """One kind of source. `model` is an "app_label.ModelName" string, so registering imports nothing."""

    name: str
    model: str
    origin: str
    label: str
    team: Callable[[Any], Team]
    title: Callable[[Any], str] = str
    incident: Callable[[Any], Incident | None] = _no_incident
    defaults: Callable[[Any], dict[str, Any]] = _no_defaults
    select_related: tuple[str, ...] = field(default_factory=tuple)

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def not_found(self, pk: Any) -> str:
        """The one message for an id that does not exist and for one the caller may not see."""
        return f"No {self.label.lower()} with id {pk}."


_kinds: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> None:
    _kinds[kind.name] = kind


def kinds() -> list[SourceKind]:
    return list(_kinds.values())


def get(name: str) -> SourceKind | None:
    return _kinds.get(name)


def kind_of(obj: models.Model) -> SourceKind:
    label = obj._meta.label_lower
    for kind in _kinds.values():
        if kind.model.lower() == label:
            return kind
    raise ValueError(f"{obj._meta.label} is not a registered action item source")


def kind_for_content_type(content_type_id: int | None) -> SourceKind | None:
    if content_type_id is None:
        return None
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return None
    label = model._meta.label_lower
    return next((k for k in _kinds.values() if k.model.lower() == label), None)


def resolve(*, user: User | AnonymousUser | None, name: str, pk: Any) -> models.Model:
    """The `name` source with id `pk` that `user` may see (None: the system, sees everything).

    A missing id and one the user may not see raise the same ValidationError ({name: message}), so
    the answer never tells whether a hidden record exists.
    """
    kind = _kinds[name]
    queryset = kind.model_class._default_manager.select_related(*kind.select_related)
    if user is not None:
        queryset = queryset.filter(permissions.visible_q(kind.model_class, user))
    try:
        value = int(pk)
        if not 0 < value < 2**63:
            raise ValueError(pk)
        return queryset.get(pk=value)
    except (TypeError, ValueError, kind.model_class.DoesNotExist):
        raise ValidationError({name: kind.not_found(pk)}) from None


def describe_many(items: Iterable[Any], user: User | AnonymousUser | None) -> dict[int, dict[str, Any]]:
    """{item id: {type, id, title, url}} for action items, as `user` may know their sources.

    One query per kind of source on the page, scoped to what `user` may see (None: the system sees
    everything). A source the user may not see (a draft postmortem of another team, say), or one
    deleted since, keeps only its type: id, title and url are None.
    """
    items = list(items)
    wanted: dict[int, set[int]] = {}
    for item in items:
        if item.source_type_id is not None and item.source_id is not None:
            wanted.setdefault(item.source_type_id, set()).add(item.source_id)
    found: dict[tuple[int, int], tuple[SourceKind, models.Model]] = {}
    kind_by_type: dict[int, SourceKind | None] = {}
    for type_id, ids in wanted.items():
        kind = kind_by_type[type_id] = kind_for_content_type(type_id)
        if kind is None:
            continue
        queryset = kind.model_class._default_manager.select_related(*kind.select_related).filter(pk__in=ids)
        if user is not None:
            queryset = queryset.filter(permissions.visible_q(kind.model_class, user))
        for obj in queryset:
            found[(type_id, obj.pk)] = (kind, obj)
    described = {}
    for item in items:
        kind = kind_by_type.get(item.source_type_id)
        hit = found.get((item.source_type_id, item.source_id))
        if hit is not None:
            obj = hit[1]
            value = {"type": kind.name, "id": obj.pk, "title": kind.title(obj), "url": obj.get_absolute_url()}  # type: ignore[union-attr, attr-defined]
        else:
            value = {"type": kind.name if kind else None, "id": None, "title": None, "url": None}
        described[item.pk] = value
    return described
