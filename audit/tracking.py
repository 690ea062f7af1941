"""How models are tracked: `@track()` on every audited model.

Models with stored Markdown HTML (`opsx.models.MarkdownModel`) leave `markdown_html` out of their
history: it is derived from the texts that are tracked, and a re-render after a sanitizer upgrade
(`rerender_markdown`) changes nothing anyone wrote, so it records no event.
"""

from collections.abc import Callable
from typing import Any

import pghistory

DERIVED = ["markdown_html"]


def track(*, derived: bool = False) -> Callable[[Any], Any]:
    """`pghistory.track` with the project's trackers; `derived=True` for models that store Markdown HTML."""
    if not derived:
        return pghistory.track()
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=DERIVED, exclude_auto=True)),
        pghistory.DeleteEvent(),
        exclude=DERIVED,
    )
