from django import template

register = template.Library()


@register.filter
def get_item(mapping: object, key: object) -> object:
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key (None when missing or not a dict)."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def risk_label(value: str) -> str:
    """`{{ answer_risk|risk_label }}`: "high" → "High risk" (unknown values unchanged)."""
    from reviews.models import Risk

    return Risk(value).label if value in Risk.values else value


@register.filter
def lens_risk(value: str) -> str:
    """`{{ rule.risk|lens_risk }}`: a lens file's risk ("HIGH_RISK") as an answer risk ("high")."""
    from reviews import lensfile
    from reviews.selectors import RISK_FROM_LENS

    return str(RISK_FROM_LENS[lensfile.Risk(value)]) if value in lensfile.Risk.__members__ else value
