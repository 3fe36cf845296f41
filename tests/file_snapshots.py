"""A fingerprint of a folder, to prove an operation changed nothing on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under ``root``: content hash, mode, modification time."""
    found: dict[str, tuple[str, int, int]] = {}
    for path in sorted(p for p in root.rglob("*") if not p.is_dir()):
        info = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found[str(path.relative_to(root))] = (digest, info.st_mode, info.st_mtime_ns)
    return found
