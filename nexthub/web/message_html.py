"""Messages as HTML for the web GUI, rendered on the server with markdown-it-py.

A model's answer (and a pasted prompt) is untrusted text, so the renderer is
strict, and the page's Content-Security-Policy would stop a script even if
something got through:

- raw HTML is shown as text (markdown-it's ``html`` option off): an
  ``<img onerror=…>`` or a ``<script>`` in an answer arrives as ``&lt;img…``;
- images are never loaded (a remote image would tell its server that the
  answer was read): an image becomes a link showing its alt text;
- markdown-it's link check already refuses ``javascript:``, ``vbscript:``,
  ``file:`` and ``data:`` links; links open in a new tab and send no referrer;
- code is escaped text in ``<pre><code>`` with a ``language-…`` class only.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from nexthub.service.conversation_list import MARK_END, MARK_START


def render_markdown(text: str) -> str:
    """``text`` (CommonMark with tables and strikethrough) as safe HTML."""
    return str(_parser().render(text))


def search_snippet_html(snippet: str) -> str:
    """A search hit's snippet, escaped, with each match in ``<mark>``."""
    flat = " ".join(snippet.split())
    return html.escape(flat).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


@functools.cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.add_render_rule("image", _render_image)
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("fence", _render_fence)
    return parser


def _render_image(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    source = html.escape(str(token.attrGet("src") or ""), quote=True)
    return (
        f'<a href="{source}" target="_blank" rel="noopener noreferrer">'
        f"[{html.escape(alt, quote=False)}]</a>"
    )


def _render_link_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    token = tokens[idx]
    token.attrSet("target", "_blank")
    token.attrSet("rel", "noopener noreferrer")
    return str(renderer.renderToken(tokens, idx, options, env))


def _render_fence(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    label = html.escape(language or "code")
    css = f' class="language-{html.escape(language, quote=True)}"' if language else ""
    code = html.escape(token.content, quote=False)
    return (
        f'<figure class="code"><figcaption>{label}</figcaption>'
        f"<pre><code{css}>{code}</code></pre></figure>\n"
    )
