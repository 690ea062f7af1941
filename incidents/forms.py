from typing import Any

from django import forms
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    FactorCategory,
    Incident,
    PostmortemComment,
    Severity,
    Tag,
    TimelineEntry,
)
from teams.models import Team, User

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_FIELDS = ["started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"]
ACTIVE_USERS = User.objects.filter(is_active=True)


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Model fields to form fields, with URLs that default to https (Django 6 behaviour)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _limit_teams(form: forms.BaseForm, teams: QuerySet[Team] | None) -> None:
    if teams is not None:
        form.fields["team"].queryset = teams  # type: ignore[attr-defined]
        form.fields["team"].help_text = "Only teams you belong to."


class IncidentForm(forms.ModelForm):
    """Declare (no version) or edit an incident; an edit carries the version it was loaded at."""

    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. database, latency.")

    class Meta:
        model = Incident
        formfield_callback = _formfield
        fields = [
            "title",
            "severity",
            "status",
            "team",
            "services",
            "commander",
            *TIME_FIELDS,
            "summary",
            "impact_description",
            "users_affected",
            "requests_affected",
            "pager_id",
            "ticket_url",
            "tags",
            "restricted",
            "access_list",
        ]
        widgets = {
            **{name: DATETIME_WIDGET for name in TIME_FIELDS},
            "summary": forms.Textarea(attrs={"rows": 3}),
            "impact_description": forms.Textarea(attrs={"rows": 3}),
            "services": forms.SelectMultiple(attrs={"size": 5}),
            "access_list": forms.SelectMultiple(attrs={"size": 5}),
        }
        labels = {
            **{name: name.removesuffix("_at").capitalize() for name in TIME_FIELDS},
            "ticket_url": "Ticket URL",
            "pager_id": "Pager id",
        }

    def __init__(
        self, *args: Any, team_choices: QuerySet[Team] | None = None, can_restrict: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_teams(self, team_choices)
        if not can_restrict:  # the service refuses it too; a disabled field keeps the stored value
            self.fields["restricted"].disabled = True
            self.fields["restricted"].help_text = "Only a team lead or an admin may restrict or unrestrict an incident."
        self.fields["commander"].queryset = ACTIVE_USERS  # type: ignore[attr-defined]
        self.fields["access_list"].queryset = ACTIVE_USERS  # type: ignore[attr-defined]
        for name in TIME_FIELDS:
            self.fields[name].help_text = "UTC"
            if self.instance.pk and self.instance.is_date_only(name):
                self.fields[
                    name
                ].help_text = "UTC. Only the date is known (imported); enter a time of day to make it exact."
        if self.instance.pk:
            # Missing or mangled (e.g. an old page) counts as version 0: a conflict, never a blind overwrite.
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.initial.setdefault("version", self.instance.version)
        if self.instance.pk and not self.is_bound:
            self.initial["tags"] = ", ".join(tag.name for tag in self.instance.tags.all())

    def clean_tags(self) -> list[str]:
        names = [name.strip().lower() for name in self.cleaned_data["tags"].split(",") if name.strip()]
        for name in names:
            try:
                Tag(name=name).clean_fields()
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"'{name}' is not a valid tag (letters, digits, - and _).") from exc
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk:
            # The inputs show minutes: a stored time within the minute shown has not been changed.
            for name in TIME_FIELDS:
                stored, value = getattr(self.instance, name), data.get(name)
                if stored and value and value == stored.replace(second=0, microsecond=0):
                    data[name] = stored
            version = (data.get("version") or "").strip()
            data["version"] = int(version) if version.isdigit() else 0
        closed = (Incident.Status.RESOLVED, Incident.Status.CLOSED)
        if data.get("status") in closed and not data.get("resolved_at") and "resolved_at" not in self.errors:
            data["resolved_at"] = timezone.now()
        return data


class IncidentStateForm(forms.Form):
    """A one-click change from the incident page: a new status or a new severity, and the version shown."""

    status = forms.ChoiceField(choices=Incident.Status.choices, required=False)
    severity = forms.ModelChoiceField(queryset=Severity.objects.all(), to_field_name="level", required=False)
    version = forms.IntegerField(min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("status")) == bool(data.get("severity")):
            raise forms.ValidationError("Choose a new status or a new severity.")
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("status", "severity") if self.cleaned_data.get(name)}


class TimelineEntryForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=TimelineEntry.MANUAL_KINDS, initial=TimelineEntry.Kind.NOTE)
    occurred_at = forms.DateTimeField(
        required=False, widget=DATETIME_WIDGET, label="When (UTC)", help_text="Empty means now."
    )

    class Meta:
        model = TimelineEntry
        fields = ["kind", "occurred_at", "body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 2, "placeholder": "What happened, what you saw, what you decided"})
        }


class PostmortemForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in POSTMORTEM_SECTIONS:
            self.fields[name] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 6}), strip=False
            )


class FactorForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=FactorCategory.objects.filter(active=True), to_field_name="slug", required=False
    )
    description = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "What contributed"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("description") and not data.get("category"):
            self.add_error("category", "Pick a category.")
        if data.get("category") and not (data.get("description") or "").strip():
            self.add_error("description", "Describe the factor.")
        return data


FactorFormSet = forms.formset_factory(FactorForm, extra=2, can_delete=True)


def factors_from(formset: forms.BaseFormSet) -> list[dict[str, str]]:
    return [
        {"category": form.cleaned_data["category"].slug, "description": form.cleaned_data["description"].strip()}
        for form in formset.forms
        if form.cleaned_data.get("category") and not form.cleaned_data.get("DELETE")
    ]


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: models.Model) -> str:
        user: User = obj  # type: ignore[assignment]
        full_name = user.get_full_name()
        return f"{full_name} ({user.username})" if full_name else user.username


class SubmitForReviewForm(forms.Form):
    """Name the reviewers. The choices leave out the author (and, for a restricted incident, anyone
    not on its access list); the service checks the same again."""

    reviewers = PersonChoiceField(
        queryset=ACTIVE_USERS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who should review and approve it. The author is not listed: someone else reviews.",
        error_messages={"required": "Pick at least one reviewer."},
    )

    def __init__(self, *args: Any, candidates: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["reviewers"].queryset = candidates  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    confirm = forms.BooleanField(required=False, label="Publish anyway; this confirmation is recorded")


class CommentForm(forms.ModelForm):
    class Meta:
        model = PostmortemComment
        fields = ["section", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        labels = {"section": "On section", "body": "Comment"}


class ActionItemForm(forms.ModelForm):
    """An action item's fields. A new item from a record carries that record in a hidden field named after
    its kind (`postmortem`, `review_answer`...; see incidents.sources), so the link survives every post."""

    class Meta:
        model = ActionItem
        formfield_callback = _formfield
        fields = ["title", "description", "team", "owner", "priority", "due_date", "tracker_url"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"owner": "A member of the item's team.", "due_date": "Today or later."}

    def __init__(
        self,
        *args: Any,
        team_choices: QuerySet[Team] | None = None,
        source: tuple[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_teams(self, team_choices)
        people = ACTIVE_USERS
        if team_choices is not None:  # the service checks the exact team; the choices are its possible members
            people = ACTIVE_USERS.filter(Q(memberships__team__in=team_choices) | Q(pk=self.instance.owner_id))
        self.fields["owner"].queryset = people.distinct().order_by("username")  # type: ignore[attr-defined]
        self.source_field = None
        if source is not None:
            name, pk = source
            self.fields[name] = forms.IntegerField(widget=forms.HiddenInput, initial=pk, required=False)
            self.source_field = name

    def item_data(self) -> dict[str, Any]:
        """The cleaned fields without the hidden source id (the view passes the record itself)."""
        return {k: v for k, v in self.cleaned_data.items() if k != self.source_field}


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    wont_do_reason = forms.CharField(required=False, label="Reason", max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == ActionItem.Status.WONT_DO and not (data.get("wont_do_reason") or "").strip():
            self.add_error("wont_do_reason", "Say why this will not be done.")
        return data
