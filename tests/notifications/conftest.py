"""Notifications are about records of other apps: reuse the incident fixtures (personas come from tests/conftest.py)."""

from tests.incidents.conftest import _defaults, incident, named, postmortem, restricted_incident, sev  # noqa: F401


def make_notification(recipient, subject, text="Something happened.", **kwargs):
    from django.contrib.contenttypes.models import ContentType

    from notifications.models import Notification

    return Notification.objects.create(
        recipient=recipient,
        kind=kwargs.pop("kind", Notification.Kind.POSTMORTEM_COMMENTED),
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        text=text,
        link=kwargs.pop("link", subject.get_absolute_url()),
        **kwargs,
    )
