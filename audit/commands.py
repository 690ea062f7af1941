"""Base class for opsx's management commands: their changes are recorded with source "command"."""

import getpass
from typing import Any

from django.core.management.base import BaseCommand

from audit import context


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return None


class AuditedCommand(BaseCommand):
    """Subclass this instead of BaseCommand (tests/audit/test_context.py checks every opsx command does)."""

    def execute(self, *args: Any, **options: Any) -> Any:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with context.context(source="command", command=name, os_user=_os_user()):
            return super().execute(*args, **options)
