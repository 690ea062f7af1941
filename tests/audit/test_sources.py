"""Each change carries where it came from: the browser, an API token (by name), a webhook, a command or a task."""

import pytest
from celery import shared_task
from django.core.management import call_command, get_commands, load_command_class
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.test import APIClient

from audit.commands import AuditedCommand
from audit.middleware import audit_source
from reviews.models import Lens
from teams import services as team_services
from teams.models import System
from tests.audit.conftest import context_of, events
from tests.factories import SystemFactory, make_lens_yaml

pytestmark = pytest.mark.django_db


def test_a_browser_change_names_the_signed_in_user(client_as, owner, team, service):
    response = client_as(owner).post(
        f"/services/{service.slug}/edit/",
        {"name": service.name, "slug": service.slug, "team": team.pk, "tier": 2, "lifecycle": "production"},
    )
    assert response.status_code == 303
    meta = context_of(events(service, "update")[-1])
    assert meta["source"] == "browser" and meta["user"] == owner.pk and meta["username"] == "alice"
    assert meta["url"] == f"/services/{service.slug}/edit/" and meta["method"] == "POST" and meta["ip"] == "127.0.0.1"


def test_an_api_change_names_the_token(owner, team, service):
    token, secret = team_services.api_token_create(user=owner, name="deploy-bot")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.patch(f"/api/v1/services/{service.slug}/", {"tier": 3}, format="json")
    assert response.status_code == 200, response.content
    meta = context_of(events(service, "update")[-1])
    assert meta["source"] == "api" and meta["token"] == "deploy-bot" and meta["user"] == owner.pk


def test_an_api_change_with_a_session_has_no_token(client_as, owner, service):
    response = client_as(owner).patch(f"/api/v1/services/{service.slug}/", {"tier": 3}, content_type="application/json")
    assert response.status_code == 200
    meta = context_of(events(service, "update")[-1])
    assert meta["source"] == "api" and "token" not in meta and meta["user"] == owner.pk


@csrf_exempt
@audit_source("webhook")
def _receiver(request):
    System.objects.filter(slug=request.POST["slug"]).update(tier=4)
    return HttpResponse("ok")


urlpatterns = [path("hooks/pager/", _receiver)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_webhook_change_says_so(service):
    # A receiver is reached without a session: the middleware's source comes from the view's mark.
    from opsx import middleware

    original = middleware.PUBLIC_PREFIXES
    middleware.PUBLIC_PREFIXES = (*original, "/hooks/")
    try:
        assert Client().post("/hooks/pager/", {"slug": service.slug}).status_code == 200
    finally:
        middleware.PUBLIC_PREFIXES = original
    meta = context_of(events(service, "update")[-1])
    assert meta["source"] == "webhook" and meta["view"] == "_receiver"


def test_a_command_change_names_the_command(tmp_path):
    lens_file = tmp_path / "lens.yaml"
    lens_file.write_text(make_lens_yaml(name="Command Lens"))
    call_command("import_lens", str(lens_file), stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    meta = context_of(events(Lens.objects.get(name="Command Lens"))[0])
    assert meta["source"] == "command" and meta["command"] == "import_lens" and meta.get("os_user")


@shared_task(name="tests.audit.retier")
def _retier(pk):
    System.objects.filter(pk=pk).update(tier=4)


def test_a_task_change_names_the_task(team):
    system = SystemFactory(team=team, tier=1)
    _retier.apply(args=[system.pk])
    meta = context_of(events(system, "update")[-1])
    assert meta == {"source": "task", "task": "tests.audit.retier"}


def test_every_opsx_command_records_its_changes():
    ours = {name: app for name, app in get_commands().items() if not app.startswith("django")}
    ours = {
        name: app for name, app in ours.items() if app in {"opsx", "teams", "incidents", "reviews", "learning", "audit"}
    }
    assert {"seed_demo", "import_lens", "import_postmortems"} <= set(ours)
    for name, app in ours.items():
        assert isinstance(load_command_class(app, name), AuditedCommand), f"{app}.{name} is not an AuditedCommand"
