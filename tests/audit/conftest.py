"""Audit trail fixtures: the incident defaults (severities, factor categories) and helpers to read events."""

from tests.incidents.conftest import _defaults, incident, sev  # noqa: F401 - the same fixtures as the incident tests


def events(obj, *labels):
    """The object's own events (oldest first), optionally only those with these labels."""
    model = obj.pgh_event_model
    rows = model.objects.filter(pgh_obj=obj.pk).select_related("pgh_context").order_by("pgh_id")
    return [e for e in rows if not labels or e.pgh_label in labels]


def context_of(event):
    return event.pgh_context.metadata if event.pgh_context_id else {}
