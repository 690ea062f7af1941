from django import template
from django.db import models
from django.urls import reverse

register = template.Library()


@register.filter
def history_url(obj: models.Model) -> str:
    """The history page of a record that has one (see audit.history.PARTS)."""
    return reverse("audit:history", kwargs={"label": obj._meta.label_lower, "pk": obj.pk})


@register.filter
def verbose_name(obj: models.Model) -> str:
    return str(obj._meta.verbose_name)
