"""The side-by-side view of a stale form save: what the user sent next to what is stored now.

A page whose save was refused because someone saved a newer version re-renders the form with the
user's values (nothing typed is lost) and the newer version number, so the next save wins on
purpose; above it, `htmx/conflict.html` shows each field where the two differ. Values are compared
as the page shows them (choice labels, names, minutes), so a difference the user cannot see is none.
"""

from datetime import UTC, datetime
from typing import Any

from django import forms


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, "", [], ()):
        return ""
    if isinstance(field, forms.ModelMultipleChoiceField):
        items = list(value)
        if not items:
            return ""
        if not hasattr(items[0], "pk"):
            items = list(field.queryset.filter(pk__in=items))  # type: ignore[attr-defined]
        return ", ".join(sorted(str(obj) for obj in items))
    if isinstance(field, forms.ModelChoiceField):
        if not hasattr(value, "pk"):
            value = field.queryset.filter(pk=value).first()  # type: ignore[attr-defined]
        return str(value) if value is not None else ""
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    if isinstance(field, forms.BooleanField):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, list | tuple):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def conflicting_fields(mine: forms.BaseForm, stored: forms.BaseForm) -> list[dict[str, str]]:
    """[{"name", "label", "theirs", "mine"}] for each visible field where the valid bound form `mine`
    differs from the unbound form `stored` built on the record as it is stored now."""
    rows = []
    for bound in mine.visible_fields():
        name, field = bound.name, bound.field
        theirs = _display(field, stored[name].initial)
        yours = _display(field, mine.cleaned_data.get(name))
        if theirs != yours:
            rows.append({"name": name, "label": str(bound.label), "theirs": theirs, "mine": yours})
    return rows
