"""Where a user's data is, and deleting all of their chats: what every face shows and does.

``nexthub data path`` / ``nexthub data wipe`` and the desktop app's Privacy
page list the same places and promise the same deletion, so both come from
here (built on :mod:`nexthub.lifecycle`, which knows the files): a person who
reads one face's list and then the other's must not find a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nexthub.lifecycle import chat_files, data_locations, keyring_entry, wipe_chats
from nexthub.paths import AppPaths
from nexthub.service.display import human_bytes
from nexthub.service.hub import Hub
from nexthub.store.key_errors import KeyringUnavailableError

#: What a wipe does and does not do, said before the user confirms it.
WIPE_CONSEQUENCES = (
    "Every chat will be gone and cannot be recovered, from any copy (the key is destroyed). "
    "Models and settings are kept."
)


@dataclass(frozen=True)
class DataPlace:
    """One place NextHub keeps something: a file, a folder, or the keyring entry."""

    what: str
    #: A path, or for the keyring entry its service and user name.
    where: str
    #: Bytes; None when the file or folder is not there (or for the keyring entry).
    size: int | None
    in_keyring: bool = False

    @property
    def size_text(self) -> str:
        """The size as a person reads it: ``"12.3 MB"``, ``"not there"``, or ``"-"``."""
        if self.in_keyring:
            return "-"
        return "not there" if self.size is None else human_bytes(self.size)


def _keyring_place(paths: AppPaths, *, with_backend: bool) -> list[DataPlace]:
    entry = keyring_entry(paths)
    if entry is None:
        return []
    where = f"{entry.service} / {entry.username}"
    if with_backend:
        where += f" ({entry.backend})"
    return [DataPlace("keyring entry", where, None, in_keyring=True)]


def data_places(paths: AppPaths) -> list[DataPlace]:
    """Every place NextHub keeps data, with sizes, and the keyring entry if there is one."""
    places = [DataPlace(what, str(path), size) for what, path, size in data_locations(paths)]
    return places + _keyring_place(paths, with_backend=True)


def wipe_plan(paths: AppPaths) -> list[DataPlace]:
    """Exactly what deleting all chats removes (empty: there are no chats to delete)."""
    files = [DataPlace(what, str(path), size or 0) for what, path, size in chat_files(paths)]
    if not files:
        return []
    return files + _keyring_place(paths, with_backend=False)


@dataclass(frozen=True)
class WipeReport:
    """What a wipe deleted, and a warning when a part of it must be finished by hand."""

    deleted: list[Path]
    #: The keyring refused to delete its entry (the chats are unreadable anyway).
    warning: str | None = None


def wipe_all_chats(hub: Hub) -> WipeReport:
    """Close ``hub`` and delete every chat and the database key, for good.

    The hub is closed first, whatever happens next (the database cannot be
    deleted under an open connection), so a face must open a new one
    afterwards: after success that is first run, so ``welcomed`` is reset for
    the next start too. A ``DatabaseInUseError`` (another process has the
    database open) deletes nothing. A keyring that refuses to delete its entry
    does not undo the wipe (the files are gone, the chats unreadable): it comes
    back as the report's warning.
    """
    hub.close()
    warning = None
    before = {Path(place.where) for place in wipe_plan(hub.paths) if not place.in_keyring}
    try:
        deleted = wipe_chats(hub.paths)
    except KeyringUnavailableError as exc:
        deleted = sorted(path for path in before if not path.exists())
        warning = str(exc)
    hub.change_settings(welcomed=False)
    return WipeReport(deleted, warning)
