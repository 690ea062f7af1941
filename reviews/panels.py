"""Panels this app adds to pages owned by other apps (see opsx.panels)."""

from typing import Any

from django.http import HttpRequest

from reviews import selectors
from reviews.models import Review
from teams import permissions
from teams.models import System
from teams.permissions import TeamRole


def service_panel(request: HttpRequest, system: System) -> dict[str, Any]:
    return {
        "template": "reviews/panels/service.html",
        "service": system,
        "cadence": selectors.service_cadence(system),
        "can_start": permissions.can_create(request.user, Review, [system.team_id]),
    }


def home_panel(request: HttpRequest) -> dict[str, Any] | None:
    roles = permissions.team_roles(request.user)
    if not roles:
        return None
    systems = System.objects.filter(team_id__in=list(roles)).exclude(lifecycle=System.Lifecycle.RETIRED)
    overdue = []
    for system in systems:
        cadence = selectors.service_cadence(system)
        if cadence.overdue:
            overdue.append({"service": system, "cadence": cadence})
    # Launch requests this person could sign: their own team's (as lead) or another team's (as a lead elsewhere).
    awaiting = (
        Review.objects.with_launch_status().filter(current_status__in=Review.AWAITING_SIGNOFF).select_related("system")
    )
    if TeamRole.LEAD not in roles.values():
        awaiting = awaiting.none()
    return {"template": "reviews/panels/home.html", "overdue": overdue, "awaiting": list(awaiting[:10])}
