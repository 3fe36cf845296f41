"""Errors the engine raises, each with a message for the user."""

from nexthub.errors import NextHubError


class EngineError(NextHubError):
    """Something went wrong running a model."""


class ModelLoadError(EngineError):
    """The model could not be loaded (bad file, too little memory, cancelled)."""


class NoModelLoadedError(EngineError):
    """A chat was asked for before any model was loaded."""


class WorkerCrashedError(EngineError):
    """The worker process died; the next request starts a fresh one."""


class ContextOverflowError(EngineError):
    """Even the newest message alone does not fit in the model's context window."""


class GrammarError(EngineError):
    """A grammar or JSON schema that llama.cpp or the converter refused."""
