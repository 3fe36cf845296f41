"""Loads the default (or a chosen) model in the background and reports how it goes.

The window shows the progress in its status bar, with Cancel, and never
waits: the load runs on a :class:`~nexthub.gui.tasks.TaskRunner` thread, and
progress reports hop to the main thread. Cancelling and telling a cancel
from a failure are the service's job (:mod:`nexthub.service.model_loading`);
this object only turns outcomes into signals.

A load replaces the model an answer may be coming from, so the window gives
the loader a ``before_load`` step: the chat view stops its answer (keeping what
was written) and the load starts once that is saved.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from nexthub.gui.errors import describe
from nexthub.gui.tasks import TaskRunner
from nexthub.service.hub import Hub
from nexthub.service.model_loading import (
    InstalledModel,
    LoadCancelledError,
    ModelLoad,
    default_model,
)
from nexthub.service.models import LoadedModel


class ModelLoader(QObject):
    """Starts loads, forwards progress, and says how each one ended."""

    #: A load began: the model's display name.
    started = Signal(str)
    #: Load progress, 0..1.
    progress = Signal(float)
    #: The model is loaded and answers from now on: its display name.
    loaded = Signal(str)
    #: The user cancelled the load; no model is loaded.
    cancelled = Signal()
    #: The load failed: a message for the user.
    failed = Signal(str)
    #: There is no model to load: none is installed.
    no_model = Signal()

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        parent: QObject | None = None,
        *,
        before_load: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._current: ModelLoad | None = None
        #: Runs its argument when the engine may take another model (see the module docstring).
        self._before_load = before_load or _at_once

    def is_loading(self) -> bool:
        """Whether a load is under way (or being looked up)."""
        return self._current is not None

    def load_default(self) -> None:
        """Load the model Settings name as the default (else the starter, else the first)."""
        hub = self._hub
        self._before_load(lambda: self._look_up(lambda: default_model(hub)))

    def load(self, model_id: str) -> None:
        """Load an installed model by id (the model manager's "Use this model")."""
        hub = self._hub
        self._before_load(lambda: self._look_up(lambda: hub.models.registry.get(model_id)))

    def cancel(self) -> None:
        """Stop the load under way (no-op when there is none)."""
        if self._current is not None:
            self._current.cancel()

    def _look_up(self, find: Callable[[], InstalledModel | None]) -> None:
        """Find the model on a worker thread (the registry reads the disk), then load it."""
        self._tasks.run(find, self._start, self._failed)

    def _start(self, model: InstalledModel | None) -> None:
        if model is None:
            self.no_model.emit()
            return
        if self._current is not None:
            self._current.cancel()
        load = ModelLoad(self._hub, model)
        self._current = load
        self.started.emit(model.display_name)

        def report(fraction: float) -> None:
            self._tasks.call_on_main_thread(lambda: self._progress(load, fraction))

        self._tasks.run(
            lambda: load.run(report),
            lambda loaded: self._done(load, loaded),
            lambda error: self._ended(load, error),
        )

    def _progress(self, load: ModelLoad, fraction: float) -> None:
        if load is self._current and not load.cancel_requested:
            self.progress.emit(fraction)

    def _done(self, load: ModelLoad, _loaded: LoadedModel) -> None:
        if load is not self._current:
            return  # replaced by a newer load, which loads over this one
        self._current = None
        self.loaded.emit(load.model.display_name)

    def _ended(self, load: ModelLoad, error: BaseException) -> None:
        if load is not self._current:
            return  # replaced by a newer load: its outcome is the one to show
        self._current = None
        if isinstance(error, LoadCancelledError):
            self.cancelled.emit()
        else:
            self.failed.emit(describe(error))

    def _failed(self, error: BaseException) -> None:
        self.failed.emit(describe(error))


def _at_once(action: Callable[[], None]) -> None:
    """With no answer to stop (a loader of its own), a load starts at once."""
    action()
