"""Errors and warnings raised while reading or writing lens files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
        super().__init__("\n".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class LensFormatWarning(UserWarning):
    """Something in a lens file was accepted but deserves attention (an ignored key, for example)."""


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"
