"""Deleting everything NextHub keeps: "delete all my data", and the first step of uninstall.

A full wipe is two steps. First the chats are crypto-shredded exactly as
:func:`nexthub.lifecycle.wipe_chats` does it (refused, with nothing deleted,
while another process has the database open; the key's keyring entry goes
too). Then every folder that holds only NextHub's files
(:meth:`AppPaths.owned_folders`) is deleted: settings, API keys, downloaded
and copied models, partial downloads, logs, whatever a later module writes.

Two kinds of file are kept:

- a model the user added by reference is the user's own file. It normally
  lives outside NextHub's folders and is never looked at; if one was
  referenced from inside them, it stays where it is, with its parent folders;
- with ``keep_models``, the models NextHub downloaded or copied, and the list
  of them, so a later NextHub finds them again.

Symbolic links are deleted, never followed: a link in the data folder to a
folder elsewhere does not take that folder's contents with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nexthub.errors import NextHubError
from nexthub.lifecycle import keyring_entry, wipe_chats
from nexthub.models.errors import RegistryError
from nexthub.models.registry import ModelRegistry
from nexthub.paths import AppPaths
from nexthub.store.key_errors import KeyringUnavailableError
from nexthub.store.keys import KeyStore


@dataclass
class WipeResult:
    """What a full wipe deleted and kept, and what it could not finish."""

    #: Files and folders deleted (the chat files and key one by one, then whole folders).
    deleted: list[Path] = field(default_factory=list)
    #: Files kept on purpose: referenced models, and with ``keep_models`` the models.
    kept: list[Path] = field(default_factory=list)
    #: The keyring entry deleted with the key ("service / user name"), if the key had one.
    keyring_entry: str | None = None
    #: The keyring refused to delete the key's entry (the chats are unreadable anyway).
    keyring_warning: str | None = None


def referenced_models(paths: AppPaths) -> list[Path]:
    """The model files that are the user's own: never deleted by NextHub.

    Those the list of models records as added by reference, and every GGUF
    file in NextHub's folders outside its models folder: NextHub puts its
    own models only there, so any other is the user's (one referenced from
    there before a wipe deleted the list, or while the list is unreadable).
    """
    try:
        listed = [m.path for m in ModelRegistry(paths).list() if m.source == "reference"]
    except RegistryError:
        listed = []
    strays = [
        found
        for folder in paths.owned_folders()
        for found in sorted(folder.rglob("*.gguf"))
        if not found.is_relative_to(paths.models_dir) and not found.is_symlink()
    ]
    return list(dict.fromkeys(listed + strays))


def kept_paths(paths: AppPaths, *, keep_models: bool) -> list[Path]:
    """What a full wipe leaves inside NextHub's folders (see the module docstring)."""
    keep = referenced_models(paths)
    if keep_models:
        keep += [paths.models_dir, paths.model_registry_file]
    inside = [
        path
        for path in keep
        if any(_under(path, folder) for folder in paths.owned_folders()) and _exists(path)
    ]
    return list(dict.fromkeys(inside))


def wipe_everything(
    paths: AppPaths, *, keep_models: bool = False, key_store: KeyStore | None = None
) -> WipeResult:
    """Delete the chats, their key and keyring entry, then NextHub's folders (close the store
    first). Raises ``DatabaseInUseError`` before deleting anything when another process has
    the database open, and NextHubError naming a file that could not be deleted."""
    result = WipeResult(kept=kept_paths(paths, keep_models=keep_models))
    entry = keyring_entry(paths)
    try:
        result.deleted += wipe_chats(paths, key_store)
        if entry is not None:
            result.keyring_entry = f"{entry.service} / {entry.username}"
    except KeyringUnavailableError as exc:  # the files are gone; finish, then say so
        result.keyring_warning = str(exc)
        result.deleted += [p for p in (key_store or KeyStore(paths)).locations() if p.exists()]
    for folder in paths.owned_folders():
        result.deleted += _delete(folder, result.kept)
    if paths.home is not None:
        with contextlib.suppress(OSError):  # not empty (the user's own files): left alone
            paths.home.rmdir()
    return result


def would_delete(path: Path, keep: list[Path]) -> bool:
    """Whether :func:`wipe_everything` deletes anything at ``path``, keeping ``keep``."""
    if path in keep or not _exists(path):
        return False
    if path.is_symlink() or not path.is_dir() or not any(k.is_relative_to(path) for k in keep):
        return True
    return any(would_delete(child, keep) for child in _children(path))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _delete(path: Path, keep: list[Path]) -> list[Path]:
    """Delete ``path`` and what is in it except ``keep``; return what was deleted."""
    if path in keep:
        return []
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _cannot_delete(path, exc) from exc
    if stat.S_ISDIR(mode) and any(k.is_relative_to(path) for k in keep):
        deleted = [found for child in _children(path) for found in _delete(child, keep)]
        with contextlib.suppress(OSError):  # it still holds what is kept
            path.rmdir()
        return deleted
    try:
        if stat.S_ISDIR(mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as exc:
        raise _cannot_delete(path, exc) from exc
    return [path]


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        raise _cannot_delete(folder, exc) from exc


def _cannot_delete(path: Path, exc: OSError) -> NextHubError:
    reason = exc.strerror or type(exc).__name__
    where = exc.filename if isinstance(exc.filename, str) else os.fspath(path)
    return NextHubError(
        f"NextHub could not delete {where}: {reason}. Close every NextHub window and "
        "server, then run `nexthub data wipe` again."
    )
