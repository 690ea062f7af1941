from django import forms
from django.db.models import QuerySet

from teams.models import Membership, System, Team, User
from teams.permissions import TeamRole


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "description", "timezone"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class SystemForm(forms.ModelForm):
    repository_url = forms.URLField(label="Repository", required=False, assume_scheme="https")
    runbook_url = forms.URLField(label="Runbook", required=False, assume_scheme="https")
    dashboard_url = forms.URLField(label="Dashboard", required=False, assume_scheme="https")

    class Meta:
        model = System
        fields = [
            "name",
            "slug",
            "team",
            "tier",
            "lifecycle",
            "description",
            "repository_url",
            "runbook_url",
            "dashboard_url",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, team_choices: QuerySet[Team] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if team_choices is not None:
            self.fields["team"].queryset = team_choices  # type: ignore[attr-defined]
            self.fields["team"].help_text = "Only teams you belong to can own a service you create."


class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), to_field_name="username", label="Person"
    )
    role = forms.ChoiceField(choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def __init__(self, *args: object, team: Team, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.team = team
        self.fields["user"].queryset = User.objects.filter(is_active=True).exclude(  # type: ignore[attr-defined]
            memberships__team=team
        )


class MembershipRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. 'pager bridge'.")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional. Leave empty for a token that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
