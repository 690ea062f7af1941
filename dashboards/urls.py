from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.dashboard, name="organization"),
    path("dashboards/definitions/", views.definitions, name="definitions"),
    path("dashboards/export/<slug:table>.csv", views.export, name="export"),
    path("dashboards/teams/<slug:slug>/", views.dashboard, {"kind": "team"}, name="team"),
    path("dashboards/teams/<slug:slug>/export/<slug:table>.csv", views.export, {"kind": "team"}, name="team-export"),
    path("dashboards/services/<slug:slug>/", views.dashboard, {"kind": "service"}, name="service"),
    path(
        "dashboards/services/<slug:slug>/export/<slug:table>.csv",
        views.export,
        {"kind": "service"},
        name="service-export",
    ),
]
