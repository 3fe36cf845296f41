"""Turn the bytes of generated tokens into the text a user sees, as it streams.

A token is a piece of bytes, and one character can span two tokens, so bytes
go through an incremental UTF-8 decoder; the text then goes through the
stop-string scanner, and only what is certainly part of the answer is
emitted. Each step touches only the new piece, so the cost per token stays
flat however long the answer grows.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence

from nexthub.engine.stop_strings import StopStringScanner


class AnswerText:
    """Collects an answer's text and emits each new piece that is safe to show."""

    def __init__(self, stops: Sequence[str], emit: Callable[[str, int], None]) -> None:
        """``emit`` gets each new piece of text and the number of tokens added so far."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._scanner = StopStringScanner(stops)
        self._emit = emit
        self._parts: list[str] = []
        #: True once a stop string was reached.
        self.stopped = False
        #: Tokens added so far.
        self.tokens = 0

    def add(self, piece: bytes) -> bool:
        """Add one token's bytes; returns True when a stop string ends the answer."""
        self.tokens += 1
        result = self._scanner.feed(self._decoder.decode(piece))
        self._show(result.text)
        self.stopped = result.stopped
        return result.stopped

    def finish(self) -> str:
        """End the answer: show held-back text that was not a stop string; return all text."""
        if not self.stopped:
            self._show(self._scanner.flush() + self._decoder.decode(b"", final=True))
        return "".join(self._parts)

    def _show(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._emit(text, self.tokens)
