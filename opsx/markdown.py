"""User-written Markdown, rendered once and sanitized with nh3 (an allowlist, not a blocklist).

Rendering happens when a text is saved, never when it is shown: models that hold Markdown list their
fields in `MARKDOWN_FIELDS` (see `opsx.models.MarkdownModel`) and keep the sanitized HTML of each in
`markdown_html`, tagged with the digest of the source and with `RENDERER` (the Markdown and nh3
versions and this module's allowlist). Templates show it with `{{ obj|rendered:"field" }}`. Stored
HTML whose source or renderer no longer matches is not trusted: it is rendered again on the spot
(and logged), until `manage.py rerender_markdown` stores it again, e.g. after a sanitizer upgrade.

Python-Markdown has inputs whose cost grows with the square of their length (ten thousand `[` take
seconds), so a text longer than `INLINE_CHARS` is rendered in a forked child process that is killed
after `settings.MARKDOWN_RENDER_TIMEOUT` seconds; such a text is then shown as plain paragraphs
(escaped, linear time) with a note, and no request waits longer than the budget.
"""

import hashlib
import json
import logging
import os
import select
import signal
import time
from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

import markdown as md
import nh3
from django.conf import settings
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.nl2br import Nl2BrExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "dd", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# "extra" (its parts, in its order), then sane_lists and nl2br. Built as instances, per render: a forked
# child then imports nothing, and extensions that keep state (footnotes) are never shared between threads.
EXTENSIONS = [
    FencedCodeExtension,
    FootnoteExtension,
    AttrListExtension,
    DefListExtension,
    TableExtension,
    AbbrExtension,
    MarkdownInHtmlExtension,
    SaneListExtension,
    Nl2BrExtension,
]

_CONFIG = json.dumps(
    [sorted(ALLOWED_TAGS), {k: sorted(v) for k, v in sorted(ALLOWED_ATTRIBUTES.items())}, sorted(ALLOWED_URL_SCHEMES)]
    + [e.__name__ for e in EXTENSIONS]
)
#: What produced stored HTML: a new Markdown or nh3 release, or a changed allowlist, makes it stale.
RENDERER = f"markdown {version('markdown')}; nh3 {version('nh3')}; {hashlib.sha256(_CONFIG.encode()).hexdigest()[:12]}"
#: Texts up to this length render in the request's own process (their worst case is a fraction of a second).
INLINE_CHARS = 1000
FALLBACK_NOTE = "This text could not be formatted in time and is shown as plain text."


def _render(text: str) -> str:
    html = md.markdown(text, extensions=[extension() for extension in EXTENSIONS], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_html(text: str) -> str:
    """The text as escaped paragraphs, with a note: what a text that took too long to format shows."""
    note = f'<p class="markdown-fallback muted"><small>{escape(FALLBACK_NOTE)}</small></p>'
    return note + linebreaks(text, autoescape=True)


def _render_in_child(text: str, timeout: float) -> str | None:
    """`_render(text)` in a forked child, or None when it takes longer than `timeout` seconds (it is killed)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, write, leave without running any of the parent's clean-up
        status = 1
        try:
            os.close(read_end)
            view = memoryview(_render(text).encode())
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    finished = False
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not finished or status != 0:
        return None
    return b"".join(chunks).decode()


def render_markdown(text: str | None) -> SafeString:
    """Markdown to sanitized HTML, in bounded time (see the module docstring)."""
    if not text:
        return mark_safe("")  # noqa: S308
    timeout = settings.MARKDOWN_RENDER_TIMEOUT
    if len(text) <= INLINE_CHARS or not hasattr(os, "fork"):
        try:
            html: str | None = _render(text)
        except RecursionError:  # nested thousands deep: hostile, shown as text
            html = None
    else:
        html = _render_in_child(text, timeout)
    if html is None:
        logger.warning(
            "markdown took longer than %ss to render; shown as plain text", timeout, extra={"chars": len(text)}
        )
        html = plain_html(text)
    return mark_safe(html)  # noqa: S308 - nh3 output, or escaped text


def source_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- stored HTML ---------------------------------------------------------------------------------
# `markdown_html` is {"renderer": RENDERER, "fields": {name: {"sha": digest of the source, "html": ...}}},
# on a model instance (an attribute) or in a dict (a key: the answers in a milestone's snapshot).


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def refresh_html(obj: Any, fields: Iterable[str] | None = None, *, force: bool = False) -> bool:
    """Bring `obj`'s `markdown_html` up to date with its Markdown fields; True when it changed.

    Only texts whose source (or the renderer) changed are rendered again, unless `force`. `fields`
    defaults to the model's `MARKDOWN_FIELDS` (historical models in migrations pass them).
    """
    names = list(fields if fields is not None else obj.MARKDOWN_FIELDS)
    stored = _get(obj, "markdown_html")
    stored = stored if isinstance(stored, dict) else {}
    current = stored.get("renderer") == RENDERER and not force
    old = stored.get("fields", {}) if current and isinstance(stored.get("fields"), dict) else {}
    entries: dict[str, dict[str, str]] = {}
    for name in names:
        text = _get(obj, name) or ""
        if not text:
            continue
        digest = source_digest(text)
        entry = old.get(name)
        if isinstance(entry, dict) and entry.get("sha") == digest and isinstance(entry.get("html"), str):
            entries[name] = entry
        else:
            entries[name] = {"sha": digest, "html": str(render_markdown(text))}
    fresh = {"renderer": RENDERER, "fields": entries}
    if fresh == stored:
        return False
    if isinstance(obj, dict):
        obj["markdown_html"] = fresh
    else:
        obj.markdown_html = fresh
    return True


def html_values(obj: Any) -> dict[str, Any]:
    """`{"markdown_html": ...}` to add to a conditional `QuerySet.update()` of `obj`'s new values (else {})."""
    return {"markdown_html": obj.markdown_html} if refresh_html(obj) else {}


def stored_html(obj: Any, name: str) -> SafeString:
    """The stored HTML of `obj`'s `name`; rendered on the spot (and logged) when missing or stale."""
    text = _get(obj, name) or ""
    if not text:
        return mark_safe("")  # noqa: S308
    stored = _get(obj, "markdown_html")
    if isinstance(stored, dict) and stored.get("renderer") == RENDERER:
        entry = (stored.get("fields") or {}).get(name)
        if isinstance(entry, dict) and entry.get("sha") == source_digest(text) and isinstance(entry.get("html"), str):
            return mark_safe(entry["html"])  # noqa: S308 - sanitized when it was stored
    logger.info("markdown rendered for a view: %s %s has no current stored HTML", type(obj).__name__, name)
    return render_markdown(text)


def rerender_rows(model: Any, fields: Iterable[str], *, force: bool = False, batch: int = 200) -> tuple[int, int]:
    """Re-render the stored HTML of every row of `model` (in batches); returns (rows seen, rows changed).

    Used by `manage.py rerender_markdown` and by the migrations that added `markdown_html`.
    """
    names = list(fields)
    seen = changed = 0
    last = 0
    while True:
        rows = list(model._default_manager.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return seen, changed
        for row in rows:
            seen += 1
            if refresh_html(row, names, force=force):
                model._default_manager.filter(pk=row.pk).update(markdown_html=row.markdown_html)
                changed += 1
        last = rows[-1].pk


def migration_filler(app_label: str, model_name: str, fields: Iterable[str]) -> Any:
    """A RunPython function storing the HTML of existing rows (for the migration that adds `markdown_html`)."""
    names = list(fields)

    def fill(apps: Any, schema_editor: Any) -> None:
        rerender_rows(apps.get_model(app_label, model_name), names)

    return fill
