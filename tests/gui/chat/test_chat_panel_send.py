"""Sending a message: Enter sends, the answer streams into the view, and the view ends up
showing exactly what the encrypted store saved.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.engine import SamplingSettings
from nexthub.gui.chat.answer_stream import DRAIN_INTERVAL_MS
from nexthub.gui.chat.live_render import RENDER_INTERVAL_MS
from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import (
    SHORT,
    WAIT_MS,
    rendered_text,
    row_text,
    saved_branch,
    type_and_send,
    wait_until_idle,
)

pytestmark = pytest.mark.model


def test_enter_sends_and_the_view_shows_the_saved_answer(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    panel.session.configure(sampling=SHORT)
    changed: list[str] = []
    panel.conversation_changed.connect(changed.append)
    prompt = "Name three colours.\nKeep it short."

    type_and_send(qtbot, panel, prompt)

    assert panel.composer.text() == ""
    qtbot.waitUntil(panel.composer.stop_button.isVisible, timeout=WAIT_MS)
    assert not panel.composer.send_button.isVisible()
    wait_until_idle(qtbot, panel)
    assert panel.composer.send_button.isVisible() and not panel.composer.stop_button.isVisible()

    question, answer = saved_branch(chat_hub, panel)
    assert (question.role, question.content) == ("user", prompt)
    assert answer.role == "assistant" and answer.complete and answer.content
    assert panel.model.rowCount() == 2
    assert row_text(panel, 0) == rendered_text(prompt)
    assert row_text(panel, 1) == rendered_text(answer.content)
    assert panel.model.message(1).content == answer.content
    assert "Assistant · " + str(answer.model) in panel.message_list.row_text(1)
    assert changed and set(changed) == {answer.conversation_id}


def test_the_answer_streams_in_batches_and_is_re_rendered_a_few_times_a_second(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    """What is shown grows while the model writes; every glimpse is the start of the answer."""
    panel.session.configure(
        sampling=SamplingSettings(temperature=0.7, seed=5, max_tokens=300, ignore_eos=True)
    )
    glimpses: list[str] = []
    updates: list[float] = []

    def look() -> None:
        if panel.answering and panel.model.rowCount() == 2:
            glimpses.append(panel.model.message(1).content)

    type_and_send(qtbot, panel, "Tell me a long story about a lighthouse keeper.")
    qtbot.waitUntil(lambda: panel.answering, timeout=WAIT_MS)
    stream = panel._stream  # the answer being written (read, never driven)
    live = panel._live
    assert stream is not None and live is not None
    stream.text_arrived.connect(lambda _text: updates.append(time.perf_counter()))
    stream.text_arrived.connect(look)
    started = time.perf_counter()
    wait_until_idle(qtbot, panel)
    elapsed = time.perf_counter() - started

    (answer,) = saved_branch(chat_hub, panel)[1:]
    distinct = sorted(set(glimpses), key=len)
    assert len(distinct) >= 3, f"the answer should appear piece by piece: {len(updates)} updates"
    assert all(answer.content.startswith(glimpse) for glimpse in distinct)
    assert row_text(panel, 1) == rendered_text(answer.content)
    # The finished answer keeps the document it was streamed into: no second layout.
    assert panel.model.message(1).document is live.document
    # Batched: never more than one view update per drain interval (with timer slack).
    assert len(updates) <= elapsed * 1000 / DRAIN_INTERVAL_MS * 1.2 + 2
    # Markdown is re-rendered while streaming, but only a few times a second.
    assert 1 <= live.renders <= elapsed * 1000 / RENDER_INTERVAL_MS + 2


def test_shift_enter_is_a_new_line_and_a_blank_message_is_not_sent(
    qtbot: QtBot, panel: ChatPanel
) -> None:
    box = panel.composer.box
    box.setFocus()
    qtbot.keyClicks(box, "   ")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.toPlainText() == "   \n"
    assert panel.model.rowCount() == 0 and not panel.busy
    assert panel.session.conversation_id is None
