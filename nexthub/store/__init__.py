"""The encrypted chat store: one SQLCipher database and the key that opens it."""

# -- the database (chat_store.py and its modules) -----------------------------------------------
from nexthub.store.chat_store import KEEP, ChatStore
from nexthub.store.errors import (
    AnswerNotStreamingError,
    ConversationNotFoundError,
    DatabaseBusyError,
    DatabaseIOError,
    DatabaseReadOnlyError,
    DatabaseTooNewError,
    DatabaseUnreadableError,
    DiskFullError,
    MessageNotFoundError,
    NotFoundError,
    StoreClosedError,
    StoreError,
)
from nexthub.store.export_errors import (
    ExportPassphraseError,
    ExportTooNewError,
    ImportConflictError,
    InvalidExportError,
)
from nexthub.store.portable import ConversationDump, RestoreReport
from nexthub.store.records import Conversation, FinishReason, Message, Role, SearchHit

__all__ = [
    "KEEP",
    "AnswerNotStreamingError",
    "ChatStore",
    "Conversation",
    "ConversationDump",
    "ConversationNotFoundError",
    "DatabaseBusyError",
    "DatabaseIOError",
    "DatabaseReadOnlyError",
    "DatabaseTooNewError",
    "DatabaseUnreadableError",
    "DiskFullError",
    "ExportPassphraseError",
    "ExportTooNewError",
    "FinishReason",
    "ImportConflictError",
    "InvalidExportError",
    "Message",
    "MessageNotFoundError",
    "NotFoundError",
    "RestoreReport",
    "Role",
    "SearchHit",
    "StoreClosedError",
    "StoreError",
]
