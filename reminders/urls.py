from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("digests/", views.digest_list, name="digest-list"),
    path("digests/<int:pk>/", views.digest_detail, name="digest-detail"),
    path("teams/<slug:slug>/schedule/", views.team_schedule_edit, name="team-schedule"),
]
