"""ChatStore: the one way into the encrypted chat database.

Open it with the 32-byte key from ``keys.py``; it applies pending migrations,
then every method is one transaction (writes) or one consistent read, safe
to call from any thread (see database.py for why one shared connection).
What it returns are frozen dataclasses (records.py).

Deleting is final: a deleted conversation or message leaves the tables, the
full-text index, the free pages and the WAL before the call returns
(erasure.py, and docs/STORE.md for how the tests prove it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from sqlite_utils import Database

from nexthub.store import conversations, messages
from nexthub.store.database import BUSY_TIMEOUT_S, EncryptedDatabase
from nexthub.store.erasure import erasing_messages
from nexthub.store.errors import (
    AnswerNotStreamingError,
    DatabaseUnreadableError,
    NotFoundError,
    StoreClosedError,
)
from nexthub.store.export_errors import ImportConflictError
from nexthub.store.migrations import apply_migrations
from nexthub.store.portable import (
    ConversationDump,
    RestoreReport,
    check_dumps,
    conversation_row,
    message_row,
)
from nexthub.store.records import (
    FINISH_REASONS,
    ROLES,
    Conversation,
    FinishReason,
    JsonValue,
    Message,
    Role,
    SearchHit,
)
from nexthub.store.search import search
from nexthub.store.streaming import FLUSH_INTERVAL_S, AnswerStreams
from nexthub.store.usage import UsageLog


class _Keep(enum.Enum):
    KEEP = "keep"


#: "Leave this setting as it is" for :meth:`ChatStore.update_settings`.
KEEP: Final = _Keep.KEEP


class ChatStore:
    """Conversations, their branching messages, streaming answers and search."""

    def __init__(self, database: EncryptedDatabase, *, flush_interval_s: float) -> None:
        """Wrap an open, migrated database; use :meth:`open`."""
        self._db = database
        self._streams = AnswerStreams(self._commit_stream, flush_interval_s)
        #: The localhost API's usage log (metadata only), in the same encrypted file.
        self.usage = UsageLog(database)

    @classmethod
    def open(
        cls,
        path: Path,
        key: bytes,
        *,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> ChatStore:
        """Open (or create) the store at ``path`` and bring its schema up to date.

        Raises :class:`~nexthub.store.errors.DatabaseUnreadableError` for a
        wrong key or a damaged file, having changed nothing on disk.
        """
        database = EncryptedDatabase.open(path, key, busy_timeout_s=busy_timeout_s)
        try:
            apply_migrations(database)
        except BaseException:
            database.close(optimize=False)
            raise
        return cls(database, flush_interval_s=flush_interval_s)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._db.path

    def close(self) -> None:
        """Commit streamed text still pending, and close the database (idempotent)."""
        self._streams.close()
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- conversations ----------------------------------------------------------------------

    def create_conversation(
        self,
        title: str = "",
        *,
        model: str | None = None,
        system_prompt: str = "",
        sampling: Mapping[str, JsonValue] | None = None,
    ) -> Conversation:
        """Start a new, empty conversation."""
        with self._db.write() as db:
            return conversations.create(
                db, title=title, model=model, system_prompt=system_prompt, sampling=sampling or {}
            )

    def get_conversation(self, conversation_id: str) -> Conversation:
        """The conversation with this id (:class:`ConversationNotFoundError` if none)."""
        with self._db.read() as db:
            return conversations.get(db, conversation_id)

    def list_conversations(
        self, *, limit: int = 50, offset: int = 0, archived: bool | None = False
    ) -> list[Conversation]:
        """A page of conversations, pinned first, then newest first.

        ``archived``: False (the default) lists the others, True only the
        archived ones, None all of them.
        """
        with self._db.read() as db:
            return conversations.list_page(db, limit=limit, offset=offset, archived=archived)

    def count_conversations(self, *, archived: bool | None = False) -> int:
        """How many conversations :meth:`list_conversations` pages through."""
        with self._db.read() as db:
            return conversations.count(db, archived=archived)

    def _update_conversation(self, conversation_id: str, fields: Mapping[str, Any]) -> Conversation:
        with self._db.write() as db:
            conversations.update(db, conversation_id, fields)
            return conversations.get(db, conversation_id)

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        """Give the conversation a new title (the old one leaves the search index)."""
        return self._update_conversation(conversation_id, {"title": title})

    def set_pinned(self, conversation_id: str, pinned: bool) -> Conversation:
        """Pin the conversation to the top of the list, or unpin it."""
        return self._update_conversation(conversation_id, {"pinned": int(pinned)})

    def set_archived(self, conversation_id: str, archived: bool) -> Conversation:
        """Archive the conversation (hidden from the default list), or bring it back."""
        return self._update_conversation(conversation_id, {"archived": int(archived)})

    def update_settings(
        self,
        conversation_id: str,
        *,
        model: str | _Keep | None = KEEP,
        system_prompt: str | _Keep = KEEP,
        sampling: Mapping[str, JsonValue] | _Keep = KEEP,
    ) -> Conversation:
        """Change the model, system prompt or sampling settings; :data:`KEEP` leaves one as is."""
        fields: dict[str, Any] = {}
        if not isinstance(model, _Keep):
            fields["model"] = model
        if not isinstance(system_prompt, _Keep):
            fields["system_prompt"] = system_prompt
        if not isinstance(sampling, _Keep):
            fields["sampling"] = conversations.encode_sampling(sampling)
        return self._update_conversation(conversation_id, fields)

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete the conversation and all its messages, for good (see erasure.py)."""
        with self._db.write() as db:
            conversations.require(db, conversation_id)
            indexed = messages.count_indexed_in_conversation(db, conversation_id)
            with erasing_messages(db, indexed):
                conversations.delete(db, conversation_id)
        self._db.checkpoint()

    # -- messages ---------------------------------------------------------------------------

    def _add(
        self,
        conversation_id: str,
        role: Role,
        content: str,
        *,
        parent_id: str | None,
        model: str | None,
        complete: bool,
    ) -> Message:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        with self._db.write() as db:
            conversations.require(db, conversation_id)
            if parent_id is not None and messages.conversation_of(db, parent_id) != conversation_id:
                raise ValueError("the parent message belongs to another conversation")
            message = messages.insert(
                db,
                conversation_id=conversation_id,
                parent_id=parent_id,
                role=role,
                content=content,
                model=model,
                complete=complete,
            )
            conversations.update(db, conversation_id, {"active_leaf_id": message.id})
            return message

    def add_message(
        self,
        conversation_id: str,
        role: Role,
        content: str,
        *,
        parent_id: str | None,
        model: str | None = None,
    ) -> Message:
        """Add a complete message under ``parent_id`` (None: a first message) and show it.

        To edit a prompt, add the new version under the old one's parent: the
        old one stays, as a sibling.
        """
        return self._add(
            conversation_id, role, content, parent_id=parent_id, model=model, complete=True
        )

    def get_message(self, message_id: str) -> Message:
        """The message with this id, as committed (:class:`MessageNotFoundError` if none)."""
        with self._db.read() as db:
            return messages.get(db, message_id)

    def current_branch(self, conversation_id: str) -> list[Message]:
        """The messages shown: from the first one down to the active leaf."""
        with self._db.read() as db:
            leaf = _shown_leaf(db, conversation_id)
            return [] if leaf is None else messages.branch(db, leaf)

    def current_branch_versions(self, conversation_id: str) -> list[tuple[Message, int, int]]:
        """:meth:`current_branch`, each message with its version (1-based) and version count."""
        with self._db.read() as db:
            leaf = _shown_leaf(db, conversation_id)
            return [] if leaf is None else messages.branch_versions(db, leaf)

    def siblings(self, message_id: str) -> list[Message]:
        """The versions of a message (itself included), oldest first, to flip between."""
        with self._db.read() as db:
            return messages.siblings(db, messages.get(db, message_id))

    def all_messages(self, conversation_id: str) -> list[Message]:
        """Every message of the conversation, all branches, in the order they were added."""
        with self._db.read() as db:
            conversations.require(db, conversation_id)
            return messages.all_in_conversation(db, conversation_id)

    def set_active_leaf(self, message_id: str) -> Message:
        """Show the branch through ``message_id``, down its newest children; return its leaf."""
        with self._db.write() as db:
            message = messages.get(db, message_id)
            leaf = messages.newest_leaf_under(db, message_id)
            conversations.update(db, message.conversation_id, {"active_leaf_id": leaf}, touch=False)
            return messages.get(db, leaf)

    def delete_message(self, message_id: str) -> None:
        """Delete a message and everything after it on every branch, for good.

        If the branch shown ran through it, the newest remaining sibling's
        branch is shown instead (or the parent, when it had no siblings).
        """
        with self._db.write() as db:
            message = messages.get(db, message_id)
            shown = conversations.get(db, message.conversation_id).active_leaf_id
            ids = messages.subtree(db, message_id)
            with erasing_messages(db, messages.count_indexed(db, ids)):
                messages.delete_many(db, ids)
            fields: dict[str, Any] = {}
            if shown is None or shown in ids:
                remaining = messages.siblings(db, message)
                if remaining:
                    fields["active_leaf_id"] = messages.newest_leaf_under(db, remaining[-1].id)
                else:
                    fields["active_leaf_id"] = message.parent_id
            conversations.update(db, message.conversation_id, fields)
        self._db.checkpoint()

    # -- streaming answers ------------------------------------------------------------------

    def start_answer(self, conversation_id: str, parent_id: str | None, model: str | None) -> str:
        """Add an empty, incomplete assistant message under ``parent_id``; return its id.

        To regenerate, start a new answer under the same parent: the earlier
        answers stay, as siblings.
        """
        message = self._add(
            conversation_id, "assistant", "", parent_id=parent_id, model=model, complete=False
        )
        self._streams.open(message.id)
        return message.id

    def append_to_answer(self, message_id: str, text_delta: str) -> None:
        """Add text to a streaming answer. Cheap: it is committed in the background.

        Raises the error of a background commit that failed (a full disk, say)
        once, without taking ``text_delta``.
        """
        if self._db.closed:
            raise StoreClosedError
        if self._streams.append(message_id, text_delta):
            return
        # Not started by this store (an earlier run's answer): take it over.
        message = self.get_message(message_id)
        if message.complete:
            raise AnswerNotStreamingError(message_id)
        self._streams.open(message_id)
        self._streams.append(message_id, text_delta)

    def flush_answers(self) -> None:
        """Commit all streamed text now, rather than within the flush interval."""
        self._streams.flush()

    def finish_answer(
        self,
        message_id: str,
        finish_reason: FinishReason,
        *,
        text: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        time_to_first_token_s: float | None = None,
        prompt_tokens_per_s: float | None = None,
        decode_tokens_per_s: float | None = None,
    ) -> Message:
        """Mark the answer complete, with its usage and timings; it joins the search index.

        ``text``, if given, replaces the streamed text (the engine's final text).
        Also closes an answer an earlier run left unfinished (use "interrupted").
        """
        if finish_reason not in FINISH_REASONS:
            raise ValueError(f"finish_reason must be one of {FINISH_REASONS}")
        with self._streams.flush_lock:
            pending = self._streams.take(message_id)
            try:
                with self._db.write() as db:
                    message = messages.finish(
                        db,
                        message_id,
                        text=text,
                        pending=pending or "",
                        finish_reason=finish_reason,
                        usage=(
                            prompt_tokens,
                            completion_tokens,
                            time_to_first_token_s,
                            prompt_tokens_per_s,
                            decode_tokens_per_s,
                        ),
                    )
                    conversations.update(db, message.conversation_id, {})
                    return message
            except (NotFoundError, AnswerNotStreamingError):
                raise
            except BaseException:
                if pending is not None:
                    self._streams.restore(message_id, pending)
                raise

    def unfinished_answers(self) -> list[Message]:
        """Answers left incomplete by an earlier run (a crash): finish them as "interrupted"."""
        with self._db.read() as db:
            found = messages.unfinished(db)
        return [message for message in found if message.id not in self._streams]

    def _commit_stream(self, message_id: str, text: str) -> bool:
        with self._db.write() as db:
            return messages.append_text(db, message_id, text)

    # -- export and import (portable.py: the file format) -----------------------------------

    def export_conversations(
        self, conversation_ids: Sequence[str] | None = None
    ) -> list[ConversationDump]:
        """Conversations with every message on every branch, as one consistent snapshot.

        ``conversation_ids``: those, in that order (ConversationNotFoundError
        for one that is not there); None: all of them, archived ones too,
        oldest first. Streamed text still pending is committed first.
        """
        self._streams.flush()
        with self._db.read() as db:
            # One read transaction: another process's commit cannot land half way.
            db.execute("BEGIN")
            try:
                found = (
                    conversations.all_in_order(db)
                    if conversation_ids is None
                    else [conversations.get(db, cid) for cid in conversation_ids]
                )
                return [
                    ConversationDump(c, tuple(messages.all_in_conversation(db, c.id)))
                    for c in found
                ]
            finally:
                if db.conn.in_transaction:
                    db.execute("ROLLBACK")  # it only read: nothing to keep

    def restore_conversations(
        self, dumps: Sequence[ConversationDump], *, replace: bool = False
    ) -> RestoreReport:
        """Put exported conversations back, with their own ids, timestamps and branches.

        All of it in one transaction: any problem (a tree that does not hold
        together, a message id another conversation here already uses) raises
        and restores nothing. A conversation whose id is already here is
        skipped, or with ``replace`` deleted for good (as
        :meth:`delete_conversation` does) and restored from ``dumps``.
        """
        check_dumps(dumps)
        with self._db.write() as db:
            present = conversations.existing(db, [d.conversation.id for d in dumps])
            if replace and present:
                indexed = sum(messages.count_indexed_in_conversation(db, c) for c in present)
                with erasing_messages(db, indexed):
                    for conversation_id in present:
                        conversations.delete(db, conversation_id)
            chosen = [d for d in dumps if replace or d.conversation.id not in present]
            taken = messages.existing(db, [m.id for d in chosen for m in d.messages])
            if taken:
                raise ImportConflictError(
                    f"{len(taken)} message(s) in the export have the id of a message of another "
                    f"conversation here (for example {sorted(taken)[0]}). Nothing was imported."
                )
            for dump in chosen:
                conversation = dump.conversation
                conversations.restore(db, conversation_row(conversation))
                messages.restore(db, [message_row(m) for m in dump.messages])
                if conversation.active_leaf_id is not None:
                    conversations.update(
                        db,
                        conversation.id,
                        {"active_leaf_id": conversation.active_leaf_id},
                        touch=False,
                    )
        if replace and present:
            self._db.checkpoint()
        ids = [d.conversation.id for d in dumps]
        return RestoreReport(
            imported=tuple(i for i in ids if i not in present),
            replaced=tuple(i for i in ids if replace and i in present),
            skipped=tuple(i for i in ids if not replace and i in present),
            messages=sum(len(d.messages) for d in chosen),
        )

    # -- search and upkeep ------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        markers: tuple[str, str] = ("[", "]"),
        include_archived: bool = True,
    ) -> list[SearchHit]:
        """Find ``text`` in titles and messages; each match is put between ``markers``."""
        with self._db.read() as db:
            return search(db, text, limit=limit, markers=markers, include_archived=include_archived)

    def check_integrity(self) -> None:
        """Read and authenticate every page; raise :class:`DatabaseUnreadableError` if damaged."""
        with self._db.read() as db:
            failures = db.execute("PRAGMA cipher_integrity_check").fetchall()
            quick = db.execute("PRAGMA quick_check").fetchall()
        if failures or quick != [("ok",)]:
            raise DatabaseUnreadableError(self.path)


def _shown_leaf(db: Database, conversation_id: str) -> str | None:
    """The last message of the branch shown: the active leaf, else the newest leaf."""
    leaf = conversations.active_leaf(db, conversation_id)
    return leaf if leaf is not None else messages.newest_leaf(db, conversation_id)
