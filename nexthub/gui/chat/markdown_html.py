"""Markdown to the HTML subset QTextDocument understands, with highlighted code blocks.

Pure Python and free of Qt, so it runs on worker threads: parsing markdown
costs about a millisecond per kilobyte, far too much for the Qt main thread
when a conversation has a thousand messages or an answer re-renders while it
streams.

A model's answer is untrusted text, so the renderer is strict:

- raw HTML is shown as text (markdown-it's ``html`` option off);
- images are never loaded: an image becomes a link showing its alt text (a
  QTextDocument would otherwise read ``file:`` URLs from disk);
- markdown-it's link check already refuses ``javascript:``, ``file:`` and
  ``data:`` links.

Each code block gets a header with its language and a "Copy code" link whose
``href`` is ``nexthub-copy:N``; the block's text is returned alongside the HTML
so the view can copy it without reading it back out of the document.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.style import StyleMeta  # type: ignore[import-untyped]
from pygments.styles import get_style_by_name  # type: ignore[import-untyped]
from pygments.token import _TokenType  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

#: The ``href`` prefix of a code block's copy link; the block's number follows.
COPY_LINK = "nexthub-copy:"
#: Code longer than this is shown without highlighting (lexing costs ~0.3 ms a line).
HIGHLIGHT_LIMIT = 20_000


@dataclass(frozen=True)
class CodeTheme:
    """Colours of code, chosen from the window's palette on the main thread."""

    #: A pygments style name.
    style: str = "default"
    background: str = "#f3f4f6"
    header: str = "#6b7280"
    inline_background: str = "#eceef1"

    @classmethod
    def for_dark_background(cls, dark: bool) -> CodeTheme:
        """The light or the dark theme."""
        if dark:
            return cls("github-dark", "#161b22", "#8b949e", "#2d333b")
        return cls()


@dataclass(frozen=True)
class RenderedMarkdown:
    """A message as HTML, and the text of its code blocks in order (for Copy)."""

    html: str
    code_blocks: tuple[str, ...] = ()


def render_markdown(text: str, theme: CodeTheme) -> RenderedMarkdown:
    """Render ``text`` (CommonMark with tables and strikethrough) for a QTextDocument."""
    env: dict[str, Any] = {"code_blocks": [], "theme": theme}
    # Without the final newline, which a QTextDocument would show as a trailing space.
    rendered = _parser().render(text, env).rstrip()
    return RenderedMarkdown(rendered, tuple(env["code_blocks"]))


@functools.cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.add_render_rule("fence", _render_fence)
    parser.add_render_rule("code_block", _render_fence)
    parser.add_render_rule("code_inline", _render_inline_code)
    parser.add_render_rule("image", _render_image)
    parser.add_render_rule("table_open", _render_table_open)
    return parser


def _render_fence(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    code = token.content[:-1] if token.content.endswith("\n") else token.content
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    blocks: list[str] = env["code_blocks"]
    theme: CodeTheme = env["theme"]
    number = len(blocks)
    blocks.append(code)
    label = html.escape(language) if language else "code"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" bgcolor="{theme.background}"'
        ' style="margin-top: 6px; margin-bottom: 6px;">'
        f'<tr><td><span style="color: {theme.header};">{label}</span></td>'
        f'<td align="right"><a href="{COPY_LINK}{number}">Copy code</a></td></tr>'
        # pre-wrap: a long line wraps inside the block instead of widening the message.
        f'<tr><td colspan="2"><pre style="margin: 0; white-space: pre-wrap;">'
        f"{highlight(code, language, theme.style)}"
        "</pre></td></tr></table>\n"
    )


def _render_inline_code(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    theme: CodeTheme = env["theme"]
    text = html.escape(tokens[idx].content, quote=False)
    return f'<code style="background-color: {theme.inline_background};">{text}</code>'


def _render_image(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    source = html.escape(str(token.attrGet("src") or ""), quote=True)
    return f'<a href="{source}">[{html.escape(alt, quote=False)}]</a>'


def _render_table_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    return '<table border="1" cellspacing="0" cellpadding="4" style="border-collapse: collapse;">\n'


def highlight(code: str, language: str, style: str) -> str:
    """``code`` as escaped HTML with a coloured ``<span>`` per run of same-styled tokens."""
    lexer = _lexer(language.lower()) if language and len(code) <= HIGHLIGHT_LIMIT else None
    if lexer is None:
        return html.escape(code, quote=False)
    pieces: list[str] = []
    run: list[str] = []
    run_style = ""
    for token_type, value in lexer.get_tokens(code):
        span = _span_style(style, token_type)
        if span != run_style and run:
            pieces.append(_span("".join(run), run_style))
            run = []
        run_style = span
        run.append(value)
    if run:
        pieces.append(_span("".join(run), run_style))
    return "".join(pieces)


def _span(text: str, style: str) -> str:
    escaped = html.escape(text, quote=False)
    return f'<span style="{style}">{escaped}</span>' if style else escaped


@functools.cache
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.cache
def _style(name: str) -> StyleMeta:
    try:
        return get_style_by_name(name)
    except ClassNotFound:
        return get_style_by_name("default")


@functools.cache
def _span_style(style: str, token_type: _TokenType) -> str:
    """The CSS Qt understands for one token type: colour, bold, italic."""
    found = _style(style).style_for_token(token_type)
    css = []
    if found["color"]:
        css.append(f"color: #{found['color']};")
    if found["bold"]:
        css.append("font-weight: bold;")
    if found["italic"]:
        css.append("font-style: italic;")
    return " ".join(css)
