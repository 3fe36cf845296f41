"""Where a streaming answer can be cut, so that the text before the cut is final.

While an answer streams, its markdown is re-rendered a few times a second.
Re-rendering the whole answer each time would cost more with every token (a
20,000-character answer takes tens of milliseconds to lay out), so the view
freezes what cannot change any more and re-renders only the rest.

Text before a blank line is final in CommonMark as long as the cut is not
inside a fenced code block, the next line is not indented (it may continue a
list item, or be indented code) and does not start a list item (a blank line
between items makes the whole list "loose", which changes how every item
renders). Nor is a cut made before a code block or a table: a QTextDocument
that begins with a table puts an empty line above it. Rendered part by part,
the text then looks as it does rendered whole, so the finished answer keeps
the parts it was streamed into. The one exception: a link reference defined
below a cut does not resolve above it.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"([-+*]|\d{1,9}[.)])(\s|$)")


def stable_cut(text: str, start: int, min_live: int) -> int:
    """The last safe cut in ``text[start:]``, or ``start`` when there is none to make.

    ``start`` must itself be a safe cut (0, or a value this function returned).
    No cut is made while the text after ``start`` is shorter than ``min_live``:
    re-rendering a short tail costs less than another frozen part.
    """
    if len(text) - start < min_live:
        return start
    cut = start
    fence: str | None = None  # the opening fence's characters while inside a code block
    previous_blank = False
    position = start
    while True:
        end = text.find("\n", position)
        if end < 0:
            break  # a line still being written ("1" may become "1. an item"): never cut before it
        line = text[position:end]
        if fence is None and previous_blank and position > start and _starts_block(line):
            cut = position
        fence = _next_fence_state(line, fence)
        previous_blank = fence is None and not line.strip()
        position = end + 1
    return cut


def _starts_block(line: str) -> bool:
    """Whether a part may begin with ``line`` (after a blank line): see the module docstring."""
    if line[:1] in (" ", "\t") or _LIST_ITEM.match(line) or _FENCE.match(line):
        return False
    return "|" not in line  # a table's first row


def _next_fence_state(line: str, fence: str | None) -> str | None:
    """Whether a fenced code block is open after ``line`` (its fence), given the state before."""
    match = _FENCE.match(line)
    if fence is None:
        return match.group(1) if match else None
    closes = (
        match is not None
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line[match.end() :].strip()
    )
    return None if closes else fence
