"""The chat view: one conversation's messages, the composer, and what a user does with them.

The panel wires the parts in :mod:`nexthub.gui.chat` together and holds the
view's state; the conversation itself is the service's
:class:`~nexthub.service.chat_session.ChatSession`. Every call into the
session runs through the :class:`~nexthub.gui.tasks.TaskRunner` (it waits on
the database or the engine); the main thread only updates widgets:

- sending, regenerating and editing start an
  :class:`~nexthub.gui.chat.answer_stream.AnswerStream`, whose text reaches a
  :class:`~nexthub.gui.chat.live_render.LiveAnswer` in batches;
- when an answer ends, or a version is switched, the branch is read back from
  the store (the saved tree is the truth) and the model is synced, keeping
  every row and document that did not change;
- one operation on the session runs at a time (``_busy``); results that
  arrive for a conversation no longer shown are dropped (``_generation``).

Errors reach the user through :attr:`ChatPanel.problem`; afterwards the view
shows what the store kept, and the panel is usable again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nexthub.engine import ChatEvent, ContextTrimmed
from nexthub.errors import NextHubError
from nexthub.gui.chat.answer_stream import AnswerStream, StreamOutcome
from nexthub.gui.chat.branch_reader import (
    RENDER_FIRST,
    OpenedChat,
    ViewLook,
    read_branch,
    render_in_batches,
)
from nexthub.gui.chat.code_colours import CodeColours
from nexthub.gui.chat.composer import Composer
from nexthub.gui.chat.live_render import LiveAnswer
from nexthub.gui.chat.markdown_html import CodeTheme, RenderedMarkdown
from nexthub.gui.chat.message_commands import MessageCommands
from nexthub.gui.chat.message_list import MessageListView
from nexthub.gui.chat.message_model import MessageItem, MessageListModel
from nexthub.gui.chat.responsiveness import (
    keep_main_thread_responsive,
    settle_long_lived_objects,
)
from nexthub.gui.tasks import TaskRunner
from nexthub.service.chat_session import ChatSession
from nexthub.service.hub import Hub

logger = logging.getLogger(__name__)

#: How long a message jumped to (a search hit) stays highlighted.
FLASH_MS = 1500
#: Rows added to the view per turn of the event loop while a conversation opens (the
#: newest first): adding a row costs about 10 microseconds of Python.
ROWS_PER_TURN = 200
#: Rows at the end laid out at once after a sync (the rest are estimated, then built).
LAY_OUT_AT_ONCE = 8


class ChatPanel(QWidget):
    """One conversation: messages, composer, Stop/Regenerate/Edit/versions/Copy/Details."""

    #: A conversation was created or changed (new message, title): its id.
    conversation_changed = Signal(str)
    #: A message for the user's eyes (an error the window shows in its banner).
    problem = Signal(str)
    #: An answer started (True) or ended (False): the window may disable model changes.
    answering_changed = Signal(bool)

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        keep_main_thread_responsive()  # markdown renders on worker threads: see the module
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        # A new chat's session touches nothing until its first message: safe here.
        self._session: ChatSession = hub.open_chat(None)
        self._generation = 0
        self._busy: str | None = None
        self._stream: AnswerStream | None = None
        self._live: LiveAnswer | None = None
        self._edit_row: int | None = None
        self._pending_jump: str | None = None
        #: What waits for the panel to be idle (see :meth:`stop_then`).
        self._when_idle: list[Callable[[], None]] = []

        self.model = MessageListModel(self)
        self.message_list = MessageListView(self.model, self._code_theme, self)
        self.actions_bar = self.message_list.actions_bar
        self.composer = Composer(self)
        self.setAccessibleName("Chat")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.message_list, 1)
        layout.addWidget(self.composer)
        self.setFocusProxy(self.composer.box)
        self.composer.box.setFocus()  # where typing goes when the panel is first shown

        self.composer.send_requested.connect(self._send)
        self.composer.stop_requested.connect(self.stop)
        self.composer.edit_cancelled.connect(self._edit_cancelled)
        self.commands = MessageCommands(
            self.model, self.message_list, lambda: not self.busy, self._code_theme
        )
        self.code_colours = CodeColours(self.model, self.message_list, tasks, self._code_theme)
        self.actions_bar.edit_requested.connect(self._begin_edit)
        self.actions_bar.regenerate_requested.connect(self._regenerate)
        self.actions_bar.version_requested.connect(self._show_version)
        # Esc reaches the panel as a key press, not as a QShortcut: the window has an
        # Esc action of its own (calling stop()), and two shortcuts on one key cancel out.
        self.composer.escape_pressed.connect(self.stop)
        self.message_list.escape_pressed.connect(self.stop)

    # -- the interface the window uses ------------------------------------------------------

    @property
    def session(self) -> ChatSession:
        """The conversation shown (the per-chat settings change it through the TaskRunner)."""
        return self._session

    @property
    def answering(self) -> bool:
        """Whether an answer is being written."""
        return self._busy == "answering"

    @property
    def busy(self) -> bool:
        """Whether an operation on the conversation is under way (tests wait for False)."""
        return self._busy is not None

    def show_conversation(self, conversation_id: str | None) -> None:
        """Show a saved conversation, or (None) a new empty chat.

        An answer being written in another conversation is stopped (its text
        is kept); asking for the conversation already shown does not stop it.
        """
        if conversation_id is not None and conversation_id == self._session.conversation_id:
            if not self.busy:
                self._resync()
            return
        self._leave_conversation()
        if conversation_id is None:
            self._session = self._hub.open_chat(None)
            return
        generation = self._generation
        self._set_busy("loading")
        hub, look = self._hub, self._look()

        def work() -> OpenedChat:
            session = hub.open_chat(conversation_id)
            return OpenedChat(session, read_branch(session, look, render_last=RENDER_FIRST))

        self._tasks.run(
            work, self._on_main(self._opened, generation), self._on_main(self._failed, generation)
        )

    def jump_to_message(self, message_id: str) -> None:
        """Scroll to a message of the shown conversation and flash it (search hits).

        A message on another branch is brought on screen by switching to its branch.
        """
        if self._busy == "loading":
            self._pending_jump = message_id
            return
        row = self.model.row_of(message_id)
        if row is not None:
            self._flash(row)
            return
        if self.busy:
            self._pending_jump = message_id
            return
        session, generation, look = self._session, self._generation, self._look()
        self._pending_jump = message_id
        self._set_busy("updating")
        self._tasks.run(
            lambda: _switched(session, lambda: session.show_message(message_id), look),
            self._on_main(self._synced, generation, None),
            self._on_main(self._failed, generation),
        )

    def stop(self) -> None:
        """Stop the answer being written, keeping its text (Esc).

        With no answer being written, Esc leaves the editing of a sent message.
        """
        if self.answering:
            self._session.engine.cancel()
        elif self.composer.editing:
            self.composer.cancel_edit()

    def stop_then(self, action: Callable[[], None]) -> None:
        """Stop the answer being written, then ``action`` once what was written is saved.

        Loading another model or deleting all data takes the engine (or the
        store) from under an answer; a user expects the answer to stop there,
        kept as far as it got, and then the model to load or the data to go.
        With nothing under way, ``action`` runs at once; otherwise it runs when
        the panel is idle again (the answer saved and read back).
        """
        if not self.busy:
            action()
            return
        self._when_idle.append(action)
        if self.answering:
            self._session.engine.cancel()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """A theme switch (a new palette): code in the messages shown takes its colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.code_colours.follow_palette()

    def focus_composer(self) -> None:
        """Put the cursor in the message box."""
        self.composer.box.setFocus()

    def model_changed(self) -> None:
        """The hub loaded another model: later answers come from it."""
        loaded = self._hub.loaded_model
        if loaded is not None:
            self._session.use_model(loaded.name)

    # -- sending, regenerating, editing -------------------------------------------------------

    def _send(self, text: str) -> None:
        if self.busy:
            return
        session = self._session
        edit_row = self._edit_row
        self.composer.end_edit()
        self._edit_row = None
        self.composer.box.clear()
        if edit_row is not None and edit_row < self.model.rowCount():
            self.model.truncate(edit_row)
            self.model.append([MessageItem("user", text)])
            self._answer(lambda: session.edit(edit_row, text))
        else:
            self.model.append([MessageItem("user", text)])
            self._answer(lambda: session.send(text))

    def _regenerate(self, row: int) -> None:
        if self.busy:
            return
        last_user = max(
            (r for r in range(self.model.rowCount()) if self.model.message(r).role == "user"),
            default=None,
        )
        if last_user is None:
            return
        self.model.truncate(last_user + 1)
        self._answer(self._session.regenerate)

    def _begin_edit(self, row: int) -> None:
        if self.busy or not 0 <= row < self.model.rowCount():
            return
        self._edit_row = row
        self.composer.begin_edit(self.model.message(row).content)

    def _edit_cancelled(self) -> None:
        self._edit_row = None

    def _answer(self, begin: Callable[[], Iterator[ChatEvent]]) -> None:
        """Show an empty answer and stream into it (see the module docstring)."""
        item = MessageItem("assistant", "", streaming=True)
        document = self.message_list.delegate.ensure_document(item)
        self.model.append([item])
        self.message_list.stick_to_bottom()
        session, generation = self._session, self._generation
        self._live = LiveAnswer(
            document, self._tasks, self._code_theme(), partial(self._live_changed, item), self
        )
        stream = AnswerStream(self._tasks, self)
        self._stream = stream
        stream.started.connect(partial(self._answer_started, session))
        stream.text_arrived.connect(self._live.append)
        stream.context_trimmed.connect(self._context_trimmed)
        stream.finished.connect(partial(self._answer_finished, stream, session, generation))
        self._set_busy("answering")
        stream.start(begin)

    def _live_changed(self, item: MessageItem, text: str, rendered: bool) -> None:
        """New text in the answer, or its new rendering: measure and repaint what changed.

        Appended text that leaves the row's height alone repaints only the end of
        the row; a new rendering, or a new line, repaints the row (and tells
        screen readers the new text).
        """
        row = self.model.count() - 1
        if row < 0 or self.model.message(row) is not item:
            return
        item.content = text
        if rendered:
            self.message_list.refresh_rows([row])
        elif self.message_list.delegate.row_height(item) != item.height:
            self.message_list.remeasure_rows([row])
        else:
            self.message_list.repaint_tail(row)

    def _answer_started(self, session: ChatSession) -> None:
        if session.conversation_id is not None:
            self.conversation_changed.emit(session.conversation_id)

    def _context_trimmed(self, event: ContextTrimmed) -> None:
        self.problem.emit(
            f"This conversation is longer than the model's context ({event.context_size} "
            f"tokens): its {event.dropped_messages} oldest messages were left out of what "
            "the model sees."
        )

    def _answer_finished(
        self, stream: AnswerStream, session: ChatSession, generation: int, outcome: StreamOutcome
    ) -> None:
        stream.deleteLater()
        if stream is not self._stream:  # an answer in a conversation no longer shown
            if session.conversation_id is not None:
                self.conversation_changed.emit(session.conversation_id)
            return
        self._stream = None
        live, self._live = self._live, None
        last = self.model.rowCount() - 1
        item = self.model.message(last) if last >= 0 else None
        if outcome.error is not None:
            self.problem.emit(_message_for(outcome.error))
        elif outcome.final is not None and outcome.final.finish_reason == "error":
            self.problem.emit(outcome.final.error or "The answer stopped because of an error.")
        self._set_busy("updating")
        if live is None or item is None or not item.streaming:
            self._read_back(session, generation)
            return

        def rendered_to_the_end() -> None:
            """The answer's document is final: read the branch back, keeping it.

            Unless the theme changed while it was written: then it is rendered again.
            """
            item.streaming = False
            live.deleteLater()
            keep = live.final and live.theme == self.code_colours.shown
            self._read_back(session, generation, item if keep else None)

        live.finish(rendered_to_the_end)

    # -- versions, copy, details ----------------------------------------------------------------

    def _show_version(self, row: int, version: int) -> None:
        if self.busy:
            return
        session, generation, look = self._session, self._generation, self._look()
        self._set_busy("updating")
        self._tasks.run(
            lambda: _switched(session, lambda: session.show_version(row, version), look),
            self._on_main(self._synced, generation, None),
            self._on_main(self._failed, generation),
        )

    # -- reading the branch back ----------------------------------------------------------------

    def _read_back(
        self, session: ChatSession, generation: int, answer: MessageItem | None = None
    ) -> None:
        """Read the shown branch from the store and sync the rows (after an answer or a switch).

        ``answer`` is the answer just streamed, its document final: if the store
        kept the same text, the row keeps that document rather than a new one.
        """
        known, look = self._known_ids(), self._look()
        streamed = answer.content if answer is not None else None
        self._tasks.run(
            lambda: OpenedChat(session, read_branch(session, look, known=known, streamed=streamed)),
            self._on_main(self._synced, generation, answer),
            self._on_main(self._failed, generation),
        )

    def _resync(self) -> None:
        self._set_busy("updating")
        self._read_back(self._session, self._generation)

    def _known_ids(self) -> frozenset[str]:
        return frozenset(
            item.message_id
            for item in self.model.messages()
            if item.message_id is not None and (item.rendered or item.document)
        )

    def _opened(self, generation: int, opened: OpenedChat) -> None:
        """Show the end of the conversation now; older rows follow a batch per loop turn."""
        if generation != self._generation:
            return
        self._session = opened.session
        older, newest = opened.items[:-ROWS_PER_TURN], opened.items[-ROWS_PER_TURN:]
        self.model.append(newest)
        self.message_list.stick_to_bottom()
        self.message_list.warm_up()
        self._add_older(generation, older)

    def _add_older(self, generation: int, older: list[MessageItem]) -> None:
        """Prepend the next batch of older rows; when all are in, the conversation is open."""
        if generation != self._generation:
            return
        if older:
            self.model.prepend(older[-ROWS_PER_TURN:])
            rest = older[:-ROWS_PER_TURN]
            QTimer.singleShot(0, self, lambda: self._add_older(generation, rest))
            return
        self._set_busy(None)
        settle_long_lived_objects()  # a thousand messages: keep them out of full collections
        self._render_the_rest(generation)
        self.message_list.warm_up()
        self._take_pending_jump(may_switch_branch=True)

    def _synced(self, generation: int, answer: MessageItem | None, opened: OpenedChat) -> None:
        if generation != self._generation:
            return
        last = opened.items[-1] if opened.items else None
        if answer is not None and last is not None and _is_streamed(last, answer):
            # The store kept the text as streamed: the row keeps the document it was
            # streamed into (no second layout of the whole answer).
            last.document = answer.document
        active = self.message_list.active_row
        first_changed = self.model.sync(opened.items)
        # The action bar stays on its row (a version switch replaces that row's item).
        self.message_list.set_active_row(min(active, self.model.rowCount() - 1))
        # Lay out the new rows at the end now, so they appear at their real height at
        # once; rows above are estimated and built by the view's warm-up.
        count = self.model.rowCount()
        at_once = range(max(first_changed, count - LAY_OUT_AT_ONCE), count)
        for row in at_once:
            if self.model.message(row).rendered is not None:
                self.message_list.delegate.ensure_document(self.model.message(row))
        self.message_list.refresh_rows(at_once)
        self._set_busy(None)
        if opened.session.conversation_id is not None:
            self.conversation_changed.emit(opened.session.conversation_id)
        self._take_pending_jump(may_switch_branch=False)

    def _render_the_rest(self, generation: int) -> None:
        """Render, on a worker thread, the markdown of rows opened without it."""
        missing = [
            (item.message_id, item.content)
            for item in self.model.messages()
            if item.rendered is None and item.message_id is not None
        ]
        if not missing:
            return
        theme, tasks = self._code_theme(), self._tasks

        def deliver(batch: list[tuple[str, RenderedMarkdown]]) -> None:
            tasks.call_on_main_thread(lambda: self._on_main(self._rendered, generation)(batch))

        self._tasks.run(
            lambda: render_in_batches(
                missing, theme, deliver, lambda: generation != self._generation
            )
        )

    def _rendered(self, generation: int, batch: list[tuple[str, RenderedMarkdown]]) -> None:
        if generation != self._generation:
            return
        rows = {item.message_id: item for item in self.model.messages() if item.rendered is None}
        for message_id, rendered in batch:
            item = rows.get(message_id)
            if item is not None:
                item.rendered = rendered
        self.message_list.warm_up()

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_busy(None)
        self._pending_jump = None
        self.problem.emit(_message_for(error))

    # -- state -----------------------------------------------------------------------------------

    def _set_busy(self, busy: str | None) -> None:
        was_answering = self.answering
        self._busy = busy
        self.composer.set_answering(busy == "answering")
        if was_answering != self.answering:
            self.answering_changed.emit(self.answering)
        self.commands.offer(self.message_list.active_row)
        if busy is None and self._when_idle:
            waiting, self._when_idle = self._when_idle, []
            for action in waiting:
                action()

    def _leave_conversation(self) -> None:
        """Forget the conversation shown; an answer still being written there is stopped."""
        self._generation += 1
        if self._stream is not None:
            self._session.engine.cancel()
            self._stream = None  # its end now only announces the conversation changed
        if self._live is not None:
            self._live.close()
            self._live = None
        self._set_busy(None)
        self.composer.end_edit()
        self._edit_row = None
        self._pending_jump = None
        self.model.clear_rows()
        self.message_list.set_active_row(-1)

    def _take_pending_jump(self, *, may_switch_branch: bool) -> None:
        """Jump to the message asked for while the branch was being read."""
        if self._pending_jump is not None:
            message_id, self._pending_jump = self._pending_jump, None
            row = self.model.row_of(message_id)
            if row is not None:
                self._flash(row)
            elif may_switch_branch:
                self.jump_to_message(message_id)

    def _flash(self, row: int) -> None:
        item = self.model.message(row)
        index = self.model.row_index(row)
        self.message_list.scrollTo(index, self.message_list.ScrollHint.PositionAtCenter)
        self.message_list.setCurrentIndex(index)
        item.flash = True
        self.model.refresh(row)

        def unflash() -> None:
            item.flash = False
            found = self.model.row_of(item.message_id) if item.message_id else None
            if found is not None:
                self.model.refresh(found)

        QTimer.singleShot(FLASH_MS, self, unflash)

    def _on_main(self, method: Callable[..., None], *args: Any) -> Callable[[Any], None]:
        """A task's callback: ``method(*args, result)``, unless the panel was deleted meanwhile.

        (The TaskRunner checks bound methods itself; these carry arguments.)
        """

        def call(result: Any) -> None:
            if shiboken6.isValid(self):
                method(*args, result)

        return call

    def _look(self) -> ViewLook:
        """What worker threads need of the view (taken on the main thread)."""
        return ViewLook(self._code_theme(), self.message_list.delegate.text_metrics())

    def _code_theme(self) -> CodeTheme:
        """Code colours for the current palette (light or dark)."""
        window = self.palette().color(QPalette.ColorRole.Window)
        return CodeTheme.for_dark_background(window.lightness() < 128)


def _is_streamed(fresh: MessageItem, answer: MessageItem) -> bool:
    """Whether ``fresh`` (read back, left unrendered) is the answer just streamed."""
    return fresh.rendered is None and fresh.role == "assistant" and fresh.content == answer.content


def _switched(session: ChatSession, change: Callable[[], None], look: ViewLook) -> OpenedChat:
    """Worker thread: change the shown branch, then read it back."""
    change()
    return OpenedChat(session, read_branch(session, look))


def _message_for(error: BaseException) -> str:
    """What the user reads about an error: NextHub's own message, or a plain apology."""
    if isinstance(error, NextHubError):
        return str(error)
    logger.error("chat view: unexpected %s", type(error).__name__)  # never the message: content
    return (
        f"Something went wrong in NextHub ({type(error).__name__}). What was written so far "
        "is kept; you can go on."
    )
