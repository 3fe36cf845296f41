"""The one object a face holds: an installation's store, engine, models and settings.

The desktop app and the localhost server both build a Hub and call it; they
hold no business logic of their own. A Hub's methods block (they wait on the
engine, the database or the disk), so a GUI calls them off its main thread.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from nexthub.engine import Engine, SamplingSettings
from nexthub.paths import AppPaths
from nexthub.service.api_usage import ApiUsage
from nexthub.service.chat_session import ChatSession
from nexthub.service.conversation_list import ConversationList
from nexthub.service.models import LoadedModel, ModelService
from nexthub.service.settings import AppSettings, read_settings, write_settings
from nexthub.service.telemetry_access import open_telemetry
from nexthub.service.usage_counts import watch_engine
from nexthub.store import ChatStore
from nexthub.telemetry import Telemetry


class Hub:
    """An installation's services, shared by every face (see the module docstring)."""

    def __init__(
        self,
        paths: AppPaths,
        store: ChatStore,
        engine: Engine | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._paths = paths
        self._store = store
        self._engine = engine or Engine()
        self._settings = read_settings(paths.settings_file)
        self._settings_lock = threading.Lock()
        #: Anonymous usage counts; records nothing unless the user said yes (checked live).
        self.telemetry = telemetry or open_telemetry(paths)
        watch_engine(self._engine, self.telemetry)
        self.conversations = ConversationList(store, self.telemetry)
        self.models = ModelService(paths, self._engine, self.telemetry)
        #: The localhost API's usage log (the server records into it).
        self.api_usage = ApiUsage(
            store, lambda: self._settings.api_usage_retention_days, telemetry=self.telemetry
        )
        self._loaded: LoadedModel | None = None

    @property
    def paths(self) -> AppPaths:
        """Where this installation keeps its data."""
        return self._paths

    @property
    def store(self) -> ChatStore:
        """The unlocked chat store."""
        return self._store

    @property
    def engine(self) -> Engine:
        """The engine (cancel an answer or a load through it, from any thread)."""
        return self._engine

    @property
    def settings(self) -> AppSettings:
        """The current settings."""
        return self._settings

    @property
    def loaded_model(self) -> LoadedModel | None:
        """The model answering, or None before the first load."""
        return self._loaded

    def change_settings(self, **changes: Any) -> AppSettings:
        """Change and save settings (ValueError for an invalid value; nothing is saved then)."""
        with self._settings_lock:
            updated = dataclasses.replace(self._settings, **changes)
            write_settings(self._paths.settings_file, updated)
            self._settings = updated
            return updated

    def load_model(
        self, model: str | None = None, on_progress: Callable[[float], None] | None = None
    ) -> LoadedModel:
        """Load ``model`` (None: the default one) with the current settings."""
        self._loaded = None
        chosen = model or self._settings.default_model
        self._loaded = self.models.load(chosen, self._settings.load_settings(), on_progress)
        return self._loaded

    def open_chat(self, conversation_id: str | None = None) -> ChatSession:
        """A saved conversation to continue, or (None) a new one, on the loaded model."""
        name = self._loaded.name if self._loaded else ""
        if conversation_id is None:
            return ChatSession(
                self._engine,
                self._store,
                model_name=name,
                sampling=SamplingSettings(),
                telemetry=self.telemetry,
            )
        return ChatSession.resume(
            self._engine, self._store, conversation_id, model_name=name, telemetry=self.telemetry
        )

    def close(self) -> None:
        """Stop the engine and close the store; undo copies of deleted chats are dropped.

        What telemetry counted is written first (nothing, unless the user said yes).
        """
        self.telemetry.flush()
        self.conversations.forget_deleted()
        self._engine.close()
        self._store.close()
