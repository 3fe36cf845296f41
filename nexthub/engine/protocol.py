"""Messages between the app and the engine's worker process.

Commands go down the pipe, events come back. Every command but Cancel gets
exactly one final reply (``Loaded``, ``ChatFinished``, ``Embeddings``,
``Done``, ``HardwareReport`` or ``Failed``); a chat sends its streaming events before
its ChatFinished. Commands carry a request id so a late Cancel for an answer
that has already finished is recognised and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexthub.engine.types import ChatMessage, LoadSettings, ModelInfo, SamplingSettings


@dataclass(frozen=True)
class LoadCommand:
    """Load a model (unloading any other first)."""

    request_id: int
    path: str
    settings: LoadSettings


@dataclass(frozen=True)
class ChatCommand:
    """Answer a conversation with the loaded model."""

    request_id: int
    messages: tuple[ChatMessage, ...]
    sampling: SamplingSettings


@dataclass(frozen=True)
class CompleteCommand:
    """Continue raw prompt text with the loaded model (no chat template)."""

    request_id: int
    prompt: str
    sampling: SamplingSettings


@dataclass(frozen=True)
class EmbedCommand:
    """Embed texts with the loaded model (one vector each)."""

    request_id: int
    texts: tuple[str, ...]


@dataclass(frozen=True)
class CancelCommand:
    """Stop the answer or load with this request id, keeping what was produced."""

    request_id: int


@dataclass(frozen=True)
class UnloadCommand:
    """Free the model's memory."""

    request_id: int


@dataclass(frozen=True)
class ProbeCommand:
    """Report what llama.cpp sees of the hardware."""

    request_id: int


Command = (
    LoadCommand
    | ChatCommand
    | CompleteCommand
    | EmbedCommand
    | CancelCommand
    | UnloadCommand
    | ProbeCommand
)


@dataclass(frozen=True)
class Loaded:
    """The reply to a successful LoadCommand."""

    info: ModelInfo


@dataclass(frozen=True)
class Done:
    """The reply to a command with nothing else to say."""


@dataclass(frozen=True)
class Failed:
    """The command failed; ``message`` is for the user, ``kind`` names the error class."""

    kind: str
    message: str
