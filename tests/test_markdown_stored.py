"""Markdown is rendered once, on save: stored HTML equals a fresh render on every write path, pages read it
without rendering, stale HTML is never shown, `rerender_markdown` stores it again, and rendering is bounded."""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import SECTION_FIELDS, ActionItem, Incident, Postmortem, PostmortemComment
from learning import services as learning_services
from learning.models import LessonComment, LibraryEntry
from opsx import markdown
from opsx.markdown import render_markdown
from reviews import services as review_services
from reviews.models import Answer, FailureScenario, GameDay, Milestone
from tests.factories import make_review, published_postmortem

pytestmark = pytest.mark.django_db

TEXT = "## Heading\n\n**bold** and [a link](https://example.com) <script>alert(1)</script>\n\n- one\n- two"


def fresh(text):
    return str(render_markdown(text))


def stored(obj, name):
    return obj.markdown_html["fields"][name]["html"]


def assert_stored(obj, *names):
    obj.refresh_from_db()
    assert obj.markdown_html["renderer"] == markdown.RENDERER
    for name in names:
        text = getattr(obj, name)
        assert text, name
        assert stored(obj, name) == fresh(text), name
        assert "<script" not in stored(obj, name)


@pytest.fixture
def incident(team, owner):
    severities = ensure_severities()
    ensure_factor_categories()
    return incident_services.incident_create(
        actor=owner, team=team, title="Checkout errors", severity=severities[3], summary=TEXT
    )


def test_incident_summary_is_stored_on_create_and_on_the_conditional_update(incident, owner):
    assert_stored(incident, "summary")
    incident_services.incident_update(
        incident=incident, actor=owner, data={"summary": TEXT + "\n\nmore"}, expected_version=incident.version
    )
    assert_stored(incident, "summary")
    assert "more" in stored(incident, "summary")


def test_every_postmortem_section_is_stored_on_save_and_restore(incident, owner):
    postmortem = incident_services.postmortem_start(incident=incident, actor=owner)
    data = {name: f"{TEXT}\n\n{name}" for name in SECTION_FIELDS}
    postmortem = incident_services.postmortem_save(postmortem=postmortem, actor=owner, data=data, expected_version=1)
    assert_stored(postmortem, *SECTION_FIELDS)
    incident_services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"lessons": "Only *this*."}, expected_version=2
    )
    assert_stored(postmortem, "lessons", "summary")
    incident_services.postmortem_restore(
        postmortem=postmortem, actor=owner, revision=postmortem.revisions.get(version=2), expected_version=3
    )
    assert_stored(postmortem, *SECTION_FIELDS)
    assert "lessons" in stored(postmortem, "lessons")


def test_action_items_comments_answers_scenarios_game_days_and_library_comments(
    incident, owner, team, service, teammate
):
    item = incident_services.action_item_create(
        actor=owner, team=team, title="Canary", description=TEXT, origin=ActionItem.Origin.INCIDENT, incident=incident
    )
    assert_stored(item, "description")
    incident_services.action_item_update(item=item, actor=owner, data={"description": TEXT + " changed"})
    assert_stored(item, "description")
    postmortem = incident_services.postmortem_start(incident=incident, actor=owner)
    comment = incident_services.postmortem_comment_add(postmortem=postmortem, actor=owner, body=TEXT)
    assert_stored(comment, "body")

    review = make_review(system=service)
    answer = Answer.objects.filter(review=review).first()
    review_services.answer_update(answer=answer, actor=owner, version=answer.version, selected=[], notes=TEXT)
    assert_stored(answer, "notes")
    scenario = review_services.scenario_create(review=review, actor=owner, title="Zone loss", description=TEXT)
    review_services.scenario_update(scenario=scenario, data={"mitigation": TEXT})
    assert_stored(scenario, "description", "mitigation")
    game_day = review_services.game_day_create(
        review=review, actor=owner, title="Drain", held_on=dt.date(2024, 5, 1), scenario=TEXT
    )
    review_services.game_day_update(game_day=game_day, data={"summary": TEXT})
    assert_stored(game_day, "scenario", "summary")
    milestone = review_services.milestone_create(review=review, actor=owner, name="Before launch")
    noted = next(a for lens in milestone.snapshot["lenses"] for a in lens["answers"] if a["notes"])
    assert noted["markdown_html"]["fields"]["notes"]["html"] == fresh(TEXT)

    published_postmortem(team=team, title="Published", lessons=TEXT)
    entry = LibraryEntry.objects.get(title="Published")
    lesson_comment = learning_services.comment_add(entry=entry, author=teammate, body=TEXT)
    assert_stored(lesson_comment, "body")


def test_milestone_snapshots_in_the_api_leave_the_html_out(api_as, owner, service):
    review = make_review(system=service)
    answer = Answer.objects.filter(review=review).first()
    review_services.answer_update(answer=answer, actor=owner, version=answer.version, selected=[], notes="Noted.")
    milestone = review_services.milestone_create(review=review, actor=owner, name="M1")
    body = api_as(owner).get(f"/api/v1/milestones/{milestone.pk}/")
    if body.status_code == 404:  # milestones are nested under their review
        body = api_as(owner).get(f"/api/v1/reviews/{review.pk}/milestones/{milestone.pk}/")
    assert body.status_code == 200, body.content
    assert "markdown_html" not in body.content.decode() and "Noted." in body.content.decode()


def test_pages_show_stored_html_without_rendering(client_as, owner, incident, service, monkeypatch):
    postmortem = incident_services.postmortem_start(incident=incident, actor=owner)
    incident_services.postmortem_save(postmortem=postmortem, actor=owner, data={"lessons": TEXT}, expected_version=1)
    incident_services.postmortem_comment_add(postmortem=postmortem, actor=owner, body="A *comment*.")
    item = incident_services.action_item_create(
        actor=owner, team=incident.team, title="Canary", description=TEXT, origin="incident", incident=incident
    )
    review = make_review(system=service)
    review_services.scenario_create(review=review, actor=owner, title="Zone loss", description="A *scenario*.")

    def refuse(text):
        raise AssertionError(f"a page rendered Markdown: {text[:40]!r}")

    monkeypatch.setattr(markdown, "render_markdown", refuse)
    client = client_as(owner)
    pages = [
        incident.get_absolute_url(),
        postmortem.get_absolute_url(),
        item.get_absolute_url(),
        reverse("reviews:review-exercises", args=[review.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(postmortem.get_absolute_url()).content.decode()
    assert "<h2>Heading</h2>" in body and "<em>comment</em>" in body and "<script>alert" not in body


def test_stale_html_is_never_shown(client_as, owner, incident):
    # Someone wrote the column directly (or the renderer changed): the page renders the current text instead.
    Incident.objects.filter(pk=incident.pk).update(summary="**now**")
    body = client_as(owner).get(incident.get_absolute_url()).content.decode()
    assert "<strong>now</strong>" in body and "<h2>Heading</h2>" not in body
    Incident.objects.filter(pk=incident.pk).update(
        markdown_html={"renderer": "markdown 0.1; nh3 0.0; old", "fields": {"summary": {"sha": "x", "html": "<b>x"}}}
    )
    body = client_as(owner).get(incident.get_absolute_url()).content.decode()
    assert "<strong>now</strong>" in body and "<b>x" not in body


def test_rerender_command_stores_html_for_a_new_renderer(owner, incident, team, capsys):
    postmortem = incident_services.postmortem_start(incident=incident, actor=owner)
    incident_services.postmortem_comment_add(postmortem=postmortem, actor=owner, body=TEXT)
    old = {"renderer": "markdown 0.1; nh3 0.0; old", "fields": {}}
    Incident.objects.update(markdown_html=old)
    PostmortemComment.objects.update(markdown_html=old)
    call_command("rerender_markdown")
    out = capsys.readouterr().out
    assert "incidents.Incident: 1 of 1 updated" in out and "incidents.PostmortemComment: 1 of 1 updated" in out
    assert_stored(Incident.objects.get(pk=incident.pk), "summary")
    assert_stored(PostmortemComment.objects.get(), "body")
    call_command("rerender_markdown")
    assert "incidents.Incident: 0 of 1 updated" in capsys.readouterr().out, "nothing stale the second time"
    # HTML that matches its source's digest but not what the sanitizer makes now is replaced by --all only.
    tampered = Incident.objects.get(pk=incident.pk).markdown_html
    tampered["fields"]["summary"]["html"] = "<b>old allowlist"
    Incident.objects.update(markdown_html=tampered)
    call_command("rerender_markdown")
    assert "incidents.Incident: 0 of 1 updated" in capsys.readouterr().out
    call_command("rerender_markdown", "--all")
    assert "incidents.Incident: 1 of 1 updated" in capsys.readouterr().out
    assert_stored(Incident.objects.get(pk=incident.pk), "summary")


def test_every_model_with_markdown_can_be_rerendered():
    from django.apps import apps

    rerenderable = {m for m in apps.get_models() if hasattr(m, "rerender_markdown")}
    expected = {Incident, Postmortem, PostmortemComment, ActionItem, Answer, FailureScenario, GameDay}
    assert rerenderable == expected | {LessonComment, Milestone}


def test_hostile_markdown_renders_in_bounded_time(settings):
    settings.MARKDOWN_RENDER_TIMEOUT = 1.0
    started = time.monotonic()
    html = str(render_markdown("[a " * 20_000))  # quadratic in Python-Markdown: minutes, if let run
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert html.startswith('<p class="markdown-fallback muted">') and markdown.FALLBACK_NOTE in html
    assert "[a [a" in html


def test_long_ordinary_markdown_renders_in_a_child_the_same_as_inline():
    text = "\n\n".join(f"Paragraph {n} with **bold** and `code`." for n in range(200))
    assert len(text) > markdown.INLINE_CHARS
    assert str(render_markdown(text)) == markdown._render(text)


def test_a_timed_out_render_is_stored_as_text_and_the_save_succeeds(settings, incident, owner, monkeypatch):
    monkeypatch.setattr(markdown, "INLINE_CHARS", 10)
    settings.MARKDOWN_RENDER_TIMEOUT = 0.3
    started = timezone.now()
    incident_services.incident_update(
        incident=incident, actor=owner, data={"summary": "[a " * 5_000}, expected_version=incident.version
    )
    assert (timezone.now() - started).total_seconds() < 3
    incident.refresh_from_db()
    assert markdown.FALLBACK_NOTE in stored(incident, "summary")
