from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_create, name="incident-create"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/state/", views.incident_state, name="incident-state"),
    path("incidents/<int:pk>/timeline/", views.timeline_add, name="timeline-add"),
    path("incidents/<int:pk>/postmortem/", views.postmortem_start, name="postmortem-start"),
    path("postmortems/", views.postmortem_list, name="postmortem-list"),
    path("postmortems/preview/", views.markdown_preview, name="markdown-preview"),
    path("postmortems/<int:pk>/", views.postmortem_detail, name="postmortem-detail"),
    path("postmortems/<int:pk>/edit/", views.postmortem_edit, name="postmortem-edit"),
    path("postmortems/<int:pk>/autosave/", views.postmortem_autosave, name="postmortem-autosave"),
    path("postmortems/<int:pk>/timeline-source/", views.postmortem_timeline_source, name="postmortem-timeline-source"),
    path("postmortems/<int:pk>/submit/", views.postmortem_submit, name="postmortem-submit"),
    path("postmortems/<int:pk>/return/", views.postmortem_return, name="postmortem-return"),
    path("postmortems/<int:pk>/approve/", views.postmortem_approve, name="postmortem-approve"),
    path("postmortems/<int:pk>/publish/", views.postmortem_publish, name="postmortem-publish"),
    path("postmortems/<int:pk>/comments/", views.comment_add, name="comment-add"),
    path("postmortems/<int:pk>/comments/<int:comment_pk>/resolve/", views.comment_resolve, name="comment-resolve"),
    path("postmortems/<int:pk>/history/", views.postmortem_history, name="postmortem-history"),
    path("postmortems/<int:pk>/history/<int:version>/restore/", views.postmortem_restore, name="postmortem-restore"),
    path("actions/", views.action_item_list, name="action-item-list"),
    path("actions/mine/", views.action_item_list, {"scope": "mine"}, name="action-item-mine"),
    path("actions/team/", views.action_item_list, {"scope": "team"}, name="action-item-team"),
    path("actions/new/", views.action_item_create, name="action-item-create"),
    path("actions/<int:pk>/", views.action_item_detail, name="action-item-detail"),
    path("actions/<int:pk>/edit/", views.action_item_edit, name="action-item-edit"),
    path("actions/<int:pk>/status/", views.action_item_status, name="action-item-status"),
]
