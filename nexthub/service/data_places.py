"""Where a user's data is, and deleting all of it: what every face shows and does.

``nexthub data path`` / ``nexthub data wipe`` (and ``nexthub uninstall``) and
the desktop app's Privacy page list the same places and promise the same
deletion, so both come from here (built on :mod:`nexthub.lifecycle`, which
knows the files, and :mod:`nexthub.data_wipe`, which deletes them): a person
who reads one face's list and then the other's must not find a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nexthub.data_wipe import kept_paths, referenced_models, wipe_everything, would_delete
from nexthub.lifecycle import chat_files, data_locations, keyring_entry, size_of
from nexthub.paths import AppPaths
from nexthub.service.display import human_bytes
from nexthub.service.hub import Hub

#: What a wipe does and does not do, said before the user confirms it.
WIPE_CONSEQUENCES = (
    "Every chat will be gone and cannot be recovered, from any copy (the key is destroyed), "
    "and so will the settings, API keys, downloaded models, logs and caches. Models you "
    "added by reference stay where they are."
)
#: The same, when the downloaded models are kept (``nexthub data wipe --keep-models``).
WIPE_KEEPING_MODELS = (
    "Every chat will be gone and cannot be recovered, from any copy (the key is destroyed), "
    "and so will the settings, API keys, logs and caches. Downloaded models are kept."
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
    """Every place NextHub keeps data, with sizes, the keyring entry if there is one, and
    the models the user added by reference (theirs: a wipe never deletes them)."""
    places = [DataPlace(what, str(path), size) for what, path, size in data_locations(paths)]
    referenced = [
        DataPlace("your model, added by reference (never deleted)", str(path), size_of(path))
        for path in referenced_models(paths)
    ]
    return places + _keyring_place(paths, with_backend=True) + referenced


@dataclass(frozen=True)
class WipePlan:
    """Exactly what deleting all data removes, and what it leaves."""

    #: The chat files one by one, then each of NextHub's folders, then the keyring entry.
    goes: list[DataPlace]
    #: Referenced models inside NextHub's folders; with ``keep_models``, the models.
    stays: list[DataPlace]
    #: What the user is told before confirming.
    consequences: str

    def __bool__(self) -> bool:
        """False when there is nothing to delete."""
        return bool(self.goes)

    def goes_text(self) -> str:
        """What goes, one place a line, as the desktop app's confirmations list it."""
        return "\n".join(f"{p.what} ({p.size_text}): {p.where}" for p in self.goes)


def wipe_plan(paths: AppPaths, *, keep_models: bool = False) -> WipePlan:
    """What :func:`wipe_all_data` (and ``nexthub data wipe``) would delete now."""
    kept = kept_paths(paths, keep_models=keep_models)
    chats = [DataPlace(what, str(path), size or 0) for what, path, size in chat_files(paths)]
    folders = []
    for folder in paths.owned_folders():
        if not would_delete(folder, kept):
            continue
        size = size_of(folder) or 0
        inside = [k for k in kept if k.is_relative_to(folder)]
        size -= sum(size_of(k) or 0 for k in inside)
        roles = [r for r, p in paths.all_locations().items() if p.is_relative_to(folder)]
        what = f"{_names(roles)} folder" + (", except what is kept" if inside else "")
        folders.append(DataPlace(what, str(folder), size))
    consequences = WIPE_KEEPING_MODELS if keep_models else WIPE_CONSEQUENCES
    stays = [DataPlace("kept", str(path), size_of(path)) for path in kept]
    if not chats and not folders:
        return WipePlan([], stays, consequences)
    return WipePlan(
        chats + folders + _keyring_place(paths, with_backend=False), stays, consequences
    )


def _names(roles: list[str]) -> str:
    return roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " and " + roles[-1]


@dataclass(frozen=True)
class WipeReport:
    """What a wipe deleted and kept, and a warning when a part must be finished by hand."""

    deleted: list[Path]
    kept: list[Path]
    #: The keyring entry deleted with the key ("service / user name"), if it had one.
    keyring_entry: str | None = None
    #: The keyring refused to delete its entry (the chats are unreadable anyway).
    warning: str | None = None


def wipe_all_data(paths: AppPaths, *, keep_models: bool = False) -> WipeReport:
    """Delete everything NextHub keeps (:mod:`nexthub.data_wipe`); close every store first.

    A ``DatabaseInUseError`` (another process has the database open) deletes
    nothing. A keyring that refuses to delete its entry does not stop the
    wipe (the files are gone, the chats unreadable): it comes back as the
    report's warning, naming the entry.
    """
    result = wipe_everything(paths, keep_models=keep_models)
    return WipeReport(result.deleted, result.kept, result.keyring_entry, result.keyring_warning)


def wipe_hub_data(hub: Hub, *, keep_models: bool = False) -> WipeReport:
    """Close ``hub``, then :func:`wipe_all_data`: the desktop app's "Delete all my data".

    The hub is closed first, whatever happens next (the database cannot be
    deleted under an open connection), so a face must open a new one
    afterwards: after success that is first run (the settings are gone, so the
    welcome shows again).
    """
    hub.close()
    return wipe_all_data(hub.paths, keep_models=keep_models)
