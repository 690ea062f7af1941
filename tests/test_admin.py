"""Every model of ours is in the Django admin, and its changelist loads."""

import pytest
from django.apps import apps
from django.contrib import admin
from pghistory.models import Event

OUR_APPS = {"opsx", "teams", "incidents", "reviews", "learning", "notifications", "reminders", "audit"}


def _is_history(model):
    """Event tables and the recorded link tables are shown through the audit events admin (tests/audit)."""
    return issubclass(model, Event) or (model._meta.proxy and model._meta.concrete_model._meta.auto_created)


def _our_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and not m._meta.auto_created and not _is_history(m)
    ]


@pytest.mark.parametrize("model", _our_models(), ids=lambda m: m._meta.label)
def test_model_is_registered(model):
    assert admin.site.is_registered(model), f"{model._meta.label} is missing from the admin"


@pytest.mark.django_db
@pytest.mark.parametrize("model", _our_models(), ids=lambda m: m._meta.label)
def test_changelist_loads(client_as, admin_user, model):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client_as(admin_user).get(url).status_code == 200
