from rest_framework.routers import DefaultRouter

from dashboards.api.views import MetricsViewSet, ServiceMetricsViewSet, TeamMetricsViewSet


def register(router: DefaultRouter) -> None:
    router.register("metrics/teams", TeamMetricsViewSet, basename="metrics-team")
    router.register("metrics/services", ServiceMetricsViewSet, basename="metrics-service")
    router.register("metrics", MetricsViewSet, basename="metrics")
