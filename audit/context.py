"""Who, and from where, for every change the database records (docs/audit.md).

The trail itself is written by PostgreSQL triggers (django-pghistory): every insert, update and
delete of a tracked model, including `QuerySet.update()` and raw SQL, becomes an event row with the
row as it was after the change (or before a delete). This module attaches the *context* to those
rows: one context per request, command run or task run, with

    source    browser | api | webhook | command | task
    user      the acting user's id, and username (so a later rename or deletion keeps the name)
    token     the API token's name, for bearer-token requests
    url, method, ip     for requests; command / task and os_user for the others

Entering `context()` twice nests: the inner call only *adds* what the outer one does not know yet
(a user that was anonymous until DRF authenticated the token, the task name of an eager task), and
never rewrites a fact already recorded. A trigger on the context table enforces the same
(audit.models.AuditContext).

On SQLite (`make run`, `make smoke`) there are no triggers and so no history: `context()` does
nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory
from django.db import connection
from pghistory import runtime

SOURCES = ("browser", "api", "webhook", "command", "task")


def enabled() -> bool:
    """History is recorded on PostgreSQL only."""
    return connection.vendor == "postgresql"


def active() -> bool:
    return hasattr(runtime._tracker, "value")


def current() -> dict[str, Any]:
    """The metadata of the context being recorded now ({} outside one)."""
    return dict(runtime._tracker.value.metadata) if active() else {}


def add(**metadata: Any) -> None:
    """Add facts to the current context (if any): keys it lacks or holds as None; others stay as they are."""
    if not active():
        return
    known = runtime._tracker.value.metadata
    new = {key: value for key, value in metadata.items() if value is not None and known.get(key) is None}
    if new:
        known.update(new)


def actor_facts(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"user": user.pk, "username": user.get_username()}


@contextmanager
def context(**metadata: Any) -> Iterator[None]:
    """Record the changes made inside with this context (a no-op without history, i.e. on SQLite)."""
    if not enabled():
        yield
        return
    if active():
        add(**metadata)
        yield
        return
    with pghistory.context(**{key: value for key, value in metadata.items() if value is not None}):
        yield
