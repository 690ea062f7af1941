"""The channels' transports: the email a delivery becomes, the chat message, and unsubscribe links.

Nothing here writes to the database; `services.delivery_send` claims a delivery, calls `send()` and
records the outcome. A failure is either `PermanentFailure` (retrying cannot help: no address, the
webhook answered 4xx) or any other exception (SMTP and network trouble, 5xx, 429), which is retried.
"""

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

if TYPE_CHECKING:
    from notifications.models import Delivery, Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class PermanentFailure(Exception):
    """Sending this delivery can never work as it stands; it fails without further tries."""


# --- unsubscribe links ------------------------------------------------------------------------


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token naming a person and a kind: whoever holds it may stop that kind's emails."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind) of a token; `signing.BadSignature` when it was not made here or was altered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        raise signing.BadSignature("malformed unsubscribe token")
    return data["u"], data["k"]


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])
    return settings.SITE_URL.rstrip("/") + path


# --- email ----------------------------------------------------------------------------------------


def _render(kind: str, ext: str, context: dict) -> str:
    try:
        return render_to_string(f"notifications/email/{kind}.{ext}", context)
    except TemplateDoesNotExist:
        return render_to_string(f"notifications/email/default.{ext}", context)


def email_message(notification: "Notification", *, delivery_id: int | None = None) -> EmailMultiAlternatives:
    """The email for a notification: plain text and HTML from `notifications/email/<kind>.txt|.html`
    (or `default.*`), with a one-click unsubscribe for its kind (RFC 8058 headers)."""
    recipient = notification.recipient
    if not recipient.email:
        raise PermanentFailure("The recipient has no email address.")
    unsubscribe = unsubscribe_url(user_id=recipient.pk, kind=notification.kind)
    context = {
        "notification": notification,
        "subject": notification.subject,
        "recipient": recipient,
        "site_url": settings.SITE_URL.rstrip("/"),
        "unsubscribe_url": unsubscribe,
    }
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if delivery_id is not None:
        # The same Message-ID on a resend lets a receiving server drop the copy.
        headers["Message-ID"] = f"<delivery-{delivery_id}@opsx>"
    message = EmailMultiAlternatives(
        subject=f"[opsx] {Truncator(notification.text).chars(120)}",
        body=_render(notification.kind, "txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=headers,
    )
    message.attach_alternative(_render(notification.kind, "html", context), "text/html")
    return message


def send_email(delivery: "Delivery") -> None:
    email_message(delivery.notification, delivery_id=delivery.pk).send(fail_silently=False)


# --- chat -----------------------------------------------------------------------------------------


def chat_payload(notification: "Notification") -> dict:
    """A Slack-compatible incoming-webhook body (`text` with an mrkdwn link)."""
    link = settings.SITE_URL.rstrip("/") + notification.link
    return {"text": f"{notification.text} <{link}|Open in opsx>"}


def post_webhook(url: str, payload: dict) -> None:
    """POST the JSON payload; 4xx (but 429) is permanent, everything else that is not 2xx is retried."""
    if not url.startswith(("https://", "http://")):
        raise PermanentFailure("The webhook address is not an http(s) URL.")
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code != 429:
            raise PermanentFailure(f"The webhook answered {exc.code}.") from exc
        raise


def send_chat(delivery: "Delivery", url: str) -> None:
    if not url:
        raise PermanentFailure("No chat webhook is set.")
    post_webhook(url, chat_payload(delivery.notification))
