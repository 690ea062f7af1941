"""The full export of an organization's records as JSON Lines, and the import that restores it into an
empty instance (`manage.py export_data` / `import_data`; the format is in docs/data-export.md).

Line 1 is a header, `{"format": "opsx-export", "version": 1, "exported_at": ..., "counts": {model: n}}`;
every other line is one record in Django's serialization, `{"model": "teams.team", "pk": 1, "fields":
{...}}`, in an order where what a record points to comes first. Content types are named by
`[app_label, model]`, not by id, so a file imports into any instance.

Not exported: password hashes (imported people get no usable password: they sign in through SSO or
set one), API tokens, sessions, notifications, idempotency keys, worker heartbeats, and the audit trail
(its own export, docs/audit.md; a database backup keeps it). The library's search index is rebuilt
after an import.

An import checks the whole file before it writes, runs in one transaction, and on any error (a line
that is not JSON, an unknown model, a bad value, a broken reference, a count that does not match the
header) raises ImportRefused naming the line, with nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

FORMAT = "opsx-export"
VERSION = 1

# Every exported model, dependencies first. Fields named in EXCLUDED are left out.
MODELS: list[str] = [
    "teams.user",
    "teams.team",
    "teams.membership",
    "teams.system",
    "incidents.severity",
    "incidents.tag",
    "incidents.factorcategory",
    "incidents.orgsettings",
    "reviews.lens",
    "reviews.lensversion",
    "reviews.tierpolicy",
    "incidents.incident",
    "incidents.timelineentry",
    "incidents.postmortem",
    "incidents.postmortemrevision",
    "incidents.postmortemcomment",
    "incidents.postmortemapproval",
    "reviews.review",
    "reviews.reviewlens",
    "reviews.answer",
    "reviews.lensupgrade",
    "reviews.milestone",
    "reviews.riskacceptance",
    "reviews.decision",
    "reviews.failurescenario",
    "reviews.gameday",
    "reviews.gamedayfinding",
    "incidents.actionitem",
    "learning.externalsource",
    "learning.libraryentry",
    "learning.follow",
    "learning.usefulmark",
    "learning.lessoncomment",
    "learning.entryread",
]
EXCLUDED: dict[str, set[str]] = {
    "teams.user": {"password", "groups", "user_permissions"},
    "learning.libraryentry": {"search_vector", "indexed_at"},  # rebuilt on import
}
# Records every fresh instance has from its migrations: an import replaces them with the file's.
REFERENCE_MODELS = {
    "incidents.severity",
    "incidents.factorcategory",
    "incidents.orgsettings",
    "reviews.lens",
    "reviews.lensversion",
    "reviews.tierpolicy",
}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (Django's rounds them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


class ImportRefused(Exception):  # noqa: N818 - an outcome the command reports, not a bug
    """The file cannot be imported here; the message says where and why. Nothing was changed."""


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _fields(label: str) -> list[str]:
    model = _model(label)
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    names += [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    return [name for name in names if name not in EXCLUDED.get(label, set())]


def _queryset(label: str) -> models.QuerySet:
    return _model(label)._default_manager.order_by("pk")


def export(out: IO[str]) -> dict[str, int]:
    """Write the whole export to `out`; returns the count of records per model."""
    counts = {label: _queryset(label).count() for label in MODELS}
    header = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat(), "counts": counts}
    out.write(json.dumps(header) + "\n")
    for label in MODELS:
        rows = _queryset(label).iterator(chunk_size=1000)
        serializers.serialize(
            "jsonl",
            rows,
            stream=out,
            fields=_fields(label),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=False,
            cls=ExactJSONEncoder,
        )
    return counts


# --- import ---------------------------------------------------------------------------------


@dataclass
class _Line:
    number: int
    text: str
    model: str


def _check(lines: Iterable[str]) -> tuple[dict[str, Any], list[_Line]]:
    """Parse the header and every line's shape, before anything is written."""
    iterator = iter(enumerate(lines, start=1))
    try:
        _, first = next(iterator)
    except StopIteration:
        raise ImportRefused("The file is empty.") from None
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportRefused(f'line 1: not an opsx export (the first line must be a header with "format": "{FORMAT}").')
    if header.get("version") != VERSION:
        raise ImportRefused(
            f"line 1: export format version {header.get('version')!r}; this opsx reads version {VERSION}."
        )
    promised = header.get("counts")
    if not isinstance(promised, dict):
        raise ImportRefused('line 1: the header has no "counts".')
    records: list[_Line] = []
    found = dict.fromkeys(MODELS, 0)
    order = {label: index for index, label in enumerate(MODELS)}
    last = 0
    for number, text in iterator:
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRefused(f"line {number}: not valid JSON ({exc.msg}).") from None
        if not isinstance(record, dict) or not isinstance(record.get("fields"), dict) or "pk" not in record:
            raise ImportRefused(f'line {number}: expected an object with "model", "pk" and "fields".')
        label = str(record.get("model", "")).lower()
        if label not in order:
            raise ImportRefused(f"line {number}: unknown model {record.get('model')!r}.")
        if order[label] < last:
            raise ImportRefused(
                f"line {number}: {label} comes after records that may point to it; keep the exported order."
            )
        last = order[label]
        found[label] += 1
        records.append(_Line(number, text, label))
    for label in MODELS:
        if promised.get(label, 0) != found[label]:
            raise ImportRefused(
                f"The header promises {promised.get(label, 0)} {label} records and the file has {found[label]}: "
                "it is incomplete or was edited."
            )
    return header, records


def _ensure_empty() -> None:
    for label in MODELS:
        if label not in REFERENCE_MODELS and _queryset(label).exists():
            raise ImportRefused(
                f"This instance is not empty (it has {_model(label)._meta.verbose_name_plural}): "
                "import into a new, migrated database."
            )


def _clean(obj: models.Model) -> None:
    """Field values (types, choices, lengths); references are checked by the database's constraints.

    A timestamp the file leaves out (the library's `indexed_at`) is now, as it would be on a save.
    """
    for f in obj._meta.concrete_fields:
        if getattr(f, "auto_now", False) and getattr(obj, f.attname) is None:
            setattr(obj, f.attname, timezone.now())
    relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    obj.clean_fields(exclude=relations)


def _records(records: list[_Line]) -> Iterator[tuple[_Line, Any]]:
    for line in records:
        try:
            for obj in serializers.deserialize("jsonl", [line.text], ignorenonexistent=False):
                yield line, obj
        except DeserializationError as exc:
            raise ImportRefused(f"line {line.number} ({line.model}): {exc.__cause__ or exc}") from None


def import_(lines: Iterable[str]) -> dict[str, int]:
    """Restore an export into this (empty) instance; returns the records imported per model."""
    _header, records = _check(lines)
    counts = dict.fromkeys(MODELS, 0)
    with transaction.atomic():
        _ensure_empty()
        for label in sorted(REFERENCE_MODELS, key=MODELS.index, reverse=True):
            _queryset(label).delete()
        for line, obj in _records(records):
            try:
                if line.model == "teams.user":
                    obj.object.set_unusable_password()
                _clean(obj.object)
                obj.save()
            except ValidationError as exc:
                raise ImportRefused(f"line {line.number} ({line.model} {obj.object.pk}): {_messages(exc)}") from None
            except (DatabaseError, ValueError, TypeError) as exc:
                raise ImportRefused(f"line {line.number} ({line.model} {obj.object.pk}): {exc}") from None
            counts[line.model] += 1
        try:
            connection.check_constraints()  # deferred foreign keys, checked now rather than at commit
        except DatabaseError as exc:
            raise ImportRefused(f"A record points to one that is not in the file: {exc}") from None
        _reset_sequences()
        from learning.indexing import reindex_all

        reindex_all()
    return counts


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
    return " ".join(exc.messages)


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [_model(label) for label in MODELS])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
