"""Messages rendered for the web page: markdown works, and no HTML from the text survives."""

from __future__ import annotations

import pytest

from nexthub.service.conversation_list import MARK_END, MARK_START
from nexthub.web.message_html import render_markdown, search_snippet_html


@pytest.mark.parametrize(
    "attack",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<svg onload=alert(1)>",
        "<iframe src=javascript:alert(1)></iframe>",
        '<a href="javascript:alert(1)">x</a>',
        "<div\nonmouseover=alert(1)>x</div>",
    ],
)
def test_raw_html_in_a_message_is_shown_as_text(attack: str) -> None:
    rendered = render_markdown(f"Look:\n\n{attack}\n\nand *this*")
    assert "<" + attack[1:] not in rendered
    assert "&lt;" in rendered
    assert "<em>this</em>" in rendered


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "vbscript:x", "data:text/html,x"]
)
def test_dangerous_links_are_not_made_links(link: str) -> None:
    rendered = render_markdown(f"[click]({link})")
    assert "href" not in rendered


def test_images_become_links_and_are_never_loaded() -> None:
    rendered = render_markdown("![a cat](http://tracker.example/cat.png)")
    assert "<img" not in rendered
    assert '<a href="http://tracker.example/cat.png"' in rendered and "[a cat]" in rendered


def test_links_open_apart_and_send_no_referrer() -> None:
    rendered = render_markdown("[docs](https://example.org/a?b=1&c=2)")
    assert 'href="https://example.org/a?b=1&amp;c=2"' in rendered
    assert 'rel="noopener noreferrer"' in rendered and 'target="_blank"' in rendered


def test_code_blocks_are_escaped_and_labelled() -> None:
    rendered = render_markdown('```html" onclick="x\n<script>alert(1)</script>\n```')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert 'onclick="x' not in rendered
    assert "<figcaption>html&quot;</figcaption>" in rendered


def test_tables_and_strikethrough_render() -> None:
    rendered = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~")
    assert "<table>" in rendered and "<td>2</td>" in rendered and "<s>old</s>" in rendered


def test_search_snippets_are_escaped_before_matches_are_marked() -> None:
    snippet = f"say <b>{MARK_START}hello{MARK_END}</b>\n  there"
    assert search_snippet_html(snippet) == "say &lt;b&gt;<mark>hello</mark>&lt;/b&gt; there"
