"""Loading, unloading, crashes and bad files: the app survives whatever the worker does."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import psutil
import pytest

from nexthub.engine import (
    ChatMessage,
    Engine,
    EngineError,
    LoadSettings,
    ModelLoadError,
    NoModelLoadedError,
    SamplingSettings,
    TextDelta,
)
from tests.integration.engine.conftest import run_chat

SETTINGS = LoadSettings(context_size=1024, threads=2, batch_threads=2)
LONG = SamplingSettings(temperature=0.8, seed=11, max_tokens=1500)
PROMPT = [ChatMessage("user", "Write a long poem about the sea.")]


def test_loading_reports_progress_up_to_complete(starter_model_path: Path) -> None:
    seen: list[float] = []
    with Engine() as engine:
        info = engine.load(starter_model_path, SETTINGS, on_progress=seen.append)
    assert info.context_size == 1024
    assert seen, "progress should be reported while loading"
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)


def test_unload_frees_the_model_memory(starter_model_path: Path) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        pid = engine.worker_pid
        assert pid is not None
        loaded_rss = psutil.Process(pid).memory_info().rss
        engine.unload()
        assert engine.model_info is None
        unloaded_rss = psutil.Process(pid).memory_info().rss
        # The 98 MB model and its KV cache are gone from the worker.
        assert loaded_rss - unloaded_rss > 50_000_000
        with pytest.raises(NoModelLoadedError):
            list(engine.chat(PROMPT))


def test_chat_before_loading_is_a_clear_error() -> None:
    with Engine() as engine, pytest.raises(NoModelLoadedError, match="Load a model first"):
        list(engine.chat(PROMPT))


def test_killing_the_worker_mid_answer_keeps_the_text_and_the_next_request_works(
    starter_model_path: Path,
) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        first_pid = engine.worker_pid
        received: list[str] = []
        final = None
        for event in engine.chat(PROMPT, LONG):
            if isinstance(event, TextDelta):
                received.append(event.text)
                if len(received) == 3:  # a few pieces in (one per 100 ms), well before the end
                    engine.kill_worker()
            else:
                final = event
        assert final is not None
        assert final.finish_reason == "error"  # type: ignore[attr-defined]
        assert "stopped unexpectedly" in (final.error or "")  # type: ignore[attr-defined]
        assert final.text == "".join(received)  # type: ignore[attr-defined]
        assert len(received) >= 3

        # The next request starts a fresh worker with the same model, unprompted.
        _, answer = run_chat(engine, [ChatMessage("user", "Say hello.")])
        assert answer.text
        assert engine.worker_pid not in {None, first_pid}


def test_a_worker_killed_while_idle_is_replaced_on_the_next_request(
    starter_model_path: Path,
) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        engine.kill_worker()
        _, answer = run_chat(engine, [ChatMessage("user", "Say hello.")])
        assert answer.finish_reason in {"stop", "length"}


def test_abandoning_an_answer_midway_leaves_the_engine_in_step(starter_model_path: Path) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        stream = engine.chat(PROMPT, LONG)
        for index, _event in enumerate(stream):
            if index == 5:
                break
        stream.close()  # type: ignore[attr-defined]
        _, answer = run_chat(engine, [ChatMessage("user", "What is 2 + 2?")])
        assert answer.usage.completion_tokens > 0


def test_cancel_aborts_a_load(starter_model_path: Path) -> None:
    with Engine() as engine:
        started = threading.Event()

        def on_progress(_fraction: float) -> None:
            if not started.is_set():
                started.set()
                engine.cancel()

        with pytest.raises(ModelLoadError, match="cancelled"):
            engine.load(starter_model_path, SETTINGS, on_progress=on_progress)
        assert engine.model_info is None
        engine.load(starter_model_path, SETTINGS)  # and a later load works


@pytest.mark.parametrize(
    ("content", "case"),
    [
        (b"this is a text file, not a model\n" * 100, "text"),
        (b"GGUF" + os.urandom(4096), "garbage after the magic"),
    ],
)
def test_a_file_that_is_not_a_valid_gguf_fails_to_load_with_a_clear_error(
    tmp_path: Path, content: bytes, case: str
) -> None:
    bad = tmp_path / f"{case.replace(' ', '-')}.gguf"
    bad.write_bytes(content)
    with Engine() as engine:
        with pytest.raises(ModelLoadError) as error:
            engine.load(bad, SETTINGS)
        assert bad.name in str(error.value) or "worker stopped" in str(error.value)


def test_a_truncated_gguf_fails_to_load_and_the_engine_stays_usable(
    tmp_path: Path, starter_model_path: Path
) -> None:
    truncated = tmp_path / "truncated.gguf"
    with starter_model_path.open("rb") as source, truncated.open("wb") as target:
        shutil.copyfileobj(source, target, length=1 << 20)
        target.truncate(starter_model_path.stat().st_size // 2)
    with Engine() as engine:
        with pytest.raises(ModelLoadError):
            engine.load(truncated, SETTINGS)
        engine.load(starter_model_path, SETTINGS)
        _, answer = run_chat(engine, [ChatMessage("user", "Hi")])
        assert answer.text


def test_the_worker_does_not_inherit_the_store_passphrase(
    starter_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTHUB_PASSPHRASE", "correct horse battery staple")
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        pid = engine.worker_pid
        assert pid is not None
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert b"NEXTHUB_PASSPHRASE" not in environ
    assert b"correct horse" not in environ


def test_a_reader_that_stops_at_the_final_event_keeps_the_worker_and_its_cache(
    starter_model_path: Path,
) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, SETTINGS)
        pid = engine.worker_pid
        history = [ChatMessage("user", "What is the capital of France?")]
        stream = engine.chat(history, SamplingSettings(temperature=0.0, max_tokens=16))
        final = next(e for e in stream if not isinstance(e, TextDelta))
        stream.close()  # type: ignore[attr-defined]  # stop reading at ChatFinished
        history += [
            ChatMessage("assistant", final.text),  # type: ignore[attr-defined]
            ChatMessage("user", "And of Italy?"),
        ]
        _, follow_up = run_chat(engine, history)
        assert engine.worker_pid == pid, "the worker must not be killed"
        assert follow_up.usage.prompt_tokens_cached > 0, "the KV cache must survive"


def test_a_request_after_close_is_refused_and_starts_no_worker(starter_model_path: Path) -> None:
    # A window closing while its model load waits in the task queue must not leave a
    # fresh worker holding the model once the app has let go of the engine.
    engine = Engine()
    engine.load(starter_model_path, SETTINGS)
    first_pid = engine.worker_pid
    assert first_pid is not None
    engine.close()
    with pytest.raises(EngineError, match="closed"):
        engine.load(starter_model_path, SETTINGS)
    with pytest.raises(EngineError):  # "no model is loaded": close() unloaded it
        list(engine.chat([ChatMessage("user", "Hello?")]))
    assert engine.worker_pid is None
    assert not psutil.pid_exists(first_pid) or psutil.Process(first_pid).status() == "zombie"
