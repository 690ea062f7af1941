"""A Content-Security-Policy on every response, without 'unsafe-inline' scripts, and pages that keep to it:
no inline script without the response's nonce, no inline styles, no remote images (docs/security.md)."""

import re
from html.parser import HTMLParser

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.factories import make_lens_version, make_review, published_postmortem

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


class InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[dict] = []
        self.styles = 0
        self.style_attributes: list[str] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes.append(f"<{tag} style={attrs['style']!r}>")
        if tag == "style":
            self.styles += 1
        if tag == "script" and not attrs.get("src"):
            self._in_script = attrs

    def handle_data(self, data):
        if self._in_script is not None and data.strip():
            self.inline_scripts.append(self._in_script)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def assert_keeps_to_its_policy(response, url, *, inline_styles_allowed=False):
    directives = policy(response)
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"], url
    assert directives["img-src"] == ["'self'", "data:"], url
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], url
    if not inline_styles_allowed:
        assert directives["style-src"] == ["'self'"], url
    if "text/html" not in response.get("Content-Type", ""):
        return
    finder = InlineFinder()
    finder.feed(response.content.decode())
    nonces = [f"'nonce-{s['nonce']}'" for s in finder.inline_scripts if s.get("nonce")]
    assert len(nonces) == len(finder.inline_scripts), f"{url}: an inline script without a nonce"
    assert all(n in directives["script-src"] for n in nonces), url
    if not inline_styles_allowed:
        assert finder.styles == 0 and finder.style_attributes == [], f"{url}: {finder.style_attributes}"


@pytest.fixture
def staff(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


@pytest.fixture
def pages(team, service, owner, staff):
    from incidents.models import ActionItem

    pm = published_postmortem(team=team, title="Cache stampede", lessons="![tracker](https://evil.example/p.gif)")
    incident = pm.incident
    item = ActionItem.objects.create(title="Canary", team=team, description="**x**")
    review = make_review(system=service)
    lens = make_lens_version(name="CSP Lens").lens
    return [
        "/",
        "/incidents/",
        "/incidents/?q=cache",
        incident.get_absolute_url(),
        f"/incidents/{incident.pk}/edit/",
        "/incidents/new/",
        pm.get_absolute_url(),
        f"/postmortems/{pm.pk}/edit/",
        f"/postmortems/{pm.pk}/history/",
        item.get_absolute_url(),
        "/actions/",
        review.get_absolute_url(),
        f"/reviews/{review.pk}/exercises/",
        lens.get_absolute_url(),
        "/reviews/lenses/",
        f"/library/{pm.library_entry.pk}/",
        "/library/?q=cache",
        "/teams/",
        f"/teams/{team.slug}/",
        "/services/",
        "/account/tokens/",
        "/accounts/password/",
        "/notifications/",
        "/admin/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/axes/accessattempt/",
        "/api/v1/incidents/",
        "/api/schema/",
        "/api/docs/",
        "/api/docs/?script",
        "/healthz",
        "/no/such/page/",
        "/api/v1/no-such/",
    ]


def test_every_page_type_has_the_policy_and_keeps_to_it(client_as, staff, pages):
    client = client_as(staff)
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert_keeps_to_its_policy(response, url)


def test_htmx_fragments_and_errors_have_it_too(client_as, staff, owner, settings):
    client = client_as(staff)
    fragment = client.get("/incidents/?q=x", HTTP_HX_REQUEST="true")
    assert_keeps_to_its_policy(fragment, "fragment")
    preview = client.post(reverse("incidents:markdown-preview"), {"_field": "summary", "summary": "**x**"})
    assert_keeps_to_its_policy(preview, "preview")
    settings.LIMIT_PREVIEW_CHARS = 1
    too_large = client.post(reverse("incidents:markdown-preview"), {"_field": "summary", "summary": "xx"})
    assert too_large.status_code == 413
    assert_keeps_to_its_policy(too_large, "413")
    bad = client.get("/incidents/?q=%00")
    assert bad.status_code == 400
    assert_keeps_to_its_policy(bad, "400")


def test_anonymous_pages_have_it(client):
    for url in ("/accounts/login/", "/accounts/password-reset/", "/healthz"):
        assert_keeps_to_its_policy(client.get(url), url)


def test_the_503_page_has_it(client_as, owner, monkeypatch):
    from incidents import selectors

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "incident_list", down)
    client = client_as(owner)
    client.raise_request_exception = False
    response = client.get("/incidents/")
    assert response.status_code == 503
    assert_keeps_to_its_policy(response, "503")


def test_redoc_may_inject_styles_but_never_inline_scripts(client_as, staff):
    response = client_as(staff).get("/api/redoc/")
    assert response.status_code == 200
    assert policy(response)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert_keeps_to_its_policy(response, "redoc", inline_styles_allowed=True)


def test_markdown_images_stay_in_the_html_but_remote_ones_cannot_load(client_as, staff, team):
    pm = published_postmortem(team=team, title="Images", lessons="![pixel](https://tracker.example/p.gif)")
    response = client_as(staff).get(f"/library/{pm.library_entry.pk}/")
    assert 'src="https://tracker.example/p.gif"' in response.content.decode()
    assert "https://tracker.example" not in response["Content-Security-Policy"]
    assert re.search(r"img-src 'self' data:(;|$)", response["Content-Security-Policy"])


def test_hsts_preload_and_subdomains_are_opt_in(settings):
    from django.test import override_settings

    settings.SECURE_SSL_REDIRECT = False
    # SecurityMiddleware reads these when it is created: one client (one middleware chain) per setting.
    with override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=False, SECURE_HSTS_PRELOAD=False):
        header = Client().get("/healthz", secure=True)["Strict-Transport-Security"]
    assert header == "max-age=3600"
    with override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True):
        header = Client().get("/healthz", secure=True)["Strict-Transport-Security"]
    assert header == "max-age=3600; includeSubDomains; preload"
