"""Postmortem Markdown is sanitized: no scripts, no event handlers, no script-capable URLs survive."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from opsx.markdown import render_markdown

CORPUS = [
    line.replace("\\n", "\n")
    for line in (Path(__file__).parent / "xss_corpus.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "form", "base", "meta", "link"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}
BAD_SCHEME = re.compile(r"^(javascript|data|vbscript):", re.IGNORECASE)


class TagCollector(HTMLParser):
    """Every start tag and its attributes, as a browser would see them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {html}"
            assert name != "style", html
            if name in URL_ATTRIBUTES and value:
                cleaned = re.sub(r"[\x00-\x20]", "", value)
                assert not BAD_SCHEME.match(cleaned), f"{name}={value!r} in {html}"


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("payload", CORPUS)
def test_payload_is_neutralized(payload):
    assert_safe(str(render_markdown(payload)))


def test_safe_markdown_survives():
    html = str(render_markdown("**bold** [docs](https://docs.example/x) `code`\n\n- item"))
    assert "<strong>bold</strong>" in html
    assert '<a href="https://docs.example/x" rel="noopener noreferrer nofollow">docs</a>' in html
    assert "<code>code</code>" in html and "<li>item</li>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("payload", CORPUS[:12])
def test_live_preview_endpoint_sanitizes(client_as, owner, payload):
    response = client_as(owner).post(reverse("incidents:markdown-preview"), {"_field": "summary", "summary": payload})
    assert response.status_code == 200
    assert_safe(response.content.decode())


@pytest.mark.django_db
def test_postmortem_page_renders_sections_sanitized(client_as, owner, postmortem):
    from incidents import services

    payloads = "\n\n".join(CORPUS)
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"lessons": payloads}, expected_version=1)
    body = client_as(owner).get(postmortem.get_absolute_url()).content.decode()
    start = body.index('id="section-lessons"')
    section = body[start : body.index("</section>", start)]
    assert "<img" in section, "the payloads were rendered (and defused), not dropped wholesale"
    assert_safe(section)
