"""Exporting chats to a file: what ``nexthub data export`` and the Privacy page both do.

All conversations go out as the versioned JSON of ``store/portable.py``
(docs/EXPORT_FORMAT.md), optionally sealed with a passphrase
(``store/export_envelope.py``); one conversation may instead go out as
Markdown, for reading, which is never encrypted. The file is written
owner-only and atomically, so a half-written export never sits under its name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from nexthub.errors import NextHubError
from nexthub.service.display import plural
from nexthub.store import ChatStore
from nexthub.store.export_envelope import encrypt
from nexthub.store.export_markdown import to_markdown
from nexthub.store.key_files import write_private
from nexthub.store.portable import ConversationDump, to_json
from nexthub.telemetry import Telemetry

ExportFormat = Literal["json", "md"]

#: Said after every export that is not encrypted.
NOT_ENCRYPTED_WARNING = (
    "The export is not encrypted: anyone who can read it can read these chats. Keep it safe, "
    "or encrypt the export with a passphrase."
)


@dataclass(frozen=True)
class Export:
    """An export's bytes and what is in it, to tell the user."""

    data: bytes
    conversations: int
    messages: int
    encrypted: bool
    markdown: bool = False

    @property
    def description(self) -> str:
        """``"3 conversations (41 messages)"``."""
        return f"{plural(self.conversations, 'conversation')} ({plural(self.messages, 'message')})"


def export_chats(
    store: ChatStore | None,
    *,
    conversation_id: str | None = None,
    export_format: ExportFormat = "json",
    telemetry: Telemetry | None = None,
) -> Export:
    """All conversations (or one) as JSON, or one conversation as Markdown.

    ``store`` None (no chats yet) gives an empty JSON export. Seal a JSON export
    with :func:`seal_export`. ``telemetry`` counts the export (nothing of its content).
    """
    if telemetry is not None:
        telemetry.count("feature.export")
    if export_format == "md":
        if conversation_id is None:
            raise NextHubError("A Markdown export is of one conversation: choose one.")
        if store is None:
            raise NextHubError("There are no chats to export yet.")
        conversation = store.get_conversation(conversation_id)
        branch = store.current_branch(conversation.id)
        markdown = to_markdown(conversation, branch)
        return Export(markdown.encode("utf-8"), 1, len(branch), encrypted=False, markdown=True)
    dumps: list[ConversationDump] = []
    if store is not None:
        dumps = store.export_conversations(None if conversation_id is None else [conversation_id])
    messages = sum(len(dump.messages) for dump in dumps)
    return Export(to_json(dumps), len(dumps), messages, encrypted=False)


def seal_export(export: Export, passphrase: str) -> Export:
    """The JSON export encrypted with ``passphrase`` (a Markdown export is for reading only)."""
    if export.markdown:
        raise NextHubError("A Markdown export cannot be encrypted: export JSON to encrypt it.")
    return replace(export, data=encrypt(export.data, passphrase), encrypted=True)


def write_export(target: Path, export: Export) -> Path:
    """Write the export to ``target`` (replacing it), readable only by the user."""
    target = target.expanduser()
    try:
        write_private(target, export.data, replace=True)
    except OSError as exc:
        raise NextHubError(
            f"NextHub could not write {target}: {exc.strerror or type(exc).__name__}. "
            "Nothing was exported."
        ) from exc
    return target
