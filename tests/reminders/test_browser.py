"""The digest page in Chromium at desktop and phone widths: it renders, nothing overflows, no CSP errors."""

import os

import pytest

from reminders.models import Digest
from reminders.services import run_digests

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_digest_page_renders_at_both_widths(page_as, live_server, world, now, teammate, width, tmp_path):
    run_digests(now=now, only_due=False)
    digest = Digest.objects.get(kind="team", recipient=teammate)
    page = page_as(teammate)
    errors = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/digests/{digest.pk}/")
    assert page.locator("h1").inner_text() == digest.title
    assert page.locator("#digest-followed li").all_inner_texts()[0].startswith("Search slow")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    assert not errors, errors
    shots = os.environ.get("SCREENSHOTS")
    page.screenshot(path=f"{shots or tmp_path}/digest-{width}.png", full_page=True)
