from rest_framework.routers import DefaultRouter

from learning.api.views import FollowViewSet, LessonCommentViewSet, LibraryViewSet


def register(router: DefaultRouter) -> None:
    router.register("library", LibraryViewSet, basename="library")
    router.register("follows", FollowViewSet, basename="follow")
    router.register("library-comments", LessonCommentViewSet, basename="library-comment")
