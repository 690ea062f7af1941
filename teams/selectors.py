"""Reads for the organization, always scoped to a user."""

from django.db.models import Count, QuerySet

from teams.models import Membership, System, Team, User


def team_list(*, user: User) -> QuerySet[Team]:
    return (
        Team.objects.visible_to(user)
        .annotate(member_count=Count("memberships", distinct=True), service_count=Count("systems", distinct=True))
        .order_by("name")
    )


def system_list(*, user: User) -> QuerySet[System]:
    return System.objects.visible_to(user).select_related("team")


def membership_list(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.visible_to(user).select_related("user", "team")


def my_teams(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).order_by("name")


def creatable_teams(*, user: User) -> QuerySet[Team]:
    """Teams `user` may create records for: every team for admins, their own teams otherwise."""
    from teams import permissions

    return Team.objects.all() if permissions.is_admin(user) else my_teams(user=user)
