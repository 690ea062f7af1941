import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_schema_builds_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/teams/" in text and "/api/v1/services/" in text


def test_schema_and_docs_need_login(client, owner, client_as):
    assert client.get(reverse("api-schema")).status_code in (401, 403)
    signed_in = client_as(owner)
    assert signed_in.get(reverse("api-schema")).status_code == 200
    docs = signed_in.get(reverse("api-docs")).content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs, "assets are served locally, not from a CDN"
