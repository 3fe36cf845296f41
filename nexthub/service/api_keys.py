"""API keys for the localhost server: made, listed, revoked and checked.

A key is 256 random bits, written ``nh-`` plus 43 URL-safe characters, and
shown to the user once. Only its SHA-256 hash is kept (a fast hash is right
for a random secret that cannot be guessed, unlike a password), with its name,
a short prefix the user can recognise it by, and the day it was made, in one
owner-only JSON file, ``AppPaths.api_keys_file``. The file is rewritten
atomically, and the server reads it again whenever it changes, so a key
revoked from the command line is refused on the server's next request. A key
is checked against every stored hash with :func:`hmac.compare_digest`, so the
time taken tells nothing about how much of it matched.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nexthub.errors import NextHubError

#: Every key starts with this, so it can be recognised (and found by secret scanners).
KEY_PREFIX = "nh-"
#: Characters of a key shown by ``keys list`` (the ``nh-`` and the first random ones).
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
#: Random bytes in a key.
KEY_BYTES = 32
FILE_SCHEMA = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ApiKeyError(NextHubError):
    """An API key could not be made, found or revoked."""


@dataclass(frozen=True)
class ApiKeyInfo:
    """One key as it may be shown: never the key itself."""

    name: str
    #: The first characters of the key, to recognise it by.
    prefix: str
    #: When it was made (UTC, to the second).
    created: datetime


@dataclass(frozen=True)
class _StoredKey:
    info: ApiKeyInfo
    sha256: str


def hash_key(key: str) -> str:
    """The stored form of a key: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    """The API keys of one installation (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], builtins.list[_StoredKey]] | None = None

    def create(self, name: str) -> tuple[ApiKeyInfo, str]:
        """Make a key called ``name``; returns it with the key, which is never stored."""
        if not _NAME.match(name):
            raise ApiKeyError(
                "A key name is 1 to 64 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit."
            )
        with self._lock:
            keys = self._read()
            if any(stored.info.name == name for stored in keys):
                raise ApiKeyError(
                    f"There is already a key called '{name}'. Choose another name, or revoke "
                    f"it first with `nexthub keys revoke {name}`."
                )
            key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
            info = ApiKeyInfo(
                name, key[:SHOWN_PREFIX_LENGTH], datetime.now(UTC).replace(microsecond=0)
            )
            self._write([*keys, _StoredKey(info, hash_key(key))])
            return info, key

    def list(self) -> list[ApiKeyInfo]:
        """Every key, oldest first."""
        with self._lock:
            return [stored.info for stored in self._read()]

    def revoke(self, name: str) -> ApiKeyInfo:
        """Delete the key called ``name``; requests using it are refused from now on."""
        with self._lock:
            keys = self._read()
            kept = [stored for stored in keys if stored.info.name != name]
            if len(kept) == len(keys):
                names = ", ".join(stored.info.name for stored in keys) or "none"
                raise ApiKeyError(f"There is no key called '{name}' (keys: {names}).")
            self._write(kept)
            (revoked,) = (stored.info for stored in keys if stored.info.name == name)
            return revoked

    def verify(self, key: str) -> ApiKeyInfo | None:
        """The key's record if ``key`` is a current key, else None (constant-time compare)."""
        presented = hash_key(key)
        with self._lock:
            keys = self._read()
        found: ApiKeyInfo | None = None
        for stored in keys:  # no early exit: every stored hash is compared
            if hmac.compare_digest(presented, stored.sha256):
                found = stored.info
        return found

    # -- the file -------------------------------------------------------------------------

    def _read(self) -> builtins.list[_StoredKey]:
        """The stored keys, read again only when the file changed."""
        try:
            status = self._path.stat()
        except FileNotFoundError:
            self._cache = None
            return []
        except OSError as exc:
            raise ApiKeyError(f"The API key file {self._path} cannot be read: {exc}.") from None
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1]
        keys = self._parse(self._path.read_bytes())
        self._cache = (stamp, keys)
        return keys

    def _parse(self, raw: bytes) -> builtins.list[_StoredKey]:
        try:
            document = json.loads(raw)
            return [
                _StoredKey(
                    ApiKeyInfo(
                        str(entry["name"]),
                        str(entry["prefix"]),
                        datetime.fromisoformat(str(entry["created"])),
                    ),
                    str(entry["sha256"]),
                )
                for entry in document["keys"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiKeyError(
                f"The API key file {self._path} is damaged ({exc}). Delete it and make new "
                "keys with `nexthub keys create NAME`."
            ) from None

    def _write(self, keys: builtins.list[_StoredKey]) -> None:
        document = {
            "schema": FILE_SCHEMA,
            "keys": [
                {
                    "name": stored.info.name,
                    "prefix": stored.info.prefix,
                    "created": stored.info.created.isoformat(),
                    "sha256": stored.sha256,
                }
                for stored in keys
            ],
        }
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(prefix=".api_keys-", dir=self._path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=2)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            Path(temporary).replace(self._path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._cache = None
