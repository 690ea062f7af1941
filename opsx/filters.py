"""Filter building blocks shared by the apps' FilterSets."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """`?team=payments&team=search`: related objects picked by slug (or another unique field)."""


@extend_schema_field(OpenApiTypes.STR)
class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    """`?owner=alice`: one related object picked by a unique field."""


def search_filter(method: str = "search") -> django_filters.CharFilter:
    """The free-text `q` filter every list has, rendered as a search box."""
    return django_filters.CharFilter(
        method=method, label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search…"})
    )
