"""The operators' outbox page: admins only (404 for everyone else), filter by status, retry a failed one."""

import pytest

from notifications import services
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliveries(postmortem, teammate, leader):
    services.notify(recipients=[teammate, leader], kind="mention", subject=postmortem, text="t", link="/", actor=None)
    failed, sent = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=failed.pk).update(status="failed", attempts=5, last_error="SMTPException: boom")
    Delivery.objects.filter(pk=sent.pk).update(status="sent", attempts=1)
    return failed, sent


def test_admins_see_status_channel_attempts_and_error_and_filter(client_as, admin_user, deliveries):
    client = client_as(admin_user)
    body = client.get("/notifications/deliveries/").content.decode()
    assert "SMTPException: boom" in body and "Sent" in body and "Retry" in body
    body = client.get("/notifications/deliveries/?status=sent").content.decode()
    assert "SMTPException: boom" not in body and f"delivery-{deliveries[1].pk}" in body


@pytest.mark.parametrize("persona", ["owner", "teammate", "leader", "outsider"])
def test_everyone_else_gets_404(client_as, request, deliveries, persona):
    client = client_as(request.getfixturevalue(persona))
    assert client.get("/notifications/deliveries/").status_code == 404
    assert client.post(f"/notifications/deliveries/{deliveries[0].pk}/retry/").status_code == 404
    assert Delivery.objects.get(pk=deliveries[0].pk).status == "failed"


def test_an_admin_retries_a_failed_one(client_as, admin_user, deliveries, django_capture_on_commit_callbacks):
    failed, sent = deliveries
    client = client_as(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/notifications/deliveries/{failed.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Pending" in response.content.decode()
    assert len(callbacks) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    client.post(f"/notifications/deliveries/{sent.pk}/retry/")
    assert Delivery.objects.get(pk=sent.pk).status == "sent", "only a failed one is retried"


def test_the_django_admin_action_retries_too(client_as, admin_user, deliveries):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    failed, sent = deliveries
    response = client_as(admin_user).post(
        "/admin/notifications/delivery/",
        {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
    )
    assert response.status_code == 302
    assert dict(Delivery.objects.values_list("pk", "status")) == {failed.pk: "pending", sent.pk: "sent"}
