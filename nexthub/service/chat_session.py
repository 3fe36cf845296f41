"""One conversation between a user and a loaded model, saved as it streams.

The engine sees a list of messages; the store keeps a tree of them (so
regenerate and edit keep earlier versions). A ChatSession keeps the two in
step, so a face (the terminal today; the desktop app and the web GUI next)
only sends text and reads events:

- the user's message is saved before the model sees it;
- the answer is saved as it grows (the store commits streamed text at least
  every 0.1 s), so a crash loses at most a fraction of a second of it;
- a cancelled, failed or abandoned answer is kept with the text it reached;
- without a store (``--no-save``) the same conversation lives only in memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from nexthub.engine import (
    ChatEvent,
    ChatFinished,
    ChatMessage,
    Engine,
    SamplingSettings,
    TextDelta,
    Timings,
    Usage,
)
from nexthub.store import ChatStore
from nexthub.store.records import JsonValue

#: Longest title taken from the first message.
TITLE_LENGTH = 60


class ChatSession:
    """A conversation: its history for the engine and, with a store, its saved record."""

    def __init__(
        self,
        engine: Engine,
        store: ChatStore | None,
        *,
        model_name: str,
        sampling: SamplingSettings,
        system_prompt: str = "",
    ) -> None:
        self._engine = engine
        self._store = store
        self._model_name = model_name
        self._sampling = sampling
        self._system_prompt = system_prompt
        self._history: list[ChatMessage] = []
        self._conversation_id: str | None = None
        self._leaf_id: str | None = None

    @property
    def engine(self) -> Engine:
        """The engine answering (a face cancels an answer through it)."""
        return self._engine

    @property
    def conversation_id(self) -> str | None:
        """The saved conversation's id, once the first message was sent (None without a store)."""
        return self._conversation_id

    @property
    def history(self) -> list[ChatMessage]:
        """The messages so far, as the model sees them (without the system prompt)."""
        return list(self._history)

    def new_conversation(self) -> None:
        """Start over; the next message opens a new saved conversation."""
        self._history.clear()
        self._conversation_id = None
        self._leaf_id = None

    def send(self, text: str) -> Iterator[ChatEvent]:
        """Send a user message and stream the answer; the last event is a ChatFinished."""
        self._save_user_message(text)
        self._history.append(ChatMessage("user", text))
        prompt = [ChatMessage("system", self._system_prompt)] if self._system_prompt else []
        prompt += self._history
        answer = _SavedAnswer(self._store, self._conversation_id, self._leaf_id, self._model_name)
        try:
            for event in self._engine.chat(prompt, self._sampling):
                answer.record(event)
                yield event
        finally:
            final = answer.close()
        if final.text:
            self._history.append(ChatMessage("assistant", final.text))
            self._leaf_id = answer.message_id or self._leaf_id

    def _save_user_message(self, text: str) -> None:
        if self._store is None:
            return
        if self._conversation_id is None:
            conversation = self._store.create_conversation(
                _title_from(text),
                model=self._model_name,
                system_prompt=self._system_prompt,
                sampling=_jsonable(self._sampling),
            )
            self._conversation_id = conversation.id
        message = self._store.add_message(
            self._conversation_id, "user", text, parent_id=self._leaf_id
        )
        self._leaf_id = message.id


class _SavedAnswer:
    """The answer's record in the store, opened at the engine's first event.

    Opening it lazily means a request the engine refuses outright (no model, a
    message too long for the context) leaves no empty answer behind.
    """

    def __init__(
        self,
        store: ChatStore | None,
        conversation_id: str | None,
        parent_id: str | None,
        model: str,
    ) -> None:
        self._store = store
        self._conversation_id = conversation_id
        self._parent_id = parent_id
        self._model = model
        self._text: list[str] = []
        self._final: ChatFinished | None = None
        self.message_id: str | None = None

    def record(self, event: ChatEvent) -> None:
        if self._store is not None and self.message_id is None and self._conversation_id:
            self.message_id = self._store.start_answer(
                self._conversation_id, self._parent_id, self._model
            )
        if isinstance(event, TextDelta):
            self._text.append(event.text)
            if self._store is not None and self.message_id is not None:
                self._store.append_to_answer(self.message_id, event.text)
        elif isinstance(event, ChatFinished):
            self._final = event

    def close(self) -> ChatFinished:
        """Finish the saved answer: with the engine's final event, or as cancelled."""
        final = self._final or _abandoned("".join(self._text))
        if self._store is not None and self.message_id is not None:
            self._store.finish_answer(
                self.message_id,
                final.finish_reason,
                text=final.text,
                prompt_tokens=final.usage.prompt_tokens or None,
                completion_tokens=final.usage.completion_tokens or None,
                time_to_first_token_s=final.timings.time_to_first_token_s or None,
                prompt_tokens_per_s=final.timings.prompt_tokens_per_s or None,
                decode_tokens_per_s=final.timings.decode_tokens_per_s or None,
            )
        return final


def _abandoned(text: str) -> ChatFinished:
    """The final state of an answer whose reader stopped early."""
    return ChatFinished(
        finish_reason="cancelled",
        text=text,
        usage=Usage(prompt_tokens=0, prompt_tokens_evaluated=0, completion_tokens=0),
        timings=Timings(0.0, 0.0, 0.0, 0.0),
    )


def _title_from(text: str) -> str:
    """A conversation's first title: the first line of its first message, shortened."""
    line = text.strip().splitlines()[0] if text.strip() else "New chat"
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def _jsonable(sampling: SamplingSettings) -> dict[str, JsonValue]:
    """The sampling settings as the store keeps them (JSON)."""
    values: dict[str, JsonValue] = {
        field.name: getattr(sampling, field.name) for field in dataclasses.fields(sampling)
    }
    values["stop"] = list(sampling.stop)
    return values
