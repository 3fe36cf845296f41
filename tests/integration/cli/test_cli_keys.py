"""`nexthub keys create|list|revoke`, run as a user would; the key file holds only hashes."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

from tests.integration.web.conftest import nexthub

KEY_FORMAT = re.compile(r"nh-[A-Za-z0-9_-]{43}")


def test_create_quiet_prints_only_the_key_and_stores_only_its_hash(nexthub_home: Path) -> None:
    made = nexthub(nexthub_home, "keys", "create", "editor", "--quiet")
    assert made.returncode == 0, made.stderr
    key = made.stdout.removesuffix("\n")
    assert KEY_FORMAT.fullmatch(key), made.stdout
    key_file = nexthub_home / "data" / "api_keys.json"
    content = key_file.read_text()
    assert key not in content and key[3:] not in content
    assert hashlib.sha256(key.encode()).hexdigest() in content
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_create_shows_the_key_once_and_list_never_does(nexthub_home: Path) -> None:
    made = nexthub(nexthub_home, "keys", "create", "script")
    assert made.returncode == 0, made.stderr
    (key,) = KEY_FORMAT.findall(made.stdout)
    assert "nexthub keys revoke script" in made.stdout
    other = nexthub(nexthub_home, "keys", "create", "agent", "--quiet").stdout.strip()

    listed = nexthub(nexthub_home, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "PREFIX", "CREATED"]
    assert [line.split()[0] for line in lines[1:]] == ["script", "agent"]
    assert key[:9] in lines[1] and other[:9] in lines[2]
    assert key not in listed.stdout and other not in listed.stdout


def test_revoke_removes_a_key_and_names_must_be_unique(nexthub_home: Path) -> None:
    assert nexthub(nexthub_home, "keys", "create", "ci").returncode == 0
    again = nexthub(nexthub_home, "keys", "create", "ci")
    assert again.returncode != 0 and "already a key called 'ci'" in again.stderr
    assert "Traceback" not in again.stderr

    revoked = nexthub(nexthub_home, "keys", "revoke", "ci")
    assert revoked.returncode == 0, revoked.stderr
    assert "ci" not in nexthub(nexthub_home, "keys", "list").stdout
    missing = nexthub(nexthub_home, "keys", "revoke", "ci")
    assert missing.returncode != 0 and missing.stderr.startswith("nexthub: ")
    assert "no key called 'ci'" in missing.stderr


def test_a_bad_name_is_refused(nexthub_home: Path) -> None:
    result = nexthub(nexthub_home, "keys", "create", "../etc")
    assert result.returncode != 0 and "A key name is" in result.stderr
