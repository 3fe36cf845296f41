"""The local engine: runs GGUF models through llama.cpp in a worker process.

Public API::

    with Engine() as engine:
        engine.load(path, LoadSettings(context_size=4096), on_progress=print)
        for event in engine.chat([ChatMessage("user", "Hi")], SamplingSettings()):
            ...  # ContextTrimmed?, TextDelta*, then ChatFinished

Importing this package does not load llama.cpp; only the worker process does.
"""

from nexthub.engine.client import Engine
from nexthub.engine.errors import (
    ContextOverflowError,
    EngineError,
    GrammarError,
    ModelLoadError,
    NoModelLoadedError,
    WorkerCrashedError,
)
from nexthub.engine.json_grammar import json_object_grammar, json_schema_grammar
from nexthub.engine.types import (
    AUTO,
    ChatEvent,
    ChatFinished,
    ChatMessage,
    ContextTrimmed,
    DeviceInfo,
    Embeddings,
    HardwareReport,
    LoadSettings,
    ModelInfo,
    SamplingSettings,
    TextDelta,
    Timings,
    Usage,
)

__all__ = [
    "AUTO",
    "ChatEvent",
    "ChatFinished",
    "ChatMessage",
    "ContextOverflowError",
    "ContextTrimmed",
    "DeviceInfo",
    "Embeddings",
    "Engine",
    "EngineError",
    "GrammarError",
    "HardwareReport",
    "LoadSettings",
    "ModelInfo",
    "ModelLoadError",
    "NoModelLoadedError",
    "SamplingSettings",
    "TextDelta",
    "Timings",
    "Usage",
    "WorkerCrashedError",
    "json_object_grammar",
    "json_schema_grammar",
]
