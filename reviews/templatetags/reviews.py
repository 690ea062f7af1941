from django import template
from django.urls import NoReverseMatch

register = template.Library()


@register.filter
def action_item_url(item: object) -> str:
    """The action item's page, or "" while the incidents app serves no page for it."""
    try:
        return item.get_absolute_url()  # type: ignore[attr-defined]
    except NoReverseMatch:
        return ""


@register.filter
def get_item(mapping: object, key: object) -> object:
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key (None when missing or not a dict)."""
    return mapping.get(key) if isinstance(mapping, dict) else None
