"""Fixtures of the chat view's tests: the real engine on the starter model, a Hub, a panel.

One engine (one worker process) serves a whole test module, as in the
integration tests; each test gets its own NEXTHUB_HOME, encrypted store and
Hub around it, and loads the starter model through the Hub, as the app does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nexthub.engine import Engine
from nexthub.gui.chat_panel import ChatPanel
from nexthub.gui.tasks import TaskRunner
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store import ChatStore
from tests.gui.chat.chat_view_helpers import WAIT_MS


@pytest.fixture(scope="module")
def chat_engine() -> Iterator[Engine]:
    """One worker for the module; each test's Hub loads the model into it."""
    with Engine() as engine:
        yield engine


def make_hub(paths: AppPaths, key: bytes, engine: Engine) -> Hub:
    """A Hub on the real encrypted store.

    One thread: on a busy 2-core machine, llama.cpp's two threads wait on each
    other and an answer runs 30 times slower.
    """
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, key), engine)
    hub.change_settings(threads=1, context_size=2048)
    return hub


@pytest.fixture
def chat_hub(
    paths: AppPaths,
    store_key: bytes,
    chat_engine: Engine,
    starter_model_path: Path,
) -> Iterator[Hub]:
    """A Hub with the starter model loaded (through the Hub, as the app loads it).

    Ask for it before ``open_panel``, so that the panels are gone before its store closes.
    """
    hub = make_hub(paths, store_key, chat_engine)
    hub.load_model(str(starter_model_path))
    yield hub
    hub.conversations.forget_deleted()
    hub.store.close()  # not hub.close(): the engine serves the next test


@pytest.fixture
def open_panel(qtbot: QtBot, tasks: TaskRunner) -> Iterator[Callable[[Hub], ChatPanel]]:
    """Shows a ChatPanel for a hub, at a desktop window's size."""
    panels: list[ChatPanel] = []

    def show(hub: Hub) -> ChatPanel:
        panel = ChatPanel(hub, tasks)
        qtbot.addWidget(panel)
        panel.resize(900, 700)
        panel.show()
        qtbot.waitExposed(panel)
        panels.append(panel)
        return panel

    yield show
    for panel in panels:
        panel.stop()
        qtbot.waitUntil(lambda p=panel: not p.busy, timeout=WAIT_MS)  # type: ignore[misc]
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)


@pytest.fixture
def panel(chat_hub: Hub, open_panel: Callable[[Hub], ChatPanel]) -> ChatPanel:
    """A panel showing a new chat, with the starter model loaded."""
    return open_panel(chat_hub)
