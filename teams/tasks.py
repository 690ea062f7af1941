"""Tasks for the organization's accounts."""

from celery import shared_task


@shared_task(name="teams.tasks.send_password_reset", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset(user_id: int) -> None:
    """Send a password reset link; quietly nothing when the account is gone, inactive or has no password."""
    from teams import services
    from teams.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return
    services.password_reset_send(user=user)
