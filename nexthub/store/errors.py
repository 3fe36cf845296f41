"""The errors of the chat database, each with a message for the user.

:class:`StoreError` is the root: a face can catch it and show the message.
The messages name the database file (not secret) and never hold chat text,
titles or the key. SQLite's own message is kept on ``__cause__`` for a
traceback under ``--debug``; it holds table and column names, never values.
"""

from __future__ import annotations

from pathlib import Path

from nexthub.errors import NextHubError


class StoreError(NextHubError):
    """The chat database could not be opened, read or written."""


class DatabaseUnreadableError(StoreError):
    """SQLCipher cannot decrypt the file: a wrong key, or a damaged file (it cannot tell)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The chat database {path} cannot be decrypted with this key, or the file is "
            "damaged. NextHub changed nothing on disk. If the key is right, restore the file "
            "(and any -wal file beside it) from a backup; `nexthub data wipe` starts again "
            "with an empty store."
        )


class DatabaseReadOnlyError(StoreError):
    """The file or its folder cannot be written (read-only disk, permissions)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"NextHub cannot write its chat database {path}: the file or its folder is "
            "read-only, or NextHub lacks permission. Make the folder writable, or set "
            "NEXTHUB_HOME to a writable folder."
        )


class DiskFullError(StoreError):
    """The disk is full; the change that needed the space was not saved."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The disk holding the chat database {path} is full, so the last change was not "
            "saved. Everything saved before is intact. Free some space and try again."
        )


class DatabaseBusyError(StoreError):
    """Another process held the database longer than the busy timeout."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The chat database {path} is in use by another program (another NextHub?) "
            "and stayed locked. Close the other program and try again."
        )


class DatabaseIOError(StoreError):
    """The operating system reported an error reading or writing the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"Reading or writing the chat database {path} failed with a disk error. "
            "Check the disk, then try again."
        )


class DatabaseTooNewError(StoreError):
    """The database has schema changes this version of NextHub does not know."""

    def __init__(self, path: Path, unknown: list[str]) -> None:
        self.path = path
        self.unknown = unknown
        super().__init__(
            f"The chat database {path} was upgraded by a newer version of NextHub "
            f"({', '.join(unknown)}). Update NextHub to open it; nothing was changed."
        )


class StoreClosedError(StoreError):
    """The store was used after :meth:`ChatStore.close`."""

    def __init__(self) -> None:
        super().__init__("The chat database is closed.")


class NotFoundError(StoreError):
    """A conversation or message does not exist (or was deleted)."""


class ConversationNotFoundError(NotFoundError):
    """No conversation has this id."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"There is no conversation with id {conversation_id}.")


class MessageNotFoundError(NotFoundError):
    """No message has this id."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(f"There is no message with id {message_id}.")


class AnswerNotStreamingError(StoreError):
    """Text was appended to, or a finish given for, an answer that is already complete."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(f"The answer {message_id} is already complete; it cannot grow.")
