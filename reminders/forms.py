from django import forms

from reminders.models import TeamSchedule
from reminders.services import SCHEDULE_FIELDS


class TeamScheduleForm(forms.ModelForm):
    class Meta:
        model = TeamSchedule
        fields = list(SCHEDULE_FIELDS)
        labels = {
            "digest_enabled": "Send the weekly team digest",
            "digest_weekday": "Digest day",
            "digest_hour": "Digest hour (0–23)",
            "quiet_start_hour": "Quiet hours from (0–23)",
            "quiet_end_hour": "Quiet hours until (0–23)",
            "quiet_weekends": "Quiet on weekends",
        }
