"""ETags and `If-Match`: the API's optimistic locking, written once for every versioned resource.

Incidents, postmortems and review answers carry a `version` that their services bump on every
change and compare in a conditional UPDATE. The API shows it as `ETag: W/"<version>"` and a write
names the version it was based on in `If-Match`. Every resource answers the same way:

* no `If-Match` → 428 `precondition_required`;
* a value that is not an entity-tag list (`3`, `W/3`, `"a" "b"`, a lone `W/`) → 400 with the
  header named in `fields`;
* `*` → matches **any current version** (RFC 9110 §13.1.1): the write goes ahead against whatever
  is stored when it runs, and can never be a 412 (only a record that does not exist fails it,
  and that is a 404 first);
* one or more entity-tags, comma-separated, weak (`W/"3"`) or strong (`"3"`) → the write goes ahead
  when one of them names the current version, else 412 `precondition_failed` with the current
  ETag in the response. The comparison ignores `W/`: a version names exactly one stored state, the
  weak flag only says the JSON bytes of the same state may differ (field order, related names).

A listed tag can still lose a race after the check (someone saves in between): the service's
conditional UPDATE catches that and the view answers 412 through `precondition_failed` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

# One entity-tag (RFC 9110 §8.8.3): an optional W/ and a quoted opaque tag without quotes or spaces.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')
T = TypeVar("T")
DEFAULT_HINT = 'Send If-Match with the ETag of your last GET (e.g. W/"3"), or * to write over any version.'


def format_etag(version: int) -> str:
    """The ETag of a record at `version`."""
    return f'W/"{version}"'


class InvalidIfMatch(ValueError):
    """The header is not `*` or a comma-separated list of entity-tags."""


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match header: `any` for `*`, else the opaque tags it lists (without W/ and quotes)."""

    any: bool = False
    tags: frozenset[str] = frozenset()

    def matches(self, version: int) -> bool:
        return self.any or str(version) in self.tags

    def expected_version(self, current: int) -> int | None:
        """What a service's `expected_version` should be: None (any) for `*`, else `current`."""
        return None if self.any else current


def parse_if_match(value: str) -> IfMatch:
    """`*` or a list of entity-tags (empty list elements are ignored); InvalidIfMatch otherwise."""
    if value.strip() == "*":
        return IfMatch(any=True)
    tags = set()
    position = 0
    while position < len(value):
        if value[position] in ", \t":
            position += 1
            continue
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise InvalidIfMatch(value)
        tags.add(match.group(2))
        position = match.end()
        if position < len(value) and value[position] != ",":
            raise InvalidIfMatch(value)  # two tags without a comma between them
    if not tags:
        raise InvalidIfMatch(value)
    return IfMatch(tags=frozenset(tags))


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = DEFAULT_HINT


class PreconditionFailed(exceptions.APIException):
    """412: the write was based on another version than `version`, the one stored now.

    The answer carries the current ETag and `current_version` (plus any `extra` fields) so the
    client can GET, merge and retry.
    """

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, version: int, message: str = "", **extra: Any) -> None:
        super().__init__(
            message or f"Version {version} was saved since your copy; GET it, merge, and retry with its ETag."
        )
        self.version = version
        self.error_extra = {"current_version": version, **extra}
        self.response_headers = {"ETag": format_etag(version)}


class VersionConflict(PreconditionFailed):
    """409: the same, for a stale `version` sent in the body instead of If-Match (review answers)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def if_match(request: Request) -> IfMatch | None:
    """The request's If-Match, None when absent; a malformed one is a 400 naming the header."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    try:
        return parse_if_match(value)
    except InvalidIfMatch:
        raise exceptions.ValidationError(
            {"If-Match": [f'Expected * or entity-tags such as W/"3" or "3" (comma-separated), got {value[:100]!r}.']}
        ) from None


def expected_version(request: Request, *, current: int, hint: str = DEFAULT_HINT) -> int | None:
    """The version a write may replace, checked against `current` (the version just read).

    Returns `current` when If-Match lists it, and None for `*` (any version: pass it on to the
    service, whose conditional UPDATE then skips the version). Raises 428 when the header is
    missing, 400 when it is malformed and 412 when it lists only other versions.
    """
    parsed = if_match(request)
    if parsed is None:
        raise PreconditionRequired(hint)
    if not parsed.matches(current):
        raise PreconditionFailed(current)
    return parsed.expected_version(current)


def write_if_match(request: Request, *, current: int, write: Callable[[int | None], T], stale: type[Exception]) -> T:
    """Check If-Match against `current`, then `write(expected_version)`; a `stale` exception from the
    service (a concurrent save won; it carries `.current`) becomes the same 412."""
    expected = expected_version(request, current=current)
    try:
        return write(expected)
    except stale as exc:
        raise PreconditionFailed(exc.current.version) from exc  # type: ignore[attr-defined]


def with_etag(response: Response, version: int) -> Response:
    """`response` with the ETag of `version` (reads and successful writes)."""
    response["ETag"] = format_etag(version)
    return response
