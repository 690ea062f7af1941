from django import forms

from learning.models import FollowKind


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What did you take from this?"}),
    )


class FollowForm(forms.Form):
    kind = forms.ChoiceField(choices=FollowKind.choices)
    value = forms.CharField(max_length=100)
