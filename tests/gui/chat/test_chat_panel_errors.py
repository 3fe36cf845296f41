"""Errors a user can meet while chatting: no model loaded, the model's worker crashing in the
middle of an answer, a full disk. Each is told through ``problem`` in plain words; the view
shows what the store kept, and the next message works.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.engine import Engine
from nexthub.gui.chat_panel import ChatPanel
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store import ChatStore
from tests.gui.chat.chat_view_helpers import (
    ENDLESS,
    SHORT,
    WAIT_MS,
    activate_row,
    rendered_text,
    row_text,
    saved_branch,
    send_and_wait,
    type_and_send,
    wait_until_idle,
)
from tests.small_disk import fill_up, small_disk_under

pytestmark = pytest.mark.model


def problems_of(panel: ChatPanel) -> list[str]:
    problems: list[str] = []
    panel.problem.connect(problems.append)
    return problems


def test_no_model_loaded_is_told_and_the_prompt_can_be_answered_later(
    qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel], starter_model_path: Path
) -> None:
    panel = open_panel(hub)
    problems = problems_of(panel)
    send_and_wait(qtbot, panel, "Hello?")

    assert len(problems) == 1 and "No model is loaded" in problems[0]
    assert [(m.role, m.content) for m in saved_branch(hub, panel)] == [("user", "Hello?")]
    assert panel.model.rowCount() == 1 and row_text(panel, 0) == rendered_text("Hello?")
    assert panel.composer.send_button.isVisible() and panel.composer.box.isEnabled()

    hub.change_settings(threads=1, context_size=2048)
    hub.load_model(str(starter_model_path))
    panel.model_changed()
    panel.session.configure(sampling=SHORT)
    activate_row(qtbot, panel, 0)
    assert panel.actions_bar.regenerate_button.isVisible()
    qtbot.mouseClick(panel.actions_bar.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.busy, timeout=WAIT_MS)
    wait_until_idle(qtbot, panel)
    question, answer = saved_branch(hub, panel)
    assert question.content == "Hello?"
    assert answer.role == "assistant" and answer.content
    assert answer.model == starter_model_path.stem
    assert row_text(panel, 1) == rendered_text(answer.content)
    assert len(problems) == 1


def test_a_worker_crash_mid_answer_keeps_the_text_and_the_chat_goes_on(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    problems = problems_of(panel)
    panel.session.configure(sampling=ENDLESS)
    type_and_send(qtbot, panel, "Write a long poem about rain.")
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 2 and len(panel.model.message(1).content) > 30,
        timeout=WAIT_MS,
    )
    chat_hub.engine.kill_worker()
    wait_until_idle(qtbot, panel)

    assert len(problems) == 1 and "stopped unexpectedly" in problems[0]
    answer = saved_branch(chat_hub, panel)[1]
    assert answer.finish_reason == "error" and answer.content
    assert row_text(panel, 1) == rendered_text(answer.content)

    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "Say hello.")
    branch = saved_branch(chat_hub, panel)
    assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
    assert branch[3].finish_reason in {"stop", "length"}
    assert row_text(panel, 3) == rendered_text(branch[3].content)
    assert len(problems) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only): a disk that fills up."""
    with small_disk_under(tmp_path) as disk:
        yield disk.where


@pytest.fixture
def hub_on_small_disk(
    paths: AppPaths, chat_engine: Engine, starter_model_path: Path, small_disk: Path
) -> Iterator[Hub]:
    """A Hub whose encrypted store lives on the small disk, with the starter model loaded."""
    store = ChatStore.open(small_disk / "chats.db", secrets.token_bytes(32), flush_interval_s=0.01)
    hub = Hub(paths, store, chat_engine)
    hub.change_settings(threads=1, context_size=2048)
    hub.load_model(str(starter_model_path))
    yield hub
    store.close()


def test_a_full_disk_is_told_and_the_chat_goes_on_once_there_is_room(
    qtbot: QtBot, hub_on_small_disk: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    hub = hub_on_small_disk
    small_disk = hub.store.path.parent
    panel = open_panel(hub)
    problems = problems_of(panel)
    panel.session.configure(sampling=ENDLESS)
    type_and_send(qtbot, panel, "Write a very long story about a ship.")
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 2 and len(panel.model.message(1).content) > 30,
        timeout=WAIT_MS,
    )
    filler = fill_up(small_disk)
    qtbot.waitUntil(lambda: bool(problems), timeout=WAIT_MS)
    wait_until_idle(qtbot, panel)

    assert "is full" in problems[0]
    kept = saved_branch(hub, panel)
    assert kept[0].content == "Write a very long story about a ship."
    assert [panel.model.message(row).content for row in range(panel.model.rowCount())] == [
        m.content for m in kept
    ]
    assert panel.composer.send_button.isVisible()

    filler.unlink()
    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "Now say hello.")
    branch = saved_branch(hub, panel)
    assert branch[-2].content == "Now say hello."
    assert branch[-1].role == "assistant" and branch[-1].complete and branch[-1].content
    assert row_text(panel, panel.model.rowCount() - 1) == rendered_text(branch[-1].content)
