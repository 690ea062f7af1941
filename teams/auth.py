"""Signing in: repeated failures lock an account and slow an address down (docs/security.md).

- Per account: django-axes (`AxesStandaloneBackend`, first backend) refuses an account after
  `LOGIN_FAILURE_LIMIT` failed sign-ins until `LOGIN_LOCKOUT_MINUTES` have passed, even with the
  right password; a successful sign-in clears the count. Admins unlock at once: "Unlock sign-in" on
  users in the admin, or delete the account's access attempt.
- Per address: every failed sign-in from an address counts against `THROTTLE_RATES["login_failure"]`
  (all accounts together, so that trying one password on many accounts is slowed down too); over it,
  `AddressThrottleBackend` refuses any sign-in from that address until the window ends. The
  threshold is high enough for an office behind one NAT address.

Either way the sign-in page answers 429 with `Retry-After` and says why; the admin's sign-in is
refused the same way (with its generic message).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opsx.throttling import client_ip, consume, exceeded

LOCKED_OUT = (
    "Too many failed sign-ins for this account. Try again in {minutes} minutes, "
    "or ask an admin to unlock it now. You can also reset your password."
)
ADDRESS_SLOWED = "Too many failed sign-ins from your network. Try again in {seconds} seconds."


def _address(request: Any) -> list[str]:
    return [f"ip:{client_ip(request)}"]


class AddressThrottleBackend:
    """Refuses every sign-in from an address that is over its failed sign-in rate (checks no password)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return
        wait = exceeded("login_failure", _address(request))
        if wait is not None:
            request.login_throttled_wait = wait  # type: ignore[attr-defined]
            raise PermissionDenied("address throttled")  # stops authenticate(); counts as a failure
        return


@receiver(user_login_failed, dispatch_uid="teams.auth.count_address_failure")
def count_address_failure(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None:
        consume("login_failure", _address(request))


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def login_refused(request: HttpRequest, message: str, wait: int, form: Any = None) -> HttpResponse:
    """The sign-in page with why it refused, 429 and Retry-After."""
    response = render(
        request, "registration/login.html", {"form": form, "login_error": message, "next": ""}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None):  # type: ignore[no-untyped-def]
    """django-axes' answer for a locked-out account (AXES_LOCKOUT_CALLABLE)."""
    wait = lockout_seconds()
    return login_refused(request, LOCKED_OUT.format(minutes=max(wait // 60, 1)), wait)
