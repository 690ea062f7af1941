"""The routes the v1 router generates, for tests that walk every endpoint."""

from opsx.api import router

METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> list[tuple[str, dict[str, str], set[str]]]:
    """(url name, kwargs with "1" for every lookup, offered methods) of every route, format suffixes left out."""
    routes = []
    for pattern in router.urls:
        actions = getattr(pattern.callback, "actions", None)
        kwargs = pattern.pattern.regex.groupindex
        if actions is None or "format" in kwargs:
            continue  # the API root view, and the `.json` variants of the same routes
        routes.append((pattern.name, dict.fromkeys(kwargs, "1"), set(actions)))
    return sorted(routes)
