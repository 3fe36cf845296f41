"""`nexthub data …` and the unlock prompt at a terminal: what is asked, and what a person types.

These run the command in this process with a fake terminal: standard input
says it is a TTY and answers ``input()``, and ``getpass`` returns the typed
passphrases in order (and records its prompts). The keyring is keyring's
"fail" backend, so first run behaves as on a machine with no keyring. The
passphrase KDF runs at its real default cost here.
"""

from __future__ import annotations

import getpass
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from nexthub.cli.main import main
from nexthub.cli.unlock import NoChatsYetError, open_store_for_cli
from nexthub.paths import AppPaths
from nexthub.store.keys import KeyProtection, KeySetupNeededError, KeyStore, WrongPassphraseError
from nexthub.store.portable import read_export


class FakeTerminal(io.StringIO):
    """Standard input at a terminal: ``isatty`` is true; ``input()`` reads these lines."""

    def __init__(self) -> None:
        super().__init__()
        self.typed: list[str] = []  # what getpass returns, in order
        self.prompts: list[str] = []

    def isatty(self) -> bool:
        return True

    def answer(self, *lines: str) -> None:
        self.seek(0)
        self.truncate()
        self.write("".join(line + "\n" for line in lines))
        self.seek(0)

    def getpass(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        return self.typed.pop(0)


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> FakeTerminal:
    fake = FakeTerminal()
    monkeypatch.setattr(sys, "stdin", fake)
    monkeypatch.setattr(getpass, "getpass", fake.getpass)
    monkeypatch.delenv("NEXTHUB_PASSPHRASE", raising=False)
    monkeypatch.delenv("NEXTHUB_EXPORT_PASSPHRASE", raising=False)
    return fake


@pytest.fixture
def paths(nexthub_home: Path) -> AppPaths:
    return AppPaths.under(nexthub_home)


def make_chats(paths: AppPaths, terminal: FakeTerminal) -> str:
    """First run at the terminal: choose a passphrase, then add a conversation."""
    terminal.typed = ["first words", "first words"]
    with open_store_for_cli(paths, create_if_missing=True) as store:
        chat = store.create_conversation("Trip")
        store.add_message(chat.id, "user", "Where to?", parent_id=None)
    return chat.id


def test_first_run_explains_and_asks_for_a_new_passphrase_twice(
    paths: AppPaths, terminal: FakeTerminal, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal.typed = ["", "one", "two", "chosen words", "chosen words"]
    with open_store_for_cli(paths, create_if_missing=True) as store:
        store.create_conversation("Trip")
    err = capsys.readouterr().err
    assert "no system keyring" in err and "nexthub data passphrase --to key-file" in err
    assert "cannot be empty" in err and "differ" in err
    assert KeyStore(paths).protection() is KeyProtection.PASSPHRASE
    assert not terminal.typed
    KeyStore(paths).unlock(passphrase="chosen words")


def test_first_run_gives_up_after_three_mismatches(paths: AppPaths, terminal: FakeTerminal) -> None:
    terminal.typed = ["a", "b", "c", "d", "e", "f"]
    with pytest.raises(Exception, match="No passphrase for NextHub's chats was set"):
        open_store_for_cli(paths, create_if_missing=True)
    assert not KeyStore(paths).exists() and not paths.chats_db_file.exists()


def test_first_run_in_a_script_asks_for_a_choice(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEXTHUB_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    with pytest.raises(KeySetupNeededError, match="NEXTHUB_PASSPHRASE"):
        open_store_for_cli(paths, create_if_missing=True)
    with pytest.raises(NoChatsYetError):
        open_store_for_cli(paths, create_if_missing=False)
    assert not KeyStore(paths).exists()


def test_a_wrong_passphrase_is_asked_again(paths: AppPaths, terminal: FakeTerminal) -> None:
    chat_id = make_chats(paths, terminal)
    terminal.typed = ["wrong", "", "first words"]
    with open_store_for_cli(paths, create_if_missing=False) as store:
        assert store.get_conversation(chat_id).title == "Trip"
    assert terminal.prompts[-1] == "Passphrase of NextHub's chats: "
    terminal.typed = ["wrong", "wrong", "wrong"]
    with pytest.raises(WrongPassphraseError):
        open_store_for_cli(paths, create_if_missing=False)


def test_changing_the_passphrase(paths: AppPaths, terminal: FakeTerminal) -> None:
    make_chats(paths, terminal)
    terminal.typed = ["first words", "second words", "second words"]
    assert main(["data", "passphrase"]) == 0
    KeyStore(paths).unlock(passphrase="second words")
    with pytest.raises(WrongPassphraseError):
        KeyStore(paths).unlock(passphrase="first words")


def test_a_wrong_current_passphrase_asks_for_no_new_one(
    paths: AppPaths, terminal: FakeTerminal, capsys: pytest.CaptureFixture[str]
) -> None:
    make_chats(paths, terminal)
    terminal.typed = ["not it"]
    assert main(["data", "passphrase"]) == 1
    assert "does not open" in capsys.readouterr().err
    KeyStore(paths).unlock(passphrase="first words")


def test_choosing_a_key_file_on_first_run(
    paths: AppPaths, terminal: FakeTerminal, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "passphrase", "--to", "key-file"]) == 0
    assert "weaker" in capsys.readouterr().err
    with open_store_for_cli(paths, create_if_missing=True) as store:
        store.create_conversation("no passphrase asked")
    assert terminal.prompts == []


def test_wipe_asks_and_says_what_goes(
    paths: AppPaths, terminal: FakeTerminal, capsys: pytest.CaptureFixture[str]
) -> None:
    make_chats(paths, terminal)
    capsys.readouterr()
    terminal.answer("no")
    assert main(["data", "wipe"]) == 1
    err = capsys.readouterr().err
    assert str(paths.chats_db_file) in err and "wrapped database key" in err
    assert "Nothing deleted" in err
    assert paths.chats_db_file.exists()

    terminal.answer("yes")
    assert main(["data", "wipe"]) == 0
    assert not paths.chats_db_file.exists() and not KeyStore(paths).exists()


def test_encrypted_export_and_import_at_the_terminal(
    paths: AppPaths, terminal: FakeTerminal, tmp_path: Path
) -> None:
    chat_id = make_chats(paths, terminal)
    target = tmp_path / "backup.nhx"
    terminal.typed = ["first words", "export words", "export words"]
    assert main(["data", "export", "--encrypt", "-o", str(target)]) == 0
    assert terminal.prompts[-2:] == [
        "New passphrase for this export: ",
        "The same passphrase again: ",
    ]
    (dump,) = read_export(target.read_bytes(), lambda: "export words")
    assert dump.conversation.id == chat_id

    assert main(["data", "wipe", "--yes"]) == 0
    terminal.typed = ["wrong", "export words", "new db words", "new db words"]
    assert main(["data", "import", str(target)]) == 0
    terminal.typed = ["new db words"]
    plain = tmp_path / "plain.json"
    assert main(["data", "export", "-o", str(plain)]) == 0
    conversations = json.loads(plain.read_text(encoding="utf-8"))["conversations"]
    assert [c["id"] for c in conversations] == [chat_id]
