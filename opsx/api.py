"""The v1 API router. Each app registers its viewsets in `<app>/api/routes.py::register(router)`."""

from importlib import import_module

from django.conf import settings
from rest_framework.routers import DefaultRouter

router = DefaultRouter()

for app_label in ("teams", "incidents", "reviews", "learning", "notifications", "dashboards"):
    if app_label not in settings.INSTALLED_APPS:
        continue
    try:
        routes = import_module(f"{app_label}.api.routes")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_label}.api.routes" and exc.name != f"{app_label}.api":
            raise
        continue
    routes.register(router)

urlpatterns = router.urls
