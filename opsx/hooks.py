"""A tiny in-process event bus, so one app can react to another's writes without importing it.

    hooks.register("postmortem_changed", learning.indexing.on_postmortem_changed)   # in AppConfig.ready()
    hooks.emit("postmortem_changed", postmortem=pm)                                 # in incidents.services

Receivers run synchronously, inside the caller's transaction. That is deliberate: the receivers
keep derived tables (the library's search index) consistent with the row that changed, so both
commit or roll back together, and a reader never sees a published postmortem missing from search
or a restricted one still in it. Receivers must therefore be quick (a row upsert) and must not
call out of the process; anything slow belongs in a Celery task enqueued with on_commit.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_receivers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def register(event: str, receiver: Callable[..., None]) -> None:
    """Call `receiver(**kwargs)` on every `emit(event, **kwargs)`. Registering twice is a no-op."""
    if receiver not in _receivers[event]:
        _receivers[event].append(receiver)


def unregister(event: str, receiver: Callable[..., None]) -> None:
    if receiver in _receivers[event]:
        _receivers[event].remove(receiver)


def emit(event: str, **kwargs: Any) -> None:
    for receiver in list(_receivers[event]):
        receiver(**kwargs)
