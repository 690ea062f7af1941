"""Read models over django-pghistory's tables, and the guard on its context table.

The event tables themselves live next to what they track (`IncidentEvent` in incidents, ...),
declared with `@pghistory.track()` on each model; the defaults (insert, update, delete; append-only)
are in settings (PGHISTORY_*).
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from pghistory.models import Context, Events


class AuditEvent(Events):
    """Every event of every tracked model, with the facts of its context as columns (PostgreSQL only)."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+"),
    )
    username = pghistory.ProxyField("pgh_context__username", models.TextField(null=True))
    source = pghistory.ProxyField("pgh_context__source", models.TextField(null=True))
    token = pghistory.ProxyField("pgh_context__token", models.TextField(null=True))

    class Meta:
        proxy = True
        verbose_name = "audit event"
        verbose_name_plural = "audit events"


class AuditContext(Context):
    """pghistory's context rows, guarded: never deleted, and a recorded fact is never rewritten.

    A context may still gain facts while it is open (the user an API token names is known only once
    DRF authenticated it); a key that held a value must keep it.
    """

    class Meta:
        proxy = True
        triggers = [
            pgtrigger.Protect(name="audit_context_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="audit_context_keep_facts",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "NEW.id IS DISTINCT FROM OLD.id OR NOT (NEW.metadata @> jsonb_strip_nulls(OLD.metadata))"
                ),
            ),
        ]
