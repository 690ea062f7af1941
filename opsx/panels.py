"""Extension points for pages owned by one app and enriched by others.

An app registers a callable for a slot (e.g. "home", "service"); the page calls `collect` and
includes each returned panel's template. Example, in an app's `apps.py::ready()`::

    panels.register("service", lambda request, obj: {"template": "reviews/panels/service.html", ...})
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Panel = dict[str, Any]
_registry: dict[str, list[Callable[..., Panel | None]]] = defaultdict(list)


def register(slot: str, func: Callable[..., Panel | None]) -> None:
    if func not in _registry[slot]:
        _registry[slot].append(func)


def collect(slot: str, request: HttpRequest, obj: Any = None) -> list[Panel]:
    panels = []
    for func in _registry[slot]:
        panel = func(request, obj) if obj is not None else func(request)
        if panel:
            panels.append(panel)
    return panels
