from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/badge/", views.notification_badge, name="badge"),
    path("notifications/read-all/", views.notification_read_all, name="read-all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="read"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path("notifications/settings/preferences/", views.preferences_save, name="preferences-save"),
    path("notifications/settings/chat/", views.person_channel_save, name="person-channel-save"),
    path("notifications/settings/teams/<slug:slug>/", views.team_channel_save, name="team-channel-save"),
    path("notifications/deliveries/", views.delivery_list, name="deliveries"),
    path("notifications/deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    # Public (opsx.middleware.PUBLIC_PREFIXES): the signed token is the permission.
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
