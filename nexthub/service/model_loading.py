"""Loading a model the way a face does it: which one, with progress, cancellable at any moment.

A window loads the default model in the background when it opens, shows the
progress, and offers Cancel. Two things make that more than one call to
:meth:`Hub.load_model`:

- a Cancel can come before the load has reached the worker (the worker is
  still starting), when :meth:`Engine.cancel` has nothing to stop yet. A
  :class:`ModelLoad` remembers the request and sends it again with the first
  progress report, so the load stops as soon as it begins;
- a cancelled load must be told apart from a failed one: the first is the
  user's wish (nothing to report), the second an error to show. The engine
  answers both with ``ModelLoadError``; here a cancelled one becomes
  :class:`LoadCancelledError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nexthub.engine import ModelLoadError
from nexthub.errors import NextHubError
from nexthub.models import InstalledModel
from nexthub.service.hub import Hub
from nexthub.service.models import LoadedModel

__all__ = ["InstalledModel", "LoadCancelledError", "ModelLoad", "default_model"]


class LoadCancelledError(NextHubError):
    """The user cancelled the load; no model is loaded."""

    def __init__(self) -> None:
        super().__init__("Loading the model was cancelled.")


def default_model(hub: Hub) -> InstalledModel | None:
    """The model a new chat uses: the one chosen in Settings, else the starter, else the first.

    None when no model is installed. A chosen model that was removed raises
    the registry's ``ModelNotFoundError`` (naming the models that are there).
    """
    registry = hub.models.registry
    chosen = hub.settings.default_model
    if chosen:
        return registry.get(chosen)
    installed = registry.list()
    return installed[0] if installed else None


class ModelLoad:
    """One load of one installed model; :meth:`cancel` may come from any thread, at any time."""

    def __init__(self, hub: Hub, model: InstalledModel) -> None:
        self._hub = hub
        self._model = model
        self._cancelled = threading.Event()

    @property
    def model(self) -> InstalledModel:
        """The model being loaded."""
        return self._model

    @property
    def cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop the load (from any thread): :meth:`run` then raises LoadCancelledError."""
        self._cancelled.set()
        self._hub.engine.cancel()

    def run(self, on_progress: Callable[[float], None] | None = None) -> LoadedModel:
        """Load the model, blocking; ``on_progress`` gets 0..1 on this (the loading) thread.

        A load that completes although Cancel came too late for the worker to
        notice is kept: the model is loaded, and saying otherwise would be false.
        """
        if self._cancelled.is_set():
            raise LoadCancelledError

        def progress(fraction: float) -> None:
            if self._cancelled.is_set():
                self._hub.engine.cancel()  # the first cancel may have come before the request
            elif on_progress is not None:
                on_progress(fraction)

        try:
            return self._hub.load_model(self._model.id, progress)
        except ModelLoadError:
            if self._cancelled.is_set():
                raise LoadCancelledError from None
            raise
