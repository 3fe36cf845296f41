"""Two interpreter settings that keep the Qt main thread's frames short.

Both are process-wide; the chat view sets them because it is what puts
pure-Python work on worker threads and a thousand messages' objects in
memory. Measured with tests/bench/bench_gui_stream.py (1,000 messages, the
starter model streaming):

- **The GIL switch interval.** While a worker thread renders markdown, the
  main thread waits for the GIL each time it needs it, up to the switch
  interval: 5 ms by default, and painting a frame needs the GIL many times.
  At 1 ms the longest stall while streaming went from 18-29 ms to 15-18 ms.
  Threads that wait on I/O (the engine's pipe, the database) are not slowed.
- **Long-lived objects out of the cycle collector.** A full collection scans
  every object in the process; with a long conversation open it took 40-60 ms,
  on the main thread, at a moment no one chooses. ``gc.freeze()`` once a
  conversation is open moves what exists then (modules, widgets, the
  conversation's messages) out of the collector's way; the longest stall
  while streaming then stayed within 13-16 ms on a quiet machine. Objects
  freed by reference counting (almost all: messages hold no cycles) are still
  freed; only cyclic garbage that exists at the moment of freezing is kept.
"""

from __future__ import annotations

import gc
import sys

#: The longest the main thread waits for the GIL while a worker thread computes.
SWITCH_INTERVAL_S = 0.001


def keep_main_thread_responsive() -> None:
    """Shorten Python's switch interval to :data:`SWITCH_INTERVAL_S` (never lengthen it)."""
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


def settle_long_lived_objects() -> None:
    """Move every object that exists now out of the cycle collector's full scans."""
    gc.freeze()
