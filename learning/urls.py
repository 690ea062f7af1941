from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/for-you/", views.for_you, name="for-you"),
    path("library/most-read/", views.most_read, name="most-read"),
    path("library/following/", views.following, name="following"),
    path("library/follow/", views.follow_add, name="follow-add"),
    path("library/unfollow/", views.unfollow, name="unfollow"),
    path("library/follows/<int:pk>/delete/", views.follow_remove, name="follow-remove"),
    path("library/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("library/<int:pk>/useful/", views.entry_useful, name="entry-useful"),
    path("library/<int:pk>/comments/", views.comment_add, name="comment-add"),
    path("library/comments/<int:pk>/delete/", views.comment_delete, name="comment-delete"),
]
