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
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LensFormatError(ValueError):
    """A lens file could not be read (or a lens could not be written). Carries every problem found."""

    def __init__(self, errors: Iterable[LensIssue]) -> None:
        self.errors: list[LensIssue] = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class LensFormatWarning(UserWarning):
    """Something in a lens file was accepted but deserves attention (an ignored key, for example)."""


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"
