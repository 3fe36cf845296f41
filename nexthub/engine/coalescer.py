"""Send an answer's text to the app a few times a second, not once per token.

Every message on the worker's pipe costs the worker a pickle, a socket write
and, above all, waking the app's process; the app then spends its own CPU
reading it. So the worker sends the first piece of text at once (the time to
first token does not change), gathers the text of the following tokens, and
sends it at most once per ``DELTA_INTERVAL_S``; what is left goes out before
the answer's final event. Other events (``ContextTrimmed``, the final event)
go at once, after any text gathered before them, so the order never changes.

A cancel is unaffected: the worker checks for it after every token, and the
text gathered so far is sent before the final ``cancelled`` event.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from nexthub.engine.types import TextDelta

#: Least time between two TextDelta messages of one answer, in seconds.
#:
#: Why 100 ms: every message wakes the app's process, and where llama.cpp's
#: threads hold every core that wake stalls them all at their next barrier.
#: On two vCPUs with the starter model (7-8 ms a token) one message per token
#: cost 2-5% of decode speed; one per 50 ms cost 0.4-1.9% against a single
#: message per answer, in two runs of 8-10 paired answers (docs/PERFORMANCE.md),
#: and 100 ms halves the wake-ups. Ten updates a second still read as
#: streaming in a terminal, a window or a browser (the window redraws Markdown
#: at most every 250 ms anyway), the first piece goes at once, and a model
#: slower than a token per 100 ms still sends every token as it comes.
DELTA_INTERVAL_S = 0.1


class DeltaCoalescer:
    """Wraps the worker's send: TextDeltas are gathered, other events pass straight on."""

    def __init__(
        self,
        send: Callable[[object], None],
        interval_s: float = DELTA_INTERVAL_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._send = send
        self._interval_s = interval_s
        self._clock = clock
        self._pending: list[str] = []
        self._tokens = 0
        self._next_send_at = -math.inf  # the first piece goes at once

    def __call__(self, event: object) -> None:
        """Send or gather one event of the answer."""
        if isinstance(event, TextDelta):
            self._pending.append(event.text)
            self._tokens = event.completion_tokens
            now = self._clock()
            if now >= self._next_send_at:
                self._next_send_at = now + self._interval_s
                self.flush()
        else:
            self.flush()
            self._send(event)

    def flush(self) -> None:
        """Send the text gathered so far, as one TextDelta (nothing if there is none)."""
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._send(TextDelta(text, self._tokens))
