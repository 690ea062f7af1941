"""The dashboards' filter form (the page) and its parsing (the page, the CSV export and the API)."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from dashboards.kpis import DEFAULT_PERIOD, PERIOD_CHOICES, Filters, Period, Scope
from incidents.models import Severity
from teams.models import System, Team

MAX_DAYS = 3 * 366


class DashboardFilterForm(forms.Form):
    """Period, team, service tier and severity. Every field is optional; the default is the last 90 days."""

    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, initial=DEFAULT_PERIOD, label="Period")
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}), help_text="For a custom range."
    )
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name").only("id", "name", "slug"), to_field_name="slug", required=False
    )
    tier = forms.TypedMultipleChoiceField(choices=System.Tier.choices, coerce=int, required=False, label="Service tier")
    severity = forms.ModelMultipleChoiceField(
        queryset=Severity.objects.order_by("level"), to_field_name="name", required=False
    )

    def __init__(self, data: Any = None, *, scope: Scope, **kwargs: Any) -> None:
        if data is not None and not data.get("period"):
            data = data.copy()
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, **kwargs)
        self.scope = scope
        if scope.kind != "organization":
            del self.fields["team"]
        if scope.kind == "service":
            del self.fields["tier"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period") != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            if not start and "start" not in self.errors:
                self.add_error("start", "A custom range needs a first day.")
            if not end and "end" not in self.errors:
                self.add_error("end", "A custom range needs a last day.")
            return data
        if start > end:
            self.add_error("end", "The last day must not be before the first day.")
        elif end > timezone.localdate():
            self.add_error("end", "The last day must not be in the future.")
        elif end - start > timedelta(days=MAX_DAYS):
            self.add_error("start", f"A range may span at most {MAX_DAYS} days.")
        return data

    def period_value(self) -> Period:
        data = self.cleaned_data
        return Period.named(data.get("period") or DEFAULT_PERIOD, start=data.get("start"), end=data.get("end"))

    def filters_value(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            teams=tuple(data.get("team") or ()),
            tiers=tuple(sorted(data.get("tier") or ())),
            severities=tuple(data.get("severity") or ()),
        )

    def error_fields(self) -> dict[str, list[str]]:
        return {name: [str(e) for e in errors] for name, errors in self.errors.items()}
