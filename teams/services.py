"""Writes for the organization. Callers have already checked permissions (views, viewsets)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from opsx.services import model_update
from teams.models import ApiToken, Membership, System, Team, User
from teams.permissions import TeamRole, forget_roles

TEAM_FIELDS = ["name", "slug", "description", "timezone"]
SYSTEM_FIELDS = [
    "name",
    "slug",
    "team",
    "tier",
    "lifecycle",
    "description",
    "repository_url",
    "runbook_url",
    "dashboard_url",
]


@transaction.atomic
def team_create(
    *, actor: User, name: str, slug: str, description: str = "", timezone: str = "UTC", lead: User | None = None
) -> Team:
    team = Team(name=name, slug=slug, description=description, timezone=timezone)
    team.full_clean()
    team.save()
    if lead is not None:
        membership_set(team=team, user=lead, role=TeamRole.LEAD)
    return team


@transaction.atomic
def team_update(*, team: Team, data: dict[str, Any]) -> Team:
    team, _ = model_update(instance=team, fields=TEAM_FIELDS, data=data)
    return team


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str = TeamRole.MEMBER) -> Membership:
    """Add `user` to `team`, or change their role there."""
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role", "updated_at"])
    forget_roles(user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    user = membership.user
    membership.delete()
    forget_roles(user)


@transaction.atomic
def system_create(*, actor: User, **data: Any) -> System:
    system = System(**{k: v for k, v in data.items() if k in SYSTEM_FIELDS})
    system.full_clean()
    system.save()
    return system


@transaction.atomic
def system_update(*, system: System, data: dict[str, Any]) -> System:
    system, _ = model_update(instance=system, fields=SYSTEM_FIELDS, data=data)
    return system


def api_token_create(*, user: User, name: str, expires_at: Any = None) -> tuple[ApiToken, str]:
    """Create a token; returns (token, secret). The secret is not stored and cannot be shown again."""
    secret = ApiToken.generate_key()
    token = ApiToken(
        user=user,
        name=name,
        expires_at=expires_at,
        key_prefix=secret[: len(ApiToken.PREFIX) + 6],
        key_hash=ApiToken.hash_key(secret),
    )
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


# --- accounts ---------------------------------------------------------------------------------


def password_reset_send(*, user: User) -> None:
    """Email `user` a link to choose a new password (valid PASSWORD_RESET_TIMEOUT seconds, once).

    The token is made here, when the mail is sent, so no secret travels through the broker.
    """
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "url": settings.SITE_URL.rstrip("/") + path,
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = " ".join(render_to_string("emails/password-reset-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject, render_to_string("emails/password-reset-body.txt", context), to=[user.email]
    )
    message.attach_alternative(render_to_string("emails/password-reset-body.html", context), "text/html")
    message.send()


@transaction.atomic
def user_sync_identity(
    *,
    user: User,
    groups: list[str],
    team_groups: dict[str, tuple[str, str]],
    admin_groups: set[str],
    leadership_groups: set[str],
) -> User:
    """Make a single-sign-on user's org role and memberships match their identity provider's groups.

    `team_groups` maps a group to (team slug, role). For every team named in it, the user's membership is
    the highest role their groups give there, or none; teams the mapping does not name are left alone.
    When admin or leadership groups are configured, they decide the org role (otherwise member);
    superusers keep theirs. See docs/sso.md.
    """
    mine = set(groups)
    if admin_groups or leadership_groups:
        role = (
            User.OrgRole.ADMIN
            if mine & admin_groups
            else User.OrgRole.LEADERSHIP
            if mine & leadership_groups
            else User.OrgRole.MEMBER
        )
        if user.org_role != role and not user.is_superuser:
            user.org_role = role
            user.save(update_fields=["org_role"])
    wanted: dict[str, str] = {}
    for group, (slug, team_role) in team_groups.items():
        if group in mine and (slug not in wanted or team_role == TeamRole.LEAD):
            wanted[slug] = team_role
    teams = {team.slug: team for team in Team.objects.filter(slug__in={slug for slug, _ in team_groups.values()})}
    for slug, team in teams.items():
        if slug in wanted:
            membership_set(team=team, user=user, role=wanted[slug])
        else:
            for membership in Membership.objects.filter(team=team, user=user):
                membership_remove(membership=membership)
    return user
