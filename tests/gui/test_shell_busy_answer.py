"""Changing the model or deleting all data while an answer is written: the answer stops first.

The real window over the real engine and the starter model, on the real
encrypted store: an endless answer streams, then the user loads a model (the
model manager's "Use this model", or Chat > Load the default model) or
deletes all their data. The answer ends where it got to and is saved that
far; only then does the load start, or the wipe run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.gui import privacy_page
from nexthub.gui.main_window import MainWindow
from nexthub.gui.tasks import TaskRunner
from nexthub.service.data_places import WipeReport, wipe_hub_data
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import ENDLESS, saved_branch, type_and_send
from tests.gui.page_helpers import MessageBoxes
from tests.gui.shell_helpers import WAIT_MS

pytestmark = pytest.mark.model

STARTER = "SmolLM2 135M Instruct"


@pytest.fixture
def window(qtbot: QtBot, hub: Hub, tasks: TaskRunner) -> Iterator[MainWindow]:
    """The window with the starter model loaded (one thread: quick on a shared machine)."""
    hub.change_settings(threads=1, context_size=2048)
    window = MainWindow(hub, tasks)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS):
        window.start()
    yield window
    window.chat.stop()
    window.loader.cancel()
    window.pages.hide_all()
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=WAIT_MS)


def stream_an_endless_answer(qtbot: QtBot, window: MainWindow) -> None:
    """Send a message whose answer goes on until stopped; wait until it is under way."""
    chat = window.chat
    chat.session.configure(sampling=ENDLESS)
    type_and_send(qtbot, chat, "Write a very long essay about rivers.")
    qtbot.waitUntil(
        lambda: chat.model.rowCount() == 2 and len(chat.model.message(1).content) > 40,
        timeout=WAIT_MS,
    )
    assert chat.answering


def use_this_model(qtbot: QtBot, window: MainWindow) -> Callable[[], None]:
    """The model manager, open with the starter selected; its "Use this model" click.

    Opened before the answer starts: the manager's list asks the engine about
    the hardware, which waits while an answer is written.
    """
    manager = window.pages.open_models()
    qtbot.waitUntil(lambda: manager.installed.table.rowCount() > 0, timeout=WAIT_MS)
    names = [
        manager.installed.table.item(r, 0).text() for r in range(manager.installed.table.rowCount())
    ]
    manager.installed.table.selectRow(names.index(STARTER))
    return manager.installed.use_button.click


def load_the_default_model(_qtbot: QtBot, window: MainWindow) -> Callable[[], None]:
    """Chat > Load the default model."""
    return window.load_action.trigger


@pytest.mark.parametrize("load", [use_this_model, load_the_default_model])
def test_loading_a_model_stops_the_answer_keeps_it_and_then_loads(
    qtbot: QtBot,
    window: MainWindow,
    hub: Hub,
    load: Callable[[QtBot, MainWindow], Callable[[], None]],
) -> None:
    click = load(qtbot, window)
    stream_an_endless_answer(qtbot, window)
    answering_when_the_load_began: list[bool] = []
    window.loader.started.connect(
        lambda _name: answering_when_the_load_began.append(window.chat.busy)
    )

    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS) as loaded:
        click()
    assert loaded.args == [STARTER]
    assert answering_when_the_load_began == [False]
    assert window.model_status.text() == f"Model: {STARTER}"
    answer = saved_branch(hub, window.chat)[-1]
    assert answer.finish_reason == "cancelled"
    assert answer.content and window.chat.model.message(1).content == answer.content
    assert window.banner.message() == ""
    assert not window.chat.busy


def test_deleting_all_data_stops_the_answer_before_wiping(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_an_endless_answer(qtbot, window)
    busy_when_the_wipe_began: list[bool] = []

    def wipe(hub: Hub, *, keep_models: bool = False) -> WipeReport:
        busy_when_the_wipe_began.append(window.chat.busy)
        return wipe_hub_data(hub, keep_models=keep_models)

    monkeypatch.setattr(privacy_page, "wipe_hub_data", wipe)
    page = window.pages.open_privacy()
    dialogs = MessageBoxes()
    dialogs.answer("Delete everything")
    with qtbot.waitSignal(window.pages.data_wiped, timeout=WAIT_MS) as wiped:
        qtbot.mouseClick(page.wipe_button, Qt.MouseButton.LeftButton)

    assert busy_when_the_wipe_began == [False]
    assert wiped.args == [""]  # no warning: the wipe went through
    assert page.wipe_notice.text().startswith("Deleted every chat and its key")
    assert window.banner.message() == ""  # the stopped answer met no closed store
    assert not window.chat.busy
