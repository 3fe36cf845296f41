"""The Hub a face holds: settings saved, the default model loaded, chats opened and listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexthub.engine import ChatFinished, Engine
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.settings import read_settings
from nexthub.store import ChatStore


def test_a_hub_loads_the_starter_model_and_its_chats_are_listed_and_reopened(
    nexthub_home: Path, key: bytes
) -> None:
    paths = AppPaths.from_environment().ensure()
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, key), Engine())
    try:
        hub.change_settings(context_size=1024, threads=2, gpu_layers=0)
        progress: list[float] = []
        loaded = hub.load_model(on_progress=progress.append)
        assert loaded.info.context_size == 1024 and "SmolLM2" in loaded.name
        assert progress and progress[-1] == pytest.approx(1.0)

        chat = hub.open_chat()
        final = list(chat.send("Say hi."))[-1]
        assert isinstance(final, ChatFinished)
        (listed,) = hub.conversations.page()
        assert listed.id == chat.conversation_id and listed.model == loaded.name

        reopened = hub.open_chat(listed.id)
        assert [m.content for m in reopened.shown()] == ["Say hi.", final.text]
    finally:
        hub.close()


def test_an_invalid_setting_is_refused_and_the_saved_ones_stay(
    nexthub_home: Path, key: bytes
) -> None:
    paths = AppPaths.from_environment().ensure()
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, key), Engine())
    try:
        hub.change_settings(theme="dark")
        with pytest.raises(ValueError, match="threads"):
            hub.change_settings(threads=0)
        assert hub.settings.theme == "dark" and hub.settings.threads is None
        assert read_settings(paths.settings_file) == hub.settings
    finally:
        hub.close()
