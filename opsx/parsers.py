"""The API's JSON parser: DRF's, refusing bodies nested deeper than any opsx resource needs.

Python's JSON decoder recurses once per level, so `[[[[...]]]]` 10,000 levels deep raises
RecursionError, which DRF does not catch (a 500). Bodies nested deeper than `MAX_JSON_DEPTH` are
refused as a parse error (400), before serializers, fingerprints or JSON fields recurse into them
too. The deepest body opsx takes (a postmortem with its contributing factors) has three levels.
"""

import codecs
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

MAX_JSON_DEPTH = 32


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0, `[]` and `{}` are 1), without recursing."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            data = drf_json.load(codecs.getreader(encoding)(stream), parse_constant=parse_constant)
            too_deep = json_depth(data) > MAX_JSON_DEPTH
        except RecursionError:
            too_deep = True
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if too_deep:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        return data
