"""The OpenAI response documents: completions, chunks, usage, embeddings, server-sent events."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from nexthub.engine import ChatFinished, Embeddings, Usage

#: The engine's finish reasons as OpenAI names them ("cancelled" reaches no reader but a
#: client that went away; "error" is sent as an error instead).
FINISH_REASONS = {"stop": "stop", "length": "length", "cancelled": "stop", "error": "stop"}


@dataclass(frozen=True)
class Completion:
    """What every document of one answer shares."""

    kind: str  # "chat.completion" or "text_completion"
    model: str
    id: str = field(default_factory=lambda: "")
    created: int = field(default_factory=lambda: int(time.time()))

    @classmethod
    def start(cls, kind: str, model: str) -> Completion:
        """A new answer's identity."""
        prefix = "chatcmpl" if kind == "chat.completion" else "cmpl"
        return cls(kind, model, f"{prefix}-{secrets.token_hex(12)}")

    @property
    def is_chat(self) -> bool:
        return self.kind == "chat.completion"

    def _head(self, object_name: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": object_name,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
        }

    def whole(self, finished: ChatFinished) -> dict[str, Any]:
        """The non-streamed answer."""
        reason = FINISH_REASONS[finished.finish_reason]
        choice: dict[str, Any] = {"index": 0, "finish_reason": reason, "logprobs": None}
        if self.is_chat:
            choice["message"] = {"role": "assistant", "content": finished.text, "refusal": None}
        else:
            choice["text"] = finished.text
        return {**self._head(self.kind), "choices": [choice], "usage": usage(finished.usage)}

    def chunk(
        self,
        *,
        text: str | None = None,
        role: bool = False,
        finish_reason: str | None = None,
        with_usage_field: bool = False,
    ) -> dict[str, Any]:
        """One streamed piece: text, the opening role, or the finish reason."""
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish_reason, "logprobs": None}
        if self.is_chat:
            delta: dict[str, Any] = {}
            if role:
                delta["role"] = "assistant"
            if text is not None:
                delta["content"] = text
            choice["delta"] = delta
            document = {**self._head("chat.completion.chunk"), "choices": [choice]}
        else:
            choice["text"] = text or ""
            document = {**self._head("text_completion"), "choices": [choice]}
        if with_usage_field:
            document["usage"] = None
        return document

    def usage_chunk(self, counts: Usage) -> dict[str, Any]:
        """The last chunk of a stream that asked for usage: no choices, the token counts."""
        name = "chat.completion.chunk" if self.is_chat else "text_completion"
        return {**self._head(name), "choices": [], "usage": usage(counts)}


def usage(counts: Usage) -> dict[str, Any]:
    """Token counts as OpenAI reports them."""
    return {
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": counts.completion_tokens,
        "total_tokens": counts.prompt_tokens + counts.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": counts.prompt_tokens_cached},
    }


def embeddings_document(model: str, result: Embeddings, encoding_format: str) -> dict[str, Any]:
    """The answer to POST /v1/embeddings; base64 is the vector's little-endian float32 bytes."""

    def encode(vector: tuple[float, ...]) -> list[float] | str:
        if encoding_format == "base64":
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return list(vector)

    data = [
        {"object": "embedding", "index": index, "embedding": encode(vector)}
        for index, vector in enumerate(result.vectors)
    ]
    tokens = result.prompt_tokens
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def sse_data(document: dict[str, Any]) -> bytes:
    """One server-sent event carrying a JSON document."""
    return b"data: " + json.dumps(document, separators=(",", ":")).encode() + b"\n\n"


#: The event that ends an OpenAI stream.
SSE_DONE = b"data: [DONE]\n\n"


def sse_comment(text: str) -> bytes:
    """A comment line: clients ignore it; it keeps the connection alive and informs people."""
    return b": " + text.encode() + b"\n\n"
