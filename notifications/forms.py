"""Forms validate input and nothing more; the services do the work."""

from typing import Any

from django import forms

from notifications.models import DIGEST_KINDS, Channel, Delivery, Notification, Preference, Timing

SEVERITY_CHOICES = [(n, f"SEV{n} or worse" if n > 1 else "SEV1 only") for n in range(1, 6)]


class PreferencesForm(forms.Form):
    """One channel and timing per kind (`<kind>-channel`, `<kind>-timing`), severities for incidents."""

    def __init__(self, *args: Any, current: dict[str, Preference], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = list(Notification.Kind)
        for kind in self.kinds:
            pref = current[kind]
            self.fields[f"{kind}-channel"] = forms.ChoiceField(
                choices=Channel.choices, initial=pref.channel, label=kind.label
            )
            timings = Timing.choices[:1] if kind in DIGEST_KINDS else Timing.choices
            self.fields[f"{kind}-timing"] = forms.ChoiceField(choices=timings, initial=pref.timing, label="When")
        pref = current[Notification.Kind.INCIDENT_DECLARED]
        self.fields["incident_declared-max_severity"] = forms.TypedChoiceField(
            choices=SEVERITY_CHOICES, coerce=int, initial=pref.max_severity, label="Incidents of"
        )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": kind,
                "channel": self[f"{kind}-channel"],
                "timing": self[f"{kind}-timing"],
                "severity": self["incident_declared-max_severity"] if kind == "incident_declared" else None,
            }
            for kind in self.kinds
        ]

    def choices(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            kind: {
                "channel": data[f"{kind}-channel"],
                "timing": data[f"{kind}-timing"],
                "max_severity": data["incident_declared-max_severity"] if kind == "incident_declared" else None,
            }
            for kind in self.kinds
        }


class WebhookForm(forms.Form):
    """A chat webhook (left blank: unchanged, since the stored one is never shown) and a pause switch."""

    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label="Chat webhook URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="A Slack-compatible incoming webhook (https). Leave blank to keep the current one.",
    )
    remove_webhook = forms.BooleanField(required=False, label="Remove the webhook")
    paused = forms.BooleanField(required=False, label="Pause: send nothing at all")

    def webhook_value(self) -> str | None:
        """ "" removes the webhook; None leaves it as it is."""
        if self.cleaned_data["remove_webhook"]:
            return ""
        return self.cleaned_data["webhook_url"].strip() or None


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Delivery.Status.choices], required=False)
    channel = forms.ChoiceField(
        choices=[("", "Any channel"), (Channel.EMAIL, "Email"), (Channel.CHAT, "Chat")], required=False
    )
