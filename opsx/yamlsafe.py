"""YAML from users: PyYAML's safe loader without anchors and aliases.

An alias makes the reader build a node again wherever it is named, so a few hundred bytes of nested
aliases ("billion laughs") grow into gigabytes. No file opsx reads (lenses, postmortem front matter)
needs them, so the first anchor (`&name`) or alias (`*name`) is refused where it stands, before any
node is built; the error names its line and never repeats the document.
"""

from typing import Any

import yaml

ALIASES_REFUSED = "anchors and aliases (&name, *name) are not allowed"


class NoAliasSafeLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, ALIASES_REFUSED, event.start_mark)
        return super().compose_node(parent, index)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` that refuses anchors and aliases (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=NoAliasSafeLoader)  # noqa: S506 - SafeLoader without aliases
