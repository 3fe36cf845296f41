"""NextHub's data as a whole: where it all is, and wiping the chats.

This is the module for "show me everything NextHub keeps" and "wipe my
chats"; :mod:`nexthub.data_wipe` builds "delete all my data" (and the first
step of ``nexthub uninstall``) on it. (Export and import of the chats are the
store's ``export_conversations`` / ``restore_conversations`` with the file
format of ``store/portable.py``.)

Wiping is crypto-shredding: the database, its WAL and SHM are deleted, and so
is the database key (the wrapped-key file, any key file, the keyring entry:
``KeyStore.destroy``). Deleting a file does not scrub a copy of it (a backup,
an SSD's remapped block, a snapshot); destroying the key makes every such copy
unreadable noise.

The store must be closed first, in this process: SQLite's locks are per
process, so an open store of our own cannot be detected here. Another process
with the database open is detected, the way SQLite itself does it: every open
connection to a WAL database holds a shared lock on one byte of the ``-shm``
file (the "dead man switch" of SQLite's unix VFS) for as long as it is open.
Wipe takes that byte exclusively, without waiting, and holds it while it
deletes, so no other NextHub can open the database half way through; if the
lock is refused, another process has the database open and nothing is
deleted. (On Windows, where there are no such locks, a file another process
has open cannot be deleted, and that is reported the same way.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.store.key_errors import StoreKeyError
from nexthub.store.key_format import KEY_FILE_SUFFIX, KeyringEntry, parse
from nexthub.store.keys import WRAPPED_KEY_FILE, KeyStore

#: The byte of the ``-shm`` file every open connection holds a shared lock on:
#: ``UNIX_SHM_DMS`` in SQLite's os_unix.c, (22 + 8) * 4 + 8.
_SHM_DMS_BYTE = 128


class DataLocation(NamedTuple):
    """One place NextHub keeps data: what it is, where, and its size (None: not there)."""

    description: str
    path: Path
    size: int | None


class DatabaseInUseError(NextHubError):
    """Another process has the chat database open; nothing was deleted."""

    def __init__(self, database: Path) -> None:
        self.database = database
        super().__init__(
            f"The chat database {database} is open in another program (another NextHub, or "
            "its desktop app or server?). Close it and try again. Nothing was deleted."
        )


def database_files(paths: AppPaths) -> list[Path]:
    """The chat database and the files SQLite keeps beside it (WAL, SHM, journal)."""
    database = paths.chats_db_file
    return [
        database,
        *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")),
    ]


def size_of(path: Path) -> int | None:
    """A file's size, a folder's total (links not followed), or None if it is not there."""
    try:
        if not path.is_dir():
            return path.lstat().st_size
    except FileNotFoundError:
        return None
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(folder) / name).lstat().st_size
    return total


def _chat_places(paths: AppPaths) -> list[tuple[str, Path]]:
    database, *beside = database_files(paths)
    wrapped, *others = KeyStore(paths).locations()
    return [
        ("chat database", database),
        *((f"chat database {p.name.rsplit('-', 1)[1].upper()}", p) for p in beside),
        ("wrapped database key", wrapped),
        *(
            ("key file" if p.name.endswith(KEY_FILE_SUFFIX) else "leftover temporary key file", p)
            for p in others
        ),
    ]


def chat_files(paths: AppPaths) -> list[DataLocation]:
    """The files of the chats that are there now: what :func:`wipe_chats` deletes."""
    found = [DataLocation(what, path, size_of(path)) for what, path in _chat_places(paths)]
    return [location for location in found if location.size is not None]


def data_locations(paths: AppPaths) -> list[DataLocation]:
    """Every place NextHub keeps data, with its size: the four folders, then what is in them.

    The database and the wrapped key are listed even when they are not there
    (size None); the WAL, SHM, key files and leftovers only when they are.
    """
    always = {paths.chats_db_file, paths.data / WRAPPED_KEY_FILE}
    places = [
        *((f"{role} folder", path) for role, path in paths.all_locations().items()),
        *((what, path) for what, path in _chat_places(paths) if path in always or path.exists()),
        ("models", paths.models_dir),
        ("model list", paths.model_registry_file),
        ("settings", paths.settings_file),
        ("API keys", paths.api_keys_file),
        ("telemetry", paths.telemetry_dir),
        ("telemetry choice", paths.telemetry_consent_file),
        ("partial downloads", paths.downloads_dir),
    ]
    return [DataLocation(what, path, size_of(path)) for what, path in places]


def keyring_entry(paths: AppPaths) -> KeyringEntry | None:
    """The keyring entry holding the database key's KEK, if the key is kept that way."""
    wrapped = paths.data / WRAPPED_KEY_FILE
    try:
        return parse(wrapped.read_bytes(), wrapped).keyring
    except (OSError, StoreKeyError):  # no key, or one that names no entry NextHub can read
        return None


@contextlib.contextmanager
def _no_other_process(database: Path) -> Iterator[None]:
    """Hold the database's dead-man-switch byte exclusively, or raise DatabaseInUseError."""
    shm = database.with_name(database.name + "-shm")
    if os.name != "posix":  # pragma: no cover - Windows: deleting an open file fails instead
        yield
        return
    import fcntl

    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        # SQLite makes the -shm when the first connection opens the database and
        # removes it when the last one closes: no file, no open connection.
        yield
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
        except OSError:
            raise DatabaseInUseError(database) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def wipe_chats(paths: AppPaths, key_store: KeyStore | None = None) -> list[Path]:
    """Delete every chat for good; return the files deleted.

    Deletes the database with its WAL, SHM and journal, then destroys the key
    (wrapped-key file, key files, leftovers, keyring entry). Close the store
    first. Raises :class:`DatabaseInUseError` (nothing deleted) if another
    process has the database open, and ``KeyringUnavailableError`` (naming the
    entry to delete by hand) if the keyring refuses, after the files are gone.
    """
    keys = key_store or KeyStore(paths)
    database = paths.chats_db_file
    deleted: list[Path] = []
    with _no_other_process(database):
        for path in database_files(paths):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                if os.name == "nt" and isinstance(exc, PermissionError):  # pragma: no cover
                    raise DatabaseInUseError(database) from None
                raise NextHubError(
                    f"NextHub could not delete {path}: {exc.strerror or type(exc).__name__}."
                ) from exc
            deleted.append(path)
        deleted += [p for p in keys.locations() if p.exists()]
        keys.destroy()
    return deleted
