"""Markdown for the chat view: code blocks kept for Copy and highlighted, untrusted text kept
harmless, and the streaming cut that never changes how the text before it renders.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.gui.chat.markdown_html import COPY_LINK, CodeTheme, render_markdown
from nexthub.gui.chat.markdown_split import stable_cut
from nexthub.gui.chat.message_document import MessageDocument, SafeTextDocument

THEME = CodeTheme()


def test_code_blocks_are_kept_exactly_and_highlighted(qtbot: QtBot) -> None:
    code = 'def greet(name):\n    return f"Hello, {name}!"  # <b>not bold</b>'
    rendered = render_markdown(f"Look:\n\n```python\n{code}\n```\n\n```\nplain < text\n```", THEME)
    assert rendered.code_blocks == (code, "plain < text")
    assert f'href="{COPY_LINK}0"' in rendered.html and f'href="{COPY_LINK}1"' in rendered.html
    assert re.search(r'<span style="color: #[0-9A-Fa-f]{6};[^"]*">def</span>', rendered.html)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in rendered.html and "<b>" not in rendered.html
    document = MessageDocument(QApplication.font(), 500)
    document.set_rendered(rendered)
    shown = document.plain_text()
    assert code in shown and "plain < text" in shown and "Copy code" in shown
    assert document.code_blocks == rendered.code_blocks


def test_a_dark_theme_colours_code_differently() -> None:
    text = "```python\nimport os\n```"
    light = render_markdown(text, CodeTheme.for_dark_background(False)).html
    dark = render_markdown(text, CodeTheme.for_dark_background(True)).html
    assert light != dark


def test_untrusted_markup_stays_text_and_images_are_never_loaded(qtbot: QtBot) -> None:
    rendered = render_markdown(
        "<img src='/etc/hostname'> <script>alert(1)</script> ![a cat](https://example.com/cat.png)"
        " [click](javascript:alert(1)) [ok](https://example.com)",
        THEME,
    )
    assert "<img" not in rendered.html and "<script" not in rendered.html
    assert '<a href="https://example.com/cat.png">[a cat]</a>' in rendered.html
    assert 'href="javascript' not in rendered.html
    assert '<a href="https://example.com">ok</a>' in rendered.html
    document = SafeTextDocument()
    document.setHtml('<img src="/etc/hostname">')
    assert document.loadResource(QTextDocument.ResourceType.ImageResource.value, "x") is None


def test_where_a_streaming_answer_is_never_cut() -> None:
    assert stable_cut("one\n\ntwo\n\nthree", 0, 1_000) == 0  # the tail is short
    text = "intro\n\nsecond\n\n```\nline\n\nstill code\n\nmore\n"
    assert stable_cut(text, 0, 0) == len("intro\n\n")  # not inside, nor before, the code
    closed = text + "```\n\nafter\n\nlast\n"
    assert closed[stable_cut(closed, 0, 0) :] == "last\n"
    assert stable_cut("para\n\n    indented code", 0, 0) == 0
    assert stable_cut("- one\n\n- two", 0, 0) == 0  # one loose list, not two lists
    assert stable_cut("para\n\n| a | b |\n|---|---|\n", 0, 0) == 0
    assert stable_cut("para\n\n1", 0, 0) == 0  # "1" may become "1. an item"
    assert stable_cut("para\n\nNext", 0, 0) == 0  # the line is still being written
    assert stable_cut("para\n\nNext\n", 0, 0) == len("para\n\n")


BLOCKS = st.sampled_from(
    [
        "A paragraph with **bold** and `code`.",
        "# A heading",
        "> a quote\n> on two lines",
        "```python\nx = 1\n\ny = 2\n```",
        "~~~\nfenced with tildes\n\n~~~",
        "Line one\nline two of the same paragraph.",
        "---",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "- one\n- two",
        "1. first\n2. second",
        "* starred",
        "10) tenth",
    ]
)


def normalised(html: str) -> str:
    return re.sub(rf"{COPY_LINK}\d+", COPY_LINK, html)


def joined(*parts: str) -> str:
    """Rendered parts as one: markdown-it ends each block with a newline, the last one dropped."""
    return "\n".join(part for part in parts if part)


@settings(max_examples=60, deadline=None)
@given(st.lists(BLOCKS, min_size=1, max_size=8), st.data())
def test_text_before_a_cut_renders_as_it_does_in_the_whole(
    blocks: list[str], data: st.DataObject
) -> None:
    """Streaming: at any moment, the frozen part and the tail render to the whole."""
    text = "\n\n".join(blocks)
    arrived = data.draw(st.integers(min_value=1, max_value=len(text)))
    so_far = text[:arrived]
    start = 0
    cut = stable_cut(so_far, start, 0)
    assert start <= cut <= len(so_far)
    whole = normalised(render_markdown(so_far, THEME).html)
    parts = normalised(
        joined(render_markdown(so_far[:cut], THEME).html, render_markdown(so_far[cut:], THEME).html)
    )
    assert parts == whole
    # The frozen part stays the same however the text goes on.
    assert normalised(render_markdown(text[:cut], THEME).html) in normalised(
        render_markdown(text, THEME).html
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(BLOCKS, min_size=1, max_size=10), st.lists(st.integers(1, 40), max_size=30))
def test_the_parts_an_answer_is_streamed_into_show_the_whole_answer(
    qtbot: QtBot, blocks: list[str], steps: list[int]
) -> None:
    """As the live view does it: cut as text arrives, then render the last tail once.

    The finished answer keeps this document, so it must show what the whole
    answer rendered at once shows.
    """
    text = "\n\n".join(blocks)
    live = MessageDocument(QApplication.font(), 500)
    frozen: list[str] = []
    start = arrived = 0
    for step in steps:
        arrived = min(len(text), arrived + step)
        cut = stable_cut(text[:arrived], start, 0)
        if cut > start:
            frozen.append(render_markdown(text[start:cut], THEME).html)
            live.freeze_live(render_markdown(text[start:cut], THEME))
            start = cut
    live.set_live(render_markdown(text[start:], THEME))
    parts = joined(*frozen, render_markdown(text[start:], THEME).html)
    assert normalised(parts) == normalised(render_markdown(text, THEME).html)
    whole = MessageDocument(QApplication.font(), 500)
    whole.set_rendered(render_markdown(text, THEME))
    assert live.plain_text() == whole.plain_text()
