"""Reads for incidents, postmortems and action items, always scoped to a user.

List querysets load their related rows up front (select_related/prefetch_related) so a page of
5 or 50 rows costs the same number of queries.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from incidents.models import (
    ActionItem,
    Incident,
    Postmortem,
    PostmortemComment,
    PostmortemRevision,
    Tag,
    TimelineEntry,
)
from teams import permissions
from teams.models import System, User


def incident_list(*, user: User) -> QuerySet[Incident]:
    return (
        Incident.objects.visible_to(user)
        .select_related("severity", "team", "commander")
        .prefetch_related(
            Prefetch("services", queryset=System.objects.only("id", "name", "slug").order_by("name")), "tags"
        )
    )


def tags_in_use(*, user: User | AnonymousUser | None) -> QuerySet[Tag]:
    """Tags on incidents `user` may see. A tag only restricted incidents carry is, to anyone else, a tag
    that does not exist (filters refuse it like an unknown one; pickers do not offer it)."""
    return Tag.objects.filter(
        pk__in=Incident.tags.through.objects.filter(incident__in=Incident.objects.visible_to(user)).values("tag_id")
    )


def incident_get_for(*, user: User, pk: int, action: str = permissions.Action.VIEW) -> Incident:
    queryset = Incident.objects.select_related("severity", "team", "commander", "created_by")
    return permissions.get_for(user, queryset, action, pk=pk)


def timeline_for(*, incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("author")


def timeline_entry_list(*, user: User) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.visible_to(user).select_related("author", "incident")


def postmortem_list(*, user: User) -> QuerySet[Postmortem]:
    return Postmortem.objects.visible_to(user).select_related("incident__severity", "incident__team", "owner")


def postmortem_get_for(*, user: User, pk: int, action: str = permissions.Action.VIEW) -> Postmortem:
    queryset = Postmortem.objects.select_related("incident__severity", "incident__team", "owner")
    return permissions.get_for(user, queryset, action, pk=pk)


def reviewer_candidates(*, postmortem: Postmortem) -> QuerySet[User]:
    """Who the reviewer picker offers: active people other than the author; for a restricted
    incident, the people on its access list (the submit service checks `can_view` for each anyway)."""
    people = User.objects.filter(is_active=True).exclude(pk=postmortem.author_id)
    if postmortem.incident.restricted:
        people = people.filter(pk__in=postmortem.incident.access_list.values("pk"))
    return people.order_by("first_name", "last_name", "username")


def revisions_for(*, postmortem: Postmortem) -> QuerySet[PostmortemRevision]:
    return postmortem.revisions.select_related("author")


def comments_for(*, postmortem: Postmortem) -> QuerySet[PostmortemComment]:
    return postmortem.comments.select_related("author", "resolved_by")


def action_item_list(*, user: User) -> QuerySet[ActionItem]:
    return ActionItem.objects.visible_to(user).select_related("team", "owner", "incident")


def action_item_get_for(*, user: User, pk: int, action: str = permissions.Action.VIEW) -> ActionItem:
    return permissions.get_for(user, ActionItem.objects.select_related("team", "owner", "incident"), action, pk=pk)


def changeable_team_ids(*, user: User) -> set[int] | None:
    """Teams whose records `user` changes (None means every team: admins). One query per request at most."""
    if permissions.is_admin(user):
        return None
    return set(permissions.team_roles(user))


def my_open_action_items(*, user: User) -> QuerySet[ActionItem]:
    return action_item_list(user=user).filter(owner=user).exclude(status__in=ActionItem.CLOSED_STATUSES)


def open_incidents(*, user: User) -> QuerySet[Incident]:
    return incident_list(user=user).exclude(status__in=[Incident.Status.RESOLVED, Incident.Status.CLOSED])


def visible_postmortem_prefetch(*, user: User) -> Prefetch:
    """Prefetch an incident's postmortem as `visible_postmortem` (None when there is none the user may read)."""
    return Prefetch("postmortem", queryset=Postmortem.objects.visible_to(user), to_attr="visible_postmortem")
