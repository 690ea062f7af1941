"""The Celery task base class: a task's changes are recorded with source "task" and the task's name."""

from typing import Any

from celery import Task

from audit import context


class AuditedTask(Task):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with context.context(source="task", task=self.name):
            return super().__call__(*args, **kwargs)
