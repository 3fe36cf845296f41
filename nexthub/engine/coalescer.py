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
#: Why 50 ms: one message per token cost the worker 0.16-0.37 ms and the app
#: another 0.12 ms of CPU, against 11-14 ms per token for the starter model on
#: two cores: 2-5% of decode speed lost to the pipe alone, and far more on a
#: GPU, where a token takes a few milliseconds. 20 updates a second still reads
#: as smooth streaming in a terminal, a window or a browser, and a slow model
#: (a token every 50 ms or more) still sends every token at once.
DELTA_INTERVAL_S = 0.05


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
