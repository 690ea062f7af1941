from django import template
from django.utils.safestring import SafeString

from opsx.markdown import render_markdown, stored_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown now: for previews of unsaved text only. Saved text uses `|rendered`."""
    return render_markdown(text)


@register.filter
def rendered(obj: object, field: str) -> SafeString:
    """`{{ incident|rendered:"summary" }}`: the sanitized HTML stored when the text was saved."""
    return stored_html(obj, field)


UNKNOWN = "unknown"


@register.filter
def duration(value: object) -> str:
    """A timedelta as '2h 05m' / '3d 4h' / '45s'; 'unknown' for None (a missing or date-only time)."""
    if value is None:
        return UNKNOWN
    seconds = int(value.total_seconds())  # type: ignore[attr-defined]
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


@register.filter
def moment(obj: object, name: str) -> SafeString:
    """`obj.<name>` (a datetime) as 'YYYY-MM-DD HH:MM' in UTC, only the date when `obj.is_date_only(name)`,
    'unknown' when empty; in a <time> element."""
    from datetime import UTC

    from django.utils.html import format_html

    value = getattr(obj, name, None)
    if value is None:
        return format_html('<span class="unknown">{}</span>', UNKNOWN)
    value = value.astimezone(UTC)
    is_date_only = getattr(obj, "is_date_only", None)
    if is_date_only is not None and is_date_only(name):
        return format_html(
            '<time datetime="{}" title="Time of day unknown">{}</time>', f"{value:%Y-%m-%d}", f"{value:%Y-%m-%d}"
        )
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), f"{value:%Y-%m-%d %H:%M}")


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, obj: object) -> bool:
    """{% can "change" service as can_edit %}: the permission rule, for templates."""
    from teams import permissions

    request = context.get("request")
    return request is not None and permissions.can(request.user, action, obj)  # type: ignore[arg-type]


@register.simple_tag(takes_context=True)
def querystring_replace(context: template.Context, **kwargs: object) -> str:
    """The current query string with some keys replaced (for sorting and pagination links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def widget(field: object, validate_url: str = "") -> str:
    """Render a bound field's widget with aria-invalid and, given a URL, htmx inline validation."""
    from django.utils.html import escape

    attrs: dict[str, str] = {}
    if field.errors:  # type: ignore[attr-defined]
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.html_name}-errors"  # type: ignore[attr-defined]
    if validate_url:
        name = field.html_name  # type: ignore[attr-defined]
        attrs.update(
            {
                "hx-post": escape(validate_url),
                "hx-trigger": "change, keyup changed delay:600ms",
                "hx-target": f"#{name}-errors",
                "hx-swap": "innerHTML",
                "hx-include": "closest form",
                "hx-vals": f'{{"_validate": "{name}"}}',
                "hx-sync": "closest form:abort",
            }
        )
    return field.as_widget(attrs=attrs)  # type: ignore[attr-defined]
