"""Errors and warnings raised while reading or writing lens files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: An issue's path or message is cut to this many characters, and an error lists at most MAX_ISSUES_SHOWN of
#: its problems (and how many more there are): an error never repeats a large part of the file.
MAX_ISSUE_CHARS = 300
MAX_ISSUES_SHOWN = 50


@dataclass(frozen=True)
class LensIssue:
    """One problem found in a lens file.

    ``path`` names the offending field in the spelling of the file's own format, for example
    ``pillars[2].questions[0].riskRules[1].condition``. It is empty for problems that concern the
    whole document, such as a JSON syntax error.

    For a warning, ``repair`` says what the reader did about the problem (``"ignored"``, ``"read as
    'url'"``); a strict import refuses the file instead and reports the problem without it.
    """

    path: str
    message: str
    repair: str = ""

    def __post_init__(self) -> None:
        # A message may quote what the file says (a key, an id): never more than a line of it.
        for name in ("path", "message", "repair"):
            value = getattr(self, name)
            if len(value) > MAX_ISSUE_CHARS:
                object.__setattr__(self, name, value[: MAX_ISSUE_CHARS - 1] + "…")

    def __str__(self) -> str:
        text = f"{self.message}; {self.repair}" if self.repair else self.message
        return f"{self.path}: {text}" if self.path else text

    def refused(self) -> LensIssue:
        """This warning as the error a strict import reports."""
        return LensIssue(self.path, f"{self.message} (a strict import refuses this)")


class LensFormatError(ValueError):
    """A lens file could not be read (or a lens could not be written). Carries every problem found.

    ``warnings`` holds what had been accepted with a warning before the errors were found.
    """

    def __init__(self, errors: Iterable[LensIssue], warnings: Iterable[LensIssue] = ()) -> None:
        self.errors: list[LensIssue] = list(errors)
        self.warnings: list[LensIssue] = list(warnings)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(e) for e in self.errors[:MAX_ISSUES_SHOWN]]
        if len(self.errors) > MAX_ISSUES_SHOWN:
            lines.append(f"… and {len(self.errors) - MAX_ISSUES_SHOWN} more problems")
        return "\n".join(lines)


class LensFormatWarning(UserWarning):
    """Something in a lens file was accepted but deserves attention (an ignored key, for example)."""


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"
