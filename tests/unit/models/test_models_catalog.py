"""The shipped catalog is valid and true to the starter file; a broken catalog is refused."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from nexthub.models import (
    CatalogError,
    CatalogModelNotFoundError,
    estimate_memory,
    inspect_gguf,
    load_catalog,
)
from nexthub.models import catalog as catalog_module
from nexthub.models.catalog import parse_catalog
from nexthub.models.memory_fit import CATALOG_CONTEXT
from nexthub.models.starter import STARTER_CATALOG_ID, STARTER_FILENAME

REPO_CATALOG = Path(__file__).resolve().parents[3] / "models" / "catalog.json"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REPO_CATALOG.read_text(encoding="utf-8"))
    return data


def test_the_shipped_catalog_loads_with_the_starter_and_a_handful_of_others() -> None:
    catalog = load_catalog()

    ids = [entry.id for entry in catalog]
    assert ids[0] == STARTER_CATALOG_ID
    assert 5 <= len(ids) <= 7
    assert len(set(ids)) == len(ids)
    starter = catalog.get(STARTER_CATALOG_ID)
    assert starter.family == "smollm2"
    assert starter.source.filename == STARTER_FILENAME


def test_every_entry_is_a_gguf_with_a_verifiable_source() -> None:
    for entry in load_catalog():
        assert entry.source.filename.endswith(".gguf")
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry.source.repo_id)
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
        assert entry.min_memory_bytes > entry.size_bytes
        assert entry.context_length >= 2048


def test_the_default_load_is_the_repository_file() -> None:
    assert load_catalog() == load_catalog(REPO_CATALOG)


def test_the_starter_entry_matches_the_real_file(starter_path: Path) -> None:
    entry = load_catalog().get(STARTER_CATALOG_ID)
    info = inspect_gguf(starter_path)

    assert entry.size_bytes == starter_path.stat().st_size
    assert entry.sha256 == hashlib.sha256(starter_path.read_bytes()).hexdigest()
    assert entry.quantisation == info.quantisation
    assert entry.parameter_count == info.parameter_count
    assert entry.context_length == info.context_length
    assert entry.min_memory_bytes >= estimate_memory(info, CATALOG_CONTEXT)


def test_an_unknown_id_lists_the_known_ones() -> None:
    with pytest.raises(CatalogModelNotFoundError, match="not in NextHub's catalog") as caught:
        load_catalog().get("gpt-17")

    assert STARTER_CATALOG_ID in str(caught.value)


def broken(change: str) -> dict[str, Any]:
    """The shipped catalog with one mistake made in its second entry."""
    data = copy.deepcopy(shipped())
    entry = data["models"][1]
    if change == "unknown field":
        entry["homepage"] = "https://example.org"
    elif change == "missing field":
        del entry["license"]
    elif change == "bad sha256":
        entry["sha256"] = "not-a-hash"
    elif change == "duplicate id":
        entry["id"] = data["models"][0]["id"]
    elif change == "negative size":
        entry["size_bytes"] = -1
    elif change == "memory below size":
        entry["min_memory_bytes"] = entry["size_bytes"] - 1
    elif change == "folder in filename":
        entry["source"]["filename"] = "../evil.gguf"
    elif change == "wrong schema":
        data["schema"] = 2
    return data


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("unknown field", "homepage"),
        ("missing field", "license"),
        ("bad sha256", "sha256"),
        ("duplicate id", "used twice"),
        ("negative size", "size_bytes"),
        ("memory below size", "min_memory_bytes"),
        ("folder in filename", "filename"),
        ("wrong schema", "schema"),
    ],
)
def test_a_malformed_catalog_is_refused_naming_the_mistake(change: str, named: str) -> None:
    with pytest.raises(CatalogError, match="malformed") as caught:
        parse_catalog(broken(change))

    assert named in str(caught.value)


def test_a_null_sha256_is_allowed() -> None:
    data = copy.deepcopy(shipped())
    data["models"][1]["sha256"] = None

    assert parse_catalog(data).entries[1].sha256 is None


def test_a_catalog_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(path)


def test_the_copy_packaged_in_the_wheel_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed from a wheel, the catalog is package data next to catalog.py."""
    data = copy.deepcopy(shipped())
    data["models"] = data["models"][:1]
    (tmp_path / "catalog.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(catalog_module.resources, "files", lambda package: tmp_path)

    assert [entry.id for entry in load_catalog()] == [STARTER_CATALOG_ID]
