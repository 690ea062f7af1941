from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from opsx import views
from teams import views as team_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", team_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/changed/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password-reset/", team_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("oidc/", include("teams.sso_urls")),  # single sign-on, 404 unless enabled (docs/sso.md)
    path("admin/", admin.site.urls),
    path("api/v1/", include(("opsx.api", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Our own page templates: no inline script or style, so the pages need nothing beyond the site's CSP,
    # except Redoc, whose components inject <style> elements (styles only; scripts stay nonce-or-self).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
    re_path(r"^api/", views.api_not_found),
    path("", include("teams.urls")),
    path("", include("incidents.urls")),
    path("", include("reviews.urls")),
    path("", include("learning.urls")),
    path("", include("notifications.urls")),
    path("", include("reminders.urls")),
    path("", include("dashboards.urls")),
    path("", include("audit.urls")),
]

handler400 = "opsx.views.handler400"
handler404 = "opsx.views.handler404"
handler500 = "opsx.views.handler500"
