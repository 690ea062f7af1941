from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.db import transaction
from django.db.models import QuerySet

from teams.models import Membership, System, Team, User
from teams.permissions import TeamRole
from teams.services import SYSTEM_FIELDS


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
        fields = SYSTEM_FIELDS
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


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's form, but the mail goes out from a task (teams.tasks.send_password_reset), never in the request.

    As in Django, the answer is the same whether or not an account has that address.
    """

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def, override]
        from teams.tasks import send_password_reset

        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(lambda pk=user.pk: send_password_reset.delay(pk))
