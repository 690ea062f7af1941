"""An email backend for worker processes in tests: writes each message to a folder, and on request fails
or kills its own process first (the folder is TEST_MAIL_DIR).

- a file `fail-<anything>` in the folder: the next send removes it and raises SMTPException (one per file);
- a file `kill-next`: the next send removes it and SIGKILLs the process sending (after the claim, before
  anything is sent).
Removing a file is atomic, so two workers never consume the same instruction.
"""

import os
import signal
import smtplib
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


def _consume(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class FlakyFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:  # type: ignore[no-untyped-def]
        folder = Path(os.environ["TEST_MAIL_DIR"])
        if _consume(folder / "kill-next"):
            os.kill(os.getpid(), signal.SIGKILL)
        for instruction in sorted(folder.glob("fail-*")):
            if _consume(instruction):
                raise smtplib.SMTPServerDisconnected("test: the SMTP server went away")
        for message in email_messages:
            (folder / f"sent-{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)


def sent_messages(folder: Path) -> list[str]:
    """The Message-ID headers of the messages written so far."""
    import email

    return [email.message_from_bytes(p.read_bytes())["Message-ID"] for p in sorted(folder.glob("sent-*.eml"))]
