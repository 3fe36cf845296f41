"""The Privacy and data page: where data is, export, the key's protection, deleting it all.

Everything runs for real: the encrypted store of this test's NEXTHUB_HOME,
the export and envelope code, the key store's re-wrapping, and the wipe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from nexthub.gui.privacy_page import PrivacyPage
from nexthub.gui.tasks import TaskRunner
from nexthub.service.display import human_bytes
from nexthub.service.hub import Hub
from nexthub.store.keys import KeyProtection, KeyStore, WrongPassphraseError
from nexthub.store.portable import read_export
from tests.gui.page_helpers import WAIT_MS, MessageBoxes, shown
from tests.gui.shell_helpers import PASSPHRASE

Idle = Callable[[], None]
SECRET = "Zebrafish7781 likes the colour teal"


@pytest.fixture
def page(qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle) -> PrivacyPage:
    """The page over a store holding one conversation."""
    conversation = hub.store.create_conversation("Fish facts")
    question = hub.store.add_message(conversation.id, "user", SECRET, parent_id=None)
    hub.store.add_message(conversation.id, "assistant", "Teal suits it.", parent_id=question.id)
    return shown(qtbot, PrivacyPage(hub, tasks), idle)


def places_table(page: PrivacyPage) -> dict[str, tuple[str, str]]:
    """What -> (size, where), as the table shows it."""
    table = page.places
    return {
        table.item(row, 0).text(): (table.item(row, 1).text(), table.item(row, 2).text())
        for row in range(table.rowCount())
    }


@contextmanager
def saving_to(target: Path) -> Iterator[None]:
    """The save dialog answers with ``target`` (a native dialog cannot be driven offscreen)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QFileDialog, "getSaveFileName", lambda *_args, **_kwargs: (str(target), ""))
        yield


def test_the_page_lists_every_place_with_its_size(page: PrivacyPage, hub: Hub) -> None:
    places = places_table(page)

    database = hub.paths.chats_db_file
    assert places["chat database"] == (human_bytes(database.stat().st_size), str(database))
    assert places["data folder"][1] == str(hub.paths.data)
    assert places["config folder"][1] == str(hub.paths.config)
    assert places["partial downloads"] == ("not there", str(hub.paths.downloads_dir))
    assert places["wrapped database key"][0].endswith(" B")
    assert page.places.accessibleName() == "Where your data is"


def test_chats_are_exported_as_json_plain_or_encrypted(
    qtbot: QtBot, page: PrivacyPage, idle: Idle, tmp_path: Path
) -> None:
    box = page.export_box
    plain = tmp_path / "chats.json"
    with saving_to(plain):
        qtbot.mouseClick(box.export_button, Qt.MouseButton.LeftButton)
    idle()

    assert box.notice.text().startswith(
        f"Exported 1 conversation (2 messages) to {plain} (readable only by you)."
    )
    assert "not encrypted" in box.notice.text()
    assert (plain.stat().st_mode & 0o777) == 0o600
    assert SECRET in json.dumps(json.loads(plain.read_bytes()))

    sealed = tmp_path / "sealed.json"
    box.encrypt.setChecked(True)
    box.passphrase.setText("export passphrase")
    box.passphrase_again.setText("export passphrase, typo")
    with saving_to(sealed):
        qtbot.mouseClick(box.export_button, Qt.MouseButton.LeftButton)
    assert box.notice.kind == "error"
    assert box.notice.text() == "The two passphrases differ. Type the same one twice."
    assert not sealed.exists()

    box.passphrase_again.setText("export passphrase")
    with saving_to(sealed):
        qtbot.mouseClick(box.export_button, Qt.MouseButton.LeftButton)
    idle()

    assert "not encrypted" not in box.notice.text()
    assert SECRET.encode() not in sealed.read_bytes()
    (dump,) = read_export(sealed.read_bytes(), lambda: "export passphrase")
    assert dump.messages[0].content == SECRET


def test_one_conversation_is_exported_as_markdown(
    qtbot: QtBot, page: PrivacyPage, idle: Idle, tmp_path: Path
) -> None:
    box = page.export_box
    box.export_format.setCurrentIndex(box.export_format.findData("md"))
    assert not box.export_button.isEnabled()  # Markdown is of one conversation
    assert not box.encrypt.isEnabled()
    box.conversation.setCurrentText("Fish facts")
    target = tmp_path / "fish.md"

    with saving_to(target):
        qtbot.mouseClick(box.export_button, Qt.MouseButton.LeftButton)
    idle()

    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Fish facts")
    assert SECRET in text


def test_the_passphrase_is_changed_only_with_the_current_one(
    qtbot: QtBot, page: PrivacyPage, hub: Hub, idle: Idle
) -> None:
    box = page.protection_box
    assert box.current_label.text() == "Your chats' key is protected by a passphrase."
    assert box.chosen() is KeyProtection.PASSPHRASE
    box.old_passphrase.setText("not the passphrase")
    box.new_passphrase.setText("a new passphrase")
    box.new_passphrase_again.setText("a new passphrase")

    qtbot.mouseClick(box.change_button, Qt.MouseButton.LeftButton)
    idle()
    assert box.notice.kind == "error"
    assert KeyStore(hub.paths).unlock(passphrase=PASSPHRASE)  # nothing changed

    box.old_passphrase.setText(PASSPHRASE)
    qtbot.mouseClick(box.change_button, Qt.MouseButton.LeftButton)
    idle()

    assert box.notice.text() == "Changed the passphrase of NextHub's chats."
    keys = KeyStore(hub.paths)
    assert keys.unlock(passphrase="a new passphrase")
    with pytest.raises(WrongPassphraseError):
        keys.unlock(passphrase=PASSPHRASE)
    assert box.old_passphrase.text() == ""


def test_a_key_file_is_offered_with_its_warning(page: PrivacyPage) -> None:
    box = page.protection_box
    box.target.setCurrentIndex(box.target.findData(KeyProtection.KEY_FILE.value))
    assert box.key_file_warning.isVisible()
    assert "weaker than a passphrase" in box.key_file_warning.text()
    assert not box.new_passphrase.isEnabled()


def test_deleting_all_data_says_what_goes_asks_then_wipes_and_signals(
    qtbot: QtBot, page: PrivacyPage, hub: Hub, idle: Idle
) -> None:
    database = hub.paths.chats_db_file
    key = hub.paths.data / "database-key.json"
    dialogs = MessageBoxes()

    dialogs.answer("Cancel")
    with qtbot.assertNotEmitted(page.data_wiped):
        qtbot.mouseClick(page.wipe_button, Qt.MouseButton.LeftButton)
        idle()
    assert page.wipe_notice.text() == "Nothing was deleted."
    assert database.exists() and key.exists()
    assert "chat database (" in dialogs.seen[0] and str(database) in dialogs.seen[0]
    assert str(key) in dialogs.seen[0]
    assert str(hub.paths.config) in dialogs.seen[0]  # the settings go too
    assert "Models you added by reference stay where they are." in dialogs.seen[0]

    dialogs.answer("Delete everything")
    with qtbot.waitSignal(page.data_wiped, timeout=WAIT_MS):
        qtbot.mouseClick(page.wipe_button, Qt.MouseButton.LeftButton)
    idle()

    assert not database.exists() and not key.exists()
    assert list(hub.paths.data.glob("chats.db*")) == []
    assert page.wipe_notice.text().startswith("Deleted every chat and its key")
    # Everything else went too (settings included: the next start is a first run).
    assert [p for p in hub.paths.owned_folders() if p.exists()] == []


def test_keep_downloaded_models_keeps_the_models_folder(
    qtbot: QtBot, page: PrivacyPage, hub: Hub, idle: Idle
) -> None:
    models = hub.paths.models_dir
    models.mkdir(parents=True, exist_ok=True)
    model = models / "downloaded.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    dialogs = MessageBoxes()

    page.keep_models.setChecked(True)
    dialogs.answer("Delete everything")
    with qtbot.waitSignal(page.data_wiped, timeout=WAIT_MS):
        qtbot.mouseClick(page.wipe_button, Qt.MouseButton.LeftButton)
    idle()

    assert f"It keeps {models}" in dialogs.seen[0]
    assert "Downloaded models are kept." in dialogs.seen[0]
    assert model.read_bytes() == b"GGUF" + bytes(60)
    assert not hub.paths.chats_db_file.exists() and not hub.paths.config.exists()
    assert f"Kept: {models}" in page.wipe_notice.text()
