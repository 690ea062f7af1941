"""Optional single sign-on with OpenID Connect (mozilla-django-oidc), off unless FEATURE_SSO_ENABLED.

The provider's groups decide org roles and team memberships (`teams.services.user_sync_identity`,
mapping from the OIDC_* settings; docs/sso.md). People are matched by e-mail address; a new one is
created with no usable password. On top of the library's checks (signature against the provider's
JWKS, nonce, expiry), the ID token must be for this client (`aud`) and, when OIDC_OP_ISSUER is set,
from that issuer (`iss`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import slugify
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from audit import context as audit
from teams import services
from teams.models import User

logger = logging.getLogger(__name__)


def _groups(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM, [])
    if isinstance(value, str):
        return [value]
    return [str(group) for group in value] if isinstance(value, list) else []


def _username(claims: dict[str, Any]) -> str:
    wanted = claims.get("preferred_username") or str(claims.get("email", "")).split("@")[0] or "user"
    base = slugify(wanted)[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class SsoBackend(OIDCAuthenticationBackend):
    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        """A token that fails a check is a failed sign-in (back to the login page), not an error page."""
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            logger.warning("single sign-on refused: %s", exc)
            return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued for another client.")
        issuer = settings.OIDC_OP_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> User:
        user = User(
            username=_username(claims),
            email=claims.get("email", ""),
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        audit.add(**audit.actor_facts(user), sso=settings.OIDC_OP_ISSUER or "oidc")
        return services.user_sync_identity(
            user=user,
            groups=_groups(claims),
            team_groups=settings.OIDC_TEAM_GROUPS,
            admin_groups=set(settings.OIDC_ADMIN_GROUPS),
            leadership_groups=set(settings.OIDC_LEADERSHIP_GROUPS),
        )


def _when_enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SSO_ENABLED:
            raise Http404("Single sign-on is not enabled.")
        return view(request, *args, **kwargs)

    return wrapped


authenticate_view = _when_enabled(OIDCAuthenticationRequestView.as_view())
callback_view = _when_enabled(OIDCAuthenticationCallbackView.as_view())
