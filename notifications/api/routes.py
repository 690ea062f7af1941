from rest_framework.routers import DefaultRouter

from notifications.api.views import NotificationViewSet


def register(router: DefaultRouter) -> None:
    router.register("notifications", NotificationViewSet, basename="notification")
