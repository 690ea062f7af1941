"""The permission rule, in one place. Views, the API, lists, search and exports all use it.

The rule (see docs/permissions.md):

* Nothing is readable anonymously (except login and /healthz, which never reach this module).
* Transparency by default: every signed-in user reads every record that is not restricted.
* Drafts (e.g. unpublished postmortems) are readable only by the owning team(s), the people named
  as readers (reviewers), leadership and admins.
* A restricted record (e.g. a security incident) is readable only by the people named on it and by
  admins, everywhere: team membership and leadership do not open it.
* Members of the owning team change the team's records; leads also approve; admins manage
  everything. Leadership reads everything but changes only what its own teams own.

Each model declares *where* its owning team, restriction and named people live with an
`AccessPolicy`; this module decides *what* that means. `Model.objects.visible_to(user)` is the
read side (outsiders get 404), `can(user, action, obj)` the write side (403).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from teams.models import User


class TeamRole(models.TextChoices):
    MEMBER = "member", "Member"
    LEAD = "lead", "Lead"


ROLE_RANK = {TeamRole.MEMBER: 1, TeamRole.LEAD: 2}


class Action(enum.StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    APPROVE = "approve"
    DELETE = "delete"
    RESTRICT = "restrict"  # restrict or lift the restriction of a record (docs/permissions.md)


# Role a team member needs for each action, unless a model's policy says otherwise.
# None means "admins only".
DEFAULT_ROLES: dict[Action, TeamRole | None] = {
    Action.CREATE: TeamRole.MEMBER,
    Action.CHANGE: TeamRole.MEMBER,
    Action.APPROVE: TeamRole.LEAD,
    Action.DELETE: TeamRole.LEAD,
    Action.RESTRICT: TeamRole.LEAD,
}


@dataclass(frozen=True)
class AccessPolicy:
    """Where a model keeps the facts the rule needs (ORM paths relative to the model).

    team_path: path(s) to the owning team's id; "id" for Team itself.
    roles: overrides of DEFAULT_ROLES for this model.
    restricted_field: boolean field (or path) that marks a record restricted.
    named_path: path to the users named on a restricted record.
    draft: callable returning a Q that matches draft records (hidden from other teams).
    draft_readers_path: path to users who may read drafts besides the team (e.g. reviewers).
    """

    team_path: str | tuple[str, ...]
    roles: dict[Action, TeamRole | None] = field(default_factory=dict)
    restricted_field: str | None = None
    named_path: str | None = None
    draft: Callable[[], Q] | None = None
    draft_readers_path: str | None = None

    @property
    def team_paths(self) -> tuple[str, ...]:
        return (self.team_path,) if isinstance(self.team_path, str) else self.team_path

    def role_for(self, action: Action) -> TeamRole | None:
        return self.roles.get(action, DEFAULT_ROLES.get(action))


def _policy(model: type[models.Model]) -> AccessPolicy:
    policy = getattr(model, "access", None)
    if not isinstance(policy, AccessPolicy):
        raise TypeError(f"{model.__name__} declares no AccessPolicy (class attribute `access`)")
    return policy


# --- who is the user ------------------------------------------------------------------------


def is_signed_in(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user: User | AnonymousUser | None) -> bool:
    return is_signed_in(user) and bool(getattr(user, "is_org_admin", False))


def is_leadership(user: User | AnonymousUser | None) -> bool:
    return is_signed_in(user) and bool(getattr(user, "is_leadership", False))


def team_roles(user: User | AnonymousUser | None) -> dict[int, str]:
    """{team_id: role} for the user's memberships, loaded once per user object (i.e. per request)."""
    if not is_signed_in(user):
        return {}
    cached = getattr(user, "_opsx_team_roles", None)
    if cached is None:
        membership = apps.get_model("teams", "Membership")
        cached = dict(membership.objects.filter(user=user).values_list("team_id", "role"))
        user._opsx_team_roles = cached  # type: ignore[union-attr]
    return cached


def forget_roles(user: User | AnonymousUser | None) -> None:
    """Drop the cached roles after memberships change within the same request."""
    if user is not None and hasattr(user, "_opsx_team_roles"):
        del user._opsx_team_roles  # type: ignore[union-attr]


def has_team_role(user: User | AnonymousUser | None, team_ids: Iterable[int], role: TeamRole | None) -> bool:
    if role is None:
        return False
    roles = team_roles(user)
    need = ROLE_RANK[role]
    return any(ROLE_RANK.get(roles.get(tid), 0) >= need for tid in team_ids if tid is not None)  # type: ignore[arg-type]


# --- read side ------------------------------------------------------------------------------


def _team_q(model: type[models.Model], policy: AccessPolicy, user: User) -> Q:
    my_teams = apps.get_model("teams", "Membership").objects.filter(user=user).values("team_id")
    q = Q(pk__in=[])
    for path in policy.team_paths:
        if "__" in path:  # multi-valued path: a subquery keeps the outer query free of duplicates
            q |= Q(pk__in=model._default_manager.filter(**{f"{path}__in": my_teams}).values("pk"))
        else:
            q |= Q(**{f"{path}__in": my_teams})
    return q


def _users_q(model: type[models.Model], path: str, user: User) -> Q:
    return Q(pk__in=model._default_manager.filter(**{path: user}).values("pk"))


def visible_q(model: type[models.Model], user: User | AnonymousUser | None) -> Q:
    """The Q matching every row of `model` that `user` may read."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    policy = _policy(model)
    q = Q()
    if policy.restricted_field:
        # Negated so that a null path (e.g. an action item with no incident) counts as not restricted.
        allowed = ~Q(**{policy.restricted_field: True})
        if policy.named_path:
            allowed |= _users_q(model, policy.named_path, user)  # type: ignore[arg-type]
        q &= allowed
    if policy.draft and not is_leadership(user):
        allowed = ~policy.draft() | _team_q(model, policy, user)  # type: ignore[arg-type]
        if policy.draft_readers_path:
            allowed |= _users_q(model, policy.draft_readers_path, user)  # type: ignore[arg-type]
        q &= allowed
    return q


@dataclass
class Visibility:
    """Who among many readers may read which of many rows of one model (from `visibility_for`).

    Kept as the facts rather than a set per reader, so that checking a thousand readers against ten
    thousand rows costs memory for the rows, not for every pair.
    """

    ids: set[int]
    admins: set[int] = field(default_factory=set)
    leadership: set[int] = field(default_factory=set)
    restricted: dict[int, set[int]] = field(default_factory=dict)  # row -> the readers named on it
    drafts: dict[int, tuple[set[int], set[int]]] = field(default_factory=dict)  # row -> (teams, named readers)
    teams_of: dict[int, set[int]] = field(default_factory=dict)  # reader -> team ids

    def allows(self, user_id: int, pk: int) -> bool:
        if pk not in self.ids:
            return False
        if user_id in self.admins:
            return True
        named = self.restricted.get(pk)
        if named is not None and user_id not in named:
            return False
        draft = self.drafts.get(pk)
        if draft is not None and user_id not in self.leadership:
            team_ids, readers = draft
            return user_id in readers or bool(team_ids & self.teams_of.get(user_id, set()))
        return True

    def readable(self, user_id: int, pks: Iterable[int]) -> list[int]:
        return [pk for pk in pks if self.allows(user_id, pk)]


def visibility_for(model: type[models.Model], users: Iterable[User], pks: Iterable[int]) -> Visibility:
    """Which of `pks` each of `users` may read, for many readers at once.

    The same rule as `visible_q`, decided in a fixed number of queries whatever the number of readers
    and rows: one for the restricted rows with the people named on them, one per team path for the
    drafts with their teams, and, when there are drafts, one for their named readers and one for the
    readers' memberships. A digest or a reminder sweep for a thousand teams does not ask once per
    reader. Models with neither restriction nor drafts cost no query. Readers who are not signed in
    (inactive) may read nothing.
    """
    readers = [u for u in users if is_signed_in(u)]
    ids = set(pks)
    out = Visibility(ids=ids if readers else set())
    if not readers or not ids:
        return out
    out.admins = {u.pk for u in readers if is_admin(u)}
    out.leadership = {u.pk for u in readers if is_leadership(u)}
    policy = _policy(model)
    manager = model._default_manager
    user_ids = [u.pk for u in readers if u.pk not in out.admins]
    if not user_ids:
        return out
    if policy.restricted_field:
        # One query for the restricted rows and everyone named on them (a row without anyone named
        # comes back once with None), whether or not any row is restricted.
        restricted = manager.filter(pk__in=ids, **{policy.restricted_field: True})
        wanted = set(user_ids)
        if policy.named_path:
            for pk, user_id in restricted.values_list("pk", policy.named_path):
                named = out.restricted.setdefault(pk, set())
                if user_id in wanted:
                    named.add(user_id)
        else:
            out.restricted = {pk: set() for pk in restricted.values_list("pk", flat=True)}
    if policy.draft:
        # The drafts with their teams (one query per team path; a draft without a team comes back with None).
        for path in policy.team_paths:
            for pk, team_id in manager.filter(policy.draft(), pk__in=ids).values_list("pk", path):
                teams = out.drafts.setdefault(pk, (set(), set()))[0]
                if team_id is not None:
                    teams.add(team_id)
        if out.drafts:
            if policy.draft_readers_path:
                named = manager.filter(pk__in=out.drafts, **{f"{policy.draft_readers_path}__in": user_ids})
                for pk, user_id in named.values_list("pk", policy.draft_readers_path):
                    out.drafts[pk][1].add(user_id)
            membership = apps.get_model("teams", "Membership")
            for user_id, team_id in membership.objects.filter(user_id__in=user_ids).values_list("user_id", "team_id"):
                out.teams_of.setdefault(user_id, set()).add(team_id)
    return out


class VisibleQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser | None) -> VisibleQuerySet:
        return self.filter(visible_q(self.model, user))


# --- object checks --------------------------------------------------------------------------


def owning_team_ids(obj: models.Model) -> set[int]:
    policy = _policy(type(obj))
    ids: set[int] = set()
    for path in policy.team_paths:
        if path == "id":
            ids.add(obj.pk)
        elif "__" not in path:
            ids.add(getattr(obj, f"{path}_id"))
        elif obj.pk is not None:
            ids.update(type(obj)._default_manager.filter(pk=obj.pk).values_list(path, flat=True))
    ids.discard(None)  # type: ignore[arg-type]
    return ids


def can_view(user: User | AnonymousUser | None, obj: models.Model) -> bool:
    if not is_signed_in(user):
        return False
    if is_admin(user):
        return True
    policy = _policy(type(obj))
    if not policy.restricted_field and not policy.draft:
        return True
    return type(obj)._default_manager.filter(visible_q(type(obj), user), pk=obj.pk).exists()


def can(user: User | AnonymousUser | None, action: Action | str, obj: models.Model) -> bool:
    """May `user` do `action` on the existing object `obj`?"""
    action = Action(action)
    if action is Action.VIEW:
        return can_view(user, obj)
    if is_admin(user):
        return True
    if not can_view(user, obj):
        return False
    return has_team_role(user, owning_team_ids(obj), _policy(type(obj)).role_for(action))


def can_create(
    user: User | AnonymousUser | None,
    model: type[models.Model],
    team_ids: Iterable[int],
    action: Action = Action.CREATE,
) -> bool:
    """May `user` create a `model` owned by (one of) these teams (and, with `action`, create it so, e.g. restricted)?"""
    if is_admin(user):
        return True
    return has_team_role(user, team_ids, _policy(model).role_for(action))


def can_create_somewhere(user: User | AnonymousUser | None) -> bool:
    """May `user` create team-owned records for at least one team (admins, and members of any team)?"""
    return is_admin(user) or bool(team_roles(user))


def check(user: User | AnonymousUser | None, action: Action | str, obj: models.Model) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(f"You may not {action} this {obj._meta.verbose_name}.")


def check_create(
    user: User | AnonymousUser | None,
    model: type[models.Model],
    team_ids: Iterable[int],
    action: Action = Action.CREATE,
) -> None:
    if not can_create(user, model, team_ids, action):
        what = "a restricted" if action is Action.RESTRICT else "a"
        raise PermissionDenied(f"You may not create {what} {model._meta.verbose_name} for this team.")


def get_for(
    user: User | AnonymousUser | None,
    queryset: models.QuerySet | type[models.Model],
    action: Action | str = Action.VIEW,
    **lookup: Any,
) -> Any:
    """Fetch one object the user may see (404 otherwise) and may `action` (403 otherwise)."""
    if not isinstance(queryset, models.QuerySet):
        queryset = queryset._default_manager.all()
    obj = get_object_or_404(queryset.filter(visible_q(queryset.model, user)), **lookup)
    if Action(action) is not Action.VIEW:
        check(user, action, obj)
    return obj


def allowed_actions(user: User | AnonymousUser | None, obj: models.Model) -> dict[str, bool]:
    """{action: bool} for templates and API payloads ("can.change")."""
    visible = can_view(user, obj)
    out = {Action.VIEW.value: visible}
    for action in (Action.CHANGE, Action.APPROVE, Action.DELETE, Action.RESTRICT):
        out[action.value] = visible and (
            is_admin(user) or has_team_role(user, owning_team_ids(obj), _policy(type(obj)).role_for(action))
        )
    return out
