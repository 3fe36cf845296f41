"""The `nexthub` command, run as a user would: a real process, the real starter model."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nexthub import __version__
from tests.gguf_files import write_sparse_huge_gguf

NEXTHUB = [sys.executable, "-m", "nexthub"]
#: This machine has no OS keyring: the chat store is protected by a passphrase.
PASSPHRASE = "test passphrase for the cli"


def user_env() -> dict[str, str]:
    """The environment of a headless user who unlocks the store with NEXTHUB_PASSPHRASE."""
    return {**os.environ, "NEXTHUB_PASSPHRASE": PASSPHRASE}


def nexthub(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEXTHUB, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=user_env(),
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    """Failed with a short message for the user, not a traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("nexthub: ")
    for phrase in phrases:
        assert phrase in result.stderr


def test_version() -> None:
    result = nexthub("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nexthub {__version__}"


def test_chat_with_a_prompt_answers_once_and_exits_zero() -> None:
    result = nexthub(
        "chat", "-p", "What is the capital of France?", "--temperature", "0", "--max-tokens", "24"
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_terminal_chat_is_saved_in_the_encrypted_store(nexthub_home: Path) -> None:
    asked = "What is the capital of France? Answer in one word."
    result = nexthub("chat", "-p", asked, "--temperature", "0", "--max-tokens", "16")
    assert result.returncode == 0, result.stderr
    exported = nexthub("data", "export", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert asked in exported.stdout
    assert result.stdout.strip() in exported.stdout
    database = nexthub_home / "data" / "chats.db"
    assert database.is_file()
    assert asked.encode() not in database.read_bytes(), "the chat is encrypted at rest"


def test_no_save_leaves_no_trace(nexthub_home: Path) -> None:
    result = nexthub("chat", "--no-save", "-p", "Hi", "--max-tokens", "8")
    assert result.returncode == 0, result.stderr
    assert not (nexthub_home / "data" / "chats.db").exists()


def test_chat_with_a_wrong_passphrase_fails_before_loading_and_changes_nothing(
    nexthub_home: Path,
) -> None:
    assert nexthub("chat", "-p", "Hi", "--max-tokens", "4").returncode == 0
    before = {p: p.read_bytes() for p in nexthub_home.rglob("*") if p.is_file()}
    result = subprocess.run(
        [*NEXTHUB, "chat", "-p", "Hi"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NEXTHUB_PASSPHRASE": "not the passphrase"},
    )
    assert_clean_failure(result, "passphrase")
    after = {p: p.read_bytes() for p in nexthub_home.rglob("*") if p.is_file()}
    assert after == before


def test_chat_with_an_unknown_model_fails_cleanly() -> None:
    assert_clean_failure(nexthub("chat", "-m", "no-such-model", "-p", "hi"), "no-such-model")


@pytest.mark.parametrize(
    ("content", "phrase"),
    [(b"hello, I am a text file\n" * 10, "not a GGUF"), (b"", "empty")],
)
def test_chat_with_a_file_that_is_not_a_model_fails_cleanly(
    tmp_path: Path, content: bytes, phrase: str
) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_bytes(content)
    result = nexthub("chat", "-m", str(bad), "-p", "hi")
    assert_clean_failure(result)
    assert phrase.lower() in result.stderr.lower()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a sparse file (NTFS would allocate it)")
def test_chat_with_a_model_too_big_for_this_machine_fails_before_loading(tmp_path: Path) -> None:
    huge = write_sparse_huge_gguf(tmp_path / "huge.gguf", gib=64)  # this machine has < 64 GB
    result = nexthub("chat", "-m", str(huge), "-p", "hi")
    assert_clean_failure(result, "needs about")


def test_bad_sampling_settings_fail_cleanly() -> None:
    assert_clean_failure(nexthub("chat", "-p", "hi", "--top-p", "7"), "top_p")


def test_models_list_shows_the_starter_model_without_any_setup() -> None:
    result = nexthub("models", "list")
    assert result.returncode == 0
    assert "SmolLM2" in result.stdout
    assert "starter" in result.stdout


def test_import_info_and_remove_a_model(tmp_path: Path, starter_model_path: Path) -> None:
    own = tmp_path / "my-model.gguf"
    shutil.copyfile(starter_model_path, own)

    imported = nexthub("models", "import", str(own), "--reference")
    assert imported.returncode == 0, imported.stderr
    listed = nexthub("models", "list")
    assert "my-model" in listed.stdout

    info = nexthub("models", "info", "my-model")
    assert info.returncode == 0, info.stderr
    assert "llama" in info.stdout and "Q4_1" in info.stdout

    removed = nexthub("models", "remove", "my-model", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "my-model" not in nexthub("models", "list").stdout
    assert own.is_file(), "a model added by reference is never deleted"


def test_remove_without_confirmation_refuses_in_a_script() -> None:
    result = nexthub("models", "remove", "smollm2", "--yes")
    assert_clean_failure(result)  # the starter model belongs to its package


def test_doctor_reports_hardware_and_the_data_folders(nexthub_home: Path) -> None:
    result = nexthub("doctor")
    assert result.returncode == 0, result.stderr
    assert "CPU features" in result.stdout
    assert "GPU backend" in result.stdout
    assert str(nexthub_home) in result.stdout


class InteractiveChat:
    """`nexthub chat` on pipes, with its output read as it arrives."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*NEXTHUB, "chat", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=user_env(),
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        for stream, sink in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream: object, sink: queue.Queue[str]) -> None:
        read = stream.read  # type: ignore[attr-defined]
        while chunk := read(1):
            sink.put(chunk)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def read_until(self, sink: queue.Queue[str], needle: str, timeout: float = 120) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while needle not in seen:
            seen += sink.get(timeout=max(0.01, deadline - time.monotonic()))
        return seen

    def read_at_least(self, sink: queue.Queue[str], count: int, timeout: float = 120) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while len(seen) < count:
            seen += sink.get(timeout=max(0.01, deadline - time.monotonic()))
        return seen


def test_ctrl_c_stops_the_answer_not_the_program() -> None:
    chat = InteractiveChat("--temperature", "0.8", "--seed", "5", "--max-tokens", "2000")
    try:
        chat.read_until(chat.stderr, "Commands:")
        chat.say("Write a very long essay about the history of rivers.")
        chat.read_at_least(chat.stdout, 40)
        os.kill(chat.process.pid, signal.SIGINT)
        chat.read_until(chat.stderr, "[stopped]", timeout=10)
        assert chat.process.poll() is None, "Ctrl-C must not end the program"

        chat.say("What is the capital of France?")
        chat.read_until(chat.stdout, "Paris")
        chat.say("/exit")
        assert chat.process.wait(timeout=30) == 0
    finally:
        chat.close()
