"""Helpers of the window and sidebar tests: saved chats, what the sidebar shows, spies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keyring.backends import fail
from PySide6.QtWidgets import QListWidget

from nexthub.gui.main_window import MainWindow
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.settings import AppSettings, write_settings
from nexthub.store import ChatStore
from nexthub.store.key_kdf import Argon2idParams, KdfParams, ScryptParams, argon2id_supported
from nexthub.store.keys import KeyProtection, KeyStore

#: Milliseconds a test waits for a condition (a model load on this slow, shared machine).
WAIT_MS = 60_000
PASSPHRASE = "correct horse battery staple"
#: A test-only KDF cost: unlocking takes milliseconds (the default is never weakened).
CHEAP: KdfParams = (
    Argon2idParams(iterations=1, lanes=1, memory_kib=8)
    if argon2id_supported()
    else ScryptParams(n=16, r=1, p=1)
)


def make_passphrase_store(paths: AppPaths, *, welcomed: bool = True) -> bytes:
    """A first run done earlier: a passphrase-protected key (cheap KDF), an empty store."""
    paths.ensure()
    keys = KeyStore(paths, keyring_backend=fail.Keyring(), environ={}, kdf=CHEAP)
    key = keys.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    ChatStore.open(paths.chats_db_file, key).close()
    write_settings(paths.settings_file, AppSettings(welcomed=welcomed))
    return key


def add_chat(hub: Hub, title: str, *texts: str) -> tuple[str, list[str]]:
    """A saved conversation with alternating user and assistant messages: (id, message ids)."""
    conversation = hub.store.create_conversation(title)
    parent: str | None = None
    ids = []
    for index, text in enumerate(texts):
        role = "user" if index % 2 == 0 else "assistant"
        parent = hub.store.add_message(conversation.id, role, text, parent_id=parent).id
        ids.append(parent)
    return conversation.id, ids


def rows(view: QListWidget) -> list[str]:
    """The lines of a list, top to bottom, as the user reads them."""
    return [view.item(row).text() for row in range(view.count())]


def select(window: MainWindow, title: str) -> None:
    """Put the sidebar's cursor on the conversation titled ``title``."""
    view = window.sidebar.list
    view.setCurrentRow(rows(view).index(title))
    view.setFocus()


def spy(target: object, name: str) -> list[tuple[Any, ...]]:
    """Record the calls of ``target.name`` (still calling it); returns the list of arguments."""
    calls: list[tuple[Any, ...]] = []
    original: Callable[..., Any] = getattr(target, name)

    def recording(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    setattr(target, name, recording)
    return calls
