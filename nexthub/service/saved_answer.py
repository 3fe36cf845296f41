"""An answer's record in the store, kept in step with the engine's events."""

from __future__ import annotations

from nexthub.engine import ChatEvent, ChatFinished, TextDelta, Timings, Usage
from nexthub.store import ChatStore


class SavedAnswer:
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
        """Save what the event adds: the answer's start, its text, or its end."""
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
        final = self._final or abandoned("".join(self._text))
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


def abandoned(text: str) -> ChatFinished:
    """The final state of an answer whose reader stopped early."""
    return ChatFinished(
        finish_reason="cancelled",
        text=text,
        usage=Usage(prompt_tokens=0, prompt_tokens_evaluated=0, completion_tokens=0),
        timings=Timings(0.0, 0.0, 0.0, 0.0),
    )
