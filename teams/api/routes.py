from rest_framework.routers import DefaultRouter

from teams.api.views import MembershipViewSet, SystemViewSet, TeamViewSet


def register(router: DefaultRouter) -> None:
    router.register("teams", TeamViewSet, basename="team")
    router.register("memberships", MembershipViewSet, basename="membership")
    router.register("services", SystemViewSet, basename="service")
