from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("history/<str:label>/<int:pk>/", views.history_page, name="history"),
    path("audit/", views.audit_log, name="log"),
    path("audit/export.<str:fmt>", views.audit_export, name="export"),
]
