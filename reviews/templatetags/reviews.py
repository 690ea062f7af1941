from django import template

register = template.Library()


@register.filter
def get_item(mapping: object, key: object) -> object:
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key (None when missing or not a dict)."""
    return mapping.get(key) if isinstance(mapping, dict) else None
