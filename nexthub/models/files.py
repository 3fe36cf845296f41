"""File operations that never leave a half-written file where NextHub looks.

Model files are gigabytes, and a copy or move can fail half way (disk full,
Ctrl-C, a pulled USB stick). Everything here writes to a temporary name in the
destination folder and renames it into place only once it is complete, so a
file under its final name is always whole; on failure the temporary file is
deleted. Folders are created owner-only, like the rest of NextHub's data.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from nexthub.models.errors import ModelStorageError, NotEnoughDiskSpaceError
from nexthub.models.memory_fit import format_gb

#: Called with (bytes done, total bytes or None) as a long file operation goes on.
ProgressCallback = Callable[[int, int | None], None]

#: Read and write in pieces of this size: large enough to be fast, small
#: enough that progress and cancellation respond quickly.
CHUNK_SIZE = 4 * 1024 * 1024


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder``, and each missing parent, owner-only; return it.

    ``Path.mkdir(parents=True, mode=...)`` applies the mode to the last folder
    only, so the missing ones are created one by one from the top.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        for path in reversed(missing):
            path.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ModelStorageError(
            f"NextHub cannot create the folder {folder}: {exc.strerror or exc}. "
            "Check that the disk is writable."
        ) from exc
    return folder


def check_free_space(folder: Path, needed: int, *, what: str) -> None:
    """Refuse early when ``folder``'s disk has less than ``needed`` bytes free."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # cannot tell; the write itself will report a full disk
    if free < needed:
        raise NotEnoughDiskSpaceError(
            f"There is not enough free disk space for {what}: it needs {format_gb(needed)} "
            f"and {folder} has {format_gb(free)} free. Free some space and try again."
        )


def temporary_name(folder: Path, final_name: str) -> Path:
    """A hidden, unique name in ``folder`` for a file that will become ``final_name``."""
    return folder / f".{final_name}.{uuid.uuid4().hex[:12]}.tmp"


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or new file, never half."""
    folder = ensure_private_dir(path.parent)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def copy_with_hash(source: Path, destination: Path, *, progress: ProgressCallback | None) -> str:
    """Copy ``source`` to ``destination`` through a temporary name; return its sha256.

    The hash is computed from the bytes as they are copied, so the file is read
    once. ``destination`` appears only when the copy is complete.
    """
    total = source.stat().st_size
    temp = temporary_name(destination.parent, destination.name)
    digest = hashlib.sha256()
    done = 0
    try:
        with source.open("rb") as reader, temp.open("xb") as writer:
            if progress is not None:
                progress(0, total)
            while chunk := reader.read(CHUNK_SIZE):
                writer.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            writer.flush()
            os.fsync(writer.fileno())
        temp.replace(destination)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ModelStorageError(
            f"NextHub could not copy {source.name} into {destination.parent}: "
            f"{exc.strerror or exc}. Nothing was installed."
        ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def move_into(source: Path, destination: Path) -> None:
    """Move ``source`` to ``destination``, which appears only when complete.

    A rename when both are on one file system; otherwise a copy through a
    temporary name, then the source is deleted.
    """
    try:
        source.replace(destination)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise ModelStorageError(
                f"NextHub could not move {source.name} into {destination.parent}: "
                f"{exc.strerror or exc}. Nothing was installed."
            ) from exc
    copy_with_hash(source, destination, progress=None)
    with contextlib.suppress(OSError):
        source.unlink()


def sha256_of(path: Path) -> hashlib._Hash:
    """A sha256 object fed with the whole of ``path``, ready for more bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest
