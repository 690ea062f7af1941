"""Panels this app adds to the home page and the service page (see opsx.panels)."""

from typing import Any

from django.http import HttpRequest

from incidents import selectors
from teams.models import System

PANEL_ROWS = 8


def home_action_items(request: HttpRequest) -> dict[str, Any]:
    items = selectors.my_open_action_items(user=request.user)  # type: ignore[arg-type]
    return {"template": "incidents/panels/home_actions.html", "items": list(items[:PANEL_ROWS]), "count": items.count()}


def home_open_incidents(request: HttpRequest) -> dict[str, Any]:
    incidents = selectors.open_incidents(user=request.user)  # type: ignore[arg-type]
    return {
        "template": "incidents/panels/home_incidents.html",
        "items": list(incidents[:PANEL_ROWS]),
        "count": incidents.count(),
    }


def service_incidents(request: HttpRequest, service: System) -> dict[str, Any]:
    incidents = selectors.incident_list(user=request.user).filter(services=service)  # type: ignore[arg-type]
    return {"template": "incidents/panels/service_incidents.html", "items": list(incidents[:10]), "service": service}
