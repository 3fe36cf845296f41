"""PLACEHOLDER being replaced by the chat-view work: the interface the window relies on.

ChatPanel(hub, tasks, parent=None) is a QWidget showing one conversation.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from nexthub.gui.tasks import TaskRunner
from nexthub.service.hub import Hub


class ChatPanel(QWidget):
    """One conversation: messages, composer, Stop/Regenerate (interface only for now)."""

    #: A conversation was created or changed (new message, title): its id.
    conversation_changed = Signal(str)
    #: A message for the user's eyes (an error the window shows in its banner).
    problem = Signal(str)

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks

    def show_conversation(self, conversation_id: str | None) -> None:
        """Show a saved conversation, or (None) a new empty chat."""

    def jump_to_message(self, message_id: str) -> None:
        """Scroll to a message of the shown conversation and flash it (search hits)."""

    def stop(self) -> None:
        """Stop the answer being written, keeping its text (Esc)."""

    def focus_composer(self) -> None:
        """Put the cursor in the message box."""

    def model_changed(self) -> None:
        """The hub loaded another model: later answers come from it."""
