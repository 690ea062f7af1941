from opsx.markdown import render_markdown


def test_markdown_renders_and_strips_scripts():
    html = render_markdown("# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_links_get_safe_rel():
    html = render_markdown("[docs](https://example.com)")
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
