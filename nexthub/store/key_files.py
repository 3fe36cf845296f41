"""Small private files, written atomically with owner-only permissions, and removed.

The wrapped-key file and the key file must never be seen half-written: a crash
in the middle of a write would otherwise lose the only copy of the database
key. So a write goes to a temporary file in the same folder, is flushed to the
disk (fsync), and is then renamed over the old file (``os.replace``), which is
atomic; the folder is fsynced too so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

#: Every temporary file starts with this, so that wipe can find leftovers of a crash.
TEMP_PREFIX = ".nexthub-key-"
TEMP_SUFFIX = ".tmp"


def write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only (0600).

    With ``replace=False`` an existing file is never overwritten, even by a
    process racing this one: FileExistsError instead.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if os.name == "posix":
            temp.chmod(0o600)  # os.open's mode is already masked to <= 0600; make it exactly that
        if replace:
            temp.replace(path)
        else:
            _move_without_clobbering(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_folder(folder)


def _move_without_clobbering(temp: Path, path: Path) -> None:
    """Give ``temp`` the name ``path`` unless that exists (atomically where links exist)."""
    if os.name == "nt":
        temp.rename(path)  # refuses an existing target on Windows
        return
    try:
        os.link(temp, path)  # fails if path exists, even if created a moment ago
    except FileExistsError:
        raise
    except OSError:
        # No hard links (FAT on a USB stick, some network shares): the small race
        # left here only matters for two first runs at the same instant.
        if path.exists():
            raise FileExistsError(path) from None
        temp.replace(path)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    """Overwrite a small file with zeros, then delete it; nothing if it is not there.

    The overwrite is best effort: on an SSD, a copy-on-write filesystem or a
    snapshot the old bytes can survive it. What makes the data unreadable is
    that the key-encryption key and the wrapped key are gone, not this.
    """
    with contextlib.suppress(FileNotFoundError):
        size = path.stat().st_size
        with contextlib.suppress(OSError), path.open("r+b") as file:
            file.write(b"\0" * size)
            file.flush()
            os.fsync(file.fileno())
        path.unlink()


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a crash left in ``folder`` (they may hold a key file's content)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
