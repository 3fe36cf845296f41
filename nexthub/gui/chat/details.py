"""The words the chat view shows about a message: who wrote it, and how it was made."""

from __future__ import annotations

from nexthub.store.records import Message, Role

#: The arrows around a version number (single angle quotation marks).
PREVIOUS_ARROW = "\u2039"
NEXT_ARROW = "\u203a"

_ENDINGS = {
    "length": "stopped at the length limit",
    "cancelled": "stopped by you",
    "error": "stopped by an error",
    "interrupted": "interrupted (NextHub was closed)",
}


def speaker(role: Role, record: Message | None = None) -> str:
    """The row's header: "You", "Assistant" (with its model, once known) or "System"."""
    if role == "user":
        return "You"
    if role == "system":
        return "System"
    return f"Assistant · {record.model}" if record is not None and record.model else "Assistant"


def version_label(version: int, versions: int) -> str:
    """A message's place among its versions, as its row shows it: "2/3" between arrows."""
    return f"{PREVIOUS_ARROW} {version}/{versions} {NEXT_ARROW}"


def describe(record: Message | None) -> str:
    """An answer's details: model, tokens, speed, time to first token, how it ended.

    Only what was measured is shown: an answer cut off by a crash has no
    timings, and a user's message has none of these.
    """
    if record is None:
        return "Not saved yet."
    facts = []
    if record.model:
        facts.append(f"Model: {record.model}")
    if record.prompt_tokens is not None or record.completion_tokens is not None:
        tokens = []
        if record.prompt_tokens is not None:
            tokens.append(f"{record.prompt_tokens} in the prompt")
        if record.completion_tokens is not None:
            tokens.append(f"{record.completion_tokens} in the answer")
        facts.append("Tokens: " + ", ".join(tokens))
    if record.decode_tokens_per_s:
        facts.append(f"Speed: {record.decode_tokens_per_s:.1f} tokens/s")
    if record.time_to_first_token_s:
        facts.append(f"First token after {record.time_to_first_token_s:.2f} s")
    ending = _ENDINGS.get(record.finish_reason or "")
    if ending:
        facts.append(ending.capitalize())
    if not record.complete:
        facts.append("Still being written")
    return " · ".join(facts) if facts else "No details were recorded for this message."
