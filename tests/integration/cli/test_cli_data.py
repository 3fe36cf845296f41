"""`nexthub data …` run as a user would: a real process, a real encrypted store on disk.

Every process gets ``NEXTHUB_PASSPHRASE`` (the database's passphrase) and the
keyring "fail" backend, so no test can touch a real keyring, and no standard
input: it is a script, not a terminal. The chats are made in this process with
the store's API (there is no model here to chat with), protected by a
passphrase with a cheap KDF passed explicitly; a store the command itself makes
(an import into a fresh folder) uses the real default cost.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from nexthub.paths import AppPaths
from nexthub.service.store_access import open_chat_store
from nexthub.store.key_kdf import ScryptParams
from nexthub.store.keys import KeyProtection, KeyStore

PASSPHRASE = "correct horse battery staple"
MARKER = "Zebrafish7781"
# Test-only cost for the chats made here, passed explicitly; defaults are not weakened.
CHEAP = ScryptParams(n=16, r=1, p=1)


def nexthub(
    home: Path,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    environment = {
        **os.environ,
        "NEXTHUB_HOME": str(home),
        "NEXTHUB_PASSPHRASE": PASSPHRASE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-m", "nexthub", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return result


def assert_clean_failure(result: subprocess.CompletedProcess[bytes], *phrases: str) -> None:
    """Failed with one line for the user, not a traceback."""
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert "Traceback" not in stderr
    assert stderr.startswith("nexthub: ")
    assert stderr.count("\n") == 1, stderr
    for phrase in phrases:
        assert phrase in stderr


def key_store(home: Path) -> KeyStore:
    return KeyStore(AppPaths.under(home), keyring_backend=fail.Keyring(), environ={}, kdf=CHEAP)


def seed(home: Path) -> dict[str, str]:
    """Two conversations with a branch, the marker in a title, a prompt and messages."""
    paths = AppPaths.under(home)
    with open_chat_store(
        paths,
        passphrase=PASSPHRASE,
        first_run_protection=KeyProtection.PASSPHRASE,
        key_store=key_store(home),
    ) as store:
        chat = store.create_conversation(
            f"Trip {MARKER}", model="qwen", system_prompt=f"Brief {MARKER}", sampling={"t": 0.5}
        )
        question = store.add_message(chat.id, "user", f"Where {MARKER}?", parent_id=None)
        first = store.start_answer(chat.id, question.id, "qwen")
        store.finish_answer(first, "stop", text="Pizza", completion_tokens=1)
        second = store.start_answer(chat.id, question.id, "llama")
        store.finish_answer(second, "length", text=f"Sushi {MARKER}", decode_tokens_per_s=21.5)
        other = store.create_conversation("Other")
        store.add_message(other.id, "user", "hello", parent_id=None)
    return {"chat": chat.id, "other": other.id, "second": second}


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: content hash and modification time."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def export(home: Path, *args: str, **kwargs: Any) -> bytes:
    return ok(nexthub(home, "data", "export", *args, **kwargs)).stdout


# -- data path ---------------------------------------------------------------------------------


def test_data_path_lists_every_folder_before_anything_exists(nexthub_home: Path) -> None:
    result = ok(nexthub(nexthub_home, "data", "path"))
    text = result.stdout.decode()
    paths = AppPaths.under(nexthub_home)
    for folder in paths.all_locations().values():
        assert str(folder) in text
    (database_line,) = [line for line in text.splitlines() if line.startswith("chat database")]
    assert "not there" in database_line
    assert not nexthub_home.exists(), "listing creates nothing"


# -- export ------------------------------------------------------------------------------------


def test_export_to_stdout_and_to_a_file(nexthub_home: Path, tmp_path: Path) -> None:
    made = seed(nexthub_home)
    printed = export(nexthub_home)
    document = json.loads(printed)
    assert document["format"] == "nexthub-chats" and document["version"] == 1
    chat, other = document["conversations"]
    assert (chat["id"], other["id"]) == (made["chat"], made["other"])
    assert [m["content"] for m in chat["messages"]] == [
        f"Where {MARKER}?",
        "Pizza",
        f"Sushi {MARKER}",
    ]
    assert chat["messages"][2]["parent_id"] == chat["messages"][1]["parent_id"]  # a branch
    assert chat["active_leaf_id"] == made["second"]

    target = tmp_path / "backup.json"
    written = ok(nexthub(nexthub_home, "data", "export", "-o", str(target)))
    assert written.stdout == b""
    assert "2 conversations (4 messages)" in written.stderr.decode()
    assert "not encrypted" in written.stderr.decode()
    assert target.read_bytes() == printed
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_markdown_export_of_one_conversation(nexthub_home: Path) -> None:
    made = seed(nexthub_home)
    text = export(nexthub_home, "--conversation", made["chat"], "--format", "md").decode()
    assert text.startswith(f"# Trip {MARKER}\n")
    assert "**User**\n\nWhere" in text
    assert f"**Assistant** (llama)\n\nSushi {MARKER}" in text  # the shown branch, its model
    assert "Pizza" not in text  # the other version is not shown


def test_exporting_an_unknown_conversation_fails_cleanly(nexthub_home: Path) -> None:
    seed(nexthub_home)
    assert_clean_failure(
        nexthub(nexthub_home, "data", "export", "--conversation", "no-such-id"), "no-such-id"
    )


# -- import ------------------------------------------------------------------------------------


def test_import_into_a_fresh_home_gives_the_same_export_back(
    nexthub_home: Path, tmp_path: Path
) -> None:
    """Byte for byte: the file has no export time and a fixed field order, and the
    import keeps ids, timestamps and the order of messages, so nothing can differ."""
    seed(nexthub_home)
    original = export(nexthub_home)
    backup = tmp_path / "backup.json"
    backup.write_bytes(original)
    fresh = tmp_path / "fresh-home"
    result = ok(nexthub(fresh, "data", "import", str(backup)))
    assert "Imported 2 new conversations (4 messages)" in result.stdout.decode()
    assert export(fresh) == original
    # Importing again changes nothing and says so.
    again = ok(nexthub(fresh, "data", "import", str(backup)))
    assert "Skipped 2 conversations already here" in again.stderr.decode()
    assert export(fresh) == original


def test_import_reads_standard_input(nexthub_home: Path, tmp_path: Path) -> None:
    seed(nexthub_home)
    original = export(nexthub_home)
    fresh = tmp_path / "fresh-home"
    ok(nexthub(fresh, "data", "import", "-", stdin=original))
    assert export(fresh) == original


def test_encrypted_export_and_import(nexthub_home: Path, tmp_path: Path) -> None:
    seed(nexthub_home)
    original = export(nexthub_home)
    sealed = export(nexthub_home, "--encrypt", env={"NEXTHUB_EXPORT_PASSPHRASE": "export words"})
    assert MARKER.encode() not in sealed
    assert json.loads(sealed)["format"] == "nexthub-chats-encrypted"
    backup = tmp_path / "backup.nhx"
    backup.write_bytes(sealed)

    fresh = tmp_path / "fresh-home"
    wrong = nexthub(
        fresh, "data", "import", str(backup), env={"NEXTHUB_EXPORT_PASSPHRASE": "other words"}
    )
    assert_clean_failure(wrong, "does not open this encrypted export")
    assert not fresh.exists(), "nothing imported, not even an empty store made"
    missing = nexthub(fresh, "data", "import", str(backup))
    assert_clean_failure(missing, "NEXTHUB_EXPORT_PASSPHRASE")

    ok(
        nexthub(
            fresh, "data", "import", str(backup), env={"NEXTHUB_EXPORT_PASSPHRASE": "export words"}
        )
    )
    assert export(fresh) == original


def test_a_bad_import_file_changes_nothing(nexthub_home: Path, tmp_path: Path) -> None:
    seed(nexthub_home)
    before = export(nexthub_home)
    document = json.loads(before)
    document["conversations"][0]["messages"][1]["parent_id"] = "missing"
    document["conversations"][0]["id"] = "new-id"  # would be imported, if the file were good
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    assert_clean_failure(nexthub(nexthub_home, "data", "import", str(bad)), "parent")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\x01 not json")
    assert_clean_failure(nexthub(nexthub_home, "data", "import", str(garbage)), "not valid JSON")
    assert_clean_failure(
        nexthub(nexthub_home, "data", "import", str(tmp_path / "nowhere.json")), "could not read"
    )
    assert export(nexthub_home) == before


def test_first_run_in_a_script_without_a_passphrase_says_what_to_do(tmp_path: Path) -> None:
    backup = tmp_path / "empty.json"
    backup.write_bytes(export(tmp_path / "empty-home"))  # no chats yet: an empty export
    fresh = tmp_path / "fresh-home"
    result = nexthub(fresh, "data", "import", str(backup), env={"NEXTHUB_PASSPHRASE": None})
    assert_clean_failure(result, "NEXTHUB_PASSPHRASE")
    assert not (fresh / "data" / "database-key.json").exists()


# -- a wrong passphrase ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("data", "export"), ("data", "import", "-"), ("data", "passphrase", "--to", "key-file")],
    ids=["export", "import", "passphrase"],
)
def test_a_wrong_passphrase_fails_cleanly_and_changes_nothing(
    nexthub_home: Path, args: tuple[str, ...]
) -> None:
    seed(nexthub_home)
    empty_export = export(nexthub_home.parent / "empty-home")
    before = snapshot(nexthub_home)
    result = nexthub(
        nexthub_home, *args, env={"NEXTHUB_PASSPHRASE": "wrong words"}, stdin=empty_export
    )
    assert_clean_failure(result, "passphrase does not open", "NEXTHUB_PASSPHRASE")
    assert result.stdout == b""
    assert snapshot(nexthub_home) == before


# -- the passphrase ----------------------------------------------------------------------------


def test_moving_to_a_key_file_unlocks_without_a_passphrase(nexthub_home: Path) -> None:
    seed(nexthub_home)
    original = export(nexthub_home)
    result = ok(nexthub(nexthub_home, "data", "passphrase", "--to", "key-file"))
    assert "weaker" in result.stderr.decode()
    assert "now protected by a key file" in result.stdout.decode()
    (key_file,) = (nexthub_home / "config").glob("database-key-*.kek")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert export(nexthub_home, env={"NEXTHUB_PASSPHRASE": None}) == original
    listing = ok(nexthub(nexthub_home, "data", "path", env={"NEXTHUB_PASSPHRASE": None}))
    assert str(key_file) in listing.stdout.decode()
    # And wiping takes the key file too.
    ok(nexthub(nexthub_home, "data", "wipe", "--yes", env={"NEXTHUB_PASSPHRASE": None}))
    assert not key_file.exists()


def test_a_new_passphrase_must_be_typed_at_a_terminal(nexthub_home: Path) -> None:
    seed(nexthub_home)
    before = snapshot(nexthub_home)
    result = nexthub(nexthub_home, "data", "passphrase")
    assert_clean_failure(result, "terminal")
    assert snapshot(nexthub_home) == before


# -- wipe --------------------------------------------------------------------------------------

LEAVE_WAL_BEHIND = """
import os, sys
from pathlib import Path
from nexthub.store import ChatStore
from nexthub.store.keys import KeyStore
from nexthub.paths import AppPaths
paths = AppPaths.from_environment()
store = ChatStore.open(paths.chats_db_file, KeyStore(paths).unlock())
store.create_conversation("Crash " + sys.argv[1])
os._exit(0)  # a crash: the WAL and SHM stay behind
"""

HOLD_OPEN = """
import sys
from nexthub.store import ChatStore
from nexthub.store.keys import KeyStore
from nexthub.paths import AppPaths
paths = AppPaths.from_environment()
with ChatStore.open(paths.chats_db_file, KeyStore(paths).unlock()) as store:
    print(len(store.list_conversations()), flush=True)
    sys.stdin.readline()
"""


def python(home: Path, code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "NEXTHUB_HOME": str(home), "NEXTHUB_PASSPHRASE": PASSPHRASE}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, text=True, **kwargs)


def test_wipe_deletes_the_database_its_wal_and_shm_and_the_key(nexthub_home: Path) -> None:
    seed(nexthub_home)
    assert python(nexthub_home, LEAVE_WAL_BEHIND, MARKER).wait(timeout=60) == 0
    data = nexthub_home / "data"
    doomed = [data / n for n in ("chats.db", "chats.db-wal", "chats.db-shm", "database-key.json")]
    assert all(p.exists() for p in doomed)
    listing = ok(nexthub(nexthub_home, "data", "path")).stdout.decode()
    assert "chat database WAL" in listing and "chat database SHM" in listing

    result = ok(nexthub(nexthub_home, "data", "wipe", "--yes"))
    for path in doomed:
        assert not path.exists()
        assert f"Deleted {path}" in result.stdout.decode()
    for path in nexthub_home.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert MARKER.encode() not in content and MARKER.lower().encode() not in content
    listing = ok(nexthub(nexthub_home, "data", "path")).stdout.decode()
    (database_line,) = [line for line in listing.splitlines() if line.startswith("chat database")]
    assert "not there" in database_line
    # Wiping again finds nothing; NextHub starts over with a new key and an empty store.
    assert "nothing to wipe" in ok(nexthub(nexthub_home, "data", "wipe", "--yes")).stderr.decode()
    assert json.loads(export(nexthub_home))["conversations"] == []


def test_wipe_without_yes_refuses_when_not_at_a_terminal(nexthub_home: Path) -> None:
    seed(nexthub_home)
    before = snapshot(nexthub_home)
    assert_clean_failure(nexthub(nexthub_home, "data", "wipe"), "--yes")
    assert snapshot(nexthub_home) == before


def test_wipe_refuses_while_another_process_has_the_database_open(nexthub_home: Path) -> None:
    seed(nexthub_home)
    holder = python(nexthub_home, HOLD_OPEN, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "2"
        files = sorted(p.name for p in (nexthub_home / "data").iterdir())
        result = nexthub(nexthub_home, "data", "wipe", "--yes")
        assert_clean_failure(result, "open in another program", "Nothing was deleted")
        assert sorted(p.name for p in (nexthub_home / "data").iterdir()) == files
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()
    ok(nexthub(nexthub_home, "data", "wipe", "--yes"))  # closed now: the wipe goes through
    assert not (nexthub_home / "data" / "chats.db").exists()
