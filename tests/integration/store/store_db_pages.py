"""Read a SQLCipher 4 file page by page, with its key, to see what is really in it.

``sqlcipher_export`` copies only live rows, so it would pass even if deleted
text sat in free pages. This build of SQLCipher has no ``sqlite_dbpage``
table, so the pages are decrypted here directly, in the SQLCipher 4 format:

- page size 4096; each page ends with a reserve of 80 bytes: a 16-byte IV and
  a 64-byte HMAC-SHA512;
- the first 4016 bytes of a page (page 1: bytes 16-4016, after the 16-byte
  salt) are AES-256-CBC under the raw key with that IV, no padding.

Page 1 gets SQLite's magic header back, so the decrypted image is an ordinary
SQLite file, free pages and all, that the stdlib ``sqlite3`` opens: the tests
check that (``integrity_check``), which proves the decryption is right. WAL
frames (a 24-byte header, then one page encrypted the same way) are decrypted
too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE_SIZE = 4096
RESERVE = 80  # 16-byte IV + 64-byte HMAC-SHA512
SALT = 16
SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_HEADER = 32
WAL_FRAME_HEADER = 24


def decrypt_page(page: bytes, key: bytes, *, first: bool) -> bytes:
    """One plaintext page (page 1 with SQLite's magic header in place of the salt)."""
    assert len(page) == PAGE_SIZE
    iv = page[PAGE_SIZE - RESERVE : PAGE_SIZE - RESERVE + 16]
    start = SALT if first else 0
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(page[start : PAGE_SIZE - RESERVE]) + decryptor.finalize()
    return (SQLITE_MAGIC if first else b"") + plain + page[PAGE_SIZE - RESERVE :]


def decrypt_database(path: Path, key: bytes) -> bytes:
    """Every page of the database file, decrypted: an ordinary SQLite image."""
    data = path.read_bytes()
    assert len(data) % PAGE_SIZE == 0, "not a whole number of pages"
    return b"".join(
        decrypt_page(data[offset : offset + PAGE_SIZE], key, first=offset == 0)
        for offset in range(0, len(data), PAGE_SIZE)
    )


def decrypt_wal(path: Path, key: bytes) -> bytes:
    """Every frame's page in a WAL file, decrypted (empty for a missing or empty WAL)."""
    if not path.exists():
        return b""
    data = path.read_bytes()
    pages = []
    offset = WAL_HEADER
    while offset + WAL_FRAME_HEADER + PAGE_SIZE <= len(data):
        page_number = int.from_bytes(data[offset : offset + 4], "big")
        page = data[offset + WAL_FRAME_HEADER : offset + WAL_FRAME_HEADER + PAGE_SIZE]
        pages.append(decrypt_page(page, key, first=page_number == 1))
        offset += WAL_FRAME_HEADER + PAGE_SIZE
    return b"".join(pages)


def write_plain_copy(image: bytes, target: Path) -> Path:
    """Write a decrypted image where the stdlib can open it (rollback-journal mode)."""
    header = bytearray(image[:100])
    header[18] = header[19] = 1  # file format versions: legacy (not WAL)
    target.write_bytes(bytes(header) + image[100:])
    return target


def check_plain_copy(target: Path) -> list[str]:
    """The table names of a plain copy, after SQLite's integrity check passes."""
    with sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    return names


def forms(marker: str) -> list[bytes]:
    """Byte strings that betray ``marker`` in a page, however SQLite stored it.

    FTS5 lowercases terms and stores each one as a suffix after the prefix it
    shares with the term before it, so the tail of the lowercased marker is
    searched for too.
    """
    lower = marker.lower()
    return [marker.encode(), lower.encode(), lower[-8:].encode(), marker.encode("utf-16-le")]


def found_in(data: bytes, markers: Iterable[str]) -> list[str]:
    """Which markers appear in ``data`` in any of their :func:`forms`."""
    lowered = data.lower()
    return [
        marker
        for marker in markers
        if any(form in data or form.lower() in lowered for form in forms(marker))
    ]
