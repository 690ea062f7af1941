"""The Celery app. Workers and beat run `celery -A opsx worker` / `celery -A opsx beat`."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsx.settings.base")

app = Celery("opsx", task_cls="audit.celery:AuditedTask")  # records task changes (docs/audit.md)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The schedule lives in code. Every entry expires, so that a beat restart or a backlog never
# piles up stale runs of the same periodic job.
app.conf.beat_schedule = {
    "heartbeat": {
        "task": "opsx.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "sweep-lapsed-acceptances": {
        "task": "reviews.tasks.sweep_lapsed_acceptances",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # The outbox: deliveries whose on_commit enqueue was lost (crash, broker outage) go out within a
    # minute or two. Two beats (a careless deployment) drain twice; the send's claim keeps it once.
    "drain-deliveries": {
        "task": "notifications.tasks.drain_deliveries",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Hourly: reminders and digests follow each team's local hours, so they are checked every hour.
    "send-reminders": {
        "task": "reminders.tasks.send_reminders",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    "send-digests": {
        "task": "reminders.tasks.send_digests",
        "schedule": crontab(minute=10),
        "options": {"expires": 50 * 60},
    },
    "purge-idempotency-keys": {
        "task": "incidents.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=17, hour=3),
        "options": {"expires": 60 * 60},
    },
}


@app.on_after_finalize.connect
def _ensure_broker_folders(sender: Celery, **kwargs: object) -> None:
    """The file-system broker (embedded default) needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
