"""What the store benchmark ran on, and the two costs it reports beside the table.

The machine (CPU, OS, SQLite versions, the disk's fsync time), one passphrase
unlock at the default KDF cost (not part of "open", which is handed the raw
key), and the fsync probe.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import sqlcipher3

from nexthub.engine.hardware import cpu_model_name
from nexthub.paths import AppPaths
from nexthub.store.key_kdf import Argon2idParams, default_kdf
from nexthub.store.keys import KeyProtection, KeyStore


def passphrase_unlock(workdir: Path) -> dict[str, Any]:
    """One KeyStore.unlock with a passphrase at the default KDF cost."""
    keys = KeyStore(AppPaths.under(workdir / "home").ensure(), environ={})
    keys.create(KeyProtection.PASSPHRASE, passphrase="correct horse battery staple")
    begin = time.perf_counter()
    keys.unlock(passphrase="correct horse battery staple")
    seconds = time.perf_counter() - begin
    kdf = default_kdf()
    if isinstance(kdf, Argon2idParams):
        name = f"Argon2id t={kdf.iterations}, m={kdf.memory_kib // 1024} MiB, p={kdf.lanes}"
    else:
        name = f"scrypt N=2^{kdf.n.bit_length() - 1}, r={kdf.r}, p={kdf.p}"
    return {"kdf": name, "seconds": seconds}


def fsync_probe(folder: Path) -> float:
    """Median seconds of a 4 KiB write + fsync in ``folder``: what every commit waits for."""
    path = folder / "fsync-probe"
    times = []
    with path.open("wb") as file:
        for n in range(50):
            file.seek(n % 8 * 4096)
            file.write(b"\0" * 4096)
            file.flush()
            begin = time.perf_counter()
            os.fsync(file.fileno())
            times.append(time.perf_counter() - begin)
    path.unlink()
    return statistics.median(times)


def machine(folder: Path) -> dict[str, Any]:
    """What the numbers were measured on."""
    probe = sqlcipher3.connect(":memory:")
    try:
        cipher_sqlite = probe.execute("SELECT sqlite_version()").fetchone()[0]
        cipher = probe.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        probe.close()
    return {
        "cpu": cpu_model_name(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "stdlib_sqlite": sqlite3.sqlite_version,
        "sqlcipher": f"{cipher} (SQLite {cipher_sqlite})",
        "fsync_ms": round(fsync_probe(folder) * 1e3, 2),
        "load_average": load_average(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how much else the machine was doing."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())
