"""Write helpers shared by every app's services."""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: list[str], data: dict[str, Any]) -> tuple[M, bool]:
    """Set the listed fields that appear in `data`, validate, and save only what changed.

    Returns (instance, changed). Raises django ValidationError (nothing saved) on bad input.
    """
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    if changed:
        instance.full_clean()
        update_fields = [*changed, "updated_at"] if hasattr(instance, "updated_at") else changed
        instance.save(update_fields=update_fields)
    return instance, bool(changed)
