"""Size limits on what users send (docs/limits.md), read from settings when they are checked.

- `TextLimitValidator`: any one Markdown text (a postmortem section, an incident summary, a
  description, notes, a comment) is at most `LIMIT_SECTION_CHARS` characters. It sits on the model
  fields, so forms, serializers, services (`full_clean`), imports and commands all refuse the same
  text with the same message (400 in the API, a form error on pages).
- `postmortem_size_errors`: a postmortem's sections and factors together, at most `LIMIT_POSTMORTEM_CHARS`.
- `too_large`: the 413 answer for a body, file or preview over its limit (JSON under /api/, the
  error page or an htmx fragment elsewhere); `TooLarge` is the same for DRF views.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from rest_framework.exceptions import APIException


def section_limit() -> int:
    return settings.LIMIT_SECTION_CHARS


def text_too_long(limit: int, got: int, what: str = "This text") -> str:
    return f"{what} is {got:,} characters long; the limit is {limit:,}."


@deconstructible
class TextLimitValidator:
    """A Markdown text is at most `settings.LIMIT_SECTION_CHARS` characters (read when validating)."""

    code = "too_long"

    def __call__(self, value: Any) -> None:
        limit = section_limit()
        if isinstance(value, str) and len(value) > limit:
            raise ValidationError(text_too_long(limit, len(value)), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextLimitValidator)

    def __hash__(self) -> int:
        return hash(type(self))


def total_chars(texts: Iterable[str | None]) -> int:
    return sum(len(text or "") for text in texts)


def postmortem_size_errors(sections: Iterable[str | None], factors: object) -> list[str]:
    """Why a postmortem is too large as a whole (empty when it is not)."""
    limit = settings.LIMIT_POSTMORTEM_CHARS
    descriptions = [f.get("description") for f in factors if isinstance(f, dict)] if isinstance(factors, list) else []
    got = total_chars(sections) + total_chars(d if isinstance(d, str) else "" for d in descriptions)
    if got > limit:
        return [f"The postmortem is {got:,} characters long in all; the limit is {limit:,}. Shorten some sections."]
    return []


class TooLarge(APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = "The request is too large."


def too_large(request: Any, message: str) -> Any:
    """413: the API's error shape under /api/, a short fragment for htmx, the error page otherwise."""
    from opsx.views import error_response

    return error_response(request, 413, "too_large", message)
