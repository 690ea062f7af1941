"""DRF side of the permission rule (teams.permissions does the deciding)."""

from typing import Any

from rest_framework import permissions as drf_permissions
from rest_framework.request import Request

from teams import permissions
from teams.permissions import Action


class TeamRolePermission(drf_permissions.BasePermission):
    """Each ViewSet declares `required_actions = {viewset_action: Action}`; a missing entry refuses.

    Reads are scoped by the queryset (`visible_to`), so objects a user may not see are 404. Object
    writes are checked here (403). Creation is checked by the viewset against the new object's
    team, since there is no object yet.
    """

    def _required(self, view: Any) -> Action | None:
        action = getattr(view, "action", None) or ("metadata" if view.request.method == "OPTIONS" else None)
        required = getattr(view, "required_actions", {})
        if action == "metadata":
            return Action.VIEW
        value = required.get(action)
        return Action(value) if value is not None else None

    def has_permission(self, request: Request, view: Any) -> bool:
        if not permissions.is_signed_in(request.user):
            return False
        if self._required(view) is not None:
            return True
        # A method the route does not offer at all (DELETE where nothing is deleted): let the view answer
        # 405. A method it offers without a declared action still refuses.
        return not hasattr(view, request.method.lower())

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        action = self._required(view)
        return action is not None and permissions.can(request.user, action, obj)


# Building blocks for `required_actions`: spread them and add a viewset's own @actions.
READ = {"list": Action.VIEW, "retrieve": Action.VIEW}
WRITE = {"create": Action.CREATE, "update": Action.CHANGE, "partial_update": Action.CHANGE}


def crud_actions(**overrides: Action) -> dict[str, Action]:
    """`required_actions` for a ModelViewSet's standard actions; pass overrides and extra @actions."""
    return {**READ, **WRITE, "destroy": Action.DELETE, **overrides}
