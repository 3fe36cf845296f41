"""The encrypted SQLite connection: keying, pragmas, one lock, transactions, errors.

The file is a standard SQLCipher 4 database (``cipher_compatibility = 4``:
4096-byte pages, AES-256-CBC, HMAC-SHA512 per page), keyed with a raw 256-bit
key (``PRAGMA key = "x'…'"``), so no KDF runs on open: the key is random
already. ``cipher_memory_security`` is left off: it is process-wide, cannot be
undone, and made FTS indexing about 15 times slower.

Threading: one connection for the whole process, shared by every thread and
serialised by a re-entrant lock. SQLite allows one writer at a time anyway,
and every operation here takes milliseconds; one connection means no
``database is locked`` inside the process, one page cache, and a WAL checkpoint
after a deletion that no reader of ours can hold back, so the deleted text
really leaves the WAL. Other processes (a second NextHub, a backup tool) are
met with a busy timeout; writes begin with ``BEGIN IMMEDIATE`` so a busy
database is waited for before anything is read, never half way through.

Nothing here leaves plaintext on disk: SQLCipher encrypts every page of the
database and of the WAL, the shared-memory file holds only page numbers, and
``temp_store = MEMORY`` keeps sorts and temporary tables in RAM.

sqlite-utils is used on this connection with care: it catches the *sqlite3*
module's exception classes, and sqlcipher3 raises its own, so paths that rely
on catching (``insert(alter=True)``, ``drop(ignore=True)``, ``query()`` of an
``INSERT … RETURNING``) raise instead of working. See docs/STORE.md.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import sqlcipher3
from sqlite_utils import Database

from nexthub.store.errors import (
    DatabaseBusyError,
    DatabaseIOError,
    DatabaseReadOnlyError,
    DatabaseUnreadableError,
    DiskFullError,
    StoreClosedError,
    StoreError,
)

log = logging.getLogger(__name__)

KEY_BYTES = 32
BUSY_TIMEOUT_S = 5.0

#: Set on every connection, in this order, right after the key.
CONNECTION_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("foreign_keys", "ON"),
    # Deleted content is overwritten with zeros, in table pages and free pages.
    ("secure_delete", "ON"),
    # Sorts, temporary tables and indices stay in memory, never in a temp file.
    ("temp_store", "MEMORY"),
    # fsync the WAL on every commit: a committed message survives power loss too.
    ("synchronous", "FULL"),
    ("trusted_schema", "OFF"),
    # After a checkpoint, a WAL that grew large is cut back to this size.
    ("journal_size_limit", str(4 * 1024 * 1024)),
)

#: What ``cipher_compatibility = 4`` must give: a standard SQLCipher 4 file.
SQLCIPHER4_SETTINGS: dict[str, str] = {
    "cipher_page_size": "4096",
    "cipher_use_hmac": "1",
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
    "cipher_plaintext_header_size": "0",
}

_SQLITE_CORRUPT = 11

# SQLite's primary result codes that mean something to the user, and what they mean.
_USER_ERRORS: dict[int, Callable[[Path], StoreError]] = {
    26: DatabaseUnreadableError,  # SQLITE_NOTADB: wrong key, or not a database
    11: DatabaseUnreadableError,  # SQLITE_CORRUPT
    13: DiskFullError,  # SQLITE_FULL
    8: DatabaseReadOnlyError,  # SQLITE_READONLY
    14: DatabaseReadOnlyError,  # SQLITE_CANTOPEN
    3: DatabaseReadOnlyError,  # SQLITE_PERM
    5: DatabaseBusyError,  # SQLITE_BUSY
    6: DatabaseBusyError,  # SQLITE_LOCKED
    10: DatabaseIOError,  # SQLITE_IOERR
}


def translate_error(exc: BaseException, path: Path) -> BaseException:
    """The :class:`StoreError` for a SQLite error a user can meet, else ``exc`` itself.

    Constraint violations and SQL mistakes are bugs and pass through unchanged.
    """
    if not isinstance(exc, sqlcipher3.Error):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    make = None if code is None else _USER_ERRORS.get(code & 0xFF)
    return exc if make is None else make(path)


def raise_translated(exc: BaseException, path: Path) -> NoReturn:
    """Raise the :class:`StoreError` for ``exc`` (chained to it), or ``exc`` itself."""
    translated = translate_error(exc, path)
    if translated is exc:
        raise exc
    raise translated from exc


def _key_pragma(key: bytes) -> str:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"the database key must be {KEY_BYTES} bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _connect(uri: str, key: bytes, busy_timeout_s: float) -> Any:
    """A keyed sqlcipher3 connection in SQLCipher 4 mode; nothing read or written yet."""
    conn = sqlcipher3.connect(
        uri, uri=True, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
    )
    try:
        # SQLCipher's own log says which page failed its HMAC; the error we raise
        # says what it means, so keep stderr quiet.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_key_pragma(key))
        conn.execute("PRAGMA cipher_compatibility = 4")
    except BaseException:
        conn.close()
        raise
    return conn


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{path.as_uri()}?{query}"


def _wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def probe_key(path: Path, key: bytes) -> None:
    """Check that ``key`` decrypts ``path`` without writing anything anywhere.

    The file is opened read-only and ``immutable``: no lock, no WAL recovery,
    no -shm, no checkpoint. (An ordinary open with a wrong key still
    checkpoints a WAL left by a crash into the file when it closes.) Page 1
    is always in the main file (it is written before WAL mode is switched
    on), and SQLCipher authenticates it with its HMAC: a wrong key or a
    damaged page 1 is ``SQLITE_NOTADB``, raised as
    :class:`DatabaseUnreadableError`. ``SQLITE_CORRUPT`` means page 1 *was*
    authentic but the main file alone is not consistent: a checkpoint was cut
    short (a crash, a full disk), and the WAL holds the rest. The key is
    right then, and the ordinary open that follows recovers from the WAL.
    """
    try:
        conn = _connect(_uri(path, mode="ro", immutable="1"), key, BUSY_TIMEOUT_S)
    except sqlcipher3.Error as exc:
        raise_translated(exc, path)
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except sqlcipher3.Error as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF != _SQLITE_CORRUPT:
            raise_translated(exc, path)
    finally:
        conn.close()


class EncryptedDatabase:
    """One keyed SQLCipher connection, its lock, and transactions over sqlite-utils."""

    def __init__(self, path: Path, conn: Any) -> None:
        self.path = path
        self._conn: Any = conn
        self._db = Database(conn, execute_plugins=False)
        #: Held for every use of the connection; re-entrant so helpers can nest.
        self.lock = threading.RLock()
        #: Whether a write transaction committed on this connection (see :meth:`close`).
        self.wrote = False

    @classmethod
    def open(
        cls, path: Path, key: bytes, *, busy_timeout_s: float = BUSY_TIMEOUT_S
    ) -> EncryptedDatabase:
        """Open (or create) the database at ``path`` with ``key``.

        A wrong key or a damaged first page changes nothing on disk. When a
        WAL lies beside the file (a crash, or another process has it open),
        the key is first checked read-only (:func:`probe_key`), since an
        ordinary open with a wrong key would checkpoint that WAL into the file
        when it closes. With no WAL there is nothing such an open could
        write: its first read fails page 1's HMAC, and it closes having made
        no -wal or -shm file and changed nothing. That saves a second
        connection on every ordinary open. (A test checks both cases byte for
        byte.)
        """
        _key_pragma(key)  # reject a malformed key before touching the disk
        path = path.absolute()
        exists = path.exists()
        if exists and path.stat().st_size > 0:
            if _wal_path(path).exists():
                probe_key(path, key)
        elif not exists:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise DatabaseReadOnlyError(path) from exc
        try:
            conn = _connect(_uri(path, mode="rw" if exists else "rwc"), key, busy_timeout_s)
        except sqlcipher3.Error as exc:
            raise_translated(exc, path)
        try:
            _configure(conn)
            database = cls(path, conn)
        except BaseException as exc:
            conn.close()
            raise_translated(exc, path)
        return database

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._conn is None

    def _require_open(self) -> Any:
        if self._conn is None:
            raise StoreClosedError
        return self._conn

    def read(self) -> _Reading:
        """Use the connection for reading, under the lock, with errors translated.

        ``with database.read() as db: ...``. (A small class rather than a
        generator: every read of the store passes through it.)
        """
        return _Reading(self)

    @contextlib.contextmanager
    def write(self, *, foreign_keys: bool = True) -> Iterator[Database]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), under the lock.

        Any exception rolls it back. ``foreign_keys=False`` is for schema
        changes: enforcement is off during the transaction (so a rebuilt table
        fires no ``ON DELETE`` actions) and ``foreign_key_check`` must pass
        before it commits.
        """
        with self.lock:
            conn = self._require_open()
            try:
                if not foreign_keys:
                    conn.execute("PRAGMA foreign_keys = OFF")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._db
                        if not foreign_keys and conn.execute("PRAGMA foreign_key_check").fetchall():
                            raise StoreError(
                                "A schema change would leave broken references; it was undone."
                            )
                        conn.execute("COMMIT")
                        self.wrote = True
                    except BaseException:
                        self._rollback_quietly()
                        raise
                finally:
                    if not foreign_keys:
                        conn.execute("PRAGMA foreign_keys = ON")
            except sqlcipher3.Error as exc:
                raise_translated(exc, self.path)

    def _rollback_quietly(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlcipher3.Error:
                log.warning("rollback failed", exc_info=True)

    def checkpoint(self) -> bool:
        """Copy the WAL into the file and truncate it to zero bytes.

        Returns False if it could not finish: another process was reading, or
        the file could not grow (a full disk). The WAL then still holds frames
        (encrypted); the next checkpoint or the close clears them. What was
        committed stays committed either way, so this never raises.
        """
        try:
            with self.read() as db:
                busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except StoreError as exc:
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)
            return False
        if busy:
            log.warning("WAL checkpoint could not finish: another process is reading")
        return not busy

    def close(self, *, optimize: bool = True) -> None:
        """Close the connection (idempotent). SQLite checkpoints and removes the WAL.

        ``optimize`` lets SQLite refresh its query-planner statistics first
        (a write); a failed open closes without it, to leave the file as it was.
        It runs only when this connection committed a write: statistics go
        stale only when the data changes, and on an encrypted file even a
        ``PRAGMA optimize`` that finds nothing to do decrypts pages to decide so.
        """
        with self.lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            if optimize and self.wrote:
                try:
                    conn.execute("PRAGMA optimize")
                except sqlcipher3.Error:
                    log.debug("PRAGMA optimize failed on close", exc_info=True)
            conn.close()


class _Reading:
    """The context manager of :meth:`EncryptedDatabase.read`."""

    __slots__ = ("_database",)

    def __init__(self, database: EncryptedDatabase) -> None:
        self._database = database

    def __enter__(self) -> Database:
        database = self._database
        database.lock.acquire()
        if database.closed:
            database.lock.release()
            raise StoreClosedError
        return database._db

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._database.lock.release()
        if isinstance(exc, sqlcipher3.Error):
            raise_translated(exc, self._database.path)


def _configure(conn: Any) -> None:
    """Check the key and the cipher settings, then set the pragmas and WAL mode."""
    # The first read decrypts page 1: a wrong key or a damaged file fails here.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    version = conn.execute("PRAGMA cipher_version").fetchone()
    if not version or not str(version[0]).startswith("4."):
        raise StoreError(f"NextHub needs SQLCipher 4; this build has {version}.")
    for pragma, expected in SQLCIPHER4_SETTINGS.items():
        value = conn.execute(f"PRAGMA {pragma}").fetchone()
        if value is None or str(value[0]) != expected:
            raise StoreError(f"SQLCipher setting {pragma} is {value}, expected {expected}.")
    for pragma, value in CONNECTION_PRAGMAS:
        conn.execute(f"PRAGMA {pragma} = {value}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if not mode or str(mode[0]).lower() != "wal":
        raise StoreError(f"The chat database could not use WAL mode (got {mode}).")
