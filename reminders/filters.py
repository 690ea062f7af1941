"""The digest list's filter."""

import django_filters

from reminders.models import Digest


class DigestFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Digest.Kind.choices)

    class Meta:
        model = Digest
        fields = ["kind"]
