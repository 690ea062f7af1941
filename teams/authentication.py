from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from audit import context as audit
from opsx.throttling import client_ip, consume, exceeded
from teams.models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer opsx_…` (or `Token opsx_…`) with a personal API token.

    Failed attempts (a malformed header, an unknown, expired or revoked token) count per address
    against `THROTTLE_RATES["token_failure"]`; over it, every token request from that address gets
    429 with `Retry-After` until the window ends, before any token is looked up. Guessing tokens
    (32 random bytes) is hopeless anyway; this keeps such traffic from costing a query per try.
    """

    keywords = ("bearer", "token")

    def _fail(self, request, message: str):  # type: ignore[no-untyped-def]
        wait = consume("token_failure", [f"ip:{client_ip(request)}"])
        if wait is not None:
            raise exceptions.Throttled(
                wait, detail=f"Too many failed token authentications. Try again in {wait} seconds."
            )
        raise exceptions.AuthenticationFailed(message)

    def authenticate(self, request):  # type: ignore[no-untyped-def]
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        wait = exceeded("token_failure", [f"ip:{client_ip(request)}"])
        if wait is not None:
            raise exceptions.Throttled(
                wait, detail=f"Too many failed token authentications. Try again in {wait} seconds."
            )
        if len(header) != 2:
            self._fail(request, "Malformed Authorization header: expected 'Bearer <token>'.")
        key = header[1].decode(errors="replace")
        token = ApiToken.objects.active().select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
        if token is None or not token.user.is_active:
            self._fail(request, "Invalid, expired or revoked API token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        audit.add(token=token.name, **audit.actor_facts(token.user))  # the request's changes name the token
        return token.user, token

    def authenticate_header(self, request):  # type: ignore[no-untyped-def]
        return 'Bearer realm="api"'
