"""How tall a message's text will be, guessed from its length before it is laid out.

Laying out a message costs about a millisecond; guessing costs microseconds
and needs no Qt object, so a worker thread can guess the heights of a whole
conversation while it reads it, and the view lays out each message only when
it gets near the screen (then the real height replaces the guess).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Added to every guess: a document's margins.
PADDING = 8


@dataclass(frozen=True)
class TextMetrics:
    """What a guess needs of the font and the view, measured on the main thread."""

    #: The width text is laid out at, in pixels.
    width: int
    #: The font's average character width and line height, in pixels.
    char_width: int
    line_height: int


def estimate_text_height(text: str, metrics: TextMetrics) -> int:
    """Wrapped lines times the line height: close for prose, a little short for code."""
    per_line = max(1, metrics.width // max(1, metrics.char_width))
    lines = sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))
    return lines * metrics.line_height + PADDING
