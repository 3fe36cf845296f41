"""Cyclic garbage is destroyed on the Qt main thread, never on a worker that happens to allocate.

A worker thread that allocates past the collector's thresholds would, with
Python's default, collect whatever cyclic garbage exists then, on that
thread: a widget among it dies off the main thread and the app crashes.
(The GUI conftest runs every test under the collector, as the app does.)
"""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from nexthub.gui.main_thread_gc import CHECK_INTERVAL_MS, MainThreadCollector


class _Cycle:
    """An object in a reference cycle that records the thread it was destroyed on."""

    def __init__(self, destroyed_on: list[str]) -> None:
        self.me = self
        self._destroyed_on = destroyed_on

    def __del__(self) -> None:
        self._destroyed_on.append(threading.current_thread().name)


def _allocate_a_lot(kept: list[object]) -> None:
    """Far more live container allocations than every generation's threshold together."""
    kept.extend([index] for index in range(200_000))


def test_garbage_left_while_a_worker_allocates_dies_on_the_main_thread(qtbot: QtBot) -> None:
    destroyed_on: list[str] = []
    _Cycle(destroyed_on)  # now garbage, reachable only through its own cycle

    kept: list[object] = []
    worker = threading.Thread(target=_allocate_a_lot, args=(kept,), name="worker")
    worker.start()
    worker.join()
    assert destroyed_on == []  # the worker's allocations collected nothing

    qtbot.waitUntil(lambda: destroyed_on != [], timeout=20 * CHECK_INTERVAL_MS)
    assert destroyed_on == [threading.main_thread().name]


def test_the_collector_collects_only_when_a_threshold_is_passed(qtbot: QtBot) -> None:
    collector = MainThreadCollector()
    gc.collect()
    assert collector.collect_due() is None  # nothing allocated since: nothing due

    destroyed_on: list[str] = []
    _Cycle(destroyed_on)
    kept: list[object] = []
    _allocate_a_lot(kept)
    assert collector.collect_due() is not None
    assert destroyed_on == [threading.main_thread().name]


def test_stopping_hands_collection_back_and_collects_what_is_left() -> None:
    collector = MainThreadCollector()
    enabled_before = gc.isenabled()
    collector.start()
    assert not gc.isenabled()
    destroyed_on: list[str] = []
    _Cycle(destroyed_on)
    collector.stop()
    assert destroyed_on == [threading.main_thread().name]
    assert gc.isenabled() == enabled_before
