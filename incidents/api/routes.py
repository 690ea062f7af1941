from rest_framework.routers import DefaultRouter

from incidents.api.views import ActionItemViewSet, IncidentViewSet, PostmortemViewSet


def register(router: DefaultRouter) -> None:
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("postmortems", PostmortemViewSet, basename="postmortem")
    router.register("action-items", ActionItemViewSet, basename="action-item")
