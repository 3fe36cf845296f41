"""One conversation as Markdown, for reading or sharing (not for importing back)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from nexthub.store.records import Conversation, Message


def to_markdown(conversation: Conversation, branch: Sequence[Message]) -> str:
    """One conversation's shown branch as Markdown: the title, then each message under
    **User** or **Assistant** (with the model that answered). The text goes in as it is:
    models answer in Markdown already."""
    title = " ".join(conversation.title.split()) or "Untitled conversation"
    lines = [f"# {title}", ""]
    started = conversation.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    about = f"Exported from NextHub. Started {started}"
    if conversation.model:
        about += f"; model: {conversation.model}"
    lines += [f"*{about}.*", ""]
    if conversation.system_prompt:
        lines += ["**System prompt**", "", conversation.system_prompt, ""]
    for message in branch:
        lines += [_markdown_heading(message), "", message.content, ""]
        if not message.complete:
            lines += ["*(unfinished answer)*", ""]
        elif message.finish_reason not in (None, "stop"):
            lines += [f"*(the answer stopped early: {message.finish_reason})*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _markdown_heading(message: Message) -> str:
    if message.role == "user":
        return "**User**"
    if message.role == "system":
        return "**System**"
    return f"**Assistant** ({message.model})" if message.model else "**Assistant**"
