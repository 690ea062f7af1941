"""Parsing the single sign-on group mapping from the environment (imported by settings: no Django models here)."""

from django.core.exceptions import ImproperlyConfigured

ROLES = ("member", "lead")  # teams.permissions.TeamRole values


def team_groups_from_env(raw: str) -> dict[str, tuple[str, str]]:
    """`group=team-slug:role, ...` (role: member or lead; member when left out) as {group: (slug, role)}."""
    mapping: dict[str, tuple[str, str]] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        group, sep, target = item.partition("=")
        slug, _, role = target.partition(":")
        role = role.strip() or "member"
        if not sep or not group.strip() or not slug.strip() or role not in ROLES:
            raise ImproperlyConfigured(
                f"OIDC_TEAM_GROUPS: {item!r} is not group=team-slug or group=team-slug:lead (roles: member, lead)"
            )
        mapping[group.strip()] = (slug.strip(), role)
    return mapping
