"""Forms validate input and nothing more; the services do the work."""

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import ActionItem
from reviews import lensfile
from reviews.lensfile import Question
from reviews.models import FailureScenario, GameDay, LensVersion, validate_links
from teams.models import System, User


class ReviewForm(forms.Form):
    system = forms.ModelChoiceField(queryset=System.objects.none(), label="Service")
    title = forms.CharField(max_length=200, help_text="e.g. “Launch readiness, EU region”.")
    lenses = forms.ModelMultipleChoiceField(
        queryset=LensVersion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The latest version of each lens is used.",
    )

    def __init__(self, *args: Any, systems: QuerySet[System], versions: list[LensVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]
        self.fields["lenses"].queryset = LensVersion.objects.filter(pk__in=[v.pk for v in versions])  # type: ignore[attr-defined]
        self.fields["lenses"].label_from_instance = lambda v: (
            f"{v.lens.name} (v{v.number}, {v.question_count} questions)"
        )  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    """One question's answer. Choices come from the question; `version` is the version the browser read."""

    selected = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    not_applicable = forms.BooleanField(required=False)
    na_reason = forms.CharField(required=False, max_length=2000)
    notes = forms.CharField(required=False, max_length=20000)
    evidence_links = forms.CharField(required=False, help_text="One http(s) link per line.")
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selected"].choices = [(c.id, c.title) for c in question.choices]  # type: ignore[attr-defined]

    def clean_evidence_links(self) -> list[str]:
        links = [line.strip() for line in self.cleaned_data["evidence_links"].splitlines() if line.strip()]
        validate_links(links)
        return links

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("not_applicable") and not (data.get("na_reason") or "").strip():
            self.add_error("na_reason", "Say why this question does not apply.")
        return data


class PlanActionForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=ActionItem.Priority.choices, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. “Design review” or “Go-live”.")


class AcceptRiskForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    expires_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="The acceptance lapses at the start of this day."
    )

    def clean_expires_on(self) -> Any:
        day = self.cleaned_data["expires_on"]
        if day <= timezone.localdate():
            raise ValidationError("Pick a day in the future.")
        if day > timezone.localdate() + timedelta(days=366):
            raise ValidationError("Accept a risk for at most a year.")
        return day

    @property
    def expires_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.min))


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = FailureScenario
        fields = ["title", "likelihood", "impact", "description", "mitigation", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "mitigation": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class GameDayForm(forms.ModelForm):
    class Meta:
        model = GameDay
        fields = ["title", "held_on", "outcome", "scenario", "participants", "summary"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "scenario": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }


class FindingForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class LensUploadForm(forms.Form):
    file = forms.FileField(help_text="opsx YAML (.yaml, .yml) or AWS Well-Architected custom lens JSON (.json).")
    format = forms.ChoiceField(
        choices=[("", "Detect from the file"), *[(f, f) for f in lensfile.FORMATS]], required=False
    )
    strict = forms.BooleanField(
        required=False,
        label="Strict: refuse a file that needs repairs",
        help_text="Without this, what published AWS files get wrong (spaces in URLs, a missing default rule, …) "
        "is repaired as the AWS tool reads it, and each repair is listed.",
    )


def _version_field(lens_name: str, numbers: list[int], label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        choices=[(n, f"Version {n}") for n in numbers],
        error_messages={
            "required": "Pick a version.",
            "invalid_choice": f"{lens_name} has no version %(value)s.",
        },
    )


class LensCompareForm(forms.Form):
    """Two versions of one lens, `from` and `to` (query parameters; defaults: the two newest)."""

    def __init__(self, query: Any, *, lens_name: str, numbers: list[int]) -> None:
        numbers = sorted(numbers, reverse=True)
        defaults = {"to": numbers[0], "from": numbers[1] if len(numbers) > 1 else numbers[0]} if numbers else {}
        super().__init__({key: query.get(key) or defaults.get(key, "") for key in ("from", "to")})
        self.fields["from"] = _version_field(lens_name, numbers, "From")
        self.fields["to"] = _version_field(lens_name, numbers, "To")


class LensUpgradeForm(forms.Form):
    """The newer version a review's lens moves to (`to`; default: the newest)."""

    def __init__(self, data: Any, *, lens_name: str, numbers: list[int]) -> None:
        numbers = sorted(numbers, reverse=True)
        super().__init__({"to": data.get("to") or (numbers[0] if numbers else "")})
        self.fields["to"] = _version_field(lens_name, numbers, "Upgrade to")
        self.fields["to"].error_messages["invalid_choice"] = (
            f"{lens_name} has no version %(value)s newer than the one this review uses."
        )
