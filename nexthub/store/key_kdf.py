"""Passphrase to key-encryption key: Argon2id, or scrypt where Argon2id is missing.

The parameters and a fresh random salt are recorded beside every wrapping, so
the defaults can grow stronger without breaking older files. The defaults cost
a fraction of a second and tens of MiB on a laptop (Argon2id: RFC 9106's
second recommendation; scrypt: N=2^17, r=8, p=1). Tests pass cheaper
parameters explicitly to the KeyStore; the defaults are never lowered for them.
Upper bounds keep a damaged or hostile file from asking for more than 4 GiB.
"""

from __future__ import annotations

import base64
import functools
import unicodedata
from dataclasses import dataclass
from typing import Any, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from nexthub.store.key_errors import UnsupportedKeyFormatError

KEY_BYTES = 32  # the database key and every KEK: 256 bits
SALT_BYTES = 16
_MAX_KDF_MEMORY = 4 * 1024**3


@dataclass(frozen=True)
class Argon2idParams:
    """Argon2id cost. The default is RFC 9106's second recommendation (64 MiB, ~0.4 s)."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 64 * 1024

    def __post_init__(self) -> None:
        if not 1 <= self.iterations <= 100 or not 1 <= self.lanes <= 64:
            raise ValueError("Argon2id iterations must be 1-100 and lanes 1-64")
        if not 8 * self.lanes <= self.memory_kib <= _MAX_KDF_MEMORY // 1024:
            raise ValueError("Argon2id memory must be 8 KiB per lane up to 4 GiB")


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost, used where Argon2id is not available. The default needs 128 MiB."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1) or not 1 <= self.r <= 64 or not 1 <= self.p <= 64:
            raise ValueError("scrypt n must be a power of two, r and p 1-64")
        if 128 * self.r * self.n > _MAX_KDF_MEMORY:
            raise ValueError("scrypt parameters must need at most 4 GiB")


KdfParams: TypeAlias = Argon2idParams | ScryptParams


@functools.cache
def argon2id_supported() -> bool:
    """Whether this build of ``cryptography`` (and its OpenSSL) has Argon2id."""
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=b"\0" * SALT_BYTES, length=KEY_BYTES, iterations=1, lanes=1, memory_cost=8)
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def default_kdf() -> KdfParams:
    """Argon2id where available, else scrypt; each at a cost of a fraction of a second."""
    return Argon2idParams() if argon2id_supported() else ScryptParams()


@dataclass(frozen=True)
class PassphraseKdf:
    """How a passphrase becomes the KEK: the KDF, its cost, and this wrapping's salt."""

    params: KdfParams
    salt: bytes

    def derive(self, passphrase: str) -> bytes:
        """The KEK. The passphrase is NFC-normalised so that one typed on another OS matches."""
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        params = self.params
        if isinstance(params, ScryptParams):
            return Scrypt(
                salt=self.salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p
            ).derive(secret)
        if not argon2id_supported():
            raise UnsupportedKeyFormatError(
                "NextHub's database key is protected with Argon2id, which this installation's "
                "'cryptography' package does not provide. Update it (pip install -U "
                "cryptography) and try again. Nothing was changed on disk."
            )
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        return Argon2id(
            salt=self.salt,
            length=KEY_BYTES,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        ).derive(secret)

    def to_json(self) -> dict[str, Any]:
        """The recorded form (all of it authenticated)."""
        salt = _b64(self.salt)
        if isinstance(self.params, ScryptParams):
            p = self.params
            return {"name": "scrypt", "salt": salt, "n": p.n, "r": p.r, "p": p.p}
        a = self.params
        return {
            "name": "argon2id",
            "salt": salt,
            "iterations": a.iterations,
            "lanes": a.lanes,
            "memory_kib": a.memory_kib,
        }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
